import datetime
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from certification.documents.reports import build_report, report_context, summary_pdf, summary_xlsx
from certification.models import Assessment, Campaign, Criterion, Decision, Registration, Result
from tests.certification.documents.conftest import (
    assert_official_pdf,
    make_campaign,
    pdf_layout_text,
    pdf_text,
    signature_block,
)
from units.models import Unit

S = Assessment.Status


def _unit(code, name, kind, parent, **extra):
    return Unit.objects.create(code=code, name=name, kind=kind, parent=parent, **extra)


def _assess(campaign, unit, status, criteria_set, *, registered=True, unmet=()):
    if registered:
        Registration.objects.create(
            campaign=campaign, unit=unit, registered_on=datetime.date(campaign.year, 3, 1)
        )
    a = Assessment.objects.create(campaign=campaign, unit=unit, criteria_set=criteria_set, status=status)
    if unmet:
        Result.objects.create(
            campaign=campaign, unit=unit, assessment=a, outcome="fail", unmet_codes=list(unmet)
        )
    return a


@pytest.fixture
def province_data(province, commune, other_commune, areas, other_area, campaign, kdc_set):
    """2026: Vũng Áng 5 areas (4 recognized, 1 not: KDC-3a, KDC-5), 1 school recognized, 1 micro
    enterprise (not eligible), the commune recognized; Kỳ Hoa: 1 area recognized, 1 agency
    registered but still in draft; 2025: Vũng Áng 3 of 5 areas recognized."""
    for unit in areas[:4]:
        _assess(campaign, unit, S.RECOGNIZED, kdc_set)
    _assess(campaign, areas[4], S.NOT_RECOGNIZED, kdc_set, unmet=["KDC-3a", "KDC-5"])
    school = _unit("S1", "Trường THPT Kỳ Lâm", "school", commune, school_level="upper_secondary")
    _assess(campaign, school, S.RECOGNIZED, kdc_set)
    _unit("E1", "Cơ sở may Hòa", "enterprise", commune, enterprise_size="micro")
    _assess(campaign, commune, S.RECOGNIZED, kdc_set)
    _assess(campaign, other_area, S.RECOGNIZED, kdc_set)
    agency = _unit("A1", "Trạm Y tế xã Kỳ Hoa", "agency", other_commune)
    _assess(campaign, agency, S.DRAFT, kdc_set)
    Criterion.objects.create(
        criteria_set=kdc_set, code="KDC-3a", text="Không có hoạt động chống Đảng, chính quyền"
    )
    previous = make_campaign(province, 2025, kdc_set)
    for i, unit in enumerate(areas):
        _assess(previous, unit, S.RECOGNIZED if i < 3 else S.NOT_RECOGNIZED, kdc_set)
    campaign.status = Campaign.Status.CLOSED  # the year is over: its figures are final
    campaign.save()
    return campaign


@pytest.mark.django_db
def test_figures_per_kind_of_unit_with_the_previous_year(province, province_data):
    report = build_report(scope=province, year=2026)
    rows = {row.group: row for row in report.groups}
    kdc = rows["residential_area"]
    assert (kdc.now.units, kdc.now.eligible, kdc.now.registered, kdc.now.assessed, kdc.now.recognized) == (
        6,
        6,
        6,
        6,
        5,
    )
    assert kdc.now.rate == pytest.approx(5 * 100 / 6)
    assert kdc.before.recognized == 3
    assert kdc.rate_change == pytest.approx(5 * 100 / 6 - 60)
    cqdn = rows["agency_enterprise"]
    assert (
        cqdn.now.units,
        cqdn.now.eligible,
        cqdn.now.registered,
        cqdn.now.assessed,
        cqdn.now.recognized,
    ) == (2, 1, 1, 0, 0)
    assert rows["school"].now.recognized == 1
    assert rows["commune"].now.recognized == 1 and rows["commune"].now.units == 2
    assert report.total.now.recognized == 7
    assert report.sentence == "1 xã, phường, 5 khu dân cư và 1 nhà trường được công nhận"


