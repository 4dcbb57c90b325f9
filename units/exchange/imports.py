"""Excel/CSV import of residential areas, agencies, enterprises and schools.

The template is a contract with the provinces (docs/units.md): sheet ``Đơn vị``, a header row
with exactly the columns of :data:`COLUMNS`, one unit per row. Re-importing updates units by
``Mã``. The import is atomic: every row is checked first; if any row is bad nothing is
written and every bad row is reported with its row number (the spreadsheet's own numbering:
the header is row 1).

Flow: :func:`read_upload` (bytes → :class:`RawRow` list) → :func:`run_import` (validate,
and write when ``commit`` and nothing is wrong, in one transaction). Every unit created or
changed leaves one audit event with its changed fields before → after (name, managing unit,
households…), appended with the import's other events in one INSERT at commit.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antt.spreadsheets import (
    NO,
    YES,
    SpreadsheetRefused,
    TextWorkbook,
    bounded_csv_rows,
    bounded_rows,
    cell_text,
    check_csv,
    check_xlsx,
    open_workbook,
)
from antt.text import parse_count, tidy, unusual
from certification.audit import SystemActor, atomic_deferred
from units import access, services
from units.models import RoleAssignment, Unit
from units.tree import rebuild_paths

SHEET_NAME = "Đơn vị"
INSTRUCTIONS_SHEET_NAME = "Hướng dẫn"
CODE, NAME, KIND, MANAGER, HOUSEHOLDS, SIZE, LEVEL, ARMED, NOTE = (
    "Mã",
    "Tên",
    "Loại",
    "Mã đơn vị quản lý",
    "Số hộ gia đình",
    "Quy mô doanh nghiệp",
    "Cấp học",
    "Lực lượng vũ trang",
    "Ghi chú",
)
COLUMNS = [CODE, NAME, KIND, MANAGER, HOUSEHOLDS, SIZE, LEVEL, ARMED, NOTE]

RESIDENTIAL_LABELS = [
    "Thôn",
    "Tổ dân phố",
    "Ấp",
    "Bản",
    "Khu phố",
    "Khối phố",
    "Làng",
    "Buôn",
    "Khóm",
    "Phum",
    "Sóc",
]
INSTITUTION_KINDS = {
    "Cơ quan": Unit.Kind.AGENCY,
    "Doanh nghiệp": Unit.Kind.ENTERPRISE,
    "Cơ sở giáo dục": Unit.Kind.SCHOOL,
}
KIND_VALUES = [*RESIDENTIAL_LABELS, *INSTITUTION_KINDS]
SIZES = {
    "Siêu nhỏ": Unit.EnterpriseSize.MICRO,
    "Nhỏ": Unit.EnterpriseSize.SMALL,
    "Vừa": Unit.EnterpriseSize.MEDIUM,
    "Lớn": Unit.EnterpriseSize.LARGE,
}
LEVELS = {
    "Nhà trẻ": Unit.SchoolLevel.CRECHE,
    "Mầm non": Unit.SchoolLevel.KINDERGARTEN,
    "Tiểu học": Unit.SchoolLevel.PRIMARY,
    "THCS": Unit.SchoolLevel.LOWER_SECONDARY,
    "THPT": Unit.SchoolLevel.UPPER_SECONDARY,
    "Liên cấp": Unit.SchoolLevel.MULTI_LEVEL,
    "Trung cấp": Unit.SchoolLevel.VOCATIONAL,
    "Cao đẳng": Unit.SchoolLevel.COLLEGE,
    "Đại học": Unit.SchoolLevel.UNIVERSITY,
    "GDTX": Unit.SchoolLevel.CONTINUING,
    "Khác": Unit.SchoolLevel.OTHER,
}

EXTRA = "__extra__"  # values found right of the last header column
# The roles that may import into their subtree.
IMPORT_ROLES = (RoleAssignment.Role.ADMIN,)
WRITTEN_FIELDS = [
    "name",
    "label",
    "kind",
    "parent",
    "household_count",
    "enterprise_size",
    "school_level",
    "is_armed_forces",
    "note",
    "search_name",
    "is_eligible",
    "ineligible_reason",
    "updated_at",
]
UPDATED_FIELDS = [
    "name",
    "label",
    "kind",
    "parent_id",
    "household_count",
    "enterprise_size",
    "school_level",
    "is_armed_forces",
    "note",
]


class KindColumn(NamedTuple):
    """A column naming one of a few ``values``, only for units of one ``kind`` and required
    for them; the value goes to ``field`` of the row. The messages: an unknown value, a value
    given for another kind, a missing value."""

    name: str
    values: dict[str, str]
    kind: str
    field: str
    unknown: Promise
    not_for_kind: Promise
    missing: Promise


KIND_COLUMNS = [
    KindColumn(
        SIZE,
        SIZES,
        Unit.Kind.ENTERPRISE,
        "enterprise_size",
        gettext_lazy("Unknown “Quy mô doanh nghiệp” (enterprise size) “%(value)s”; use one of: %(values)s."),
        gettext_lazy("“Quy mô doanh nghiệp” (enterprise size) is only for enterprises."),
        gettext_lazy(
            "An enterprise needs “Quy mô doanh nghiệp” (%(values)s): small and micro enterprises are not assessed."
        ),
    ),
    KindColumn(
        LEVEL,
        LEVELS,
        Unit.Kind.SCHOOL,
        "school_level",
        gettext_lazy("Unknown “Cấp học” (school level) “%(value)s”; use one of: %(values)s."),
        gettext_lazy("“Cấp học” (school level) is only for educational institutions."),
        gettext_lazy(
            "An educational institution needs “Cấp học” (%(values)s): primary schools, kindergartens and crèches are not assessed."
        ),
    ),
]


class ImportFileError(Exception):
    """The file as a whole cannot be read (not .xlsx/.csv, no sheet, wrong header)."""


@dataclass
class RawRow:
    number: int
    values: dict[str, str]

    def to_json(self) -> list:
        return [self.number, self.values]

    @classmethod
    def from_json(cls, data: list) -> "RawRow":
        number, values = data
        return cls(
            number=int(number),
            values={k: tidy(v) for k, v in values.items() if k in COLUMNS or k == EXTRA},
        )


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class PlannedRow:
    number: int
    code: str
    name: str = ""
    kind: str = ""
    label: str = ""
    parent_code: str = ""
    household_count: int | None = None
    enterprise_size: str = ""
    school_level: str = ""
    is_armed_forces: bool = False
    note: str = ""
    existing: Unit | None = None
    changes: list[str] = field(default_factory=list)
    is_eligible: bool = True
    ineligible_reason: str = ""

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes else "unchanged"

    def apply_to(self, unit: Unit) -> None:
        unit.name = self.name
        unit.label = self.label
        unit.kind = self.kind
        unit.household_count = self.household_count
        unit.enterprise_size = self.enterprise_size
        unit.school_level = self.school_level
        unit.is_armed_forces = self.is_armed_forces
        unit.note = self.note


@dataclass
class ImportPlan:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def creates(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "create"]

    @property
    def updates(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "update"]

    @property
    def unchanged(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "unchanged"]

    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


# Reading ---------------------------------------------------------------------------------


def read_upload(filename: str, data: bytes) -> list[RawRow]:
    """Parse an uploaded .xlsx or .csv into rows keyed by column name.

    The file is checked against the spreadsheet budgets (``antt.spreadsheets``) before it is
    parsed. Raises :class:`ImportFileError` with a translated message when the file itself is
    wrong.
    """
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            table = _read_xlsx(data)
        elif name.endswith(".csv"):
            table = _read_csv(data)
        else:
            raise ImportFileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    except SpreadsheetRefused as e:
        raise ImportFileError(str(e)) from None
    return _rows_from_table(table)


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    return read_xlsx_table(data, SHEET_NAME)


def read_xlsx_table(data: bytes, sheet_name: str) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of the non-empty rows of the sheet ``sheet_name``, read
    within the spreadsheet budgets (``SpreadsheetRefused`` beyond them; ``ImportFileError``
    for a damaged file or a missing sheet). The units import and the movement's import of models."""
    shape = check_xlsx(io.BytesIO(data))
    try:
        workbook = open_workbook(io.BytesIO(data))
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise ImportFileError(_("The file is not a readable Excel workbook (.xlsx).")) from None
    try:
        sheets = {tidy(title): title for title in workbook.sheetnames}
        if sheet_name not in sheets:
            raise ImportFileError(
                _("The workbook has no sheet named “%(sheet)s” (found: %(found)s).")
                % {"sheet": sheet_name, "found": ", ".join(workbook.sheetnames)}
            )
        sheet = workbook[sheets[sheet_name]]
        table = []
        for number, row in enumerate(bounded_rows(sheet, shape), start=1):
            cells = [cell_text(v) for v in row]
            if any(cells):  # formatted but empty rows are skipped early
                table.append((number, cells))
        return table
    finally:
        workbook.close()


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    check_csv(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("Save the CSV file with the UTF-8 encoding.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = []
    try:
        for number, row in enumerate(bounded_csv_rows(reader), start=1):
            cells = [tidy(v) for v in row]
            if any(cells):
                table.append((number, cells))
    except csv.Error:
        raise ImportFileError(_("The CSV file cannot be read.")) from None
    return table


def _rows_from_table(table: list[tuple[int, list[str]]]) -> list[RawRow]:
    if not table:
        raise ImportFileError(_("The file is empty."))
    _number, header = table[0]
    while header and not header[-1]:
        header = header[:-1]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            _("columns not in the template: %(columns)s")
            % {"columns": ", ".join(c or _("(empty)") for c in unknown)}
        )
    if repeated:
        problems.append(_("repeated columns: %(columns)s") % {"columns": ", ".join(repeated)})
    if problems:
        raise ImportFileError(
            _("Row 1 (header) does not match the template: %(problems)s.") % {"problems": "; ".join(problems)}
        )
    rows = []
    for number, cells in table[1:]:
        values = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}
        extra = [c for c in cells[len(header) :] if c]
        if not any(values.values()) and not extra:
            continue  # blank line
        if extra:
            values[EXTRA] = " | ".join(extra)
        rows.append(RawRow(number=number, values=values))
    return rows


