"""Hostile files against the three imports (issue 19, class 1): a sheet declaring a huge size,
a zip whose shared strings inflate far beyond the budget, 100,000 columns, too many rows, an
XML entity bomb, a body over the upload limit. Each is refused, through the real views, with a
Vietnamese message saying which budget it passed, before a parser builds it; nothing changes
and nothing is kept. The budgets and the measured worst cases: docs/reliability.md "Hostile
files" (``bench/hostile_imports.py`` generates the same files)."""

import datetime
import functools
import io
import os
import time
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bench.hostile_imports import (
    ASSESSMENT_SHEETS,
    CRITERIA_SHEETS,
    MIB,
    NS,
    UNITS_SHEETS,
    handmade_xlsx,
    huge_dimension_xlsx,
    long_csv,
    long_xlsx,
    shared_strings_bomb_xlsx,
    wide_csv,
    wide_xlsx,
)
from certification.models import Answer, AuditEvent, CriteriaSet, Criterion, Registration
from certification.models.criteria import UnitKind
from tests.builders import KDC, make_campaign, make_set
from units.exchange.imports import COLUMNS
from units.models import Unit

HEADERS = {
    "units": COLUMNS,
    "assessment": ["Mã", "Tên", "Đăng ký", "Số hộ gia đình", "Số hộ đăng ký", "KDC-1"],
    "criteria": ["Mã", "Mã nhóm", "Nội dung", "Cách đánh giá", "Cho phép “Không áp dụng”"],
}
SHEETS = {"units": UNITS_SHEETS, "assessment": ASSESSMENT_SHEETS, "criteria": CRITERIA_SHEETS}
IMPORTS = list(SHEETS)

DECLARED_VI = "Trang tính khai báo 1.048.576 dòng và 16.384 cột (A1:XFD1048576)"
UNPACKS_VI = "Sổ tính khi giải nén có dung lượng"
COLUMNS_VI = "cột; chỉ đọc tối đa 300 cột"
ROWS_VI = "Tệp có hơn 10.000 dòng dưới hàng tiêu đề; hãy chia thành nhiều tệp."
# The units import and the two others word it differently (their own messages, kept).
UNREADABLE_VI = ("Tệp không phải là tệp Excel (.xlsx) đọc được.", "Tệp không phải là tệp Excel (.xlsx).")
TOO_LARGE_VI = "Tệp gửi lên quá lớn: mỗi lần tải lên tối đa"


# The files, built once per session (the bomb takes a moment to compress).
@functools.cache
def hostile(kind: str, name: str) -> tuple[str, bytes]:
    sheets = SHEETS[name]
    if kind == "huge dimension":
        return "bang.xlsx", huge_dimension_xlsx(sheets)
    if kind == "shared strings bomb":
        return "bang.xlsx", shared_strings_bomb_xlsx(sheets, expanded=64 * MIB)
    if kind == "100,000 columns":
        return "bang.xlsx", wide_xlsx(sheets)
    if kind == "too many rows":
        return "bang.xlsx", long_xlsx(sheets, 10_001, HEADERS[name], ["x"] * len(HEADERS[name]))
    if kind == "entity bomb":
        lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
        sheet = (
            f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY l0 "lol">{lol}]>'
            f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is>'
            "</c></row></sheetData></worksheet>"
        ).encode()
        return "bang.xlsx", handmade_xlsx(sheets, [sheet])
    raise ValueError(kind)


EXPECTED = {
    "huge dimension": DECLARED_VI,
    "shared strings bomb": UNPACKS_VI,
    "100,000 columns": COLUMNS_VI,
    "too many rows": ROWS_VI,
    "entity bomb": UNREADABLE_VI,
}


@pytest.fixture
def campaign(province):
    kdc = make_set(UnitKind.RESIDENTIAL_AREA, "kdc-test", KDC)
    return make_campaign(
        province,
        timezone.localdate().year,
        [kdc],
        entry_end=timezone.localdate() + datetime.timedelta(days=30),
    )


