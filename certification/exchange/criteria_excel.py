"""Authoring criteria sets in Excel: export a set to .xlsx, import one back as a new draft.

The contract (sheet and column names) is documented in ``docs/criteria.md``. An import is
validated completely first; every problem is reported with its row, and nothing is written
unless the whole file is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from antt.spreadsheets import (
    NO,
    YES,
    Shape,
    SpreadsheetRefused,
    TextWorkbook,
    bounded_rows,
    cell_text,
    check_xlsx,
    open_workbook,
)
from certification.audit import Action, log_change
from certification.documents.wording import GROUP_TITLES
from certification.errors import CriteriaImportError
from certification.models import CriteriaSet, Criterion
from certification.scoring.engine import DEFAULT_THRESHOLD
from certification.selectors.criteria import (
    criterion_values,
    ordered_criteria,
    resolve_references,
    resolve_set_reference,
    set_values,
)
from certification.services.criteria import carry_score_sheet, next_version_number
from units.models import Unit

CRITERIA_SHEET = "Tiêu chí"
SET_SHEET = "Bộ tiêu chí"
MAX_ROWS = 2000

COL_CODE = "Mã"
COL_PARENT = "Mã nhóm"
COL_TEXT = "Nội dung"
COL_ANSWER = "Cách đánh giá"
COL_NA = "Cho phép “Không áp dụng”"
COL_NA_CONDITION = "Điều kiện áp dụng"
COL_THRESHOLD = "Ngưỡng (%)"
COL_EVIDENCE = "Minh chứng"
COL_SOURCE = "Dùng chung với"
COL_PROVINCE = "Bổ sung của tỉnh"
COLUMNS = [
    COL_CODE,
    COL_PARENT,
    COL_TEXT,
    COL_ANSWER,
    COL_NA,
    COL_NA_CONDITION,
    COL_THRESHOLD,
    COL_EVIDENCE,
    COL_SOURCE,
    COL_PROVINCE,
]
REQUIRED_COLUMNS = COLUMNS[
    :9
]  # "Bổ sung của tỉnh" may be left out (then: code starts with the province code)

ANSWER_LABELS = {
    Criterion.AnswerType.BOOLEAN: "Đạt / không đạt",
    Criterion.AnswerType.COUNT_THRESHOLD: "Số liệu so với ngưỡng",
    Criterion.AnswerType.COMPARISON: "So sánh với năm trước",
    Criterion.AnswerType.DERIVED: "Tính từ kết quả các đơn vị",
    Criterion.AnswerType.GROUP: "Nhóm tiêu chí",
}
ROLLUP_LABELS = {
    CriteriaSet.RollupBase.ALL_KINDS: "Tất cả đơn vị thuộc địa bàn",
    CriteriaSet.RollupBase.RESIDENTIAL_ONLY: "Chỉ khu dân cư",
}
STATUS_LABELS = {
    CriteriaSet.Status.DRAFT: "Dự thảo",
    CriteriaSet.Status.PUBLISHED: "Đã ban hành",
    CriteriaSet.IN_USE_STATE: "Đã ban hành, đang được sử dụng",
}
TRUE_WORDS = {"có", "co", "x", "yes", "true", "1"}
FALSE_WORDS = {"", "không", "khong", "no", "false", "0"}

# "Bộ tiêu chí" sheet: label in column A, value in column B.
SET_ROWS = [
    ("family", "Mã bộ tiêu chí"),
    ("version", "Phiên bản"),
    ("status", "Trạng thái"),
    ("unit_kind", "Loại đơn vị"),
    ("name", "Tên"),
    ("legal_basis", "Căn cứ pháp lý"),
    ("year_from", "Áp dụng từ năm"),
    ("year_to", "Áp dụng đến năm"),
    ("province", "Tỉnh (mã)"),
    ("based_on", "Dựa trên bộ"),
    ("rollup_base", "Tỷ lệ công nhận tính trên"),
    ("rollup_threshold_percent", "Tỷ lệ công nhận yêu cầu (%)"),
]


# --- Export ----------------------------------------------------------------------------------


def export_set_xlsx(criteria_set: CriteriaSet) -> bytes:
    wb = TextWorkbook()  # names and texts stay text, never a formula
    ws = wb.active
    ws.title = CRITERIA_SHEET
    ws.append(COLUMNS)
    for c in ordered_criteria(criteria_set):
        ws.append(
            [
                c.code,
                c.parent.code if c.parent_id else "",
                c.text,
                ANSWER_LABELS[c.answer_type],
                YES if c.na_allowed else NO,
                c.na_condition,
                c.threshold_percent,
                c.evidence_hint,
                c.source.reference if c.source_id else "",
                YES if c.is_province_addition else NO,
            ]
        )
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [14, 14, 80, 24, 14, 50, 10, 60, 26, 12]
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    last = max(ws.max_row, 200)
    answers = DataValidation(
        type="list", formula1='"' + ",".join(ANSWER_LABELS.values()) + '"', allow_blank=True
    )
    answers.add(f"D2:D{last}")
    yes_no = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    yes_no.add(f"E2:E{last}")
    yes_no.add(f"J2:J{last}")
    ws.add_data_validation(answers)
    ws.add_data_validation(yes_no)

    meta = wb.create_sheet(SET_SHEET)
    meta.append(["Trường", "Giá trị"])
    values = {
        "family": criteria_set.family,
        "version": criteria_set.version,
        "status": STATUS_LABELS[criteria_set.state],
        "unit_kind": GROUP_TITLES[criteria_set.unit_kind],
        "name": criteria_set.name,
        "legal_basis": criteria_set.legal_basis,
        "year_from": criteria_set.year_from,
        "year_to": criteria_set.year_to,
        "province": criteria_set.province.code if criteria_set.province_id else "",
        "based_on": criteria_set.based_on.reference if criteria_set.based_on_id else "",
        "rollup_base": ROLLUP_LABELS[criteria_set.rollup_base],
        "rollup_threshold_percent": criteria_set.rollup_threshold_percent,
    }
    for key, label in SET_ROWS:
        meta.append([label, values[key]])
    meta["A1"].font = meta["B1"].font = Font(bold=True)
    meta.column_dimensions["A"].width = 30
    meta.column_dimensions["B"].width = 90
    return wb.to_bytes()


def export_filename(criteria_set: CriteriaSet) -> str:
    return f"{criteria_set.family}-v{criteria_set.version}.xlsx"


# --- Import ----------------------------------------------------------------------------------


@dataclass
class ParsedCriterion:
    row: int
    code: str
    parent_code: str
    text: str
    answer_type: str | None  # None: unknown (reported)
    na_allowed: bool
    na_condition: str
    threshold_percent: int | None
    evidence_hint: str
    source: Criterion | None
    is_province_addition: bool


@dataclass
class ParsedSet:
    family: str
    unit_kind: str
    name: str
    legal_basis: str
    year_from: int
    year_to: int | None
    province: Unit | None
    based_on: CriteriaSet | None
    rollup_base: str
    rollup_threshold_percent: int
    criteria: list[ParsedCriterion] = field(default_factory=list)


def _int(value) -> int | None:
    """An integer cell (None when empty); raises ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    if isinstance(value, int):
        return value
    return int(str(value).strip().rstrip("%").strip())