@pytest.mark.django_db
def test_a_table_per_commune_and_the_units_not_recognized_with_unmet_criteria(province, province_data):
    report = build_report(scope=province, year=2026)
    by_name = {row.name: row for row in report.communes}
    assert set(by_name) == {"Phường Vũng Áng", "Xã Kỳ Hoa"}
    vung_ang = by_name["Phường Vũng Áng"]
    assert vung_ang.own_status == S.RECOGNIZED
    assert vung_ang.groups["residential_area"].recognized == 4
    assert vung_ang.groups["residential_area"].registered == 5
    assert by_name["Xã Kỳ Hoa"].own_status == ""
    assert report.not_recognized == [
        {
            "name": "Tổ dân phố 5",
            "kind": "Khu dân cư",
            "parent": "Phường Vũng Áng",
            "status": "Chưa đạt",
            "codes": ["KDC-3a", "KDC-5"],
            "reason": "",
        }
    ]
    assert ("KDC-3a", "Không có hoạt động chống Đảng, chính quyền") in report.criteria_legend


@pytest.mark.django_db
def test_a_commune_report_counts_only_that_commune(commune, province_data):
    report = build_report(scope=commune, year=2026)
    assert [row.name for row in report.communes] == ["Phường Vũng Áng"]
    assert report.total.now.recognized == 6
    assert report.sentence == "1 xã, phường, 4 khu dân cư và 1 nhà trường được công nhận"


@pytest.mark.django_db
def test_the_report_costs_the_same_number_of_queries_whatever_the_number_of_units(
    province, province_data, commune, campaign, kdc_set
):
    with CaptureQueriesContext(connection) as small:
        build_report(scope=province, year=2026)
    for i in range(30):
        unit = _unit(f"X{i}", f"Thôn {i}", "residential_area", commune)
        _assess(campaign, unit, S.RECOGNIZED, kdc_set, unmet=["KDC-1"] if i % 3 else ())
    extra = _unit("C3", "Kỳ Lạc", "commune", province, label="Xã")
    _assess(campaign, _unit("X-C3", "Thôn Lạc", "residential_area", extra), S.NOT_RECOGNIZED, kdc_set)
    with CaptureQueriesContext(connection) as large:
        build_report(scope=province, year=2026)
    assert len(large) == len(small)


@pytest.mark.django_db
def test_summary_pdf_reads_like_a_provincial_report(province, province_data):
    phrases = [
        "ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH",
        "BÁO CÁO",
        "đạt tiêu chuẩn “An toàn về an ninh, trật tự” năm 2026",
        "Năm 2026, trên địa bàn tỉnh Hà Tĩnh có 1 xã, phường, 5 khu dân cư và 1 nhà trường được công nhận",
        "Phường Vũng Áng",
        "Tổ dân phố 5",
        "KDC-3a, KDC-5",
        "III. KẾT QUẢ QUA CÁC NĂM",
    ]
    assert_official_pdf(summary_pdf(build_report(scope=province, year=2026)), phrases)


@pytest.mark.django_db
def test_summary_excel_has_the_four_sheets(province, province_data):
    workbook = load_workbook(io.BytesIO(summary_xlsx(build_report(scope=province, year=2026))))
    assert workbook.sheetnames == ["Tổng hợp", "Theo xã", "Chưa đạt", "Qua các năm"]
    summary = list(workbook["Tổng hợp"].values)
    expected = "Loại đơn vị | Tổng số | Thuộc diện | Đăng ký | Đã đánh giá | Được công nhận | Tỷ lệ (%)"
    assert summary[0][:7] == tuple(expected.split(" | "))
    kdc = next(row for row in summary if row[0] == "Khu dân cư")
    assert kdc[1:6] == (6, 6, 6, 6, 5)
    assert kdc[7] == 3
    missing = list(workbook["Chưa đạt"].values)
    assert missing[1][:5] == ("Tổ dân phố 5", "Khu dân cư", "Phường Vũng Áng", "Chưa đạt", "KDC-3a, KDC-5")
    years = [row[0] for row in list(workbook["Qua các năm"].values)[1:]]
    assert years == [2025, 2026]