@pytest.fixture
def post(client, province_admin, officer, campaign, areas):
    """post(name, filename, data): the upload of import ``name`` by a user allowed to import."""

    def send(name: str, filename: str, data: bytes):
        upload = SimpleUploadedFile(filename, data)
        if name == "units":
            client.force_login(province_admin)
            return client.post(reverse("units:import-upload"), {"file": upload})
        if name == "assessment":
            client.force_login(officer)
            return client.post(
                reverse("certification:assessments-excel-upload"), {"year": campaign.year, "file": upload}
            )
        client.force_login(province_admin)
        return client.post(reverse("certification:criteria-set-import"), {"file": upload})

    return send


def state() -> tuple:
    """Everything an import could write, and the previews it could keep."""
    previews = Path(settings.MEDIA_ROOT) / "imports"
    return (
        list(Unit.objects.order_by("pk").values_list("pk", "code", "name", "parent_id", "household_count")),
        Answer.objects.count(),
        Registration.objects.count(),
        CriteriaSet.objects.count(),
        Criterion.objects.count(),
        AuditEvent.objects.count(),
        sorted(p.name for p in previews.iterdir()) if previews.exists() else [],
    )


def refused(response, message: str | tuple[str, ...]) -> None:
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    messages = (message,) if isinstance(message, str) else message
    assert any(m in page for m in messages), page[:3000]
    assert "token" not in (response.context or {}) or not response.context["token"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", IMPORTS)
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_a_hostile_workbook_is_refused_before_parsing_and_changes_nothing(post, name, kind):
    filename, data = hostile(kind, name)
    before = state()
    response = post(name, filename, data)
    refused(response, EXPECTED[kind])
    assert state() == before


@pytest.mark.django_db
def test_the_declared_dimension_bomb_is_tiny_and_refused_at_once(post):
    filename, data = hostile("huge dimension", "units")
    assert len(data) < 2000  # the 1.7 KB file of the issue
    started = time.monotonic()
    refused(post("units", filename, data), DECLARED_VI)
    # Not a timing assertion on the product: the old code took minutes, this one a fraction.
    assert time.monotonic() - started < 60


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (wide_csv(100_000), "Dòng 1 có 100.000 cột; chỉ đọc tối đa 300 cột"),
        (long_csv(COLUMNS, ([f"T{i}", "Thôn", "Thôn", "18823"] for i in range(10_001))), ROWS_VI),
        (long_csv(["Mã", "Tên"], [["a"] * 301]), "Dòng 2 có 301 cột; chỉ đọc tối đa 300 cột"),
    ],
    ids=["100,000 header columns", "10,001 rows", "a wide row below the header"],
)
def test_a_hostile_csv_is_refused_and_changes_nothing(post, data, message):
    before = state()
    refused(post("units", "don-vi.csv", data), message)
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", IMPORTS)
def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(post, settings, name):
    settings.UPLOAD_MAX_BODY_BYTES = 102_400
    before = state()
    response = post(name, "bang.xlsx", os.urandom(200_000))
    assert response.status_code == 413
    page = response.content.decode()
    assert TOO_LARGE_VI in page and "100,0 KB" in page.replace("\xa0", " ")
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", IMPORTS)
def test_a_file_over_the_import_size_budget_is_refused(post, settings, name):
    settings.IMPORT_MAX_BYTES = 50_000
    before = state()
    response = post(name, "bang.xlsx", os.urandom(60_000))
    assert response.status_code == 200
    assert "Tệp lớn hơn 48,8 KB" in response.content.decode().replace("\xa0", " ")
    assert state() == before


