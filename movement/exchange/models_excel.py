"""Import of self-management models from Excel, on the units import's conventions
(``units.exchange.imports``): the sheet "Mô hình" with a Vietnamese header row, the file checked
against the spreadsheet budgets before it is parsed (``antt.spreadsheets.check_xlsx``,
``bounded_rows``), every bad row reported with its row number, nothing written unless every row
is good, then all rows in one transaction through the same service as the form
(``services.models.record_model``: scope, checks, audit). The page shows a preview first and
writes on confirmation (``units.exchange.previews``); ``manage.py import_models`` does the same
from a file. The template is written by ``TextWorkbook`` (text stays text).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.spreadsheets import (
    SpreadsheetRefused,
    TextWorkbook,
)
from antt.text import tidy
from certification.audit import SystemActor
from certification.services.rules import parse_date, parse_int
from movement.models import ModelType, MovementModel
from movement.selectors.registry import KEEPER_KINDS, types_for
from movement.services.models import record_model
from units.access import can_see, has_role
from units.exchange import previews
from units.exchange.imports import ImportFileError, RawRow, RowError, read_xlsx_table
from units.exchange.previews import PreviewGone
from units.models import Unit

SHEET_NAME = "Mô hình"
UNIT, NAME, TYPE, COVERED, STARTED, MEMBERS, CAMERAS, NOTE = (
    "Mã đơn vị",
    "Tên mô hình",
    "Loại mô hình",
    "Địa bàn (mã, cách nhau dấu phẩy)",
    "Ngày bắt đầu",
    "Số thành viên",
    "Số camera",
    "Ghi chú",
)
COLUMNS = [UNIT, NAME, TYPE, COVERED, STARTED, MEMBERS, CAMERAS, NOTE]
REQUIRED = [UNIT, NAME, TYPE, STARTED]


@dataclass
class PlannedModel:
    number: int
    unit: Unit
    name: str
    model_type: ModelType
    covered: list[Unit]
    started_on: object
    members: int | None
    cameras: int | None
    note: str


@dataclass
class ModelPlan:
    rows: list[PlannedModel] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: list[MovementModel] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


def read_upload(filename: str, data: bytes) -> list[RawRow]:
    if not filename.lower().endswith(".xlsx"):
        raise ImportFileError(_("Upload an Excel workbook (.xlsx)."))
    try:
        table = read_xlsx_table(data, SHEET_NAME)
    except SpreadsheetRefused as e:
        raise ImportFileError(str(e)) from None
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = table[0][1]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    index = {name: header.index(name) for name in COLUMNS}
    return [
        RawRow(number, {name: cells[i] if i < len(cells) else "" for name, i in index.items()})
        for number, cells in table[1:]
    ]


def validate(rows: list[RawRow], *, user) -> ModelPlan:
    plan = ModelPlan()
    codes = {r.values.get(UNIT, "") for r in rows}
    for r in rows:
        codes |= {c.strip() for c in r.values.get(COVERED, "").split(",") if c.strip()}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    for raw in rows:
        values = raw.values
        errors: list[str] = []

        def fail(message: str, errors: list[str] = errors) -> None:
            errors.append(message)

        for column in REQUIRED:
            if not values.get(column):
                fail(_("“%(column)s” is empty.") % {"column": column})
        unit = units.get(values.get(UNIT, ""))
        if values.get(UNIT) and (unit is None or (user is not None and not can_see(user, unit))):
            fail(_("No unit with code %(code)s in your area.") % {"code": values[UNIT]})
            unit = None
        elif unit is not None and unit.kind not in KEEPER_KINDS:
            fail(_("A model is kept by a commune, an agency, an enterprise or a school."))
            unit = None
        elif unit is not None and user is not None and not has_role(user, unit, "officer", "admin"):
            fail(_("You cannot record models of %(unit)s.") % {"unit": unit})
            unit = None
        model_type = None
        if unit is not None and values.get(TYPE):
            wanted = tidy(values[TYPE]).lower()
            model_type = next(
                (t for t in types_for(unit) if wanted in (t.name.lower(), t.code.lower())), None
            )
            if model_type is None:
                fail(_("Unknown type of model: %(type)s.") % {"type": values[TYPE]})
        covered = []
        for code in [c.strip() for c in values.get(COVERED, "").split(",") if c.strip()]:
            other = units.get(code)
            if other is None or unit is None or not other.path.startswith(unit.path):
                fail(_("%(code)s is not a unit of the one keeping the model.") % {"code": code})
            else:
                covered.append(other)
        numbers = {}
        for column in (MEMBERS, CAMERAS):
            try:
                numbers[column] = parse_int(values.get(column), column)
            except WorkflowError as e:
                fail(str(e))
        started = None
        try:
            started = parse_date(values.get(STARTED) or None, STARTED)
        except WorkflowError as e:
            fail(str(e))
        if model_type is not None and model_type.counts_cameras and not numbers.get(CAMERAS):
            fail(_("Enter the number of cameras of a camera model."))
        if errors:
            plan.errors += [RowError(raw.number, message) for message in errors]
            continue
        assert unit is not None and model_type is not None
        plan.rows.append(
            PlannedModel(
                raw.number,
                unit,
                tidy(values[NAME]),
                model_type,
                covered,
                started,
                numbers.get(MEMBERS),
                numbers.get(CAMERAS),
                values.get(NOTE, ""),
            )
        )
    return plan


def run_import(rows: list[RawRow], *, user, commit: bool = True) -> ModelPlan:
    """Check every row; with ``commit`` and no error, write them all or nothing."""
    plan = validate(rows, user=user)
    if not plan.ok or not commit:
        return plan
    by = user if user is not None else SystemActor()
    with transaction.atomic():
        for row in plan.rows:
            try:
                plan.created.append(
                    record_model(
                        by=by,
                        unit=row.unit,
                        name=row.name,
                        model_type=row.model_type,
                        started_on=row.started_on,  # type: ignore[arg-type]
                        covered=row.covered,
                        members=row.members,
                        cameras=row.cameras,
                        note=row.note,
                    )
                )
            except WorkflowError as e:
                plan.errors.append(RowError(row.number, str(e)))
        if plan.errors:
            plan.created = []
            transaction.set_rollback(True)
    return plan


# --- preview → confirm ------------------------------------------------------------------------


def store_preview(user, filename: str, rows: list[RawRow]) -> str:
    """The checked rows kept for the user's confirmation (the units import's previews, swept
    after ``IMPORT_PREVIEW_TTL_SECONDS``)."""
    return previews.store_unit_rows(user, filename, rows)


def load_preview(user, token: str) -> list[RawRow]:
    """The rows of the user's preview ``token``; PreviewGone when expired, someone else's or not
    a preview of models. Read once: a second confirmation finds nothing."""
    path, payload = previews.load_preview(user, token)
    rows = [
        RawRow(int(n), {k: tidy(v) for k, v in values.items() if k in COLUMNS})
        for n, values in payload["rows"]
    ]
    if not rows or any(UNIT not in r.values for r in rows):
        raise PreviewGone
    path.unlink(missing_ok=True)
    return rows


def build_template() -> bytes:
    workbook = TextWorkbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(COLUMNS)
    sheet.append(["", "Camera an ninh thôn 1", "Camera an ninh", "", "15/01/2026", "", "12", ""])
    help_sheet = workbook.create_sheet("Hướng dẫn")
    for line in (
        "Mỗi dòng một mô hình. Mã đơn vị: mã của xã, cơ quan, doanh nghiệp hoặc cơ sở giáo dục giữ mô hình.",
        "Loại mô hình: tên hoặc mã trong danh mục (Camera an ninh, Tổ liên gia tự quản, Tổ tuần tra…).",
        "Địa bàn: mã các khu dân cư mô hình bao phủ, cách nhau dấu phẩy (để trống: cả đơn vị).",
        "Ngày bắt đầu: dd/mm/yyyy. Mô hình camera an ninh phải có số camera.",
        "Tệp được kiểm tra trước; chỉ ghi khi mọi dòng đều đúng, và ghi tất cả hoặc không ghi gì.",
    ):
        help_sheet.append([line])
    return workbook.to_bytes()