def _choice(value: str, labels: dict) -> str | None:
    """A label or the internal value, case-insensitive → the internal value."""
    wanted = value.strip().casefold()
    for key, label in labels.items():
        if wanted in (str(key).casefold(), label.casefold()):
            return str(key)
    return None


def _yes_no(value: str) -> bool | None:
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _row_error(row: int, message: str) -> str:
    return _("Row %(row)d: %(message)s") % {"row": row, "message": message}


def _set_error(row: int, message: str) -> str:
    return _("Sheet “%(sheet)s”, row %(row)d: %(message)s") % {
        "sheet": SET_SHEET,
        "row": row,
        "message": message,
    }


def _parse_set_sheet(ws, shape: Shape, errors: list[str]) -> dict:
    labels = {label.casefold(): key for key, label in SET_ROWS}
    raw: dict[str, tuple[int, object]] = {}
    for row_number, row in enumerate(bounded_rows(ws, shape, min_row=2, max_col=2), start=2):
        label = cell_text(row[0] if row else None)
        if not label:
            continue
        key = labels.get(label.casefold())
        if key is None:
            errors.append(_set_error(row_number, _("unknown field “%(label)s”.") % {"label": label}))
            continue
        raw[key] = (row_number, row[1] if len(row) > 1 else None)

    def value(key: str):
        return raw.get(key, (0, None))

    data: dict = {}
    for key, label in SET_ROWS:
        if key in ("name", "legal_basis", "family", "unit_kind", "year_from") and not cell_text(
            value(key)[1]
        ):
            errors.append(
                _("Sheet “%(sheet)s”: “%(label)s” is required.") % {"sheet": SET_SHEET, "label": label}
            )
    row, family = value("family")
    data["family"] = cell_text(family)
    if data["family"] and (
        len(data["family"]) > 60
        or not all(ch.isalnum() or ch in "-_" for ch in data["family"])
        or not data["family"].isascii()
    ):
        errors.append(_set_error(row, _("the set code may only use letters a–z, digits, “-” and “_”.")))
    row, kind = value("unit_kind")
    data["unit_kind"] = _choice(cell_text(kind), GROUP_TITLES) if cell_text(kind) else None
    if cell_text(kind) and data["unit_kind"] is None:
        errors.append(_set_error(row, _("unknown unit kind “%(value)s”.") % {"value": cell_text(kind)}))
    data["name"] = cell_text(value("name")[1])
    data["legal_basis"] = cell_text(value("legal_basis")[1])
    for key in ("year_from", "year_to"):
        row, year = value(key)
        try:
            data[key] = _int(year)
        except ValueError:
            data[key] = None
            errors.append(_set_error(row, _("“%(value)s” is not a year.") % {"value": cell_text(year)}))
            continue
        if data[key] is not None and not 2000 <= data[key] <= 2100:
            errors.append(_set_error(row, _("“%(value)s” is not a year.") % {"value": cell_text(year)}))
    if data.get("year_from") and data.get("year_to") and data["year_to"] < data["year_from"]:
        errors.append(_set_error(value("year_to")[0], _("the last year is before the first year.")))
    row, province_code = value("province")
    data["province"] = None
    if cell_text(province_code):
        data["province"] = Unit.objects.filter(code=cell_text(province_code), kind=Unit.Kind.PROVINCE).first()
        if data["province"] is None:
            errors.append(
                _set_error(
                    row, _("there is no province with code “%(code)s”.") % {"code": cell_text(province_code)}
                )
            )
    row, based_on = value("based_on")
    data["based_on"] = None
    if cell_text(based_on):
        data["based_on"] = resolve_set_reference(cell_text(based_on))
        if data["based_on"] is None:
            errors.append(
                _set_error(row, _("there is no criteria set “%(ref)s”.") % {"ref": cell_text(based_on)})
            )
    row, rollup = value("rollup_base")
    data["rollup_base"] = CriteriaSet.RollupBase.ALL_KINDS
    if cell_text(rollup):
        data["rollup_base"] = _choice(cell_text(rollup), ROLLUP_LABELS)
        if data["rollup_base"] is None:
            errors.append(_set_error(row, _("unknown value “%(value)s”.") % {"value": cell_text(rollup)}))
    row, threshold = value("rollup_threshold_percent")
    data["rollup_threshold_percent"] = DEFAULT_THRESHOLD
    try:
        parsed = _int(threshold)
    except ValueError:
        parsed = -1
    if parsed is not None:
        if not 0 <= parsed <= 100:
            errors.append(_set_error(row, _("a percentage between 0 and 100 is expected.")))
        else:
            data["rollup_threshold_percent"] = parsed
    return data