# Validating ------------------------------------------------------------------------------


def _choose(value: str, choices) -> str | None:
    """The allowed value matching ``value`` ignoring case (never ignoring diacritics)."""
    folded = value.casefold()
    for choice in choices:
        if choice.casefold() == folded:
            return choice
    return None


def _allowed(choices) -> str:
    return ", ".join(choices)


class _Validator:
    def __init__(self, rows: list[RawRow], user, lock: bool = False) -> None:
        self.rows = rows
        self.user = user
        self.lock = lock
        self.plan = ImportPlan()
        self.first_row_of: dict[str, int] = {}
        self.planned: dict[str, PlannedRow] = {}
        self.scope: dict[int, bool] = {}

    def error(self, number: int, message: str) -> None:
        self.plan.errors.append(RowError(row=number, message=message))

    def in_scope(self, unit: Unit) -> bool:
        if self.user is None:
            return True
        if unit.pk not in self.scope:  # many rows name the same managing unit
            self.scope[unit.pk] = access.has_role(self.user, unit, *IMPORT_ROLES)
        return self.scope[unit.pk]

    def run(self) -> ImportPlan:
        codes = {r.values.get(CODE, "") for r in self.rows} | {r.values.get(MANAGER, "") for r in self.rows}
        self.db = {u.code: u for u in _units_by_code((c for c in codes if c), lock=self.lock)}
        for raw in self.rows:
            planned = self.parse_row(raw)
            if planned is not None:
                self.plan.rows.append(planned)
        self.check_managers()
        self.plan.errors.sort(key=lambda e: e.row)
        return self.plan

    def parse_row(self, raw: RawRow) -> PlannedRow | None:
        v, number = raw.values, raw.number
        if v.get(EXTRA):
            self.error(number, _("Values outside the template's columns: %(values)s.") % {"values": v[EXTRA]})
        code = v.get(CODE, "")
        if not code:
            self.error(number, _("“Mã” (code) is missing."))
        elif len(code) > 32:
            self.error(number, _("“Mã” (code) is longer than 32 characters."))
        elif code in self.first_row_of:
            self.error(
                number,
                _("Code “%(code)s” is repeated: it is already on row %(row)s.")
                % {"code": code, "row": self.first_row_of[code]},
            )
            code = ""  # the first occurrence stays the one referred to
        else:
            self.first_row_of[code] = number
        planned = PlannedRow(number=number, code=code, name=v.get(NAME, ""), note=v.get(NOTE, ""))
        if not planned.name:
            self.error(number, _("“Tên” (name) is missing."))
        elif len(planned.name) > 200:
            self.error(number, _("“Tên” (name) is longer than 200 characters."))

        kind_text = v.get(KIND, "")
        if not kind_text:
            self.error(
                number,
                _("“Loại” (kind) is missing; use one of: %(values)s.") % {"values": _allowed(KIND_VALUES)},
            )
        elif label := _choose(kind_text, RESIDENTIAL_LABELS):
            planned.kind, planned.label = Unit.Kind.RESIDENTIAL_AREA, label
        elif institution := _choose(kind_text, INSTITUTION_KINDS):
            planned.kind = INSTITUTION_KINDS[institution]
        else:
            self.error(
                number,
                _("Unknown “Loại” (kind) “%(value)s”; use one of: %(values)s.")
                % {"value": kind_text, "values": _allowed(KIND_VALUES)}
                + unusual(kind_text),
            )
        self.parse_details(planned, v)
        planned.parent_code = v.get(MANAGER, "")
        if not planned.parent_code:
            self.error(number, _("“Mã đơn vị quản lý” (code of the managing unit) is missing."))
        elif planned.parent_code == code:
            self.error(number, _("A unit cannot manage itself (“Mã đơn vị quản lý” equals “Mã”)."))
        self.check_existing(planned)
        if code:
            self.planned[code] = planned
        return planned

    def parse_details(self, planned: PlannedRow, v: dict[str, str]) -> None:
        number, kind = planned.number, planned.kind
        households = v.get(HOUSEHOLDS, "")
        if households:
            try:
                count = parse_count(households)
            except ValueError:
                self.error(
                    number,
                    _("“Số hộ gia đình” (households) “%(value)s” is not a whole number.")
                    % {"value": households}
                    + unusual(households),
                )
            else:
                if kind and kind != Unit.Kind.RESIDENTIAL_AREA:
                    self.error(number, _("“Số hộ gia đình” (households) is only for residential areas."))
                else:
                    planned.household_count = count
        for column in KIND_COLUMNS:
            value = v.get(column.name, "")
            if value:
                chosen = _choose(value, column.values)
                if chosen is None:
                    self.error(number, column.unknown % {"value": value, "values": _allowed(column.values)})
                elif kind and kind != column.kind:
                    self.error(number, str(column.not_for_kind))
                else:
                    setattr(planned, column.field, column.values[chosen])
            elif kind == column.kind:
                self.error(number, column.missing % {"values": _allowed(column.values)})
        armed = v.get(ARMED, "")
        if armed:
            chosen = _choose(armed, (YES, NO))
            if chosen is None:
                self.error(
                    number,
                    _("“Lực lượng vũ trang” (armed forces) must be “Có” or “Không”, not “%(value)s”.")
                    % {"value": armed},
                )
            elif chosen == YES and kind and kind != Unit.Kind.AGENCY:
                self.error(number, _("“Lực lượng vũ trang” (armed forces) “Có” is only for agencies."))
            else:
                planned.is_armed_forces = chosen == YES
        if kind:
            planned.is_eligible, planned.ineligible_reason = _eligibility(
                kind, planned.enterprise_size, planned.school_level, planned.is_armed_forces
            )

    def check_existing(self, planned: PlannedRow) -> None:
        existing = self.db.get(planned.code) if planned.code else None
        if existing is None:
            return
        number = planned.number
        if not self.in_scope(existing):
            self.error(
                number,
                _("Code “%(code)s” is already used by a unit outside your scope.") % {"code": planned.code},
            )
            return
        if existing.kind in Unit.ADMINISTRATIVE_KINDS:
            self.error(
                number,
                _(
                    "Code “%(code)s” belongs to a province, district or commune; those are not imported from this file."
                )
                % {"code": planned.code},
            )
            return
        if planned.kind and _kind_group(existing.kind) != _kind_group(planned.kind):
            self.error(
                number,
                _("Unit “%(code)s” already exists as “%(kind)s”; its kind cannot be changed by an import.")
                % {"code": planned.code, "kind": existing.get_kind_display()},
            )
            return
        planned.existing = existing

    def check_managers(self) -> None:
        for planned in self.plan.rows:
            code = planned.parent_code
            if not code or code == planned.code:
                continue
            in_file = self.planned.get(code)
            if in_file is not None and in_file.existing is None and code in self.db:
                in_file = None  # that row was refused (its code is taken): refer to the unit on record
            if in_file is not None and in_file.number != planned.number:
                self.check_manager_kind(planned, in_file.kind, code)
                self.check_cycle(planned)
                continue
            manager = self.db.get(code) or self.db.get(_gso_alias(code, self.db))
            if manager is None or not self.in_scope(manager):
                self.error(
                    planned.number,
                    _("No managing unit with code “%(code)s” in your scope (nor in this file).")
                    % {"code": code}
                    + unusual(code),
                )
                continue
            planned.parent_code = manager.code
            self.check_manager_kind(planned, manager.kind, code)
            if planned.existing is not None and manager.path.startswith(planned.existing.path):
                self.error(
                    planned.number,
                    _(
                        "The managing unit “%(code)s” is below this unit; a unit cannot be managed by its own sub-unit."
                    )
                    % {"code": code},
                )

    def check_manager_kind(self, planned: PlannedRow, manager_kind: str, code: str) -> None:
        if not planned.kind or not manager_kind:
            return
        if planned.kind == Unit.Kind.RESIDENTIAL_AREA and manager_kind != Unit.Kind.COMMUNE:
            self.error(
                planned.number,
                _("A residential area must belong to a commune, ward or special zone; “%(code)s” is not one.")
                % {"code": code},
            )
        elif planned.kind in Unit.INSTITUTION_KINDS and manager_kind == Unit.Kind.RESIDENTIAL_AREA:
            self.error(
                planned.number,
                _(
                    "An agency, enterprise or school is managed by a commune or province (or another institution), not by the residential area “%(code)s”."
                )
                % {"code": code},
            )

    def check_cycle(self, planned: PlannedRow) -> None:
        seen = [planned.code]
        code = planned.parent_code
        while code in self.planned and code not in seen:
            seen.append(code)
            code = self.planned[code].parent_code
        if code == planned.code:
            self.error(
                planned.number,
                _("The managing units form a loop: %(chain)s.") % {"chain": " → ".join([*seen, code])},
            )


