"""Excel authoring: export a set, import it back as the next draft version."""

import io

import pytest
from openpyxl import load_workbook

from certification.exchange.criteria_excel import (
    COLUMNS,
    CRITERIA_SHEET,
    SET_SHEET,
    CriteriaImportError,
    export_set_xlsx,
    import_set_xlsx,
)
from certification.models import CriteriaSet
from certification.selectors.criteria import ordered_criteria
from certification.services.criteria import add_province_criterion


def snapshot(criteria_set: CriteriaSet) -> list[tuple]:
    return [
        (
            c.code,
            c.parent.code if c.parent_id else "",
            c.text,
            c.answer_type,
            c.na_allowed,
            c.na_condition,
            c.threshold_percent,
            c.evidence_hint,
            c.source_id,
            c.is_province_addition,
        )
        for c in ordered_criteria(criteria_set)
    ]


def metadata(criteria_set: CriteriaSet) -> tuple:
    return (
        criteria_set.family,
        criteria_set.unit_kind,
        criteria_set.name,
        criteria_set.legal_basis,
        criteria_set.year_from,
        criteria_set.year_to,
        criteria_set.province_id,
        criteria_set.based_on_id,
        criteria_set.rollup_base,
        criteria_set.rollup_threshold_percent,
    )


def sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


@pytest.mark.django_db
@pytest.mark.parametrize("family", ["tt124-kdc", "tt124-xa", "tt124-cqdn", "tt124-csgd"])
def test_export_then_import_round_trips_a_set_exactly(family):
    original = CriteriaSet.objects.get(family=family, version=1)
    data = export_set_xlsx(original)
    copy = import_set_xlsx(io.BytesIO(data))
    assert (copy.version, copy.status) == (2, "draft")
    assert metadata(copy) == metadata(original)
    assert snapshot(copy) == snapshot(original)
    assert sheet_rows(export_set_xlsx(copy), CRITERIA_SHEET) == sheet_rows(data, CRITERIA_SHEET)


@pytest.mark.django_db
def test_a_province_set_round_trips_with_its_additions(kdc_set, province):
    add_province_criterion(
        kdc_set, province, "KDC-6", "Có tổ liên gia tự quản.", na_allowed=True, na_condition="Nếu có"
    )
    derived = CriteriaSet.objects.get(family="tt124-kdc-42")
    copy = import_set_xlsx(io.BytesIO(export_set_xlsx(derived)))
    assert copy.province == province and copy.based_on == kdc_set and copy.version == 2
    assert snapshot(copy) == snapshot(derived)
    assert copy.criteria.get(code="42-KDC-6").is_province_addition


@pytest.mark.django_db
def test_the_export_has_the_documented_sheets_and_columns(kdc_set):
    rows = sheet_rows(export_set_xlsx(kdc_set), CRITERIA_SHEET)
    assert list(rows[0]) == COLUMNS
    assert rows[1][:5] == (
        "KDC-1",
        None,
        kdc_set.criteria.get(code="KDC-1").text,
        "Số liệu so với ngưỡng",
        "Không",
    )
    assert rows[1][6] == 100
    meta = dict(sheet_rows(export_set_xlsx(kdc_set), SET_SHEET)[1:])
    assert meta["Mã bộ tiêu chí"] == "tt124-kdc" and meta["Phiên bản"] == 1
    assert meta["Loại đơn vị"] == "Khu dân cư"


def _edited(criteria_set: CriteriaSet, edits: dict[tuple[int, int], object], meta_edits=None) -> io.BytesIO:
    wb = load_workbook(io.BytesIO(export_set_xlsx(criteria_set)))
    ws = wb[CRITERIA_SHEET]
    for (row, column), value in edits.items():
        ws.cell(row=row, column=column).value = value
    for (row, column), value in (meta_edits or {}).items():
        wb[SET_SHEET].cell(row=row, column=column).value = value
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_number_and_nothing_is_saved(kdc_set, xa_set):
    before = (CriteriaSet.objects.count(), kdc_set.criteria.count())
    bad = _edited(
        kdc_set,
        {
            (3, 1): "KDC-1",  # duplicate code
            (4, 4): "Chấm điểm",  # unknown way of answering
            (5, 7): "nhiều",  # threshold not a number
            (6, 2): "KDC-9",  # group that does not exist
            (7, 3): None,  # empty text
            (8, 5): "Có thể",  # not yes/no
            (9, 9): "tt124-xa@1:XA-1",  # reused text differs
            (10, 9): "tt124-kdc@7:KDC-3a",  # unknown reference
        },
    )
    with pytest.raises(CriteriaImportError) as refused:
        import_set_xlsx(bad)
    errors = refused.value.errors
    for row in range(3, 11):
        assert any(e.startswith(f"Dòng {row}:") for e in errors), (row, errors)
    assert len(errors) == 8
    assert (CriteriaSet.objects.count(), kdc_set.criteria.count()) == before


@pytest.mark.django_db
def test_bad_set_metadata_is_reported_with_its_row(kdc_set, xa_set):
    bad = _edited(kdc_set, {}, {(5, 2): "Trường mầm non", (8, 2): "năm sau", (10, 2): "99"})
    with pytest.raises(CriteriaImportError) as refused:
        import_set_xlsx(bad)
    errors = refused.value.errors
    assert (
        any("dòng 5" in e for e in errors)
        and any("dòng 8" in e for e in errors)
        and any("dòng 10" in e for e in errors)
    )


@pytest.mark.django_db
def test_a_group_without_items_and_a_missing_threshold_are_refused(kdc_set):
    bad = _edited(kdc_set, {(2, 7): None, (13, 2): None, (14, 2): None, (15, 2): None, (16, 2): None})
    with pytest.raises(CriteriaImportError) as refused:
        import_set_xlsx(bad)
    assert any(e.startswith("Dòng 2:") for e in refused.value.errors)  # KDC-1 needs its 100 %
    assert any(e.startswith("Dòng 12:") and "KDC-4" in e for e in refused.value.errors)


@pytest.mark.django_db
def test_a_file_that_is_not_a_workbook_is_refused_clearly():
    with pytest.raises(CriteriaImportError) as refused:
        import_set_xlsx(io.BytesIO(b"not an excel file"))
    assert len(refused.value.errors) == 1


@pytest.mark.django_db
def test_a_workbook_without_the_criteria_sheet_is_refused(kdc_set):
    wb = load_workbook(io.BytesIO(export_set_xlsx(kdc_set)))
    del wb[CRITERIA_SHEET]
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    with pytest.raises(CriteriaImportError, match=CRITERIA_SHEET):
        import_set_xlsx(out)


@pytest.mark.django_db
def test_a_reused_item_may_leave_its_text_empty_and_takes_the_source_text(xa_set):
    wb_bytes = _edited(xa_set, {(6, 3): None})  # XA-2/KDC-3a (row 6) without text
    copy = import_set_xlsx(wb_bytes)
    assert copy.criteria.get(code="XA-2/KDC-3a").text == xa_set.criteria.get(code="XA-2/KDC-3a").text


@pytest.mark.django_db
def test_a_new_family_starts_at_version_1(kdc_set):
    new = _edited(kdc_set, {}, {(2, 2): "tinh-42-kdc-thu-nghiem"})
    copy = import_set_xlsx(new)
    assert (copy.family, copy.version) == ("tinh-42-kdc-thu-nghiem", 1)