def _parse_criteria_sheet(ws, shape: Shape, data: dict, errors: list[str]) -> list[ParsedCriterion]:
    rows = bounded_rows(ws, shape)
    header = [cell_text(h) for h in next(rows, ())]
    while header and not header[-1]:
        header.pop()
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        errors.append(
            _("Sheet “%(sheet)s”, row 1: missing columns: %(columns)s.")
            % {"sheet": CRITERIA_SHEET, "columns": ", ".join(missing)}
        )
        return []
    index = {name: header.index(name) for name in COLUMNS if name in header}
    province = data.get("province")
    parsed: list[ParsedCriterion] = []
    seen: dict[str, ParsedCriterion] = {}
    table = []
    for row_number, row in enumerate(rows, start=2):
        if row_number > MAX_ROWS + 1:
            errors.append(_row_error(row_number, _("too many rows (at most %(max)d).") % {"max": MAX_ROWS}))
            break
        table.append((row_number, row))
    # The criteria reused from other sets, in one query for the whole sheet.
    sources = resolve_references(
        {cell_text(row[index[COL_SOURCE]]) for _n, row in table if index[COL_SOURCE] < len(row)} - {""}
    )
    for row_number, row in table:

        def cell(name: str, row=row):
            i = index.get(name)
            return row[i] if i is not None and i < len(row) else None

        if all(cell_text(v) == "" for v in row):
            continue
        row_errors: list[str] = []
        code = cell_text(cell(COL_CODE))
        parent_code = cell_text(cell(COL_PARENT))
        text = cell_text(cell(COL_TEXT))
        if not code:
            row_errors.append(_("the code is empty."))
        elif len(code) > 32:
            row_errors.append(_("the code has more than 32 characters."))
        elif code in seen:
            row_errors.append(
                _("code %(code)s appears twice (first in row %(row)d).")
                % {"code": code, "row": seen[code].row}
            )
        answer_label = cell_text(cell(COL_ANSWER))
        answer_type = _choice(answer_label, ANSWER_LABELS) if answer_label else Criterion.AnswerType.BOOLEAN
        if answer_type is None:
            row_errors.append(
                _("“%(value)s” is not a way of answering (expected one of: %(choices)s).")
                % {"value": answer_label, "choices": "; ".join(ANSWER_LABELS.values())}
            )
        na_allowed = _yes_no(cell_text(cell(COL_NA)))
        if na_allowed is None:
            row_errors.append(_("“%(column)s” must be “Có” or “Không”.") % {"column": COL_NA})
        try:
            threshold = _int(cell(COL_THRESHOLD))
        except ValueError:
            threshold = None
            row_errors.append(_("the threshold must be a whole percentage."))
        else:
            if threshold is not None and not 0 <= threshold <= 100:
                row_errors.append(_("the threshold must be between 0 and 100."))
        if (
            answer_type in (Criterion.AnswerType.COUNT_THRESHOLD, Criterion.AnswerType.DERIVED)
            and threshold is None
        ):
            row_errors.append(_("this way of answering needs a threshold."))
        if parent_code:
            parent = seen.get(parent_code)
            if parent is None:
                row_errors.append(_("group %(code)s must come before its items.") % {"code": parent_code})
            elif parent.answer_type not in (Criterion.AnswerType.GROUP, None):  # None: already reported
                row_errors.append(_("%(code)s is not a group.") % {"code": parent_code})
        source = None
        source_ref = cell_text(cell(COL_SOURCE))
        if source_ref:
            source = sources.get(source_ref)
            if source is None:
                row_errors.append(_("there is no criterion “%(ref)s” to reuse.") % {"ref": source_ref})
            elif not source.criteria_set.is_in_force:
                row_errors.append(_("“%(ref)s” is not in a published set.") % {"ref": source_ref})
            elif not text:
                text = source.text
            elif text != source.text:
                row_errors.append(
                    _("the text differs from the text of %(ref)s; leave it empty to take that text.")
                    % {"ref": source_ref}
                )
        if not text:
            row_errors.append(_("the text is empty."))
        province_flag = cell_text(cell(COL_PROVINCE)) if COL_PROVINCE in index else None
        if province_flag is None:
            is_addition = bool(province and code.startswith(f"{province.code}-"))
        else:
            is_addition = _yes_no(province_flag)
            if is_addition is None:
                row_errors.append(_("“%(column)s” must be “Có” or “Không”.") % {"column": COL_PROVINCE})
        errors.extend(_row_error(row_number, message) for message in row_errors)
        item = ParsedCriterion(
            row=row_number,
            code=code,
            parent_code=parent_code,
            text=text,
            answer_type=answer_type,
            na_allowed=bool(na_allowed),
            na_condition=cell_text(cell(COL_NA_CONDITION)),
            threshold_percent=threshold,
            evidence_hint=cell_text(cell(COL_EVIDENCE)),
            source=source,
            is_province_addition=bool(is_addition),
        )
        parsed.append(item)
        if code and code not in seen:
            seen[code] = item
    children = {item.parent_code for item in parsed if item.parent_code}
    for item in parsed:
        if item.answer_type == Criterion.AnswerType.GROUP and item.code not in children:
            errors.append(_row_error(item.row, _("group %(code)s has no items.") % {"code": item.code}))
    if not parsed and not errors:
        errors.append(_("Sheet “%(sheet)s” has no criteria.") % {"sheet": CRITERIA_SHEET})
    return parsed