def _eligibility(kind: str, size: str, level: str, armed: bool) -> tuple[bool, str]:
    """``Unit.compute_eligibility`` of a row, once per combination (a model instance per row
    costs more than the whole check)."""
    key = (kind, size, level, armed, translation.get_language())
    if key not in _ELIGIBILITY:
        probe = Unit(kind=kind, enterprise_size=size, school_level=level, is_armed_forces=armed)
        _ELIGIBILITY[key] = probe.compute_eligibility()
    return _ELIGIBILITY[key]


_ELIGIBILITY: dict[tuple, tuple[bool, str]] = {}


def _kind_group(kind: str) -> str:
    return "residential" if kind == Unit.Kind.RESIDENTIAL_AREA else kind


def _gso_alias(code: str, known: dict[str, Unit]) -> str:
    """Excel turns "00004" and "01" into 4 and 1: find the padded GSO code, if unambiguous."""
    if not code.isdigit():
        return ""
    candidates = [c for c in {code.zfill(2), code.zfill(5)} if c in known and c != code]
    return candidates[0] if len(candidates) == 1 else ""


def _units_by_code(codes, lock: bool = False) -> list[Unit]:
    """``lock``: rows read to be written (and audited before → after) are locked until commit."""
    codes = list(codes)
    padded = {c.zfill(n) for c in codes if c.isdigit() for n in (2, 5)}
    wanted = sorted(set(codes) | padded)
    queryset = Unit.objects.select_for_update(no_key=True) if lock else Unit.objects.all()
    units = []
    for start in range(0, len(wanted), 5000):
        units.extend(queryset.filter(code__in=wanted[start : start + 5000]).order_by("pk"))
    return units


