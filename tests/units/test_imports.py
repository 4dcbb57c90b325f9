import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from tests.units.conftest import xlsx
from units.exchange.imports import (
    COLUMNS,
    KIND_VALUES,
    ImportFileError,
    RawRow,
    build_template,
    read_upload,
    run_import,
)
from units.models import Unit
from units.tree import inconsistent_paths

HEADER = COLUMNS


def row(code="", name="", kind="", manager="", households="", size="", level="", armed="", note=""):
    return [code, name, kind, manager, households, size, level, armed, note]


def csv_bytes(rows, header=HEADER, bom=False, delimiter=",") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def raw(rows) -> list[RawRow]:
    return read_upload("units.xlsx", xlsx(rows))


GOOD = [
    row("18823-T01", "Thôn Đông Hải", "Thôn", "18823", "120"),
    row("18823-TDP1", "Tổ dân phố 1", "Tổ dân phố", "18823", "1.250"),
    row("18823-CQ1", "Trạm Y tế phường Vũng Áng", "Cơ quan", "18823", armed="Không"),
    row("18823-LL1", "Ban Chỉ huy Quân sự phường Vũng Áng", "Cơ quan", "18823", armed="Có"),
    row("18823-DN1", "Công ty TNHH Hải Phát", "Doanh nghiệp", "18823", size="Nhỏ"),
    row("42-DN1", "Công ty Cổ phần Thép Vũng Áng", "Doanh nghiệp", "42", size="Lớn"),
    row("18823-GD1", "Trường Tiểu học Vũng Áng", "Cơ sở giáo dục", "18823", level="Tiểu học"),
    row("18823-GD2", "Trường THCS Kỳ Long", "Cơ sở giáo dục", "18823", level="THCS", note="Điểm chính"),
    row("18823-GD2-1", "Điểm trường Kỳ Long 2", "Cơ sở giáo dục", "18823-GD2", level="THCS"),
]


@pytest.mark.django_db
def test_a_good_file_creates_every_unit_with_its_eligibility(commune, province):
    plan = run_import(raw(GOOD))
    assert plan.ok, plan.errors
    assert plan.committed and len(plan.creates) == len(GOOD)
    units = {u.code: u for u in Unit.objects.filter(code__in=[r[0] for r in GOOD])}
    assert units["18823-T01"].kind == Unit.Kind.RESIDENTIAL_AREA
    assert units["18823-T01"].label == "Thôn"
    assert units["18823-T01"].parent == commune
    assert units["18823-TDP1"].household_count == 1250
    assert units["18823-LL1"].is_armed_forces and not units["18823-LL1"].is_eligible
    assert not units["18823-DN1"].is_eligible and units["42-DN1"].is_eligible
    assert units["42-DN1"].parent == province
    assert not units["18823-GD1"].is_eligible and units["18823-GD2"].is_eligible
    assert units["18823-GD2-1"].parent == units["18823-GD2"]  # managed by a row of the same file
    assert units["18823-GD2"].note == "Điểm chính"
    assert not inconsistent_paths().exists()
    assert units["18823-GD2-1"].is_within(commune)


@pytest.mark.django_db
def test_reimporting_updates_by_code_and_reports_unchanged_rows(commune, other_commune):
    run_import(raw(GOOD))
    changed = [r[:] for r in GOOD]
    changed[0][1] = "Thôn Đông Hải Mới"
    changed[0][3] = other_commune.code
    changed[0][4] = "130"
    plan = run_import(raw(changed))
    assert plan.ok
    assert [r.code for r in plan.updates] == ["18823-T01"]
    assert len(plan.unchanged) == len(GOOD) - 1 and not plan.creates
    unit = Unit.objects.get(code="18823-T01")
    assert (unit.name, unit.household_count, unit.parent) == ("Thôn Đông Hải Mới", 130, other_commune)
    assert unit.search_name == "thon dong hai moi"
    assert unit.is_within(other_commune)
    assert Unit.objects.filter(code="18823-T01").count() == 1


@pytest.mark.django_db
def test_a_csv_with_or_without_bom_and_with_semicolons_is_read(commune):
    for data in (csv_bytes(GOOD[:2]), csv_bytes(GOOD[:2], bom=True), csv_bytes(GOOD[:2], delimiter=";")):
        rows = read_upload("don-vi.csv", data)
        assert [r.values["Mã"] for r in rows] == ["18823-T01", "18823-TDP1"]
        assert rows[0].values["Tên"] == "Thôn Đông Hải"
    assert run_import(read_upload("x.csv", csv_bytes(GOOD[:2], bom=True))).ok