def parse_set_xlsx(file) -> ParsedSet:
    """Read and validate a workbook; raises CriteriaImportError with every problem found.

    The file is checked against the spreadsheet budgets (``antt.spreadsheets``) first."""
    try:
        shape = check_xlsx(file)
    except SpreadsheetRefused as exc:
        raise CriteriaImportError([str(exc)]) from None
    try:
        wb = open_workbook(file)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise CriteriaImportError([_("The file is not an Excel workbook (.xlsx).")]) from exc
    missing = [name for name in (CRITERIA_SHEET, SET_SHEET) if name not in wb.sheetnames]
    if missing:
        raise CriteriaImportError(
            [_("The workbook has no sheet “%(sheet)s”.") % {"sheet": name} for name in missing]
        )
    errors: list[str] = []
    try:
        data = _parse_set_sheet(wb[SET_SHEET], shape, errors)
        criteria = _parse_criteria_sheet(wb[CRITERIA_SHEET], shape, data, errors)
    except SpreadsheetRefused as exc:
        raise CriteriaImportError([str(exc)]) from None
    finally:
        wb.close()
    family = data.get("family")
    existing = CriteriaSet.objects.filter(family=family).order_by("-version").first() if family else None
    if existing is not None:
        if data.get("unit_kind") and existing.unit_kind != data["unit_kind"]:
            errors.append(
                _("Sheet “%(sheet)s”: the unit kind differs from the existing versions of %(family)s.")
                % {"sheet": SET_SHEET, "family": family}
            )
        if existing.province_id != (data["province"].pk if data.get("province") else None):
            errors.append(
                _("Sheet “%(sheet)s”: the province differs from the existing versions of %(family)s.")
                % {"sheet": SET_SHEET, "family": family}
            )
    if errors:
        raise CriteriaImportError(errors)
    return ParsedSet(**data, criteria=criteria)  # the set sheet's keys are ParsedSet's fields