def _compute_changes(plan: ImportPlan, db: dict[str, Unit]) -> None:
    for planned in plan.rows:
        unit = planned.existing
        if unit is None:
            continue
        parent = db.get(planned.parent_code)
        new_parent_id = parent.pk if parent else None
        planned.changes = []
        probe = Unit(**{f: getattr(unit, f) for f in UPDATED_FIELDS})
        planned.apply_to(probe)
        probe.refresh_derived_fields()
        for name in UPDATED_FIELDS:
            old = getattr(unit, name)
            new = new_parent_id if name == "parent_id" else getattr(probe, name)
            if name == "parent_id" and parent is None:
                new = "new"  # managed by a unit created by this import
            if old != new:
                planned.changes.append(name)


def validate(rows: list[RawRow], *, user=None, lock: bool = False) -> ImportPlan:
    """Check every row; ``user`` None means no scope restriction (management command)."""
    validator = _Validator(rows, user, lock=lock)
    plan = validator.run()
    if plan.ok:
        _compute_changes(plan, validator.db)
    return plan


@atomic_deferred
def run_import(rows: list[RawRow], *, user=None, commit: bool = True) -> ImportPlan:
    """Validate ``rows`` and, when ``commit`` and nothing is wrong, write them all, audited as
    ``user`` (the system when there is none: the command line without ``--user``)."""
    plan = validate(rows, user=user, lock=commit)
    if plan.ok and commit:
        _write(plan, by=user or SystemActor())
        plan.committed = True
    return plan