@pytest.mark.django_db
def test_text_is_normalized_to_nfc(commune):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Thôn Kỳ Long")
    plan = run_import(raw([row("18823-T9", decomposed, unicodedata.normalize("NFD", "Thôn"), "18823")]))
    assert plan.ok, plan.errors
    unit = Unit.objects.get(code="18823-T9")
    assert unit.name == unicodedata.normalize("NFC", "Thôn Kỳ Long")
    assert unit.label == "Thôn"


BAD_ROWS = [
    (row("", "Thôn A", "Thôn", "18823"), "code"),
    (row("18823-X1", "", "Thôn", "18823"), "name"),
    (row("18823-X2", "Thôn B", "", "18823"), "kind"),
    (row("18823-X3", "Xóm C", "Xóm", "18823"), "Xóm"),
    (row("18823-X4", "Thôn D", "Thôn", ""), "managing"),
    (row("18823-X5", "Thôn E", "Thôn", "99999"), "99999"),
    (row("18823-X6", "Thôn F", "Thôn", "18823", "nhiều"), "whole number"),
    (row("18823-X7", "Thôn G", "Thôn", "18823", "-5"), "whole number"),
    (row("18823-X8", "Trạm Y tế", "Cơ quan", "18823", "40"), "only for residential areas"),
    (row("18823-X9", "Thôn H", "Thôn", "18823", size="Nhỏ"), "only for enterprises"),
    (row("18823-X10", "Công ty I", "Doanh nghiệp", "18823", size="Trung bình"), "Trung bình"),
    (row("18823-X11", "Công ty J", "Doanh nghiệp", "18823"), "needs"),
    (row("18823-X12", "Trường K", "Cơ sở giáo dục", "18823", level="Cấp 2"), "Cấp 2"),
    (row("18823-X13", "Trường L", "Cơ sở giáo dục", "18823"), "needs"),
    (
        row("18823-X14", "Công ty M", "Doanh nghiệp", "18823", size="Vừa", level="THCS"),
        "only for educational",
    ),
    (row("18823-X15", "Thôn N", "Thôn", "18823", armed="Có"), "only for agencies"),
    (row("18823-X16", "Trạm O", "Cơ quan", "18823", armed="Hình như"), "must be"),
    (row("18823-X17", "Thôn P", "Thôn", "42"), "must belong to a commune"),
    (row("18823-X18", "Thôn Q", "Thôn", "18823-X18"), "cannot manage itself"),
    (
        row("18823-X19", "Trường R", "Cơ sở giáo dục", "18823-T01", level="THCS"),
        "not by the residential area",
    ),
    (row("18823", "Phường Vũng Áng", "Cơ quan", "42"), "province, district or commune"),
    (row("18823-T01", "Thôn đổi loại", "Cơ quan", "18823"), "cannot be changed"),
    (row("18823-X20", "Thôn S", "Thôn", "18823", note="ghi chú") + ["lạc cột"], "outside the template"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "expected"), BAD_ROWS, ids=[b[1] for b in BAD_ROWS])
def test_every_kind_of_bad_row_is_reported_with_its_row_number_and_nothing_is_written(
    commune, province, bad, expected
):
    Unit.objects.create(
        code="18823-T01", name="Thôn Đông Hải", label="Thôn", kind=Unit.Kind.RESIDENTIAL_AREA, parent=commune
    )
    before = list(Unit.objects.order_by("pk").values_list("pk", "code", "name", "path", "updated_at"))
    rows = [GOOD[1], bad, GOOD[2]]
    with translation.override("en"):
        plan = run_import(raw(rows))
    assert not plan.ok and not plan.committed
    assert plan.error_rows() == [3]  # header is row 1; the bad one is the second data row
    assert any(expected in e.message for e in plan.errors), [e.message for e in plan.errors]
    assert list(Unit.objects.order_by("pk").values_list("pk", "code", "name", "path", "updated_at")) == before


