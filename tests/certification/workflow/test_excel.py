"""Offline entry through Excel: download, fill, upload; atomic, every bad cell reported."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from certification.exchange import assessment_excel as excel
from certification.models import Answer, Assessment, AuditEvent, Registration
from certification.services import registration, transitions
from tests.certification.workflow.conftest import xlsx

pytestmark = pytest.mark.django_db
HEAD = ["Mã", "Tên", "Đăng ký", "Số hộ gia đình", "Số hộ đăng ký"]


def download(user, campaign) -> list[list]:
    data = excel.build_workbook(campaign=campaign, units=excel.units_for_export(user, campaign))
    ws = load_workbook(io.BytesIO(data))["Đánh giá"]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def database_state():
    return (
        list(Answer.objects.order_by("pk").values_list("value", flat=True)),
        Assessment.objects.count(),
        Registration.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_download_lists_my_units_with_the_contract_header(officer, campaign, areas, commune, other_area):
    rows = download(officer, campaign)
    assert rows[0][:5] == HEAD
    assert rows[0][5:] == ["KDC-1", "KDC-3a", "KDC-3b", "KDC-4a", "KDC-5", "XA-1", "XA-3"]
    codes = [r[0] for r in rows[1:]]
    assert codes == [commune.code] + [a.code for a in areas]
    assert other_area.code not in codes
    assert rows[2][1] == "Tổ dân phố 1"


def test_the_download_is_prefilled_with_saved_answers_and_registration(officer, filled, campaign, area):
    registration.register_unit(
        campaign=campaign,
        unit=area,
        by=officer,
        registered_on=campaign.registration_deadline.replace(month=1),
        households_total=101,
        households_registered=99,
    )
    row = next(r for r in download(officer, campaign) if r[0] == area.code)
    assert row[2:5] == ["Có", 101, 99]
    assert row[5:10] == ["Đạt"] * 5
    assert row[10:] == [None, None]


def test_a_filled_file_round_trips(officer, campaign, areas):
    rows = download(officer, campaign)
    for row in rows[1:]:
        if row[0] == areas[0].code:
            row[2:5] = ["Có", 150, 150]
            row[5:10] = ["Đạt", "Không đạt", "Không áp dụng", "Đạt", None]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert report.ok, [str(e) for e in report.errors]
    assert report.applied and report.answer_count == 4 and report.registration_count == 1
    assessment = Assessment.objects.get(unit=areas[0])
    values = dict(assessment.answers.values_list("criterion__code", "value"))
    assert values == {"KDC-1": "met", "KDC-3a": "not_met", "KDC-3b": "na", "KDC-4a": "met", "KDC-5": ""}
    assert Registration.objects.get(unit=areas[0]).households_registered == 150
    assert AuditEvent.objects.filter(assessment=assessment, field="value", actor=officer).count() == 4

    again = download(officer, campaign)
    assert [r for r in again if r[0] == areas[0].code] == [r for r in rows if r[0] == areas[0].code]
    before = database_state()
    second = excel.import_workbook(xlsx(again), year=campaign.year, user=officer)
    assert second.ok and not second.changed_plans
    assert database_state() == before


def test_a_bad_file_reports_every_bad_cell_and_writes_nothing(
    officer, campaign, areas, commune, other_area, submitted
):
    rows = [
        [*HEAD, "KDC-1", "KDC-3a", "KDC-99", "XA-1"],
        [areas[1].code, "", "Có", 10, 5, "Đạt", "Không áp dụng", "", ""],  # row 2: N/A not allowed (col G)
        [
            areas[2].code,
            "",
            "",
            None,
            None,
            "Tốt",
            "",
            "",
            "Đạt",
        ],  # row 3: bad value (F), XA-1 not for KDC (I)
        [other_area.code, "", "", None, None, "Đạt", "", "", ""],  # row 4: outside my area
        [submitted.unit.code, "", "", None, None, "Không đạt", "Đạt", "Đạt", ""],  # row 5: locked
        [commune.code, "", "Có", 3000, 2000, "", "", "", "Đạt"],  # row 6: households for a commune
        [areas[3].code, "", "Có", 100, 120, "Đạt", "Đạt", "", ""],  # row 7: registered > households
    ]
    before = database_state()
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert database_state() == before
    assert not report.applied
    found = {(e.row, e.column_letter) for e in report.errors}
    assert (1, "H") in found  # unknown code in the header stops the import before the rows
    rows[0][7] = "KDC-3b"
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    found = {(e.row, e.column_letter): e.message for e in report.errors}
    assert set(found) == {(2, "G"), (3, "F"), (3, "I"), (4, "A"), (5, "F"), (6, "D"), (6, "E"), (7, "E")}, (
        found
    )
    assert "not allowed" in found[(2, "G")]
    assert "outside your area" in found[(4, "A")]
    assert "Submitted" in found[(5, "F")]
    assert database_state() == before
    assert all(str(e).startswith("Row ") for e in report.errors)


def test_one_bad_row_keeps_the_good_rows_out_too(officer, campaign, areas):
    rows = [
        [*HEAD, "KDC-1"],
        [areas[0].code, "", "", None, None, "Đạt"],
        [areas[1].code, "", "Có", None, None, "Đạt"],
    ]
    before = database_state()
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert [(e.row, e.column_letter) for e in report.errors] == [(3, "D"), (3, "E")]
    assert database_state() == before


def test_a_wrong_header_or_sheet_or_file_is_refused(officer, campaign, areas):
    assert excel.import_workbook(xlsx([["Ma", "Tên"]]), year=campaign.year, user=officer).errors[0].row == 1
    wrong_sheet = excel.import_workbook(xlsx([HEAD], sheet="Sheet1"), year=campaign.year, user=officer)
    assert "Đánh giá" in wrong_sheet.errors[0].message
    garbage = excel.import_workbook(io.BytesIO(b"not a zip"), year=campaign.year, user=officer)
    assert not garbage.ok


def test_entry_after_the_deadline_is_refused_per_cell(officer, draft, campaign, today):
    import datetime

    campaign.residential_period_end = today - datetime.timedelta(days=1)
    campaign.save()
    rows = [[*HEAD, "KDC-1"], [draft.unit.code, "", "", None, None, "Đạt"]]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert [(e.row, e.column_letter) for e in report.errors] == [(2, "F")]
    assert "Entry closed" in report.errors[0].message


def test_a_returned_assessment_accepts_only_the_returned_items(officer, appraiser, submitted, campaign):
    transitions.return_assessment(assessment=submitted, by=appraiser, items={"KDC-3a": "Xem lại"})
    rows = [[*HEAD, "KDC-1", "KDC-3a"], [submitted.unit.code, "", "", None, None, "Không đạt", "Không đạt"]]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert [(e.row, e.column_letter) for e in report.errors] == [(2, "F")]
    rows[1][5] = "Đạt"
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert report.ok and report.applied
    assert submitted.answers.get(criterion__code="KDC-3a").value == "not_met"


def test_the_command_imports_a_good_file(tmp_path, officer, campaign, areas, capsys):
    path = tmp_path / "danh-gia.xlsx"
    path.write_bytes(xlsx([[*HEAD, "KDC-1"], [areas[0].code, "", "", None, None, "Đạt"]]).getvalue())
    call_command("import_assessments", "--year", str(campaign.year), str(path), "--user", "officer")
    assert Assessment.objects.get(unit=areas[0]).answers.get(criterion__code="KDC-1").value == "met"
    assert "1 unit(s) changed" in capsys.readouterr().out


def test_the_command_lists_every_error_and_exits_1(tmp_path, officer, campaign, areas, other_area, capsys):
    path = tmp_path / "bad.xlsx"
    rows = [
        [*HEAD, "KDC-1"],
        [areas[0].code, "", "", None, None, "Có lẽ"],
        [other_area.code, "", "", None, None, "Đạt"],
    ]
    path.write_bytes(xlsx(rows).getvalue())
    before = database_state()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_assessments", "--year", str(campaign.year), str(path), "--user", "officer")
    assert excinfo.value.returncode == 1
    err = capsys.readouterr().err
    assert "Row 2, column F" in err and "Row 3, column A" in err
    assert database_state() == before


def test_the_command_without_a_user_acts_as_the_system(tmp_path, campaign, other_area):
    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsx([[*HEAD, "KDC-1"], [other_area.code, "", "", None, None, "Đạt"]]).getvalue())
    call_command("import_assessments", "--year", str(campaign.year), str(path))
    assessment = Assessment.objects.get(unit=other_area)
    assert assessment.campaign == campaign
    assert AuditEvent.objects.filter(assessment=assessment, field="value", actor=None).exists()


# --- issue 20, point 11: input as people type it ----------------------------------------------


@pytest.mark.parametrize(("total", "done"), [("1.250", "1.200"), ("1,250", "1,200"), ("1 250", "1\u00a0200")])
def test_households_are_accepted_as_people_write_them(officer, campaign, areas, total, done):
    rows = [[*HEAD, "KDC-1"], [areas[0].code, "", "Có", total, done, "Đạt"]]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert report.ok, [str(e) for e in report.errors]
    saved = Registration.objects.get(unit=areas[0])
    assert (saved.households_total, saved.households_registered) == (1250, 1200)


def test_a_bad_count_is_reported_once_in_its_own_cell(officer, campaign, areas):
    rows = [[*HEAD, "KDC-1"], [areas[0].code, "", "Có", "nhiều", 100, "Đạt"]]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert [(e.row, e.column_letter) for e in report.errors] == [(2, "D")]
    assert "not a whole number" in report.errors[0].message


def test_look_alikes_are_normalised_and_invisible_characters_named(officer, campaign, areas):
    # "Ðạt" with U+00D0 and a zero-width space: the meaning is certain, the answer is taken.
    rows = [
        [*HEAD, "KDC-1", "KDC-3a"],
        [areas[0].code, "", "", None, None, "\u00d0ạt\u200b", "Không\u00a0 đạt"],
    ]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert report.ok, [str(e) for e in report.errors]
    values = dict(Assessment.objects.get(unit=areas[0]).answers.values_list("criterion__code", "value"))
    assert values["KDC-1"] == "met" and values["KDC-3a"] == "not_met"
    # A Cyrillic "а" looks like a Latin one: refused, and the character and the cell are named.
    rows = [[*HEAD, "KDC-1"], [areas[1].code, "", "", None, None, "Đ\u0430t"]]
    report = excel.import_workbook(xlsx(rows), year=campaign.year, user=officer)
    assert [(e.row, e.column_letter) for e in report.errors] == [(2, "F")]
    assert "U+0430" in report.errors[0].message and "F2" in report.errors[0].message