def _write(plan: ImportPlan, *, by) -> None:
    now = timezone.now()
    before = services.unit_snapshots(r.existing for r in plan.rows if r.action == "update")
    written: list[Unit] = []
    pk_of = {r.code: r.existing.pk for r in plan.rows if r.existing is not None}
    pk_of.update(_units_pk_by_code({r.parent_code for r in plan.rows} - {r.code for r in plan.rows}))
    pending = [r for r in plan.rows if r.action != "unchanged"]
    to_rebuild: list[int] = []
    # Rows whose managing unit already has an id first, then the units they manage, and so on.
    while pending:
        ready = [r for r in pending if r.parent_code in pk_of]
        if not ready:  # cannot happen after validation (no loops); never loop forever
            raise RuntimeError("import rows could not be ordered")
        creates, updates = [], []
        for row in ready:
            unit = row.existing or Unit(code=row.code)
            row.apply_to(unit)
            if row.existing is not None and unit.parent_id != pk_of[row.parent_code]:
                to_rebuild.append(unit.pk)
            unit.parent_id = pk_of[row.parent_code]
            unit.refresh_derived_fields()
            unit.updated_at = now
            (updates if row.existing else creates).append(unit)
        Unit.objects.bulk_create(creates, batch_size=1000)
        Unit.objects.bulk_update(updates, WRITTEN_FIELDS, batch_size=500)
        written += creates + updates
        for unit in creates:
            pk_of[unit.code] = unit.pk
            to_rebuild.append(unit.pk)
        done = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in done]
    rebuild_paths(to_rebuild)
    services.log_unit_changes(by=by, before=before, units=written)