@pytest.mark.django_db
def test_duplicate_codes_unknown_managers_and_loops_are_all_listed_at_once(commune):
    rows = [
        row("A", "Trường A", "Cơ sở giáo dục", "B", level="THCS"),
        row("B", "Trường B", "Cơ sở giáo dục", "A", level="THCS"),
        row("C", "Thôn C", "Thôn", "18823"),
        row("C", "Thôn C lặp", "Thôn", "18823"),
        row("D", "Thôn D", "Thôn", "không-có"),
    ]
    with translation.override("en"):
        plan = run_import(raw(rows))
    assert plan.error_rows() == [2, 3, 5, 6]
    messages = {e.row: e.message for e in plan.errors}
    assert "loop" in messages[2] and "row 4" in messages[5] and "không-có" in messages[6]
    assert not Unit.objects.filter(code__in=["A", "B", "C", "D"]).exists()


@pytest.fixture
def units_catalogue(settings, tmp_path):
    """The units part of the Vietnamese catalogue, compiled (the merged one may not exist yet)."""
    import shutil
    import subprocess
    from pathlib import Path

    if not shutil.which("msgfmt"):
        pytest.skip("gettext's msgfmt is not installed")
    target = tmp_path / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    source = Path(settings.BASE_DIR) / "locale" / "vi" / "parts" / "units.po"
    subprocess.run(["msgfmt", "--check", "-o", str(target / "django.mo"), str(source)], check=True)
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]


@pytest.mark.django_db
def test_bad_rows_are_explained_in_vietnamese(commune, units_catalogue):
    with translation.override("vi"):
        plan = run_import(raw([row("X", "", "Thôn", "18823"), row("X", "Thôn Y", "Xóm", "18823")]))
    assert [(e.row, e.message) for e in plan.errors] == [
        (2, "Thiếu “Tên”."),
        (3, "Mã “X” bị trùng: đã có ở dòng 2."),
        (3, "“Loại” “Xóm” không hợp lệ; dùng một trong các giá trị: " + ", ".join(KIND_VALUES) + "."),
    ]


@pytest.mark.django_db
def test_a_failure_in_the_middle_of_writing_leaves_nothing(commune, monkeypatch):
    from units.exchange import imports

    def boom(ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "rebuild_paths", boom)
    with pytest.raises(RuntimeError):
        run_import(raw(GOOD))
    assert not Unit.objects.filter(code__in=[r[0] for r in GOOD]).exists()


@pytest.mark.django_db
def test_an_administrator_imports_only_into_the_own_subtree(commune, other_commune, make_user):
    from units.models import RoleAssignment

    admin = make_user("adm", RoleAssignment.Role.ADMIN, commune)
    Unit.objects.create(
        code="18832-T1",
        name="Thôn Tân Hoa",
        label="Thôn",
        kind=Unit.Kind.RESIDENTIAL_AREA,
        parent=other_commune,
    )
    rows = [
        row("18823-T1", "Thôn Mới", "Thôn", "18823"),
        row("18832-T2", "Thôn Lạ", "Thôn", other_commune.code),
        row("18832-T1", "Thôn Tân Hoa sửa", "Thôn", "18823"),
    ]
    with translation.override("en"):
        plan = run_import(raw(rows), user=admin)
    assert plan.error_rows() == [3, 4]
    assert "in your scope" in plan.errors[0].message
    assert "outside your scope" in plan.errors[1].message
    assert not Unit.objects.filter(code="18823-T1").exists()
    assert Unit.objects.get(code="18832-T1").name == "Thôn Tân Hoa"
    plan = run_import(raw(rows[:1]), user=admin)
    assert plan.ok and Unit.objects.get(code="18823-T1").parent == commune


@pytest.mark.django_db
def test_a_managing_code_that_excel_turned_into_a_number_still_matches(db):
    province = Unit.objects.create(code="01", name="Hà Nội", label="Thành phố", kind=Unit.Kind.PROVINCE)
    ward = Unit.objects.create(
        code="00004", name="Ba Đình", label="Phường", kind=Unit.Kind.COMMUNE, parent=province
    )
    plan = run_import(
        raw(
            [
                row("00004-T1", "Tổ dân phố 1", "Tổ dân phố", 4, 80),
                ["01-DN1", "Công ty A", "Doanh nghiệp", 1, None, "Lớn"],
            ]
        )
    )
    assert plan.ok, plan.errors
    assert Unit.objects.get(code="00004-T1").parent == ward
    assert Unit.objects.get(code="01-DN1").parent == province


