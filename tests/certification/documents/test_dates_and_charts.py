import datetime
import xml.etree.ElementTree as ET

from antt.dates import long_date, place_date
from antt.web.charts import bar_chart, line_chart


def test_days_below_ten_and_january_february_get_a_leading_zero():
    assert long_date(datetime.date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert long_date(datetime.date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"


def test_months_from_march_and_two_digit_days_are_written_as_they_are():
    assert long_date(datetime.date(2026, 11, 12)) == "ngày 12 tháng 11 năm 2026"
    assert long_date(datetime.date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"
    assert long_date(datetime.date(2026, 12, 1)) == "ngày 01 tháng 12 năm 2026"


def test_place_and_date_line_reads_like_an_official_document():
    assert place_date("Kỳ Anh", datetime.date(2026, 11, 12)) == "Kỳ Anh, ngày 12 tháng 11 năm 2026"


def test_chart_labels_are_escaped_and_the_svg_is_well_formed():
    svg = bar_chart([("Xã <b>Kỳ & Hoa</b>", 72.5), ("Phường Vũng Áng", 100)], threshold=70, title="Tỷ lệ")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Xã <b>Kỳ & Hoa</b>" in texts
    assert "72,5 %" in texts
    assert "<b>" not in svg


def test_line_chart_draws_one_line_per_series_and_leaves_gaps_for_missing_years():
    svg = line_chart(
        [
            ("Khu dân cư", [("2024", 80.0), ("2025", None), ("2026", 90.0)]),
            ("Chung", [("2024", 70.0), ("2025", 75.0), ("2026", 85.0)]),
        ]
    )
    root = ET.fromstring(svg)
    polylines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert len(polylines) == 1  # "Khu dân cư" has no two consecutive points
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 5