def _units_pk_by_code(codes) -> dict[str, int]:
    codes = list(codes)
    found: dict[str, int] = {}
    for start in range(0, len(codes), 5000):
        found.update(Unit.objects.filter(code__in=codes[start : start + 5000]).values_list("code", "pk"))
    return found


# Template --------------------------------------------------------------------------------


def build_template() -> bytes:
    """The .xlsx template: sheet “Đơn vị” with the header row, sheet “Hướng dẫn” with the
    rules and allowed values (also offered as drop-down lists)."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = TextWorkbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(COLUMNS)
    widths = [16, 36, 16, 20, 16, 20, 14, 18, 30]
    for index, width in enumerate(widths):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = width
        sheet[f"{letter}1"].font = Font(bold=True)
    # Codes are text: keep leading zeros ("00004").
    for row in range(2, 1002):
        sheet[f"A{row}"].number_format = "@"
        sheet[f"D{row}"].number_format = "@"
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(INSTRUCTIONS_SHEET_NAME)
    lines = [
        ["Mẫu nhập đơn vị (khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục)"],
        [],
        ["Mỗi dòng của trang “Đơn vị” là một đơn vị. Không đổi tên trang, không đổi hàng tiêu đề."],
        ["Nhập lại một mã đã có sẽ cập nhật đơn vị đó. Nếu có dòng sai, không dòng nào được ghi."],
        [
            "Nhập “Mã” và “Mã đơn vị quản lý” dạng văn bản để giữ số 0 ở đầu (mã xã gồm 5 chữ số, mã tỉnh 2 chữ số)."
        ],
        [],
        ["Cột", "Bắt buộc", "Giá trị"],
        [CODE, "Có", "Mã đơn vị, duy nhất (tối đa 32 ký tự)"],
        [NAME, "Có", "Tên đơn vị, ví dụ “Thôn Đông Hải”, “Trường THCS Kỳ Long”"],
        [KIND, "Có", _allowed(KIND_VALUES)],
        [MANAGER, "Có", "Mã xã/phường/đặc khu hoặc tỉnh quản lý (có thể là mã một dòng khác trong tệp)"],
        [HOUSEHOLDS, "Không", "Chỉ cho khu dân cư: số nguyên"],
        [SIZE, "Với doanh nghiệp", _allowed(SIZES) + " (Siêu nhỏ, Nhỏ: không thuộc đối tượng xét)"],
        [
            LEVEL,
            "Với cơ sở giáo dục",
            _allowed(LEVELS) + " (Nhà trẻ, Mầm non, Tiểu học: không thuộc đối tượng xét)",
        ],
        [ARMED, "Không", "Có, Không (chỉ cho cơ quan; Có: không thuộc đối tượng xét)"],
        [NOTE, "Không", "Ghi chú tự do"],
        [],
        ["Giá trị cho phép"],
        [KIND, SIZE, LEVEL, ARMED],
    ]
    for line in lines:
        guide.append(line)
    start = len(lines) + 1
    lists = [KIND_VALUES, list(SIZES), list(LEVELS), [YES, NO]]
    for offset in range(max(len(values) for values in lists)):
        guide.append([values[offset] if offset < len(values) else None for values in lists])
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 20
    guide.column_dimensions["C"].width = 90
    guide.column_dimensions["D"].width = 18
    guide["A1"].font = Font(bold=True, size=13)
    for column, values, target in zip("ABCD", lists, "CFGH", strict=True):
        end = start + len(values) - 1
        validation = DataValidation(
            type="list",
            formula1=f"='{INSTRUCTIONS_SHEET_NAME}'!${column}${start}:${column}${end}",
            allow_blank=True,
        )
        validation.add(f"{target}2:{target}5000")
        sheet.add_data_validation(validation)
    return workbook.to_bytes()


def describe_changes(planned: PlannedRow) -> list[str]:
    """Human-readable names of the changed fields (for the preview)."""
    names = defaultdict(
        str, {f.attname: str(f.verbose_name) for f in Unit._meta.get_fields() if hasattr(f, "attname")}
    )
    return [names[f] or f for f in planned.changes]


def summarize(plan: ImportPlan) -> str:
    return _("%(created)s new, %(updated)s updated, %(unchanged)s unchanged") % {
        "created": len(plan.creates),
        "updated": len(plan.updates),
        "unchanged": len(plan.unchanged),
    }