@pytest.mark.django_db
def test_a_wrong_file_is_refused_with_a_clear_message(commune):
    with translation.override("en"):
        with pytest.raises(ImportFileError, match="no sheet named"):
            read_upload("x.xlsx", xlsx(GOOD, sheet="Sheet1"))
        with pytest.raises(ImportFileError, match="missing columns: Ghi chú"):
            read_upload("x.xlsx", xlsx([], header=HEADER[:-1]))
        with pytest.raises(ImportFileError, match="not in the template: Tỉnh"):
            read_upload("x.xlsx", xlsx([], header=[*HEADER, "Tỉnh"]))
        with pytest.raises(ImportFileError, match="UTF-8"):
            read_upload("x.csv", "Mã,Tên\nA,Thôn Đông".encode("utf-16"))
        with pytest.raises(ImportFileError, match="readable Excel"):
            read_upload("x.xlsx", b"not a zip")
        with pytest.raises(ImportFileError, match=".xlsx"):
            read_upload("x.xls", b"")


def test_the_template_has_the_contract_header_and_the_allowed_values():
    workbook = load_workbook(io.BytesIO(build_template()))
    assert workbook.sheetnames == ["Đơn vị", "Hướng dẫn"]
    header = [c.value for c in workbook["Đơn vị"][1]]
    # The data contract, as the sheet's header row reads (a typo here is a contract change).
    expected = "Mã | Tên | Loại | Mã đơn vị quản lý | Số hộ gia đình | Quy mô doanh nghiệp | Cấp học | Lực lượng vũ trang | Ghi chú"
    assert header == expected.split(" | ")
    guide = " ".join(str(c.value) for r in workbook["Hướng dẫn"].iter_rows() for c in r if c.value)
    for value in ("Tổ dân phố", "Khóm", "Sóc", "Cơ sở giáo dục", "Siêu nhỏ", "GDTX", "Liên cấp", "Không"):
        assert value in guide
    assert read_upload("mau.xlsx", build_template()) == []


@pytest.mark.django_db
def test_the_command_checks_with_dry_run_and_imports_without(commune, province, tmp_path, capsys):
    path = tmp_path / "don-vi.xlsx"
    path.write_bytes(xlsx(GOOD))
    call_command("import_units", str(path), "--dry-run")
    assert not Unit.objects.filter(code="18823-T01").exists()
    call_command("import_units", str(path))
    assert Unit.objects.filter(code__in=[r[0] for r in GOOD]).count() == len(GOOD)

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([*GOOD, row("18823-Z", "", "Thôn", "18823")]))
    with pytest.raises(CommandError):
        call_command("import_units", str(bad))
    assert "11" in capsys.readouterr().err
    assert not Unit.objects.filter(code="18823-Z").exists()


# --- issue 20, point 11: input as people type it ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("households", ["1.250", "1,250", "1 250", "1\u00a0250", "1250"])
def test_households_are_accepted_as_people_write_them(commune, households):
    plan = run_import(raw([row("18823-T7", "Thôn Bảy", "Thôn", "18823", households)]))
    assert plan.ok, plan.errors
    assert Unit.objects.get(code="18823-T7").household_count == 1250


@pytest.mark.django_db
def test_look_alike_characters_are_normalised_in_the_units_import(commune):
    # Ð (U+00D0, Icelandic eth) for Đ, a zero-width space, no-break and doubled spaces: as pasted.
    pasted = "Thôn  \u00d0ông\u200b Hải\u00a0"
    plan = run_import(raw([row("18823-T8", pasted, "Thôn\u00a0", "18823\u200b", "120")]))
    assert plan.ok, plan.errors
    unit = Unit.objects.get(code="18823-T8")
    assert unit.name == "Thôn Đông Hải" and unit.label == "Thôn" and unit.parent == commune


@pytest.mark.django_db
def test_a_character_nobody_can_see_is_named_in_the_error(commune):
    with translation.override("en"):
        plan = run_import(raw([row("18823-T9", "Thôn Chín", "Thôn", "1882\u04353")]))  # Cyrillic е
    assert not plan.ok
    assert any("U+0435" in e.message for e in plan.errors), [e.message for e in plan.errors]