@transaction.atomic
def import_set_xlsx(file, *, by=None, authorize: Callable[[ParsedSet], None] | None = None) -> CriteriaSet:
    """Create the next draft version of the workbook's family (version 1 of a new family).

    ``authorize`` is called with the parsed file before anything is written (views use it to
    check the user may author that family). The score sheet of the family's latest version,
    if any, is carried over for the codes that still exist.
    """
    parsed = parse_set_xlsx(file)
    if authorize is not None:
        authorize(parsed)
    previous = CriteriaSet.objects.filter(family=parsed.family).order_by("-version").first()
    criteria_set = CriteriaSet.objects.create(
        **set_values(parsed), version=next_version_number(parsed.family), status=CriteriaSet.Status.DRAFT
    )
    created: dict[str, Criterion] = {}
    for order, item in enumerate(parsed.criteria, start=1):
        created[item.code] = Criterion.objects.create(
            criteria_set=criteria_set,
            parent=created.get(item.parent_code) if item.parent_code else None,
            code=item.code,
            order=order,
            source=item.source,
            **criterion_values(item),
        )
    if previous is not None:
        carry_score_sheet(previous, criteria_set)
    log_change(
        criteria_set,
        by=by,
        action=Action.CRITERIA_SET_IMPORTED,
        field="version",
        old=previous.reference if previous else "",
        new=criteria_set.reference,
    )
    return criteria_set