@pytest.mark.django_db
def test_an_assessment_file_over_the_units_budget_is_refused_before_any_lookup(post, settings, areas):
    settings.ASSESSMENT_IMPORT_MAX_UNITS = 3
    rows = [[f"T{i}", "", "", None, None, "Đạt"] for i in range(4)]
    workbook = openpyxl.Workbook()
    workbook.active.title = ASSESSMENT_SHEETS[0]
    for row in [HEADERS["assessment"], *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = state()
    refused(
        post("assessment", "danh-gia.xlsx", buffer.getvalue()),
        "Tệp có 4 đơn vị; mỗi lần chỉ nhập tối đa 3 đơn vị",
    )
    assert state() == before


def test_a_sheet_in_utf16_cannot_slip_past_the_byte_counts():
    from antt.spreadsheets import SpreadsheetRefused, check_xlsx

    row = "".join("<c/>" for _ in range(50_000))
    sheet = f'<worksheet xmlns="{NS}"><sheetData><row r="1">{row}</row></sheetData></worksheet>'
    data = handmade_xlsx(UNITS_SHEETS, ["\ufeff".encode("utf-16-le") + sheet.encode("utf-16-le")])
    with pytest.raises(SpreadsheetRefused):
        check_xlsx(io.BytesIO(data))


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True


# Previews never confirmed ----------------------------------------------------------------------


def _age(path: Path, seconds: int) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


@pytest.mark.django_db
def test_sweep_imports_deletes_previews_older_than_the_ttl_and_keeps_the_others(settings, areas):
    directory = Path(settings.MEDIA_ROOT) / "imports"
    directory.mkdir(parents=True)
    for name in ("old-units.json", "old-assessments.xlsx", "fresh.json"):
        (directory / name).write_text("{}")
    _age(directory / "old-units.json", settings.IMPORT_PREVIEW_TTL_SECONDS + 60)
    _age(directory / "old-assessments.xlsx", settings.IMPORT_PREVIEW_TTL_SECONDS + 60)
    call_command("sweep_imports", stdout=open(os.devnull, "w"))
    assert sorted(p.name for p in directory.iterdir()) == ["fresh.json"]


def test_celery_beat_sweeps_the_previews_hourly():
    from celery import current_app

    import certification.tasks.housekeeping  # noqa: F401 (registers the task, as a worker does)

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-import-previews"]
    assert entry["task"] in current_app.tasks


@pytest.mark.django_db
def test_an_expired_unit_preview_cannot_be_confirmed(client, province_admin, commune, settings):
    data = long_csv(COLUMNS, [["18823-T99", "Thôn Mới", "Thôn", commune.code]])
    client.force_login(province_admin)
    preview = client.post(reverse("units:import-upload"), {"file": SimpleUploadedFile("d.csv", data)})
    token = preview.context["token"]
    assert token
    for path in (Path(settings.MEDIA_ROOT) / "imports").iterdir():
        _age(path, settings.IMPORT_PREVIEW_TTL_SECONDS + 60)
    response = client.post(reverse("units:import-confirm"), {"token": token})
    assert response.status_code == 404
    assert not Unit.objects.filter(code="18823-T99").exists()


@pytest.mark.django_db
def test_a_swept_assessment_preview_says_it_expired_instead_of_failing(
    client, officer, campaign, areas, settings
):
    client.force_login(officer)
    url = reverse("certification:assessments-excel-upload")
    rows = [HEADERS["assessment"], [areas[0].code, "", "", None, None, "Đạt"]]
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.active.title = ASSESSMENT_SHEETS[0]
    path = Path(settings.MEDIA_ROOT) / "kept.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    preview = client.post(
        url, {"year": campaign.year, "file": SimpleUploadedFile("f.xlsx", path.read_bytes())}
    )
    token = preview.context["token"]
    for kept in (Path(settings.MEDIA_ROOT) / "imports").iterdir():
        _age(kept, settings.IMPORT_PREVIEW_TTL_SECONDS + 60)
    call_command("sweep_imports", stdout=open(os.devnull, "w"))
    response = client.post(url, {"token": token}, follow=True)
    assert response.status_code == 200
    assert "Lần nhập này đã thực hiện hoặc đã hết hạn; hãy tải tệp lên lại." in response.content.decode()
    assert not Answer.objects.exists()