@pytest.mark.django_db
def test_report_page_and_downloads_are_scoped(
    client, province, commune, province_data, province_viewer, clerk, outsider_clerk
):
    url = reverse("certification:report-summary")
    client.force_login(province_viewer)
    page = client.get(url, {"unit": province.pk, "year": 2026})
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    assert (
        client.get(url, {"unit": province.pk, "year": 2026, "format": "pdf"})["Content-Type"]
        == "application/pdf"
    )
    xlsx = client.get(url, {"unit": province.pk, "year": 2026, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    client.force_login(clerk)  # a commune clerk cannot pick the province
    response = client.get(url, {"unit": province.pk, "year": 2026, "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Hãy chọn xã, phường hoặc tỉnh trong danh sách." in response.content.decode()
    assert (
        client.get(url, {"unit": commune.pk, "year": 2026, "format": "pdf"})["Content-Type"]
        == "application/pdf"
    )
    client.force_login(outsider_clerk)
    assert "Hãy chọn" in client.get(url, {"unit": commune.pk, "year": 2026}).content.decode()


# --- issue 20, point 8: a running year compares like with like -----------------------------------


@pytest.fixture
def running_year(province, commune, other_commune, areas, campaign, kdc_set):
    """2025 closed: 4 of 5 Vũng Áng areas recognized (80 %). 2026 open: 1 area recognized, 3
    forecast to pass by the engine, 1 forecast to fail."""
    previous = make_campaign(province, 2025, kdc_set)
    for i, unit in enumerate(areas):
        _assess(previous, unit, S.RECOGNIZED if i < 4 else S.NOT_RECOGNIZED, kdc_set)
    previous.status = Campaign.Status.CLOSED
    previous.save()
    campaign.status = Campaign.Status.OPEN
    campaign.save()
    _assess(campaign, areas[0], S.RECOGNIZED, kdc_set)
    for unit in areas[1:4]:
        a = _assess(campaign, unit, S.DRAFT, kdc_set)
        Result.objects.create(campaign=campaign, unit=unit, assessment=a, outcome="pass", is_forecast=True)
    _assess(campaign, areas[4], S.DRAFT, kdc_set, unmet=["KDC-5"])


@pytest.fixture
def signed_report_data(province, province_data, other_commune, kdc_set):
    """province_data plus a unit assessed but not decided yet, and a decision the province issued
    in 2026 (its signer signs the report)."""
    waiting = _unit("W1", "Thôn Đông", "residential_area", other_commune)
    _assess(province_data, waiting, S.SUBMITTED, kdc_set)
    Decision.objects.create(
        campaign=province_data,
        issuer=province,
        year=2026,
        number=4,
        status=Decision.Status.ISSUED,
        issued_on=datetime.date(2026, 11, 20),
        signer_name="Trần Văn Nam",
        signer_title="Phó Chủ tịch",
        signed_for="TM.",
    )
    return province_data


def _int(text: str) -> int:
    return int(text.replace(".", ""))


@pytest.mark.django_db
def test_every_sentence_of_the_summary_says_what_its_tables_say(province, signed_report_data):
    report = build_report(scope=province, year=2026)
    data = summary_pdf(report)
    text, layout = pdf_text(data), pdf_layout_text(data)
    number = r"(\d[\d.]*)"
    rows = {}
    for title in [
        "Xã, phường, đặc khu",
        "Khu dân cư",
        "Cơ quan, doanh nghiệp",
        "Cơ sở giáo dục",
        "Tổng cộng",
    ]:
        row = re.escape(title) + rf"\s+{number}\s+{number}\s+{number}\s+{number}\s+{number}\s+(\S+)"
        # A row on one line of the layout; a title that wraps in its cell: in the flowing text.
        found = re.search(row, layout) or re.search(row, text)
        assert found, title
        rows[title] = [_int(n) for n in found.groups()[:5]] + [found.group(6)]
    units, eligible, registered, assessed, recognized, rate = rows["Tổng cộng"]
    lead = re.search(
        rf"Năm 2026, trên địa bàn tỉnh Hà Tĩnh có (.+?) đạt tiêu chuẩn “An toàn về an ninh, trật tự”, "
        rf"tổng cộng {number} trên {number} đơn vị đăng ký \((\S+)\)\.",
        text,
    )
    assert lead, text[:2000]
    assert (_int(lead.group(2)), _int(lead.group(3)), lead.group(4)) == (recognized, registered, rate)
    nouns = {"xã, phường": "Xã, phường, đặc khu", "khu dân cư": "Khu dân cư", "nhà trường": "Cơ sở giáo dục"}
    named = {
        noun: _int(n)
        for n, noun in re.findall(r"(\d[\d.]*) (xã, phường|khu dân cư|nhà trường)", lead.group(1))
    }
    assert named == {noun: rows[title][4] for noun, title in nouns.items() if rows[title][4]}
    outcome = re.search(
        rf"Trong {number} đơn vị đã đánh giá, {number} đơn vị được công nhận, {number} đơn vị không được công "
        rf"nhận hoặc bị thu hồi(?: \(danh sách dưới đây\))?(?:, {number} đơn vị chưa có quyết định)?\.",
        text,
    )
    assert outcome, text
    said = [_int(n) if n else 0 for n in outcome.groups()]
    after = text[outcome.end() :]
    listed = len(report.not_recognized)
    assert all(row["name"] in after for row in report.not_recognized)
    assert said == [assessed, recognized, listed, assessed - recognized - listed]
    assert said[3] == 1  # the unit waiting for its decision is counted, not called unrecognized


@pytest.mark.django_db
def test_the_summary_has_the_layout_of_a_decision_with_recipients_and_signer(province, signed_report_data):
    data = summary_pdf(build_report(scope=province, year=2026))
    assert signature_block(data, "Trần Văn Nam") == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert "- Lưu: VT, CA." in pdf_text(data)


@pytest.fixture
def many_communes(province, campaign, kdc_set):
    """150 communes (the most a province has), each with a residential area: recognized, not
    recognized, waiting or not registered in turn."""
    statuses = [S.RECOGNIZED, S.NOT_RECOGNIZED, S.SUBMITTED, None]
    for i in range(150):
        commune = _unit(f"M{i:03d}", f"Số {i + 1:03d}", "commune", province, label="Xã")
        area = _unit(f"M{i:03d}-1", "Thôn Một", "residential_area", commune)
        status = statuses[i % 4]
        if status is not None:
            _assess(campaign, area, status, kdc_set)
    return campaign


@pytest.mark.django_db
def test_a_running_year_compares_its_forecast_with_last_years_final_result(province, running_year):
    report = build_report(scope=province, year=2026)
    assert report.is_running
    kdc = next(row for row in report.groups if row.group == "residential_area")
    assert (kdc.now.recognized, kdc.now.forecast, kdc.now.registered) == (1, 4, 5)
    # Not "-60,0 điểm" (20 % decided so far against 80 % final): the forecast, 80 %, against 80 %.
    assert kdc.rate_change == pytest.approx(0)
    assert [year for year, _rates in report.trend] == [2025]  # no fall drawn to a half-decided year
    vung_ang = next(row for row in report.communes if row.name == "Phường Vũng Áng")
    assert (vung_ang.total.recognized, vung_ang.total.forecast) == (1, 4)
    workbook = load_workbook(io.BytesIO(summary_xlsx(report)))
    header = list(workbook["Tổng hợp"].values)[0]
    assert "Dự báo so với cuối năm 2025 (điểm %)" in header and "Thay đổi tỷ lệ (điểm %)" not in header
    assert "Dự báo đạt" in list(workbook["Theo xã"].values)[0]
    assert_official_pdf(summary_pdf(report), ["Dự báo so với cuối năm 2025", "chưa kết thúc"])


@pytest.mark.django_db
def test_communes_are_listed_in_vietnamese_alphabetical_and_natural_order(province, campaign, kdc_set):
    names = ["Phường 10", "Xã Đông Hà", "Phường 2", "Xã Dương Thủy", "Xã An Lạc"]
    for i, name in enumerate(names):
        commune = _unit(f"C{i}", name, "commune", province)
        _assess(campaign, _unit(f"T{i}", "Thôn 1", "residential_area", commune), S.RECOGNIZED, kdc_set)
    report = build_report(scope=province, year=2026)
    listed = [row.name for row in report.communes if row.name in names]
    assert listed == ["Phường 2", "Phường 10", "Xã An Lạc", "Xã Dương Thủy", "Xã Đông Hà"]


@pytest.mark.django_db
def test_the_rate_chart_shows_every_commune_with_its_axis_on_the_page(province, many_communes):
    report = build_report(scope=province, year=2026)
    charts = report_context(report)["rate_charts"]
    svg = "{http://www.w3.org/2000/svg}"
    labels, scale = [], 165 / 460  # the chart is 165 mm wide (summary.css) for 460 units
    for chart in charts:
        root = ET.fromstring(chart)
        assert float(root.get("height")) * scale < 297 - 40 - 15  # fits a page with its title
        labels += [t.text for t in root.iter(f"{svg}text") if t.get("text-anchor") == "end"]
    names = [f"Xã Số {i:03d}" for i in range(1, 151)]
    assert labels == names
    text = pdf_text(summary_pdf(report))
    for name in names:
        assert text.count(name) >= 2, name  # in the table and in a chart
    axes = re.findall(r"\b0 25 50 75 100\b", text)
    assert len(axes) == len(charts) == 4  # every chart's axis is printed
