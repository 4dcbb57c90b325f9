"""The re-arrangement of residential areas (thôn, tổ dân phố…) by a People's Council resolution.

The Excel contract is the resolution's annex as provinces publish it (docs/rearrangement.md):
sheet ``Sắp xếp``, one row per new unit, the columns of :data:`COLUMNS`. :func:`read_upload`
reads it, :func:`validate` checks every row against the tree (atomic: any bad row → nothing is
applied, every bad row reported with its spreadsheet row number) and returns a
:class:`RearrangementPlan`, which ``units.services.apply_rearrangement`` writes.
"""

import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from antt.spreadsheets import TextWorkbook, cell_text
from antt.text import nfc
from units import access
from units.exchange.imports import RESIDENTIAL_LABELS, ImportFileError
from units.models import RoleAssignment, Unit, valid_q

SHEET_NAME = "Sắp xếp"
COMMUNE, NAME, KIND, FORM, OLD, HOUSEHOLDS, EFFECTIVE, REFERENCE = (
    "Mã xã",
    "Tên đơn vị mới",
    "Loại",
    "Hình thức",
    "Đơn vị cũ",
    "Số hộ",
    "Ngày hiệu lực",
    "Căn cứ",
)
COLUMNS = [COMMUNE, NAME, KIND, FORM, OLD, HOUSEHOLDS, EFFECTIVE, REFERENCE]

MERGE, SPLIT, RENAME, TRANSFER, KEEP = "merge", "split", "rename", "transfer", "keep"
FORMS = {
    "Sáp nhập": MERGE,
    "Chia tách": SPLIT,
    "Đổi tên": RENAME,
    "Điều chỉnh": TRANSFER,
    "Giữ nguyên": KEEP,
}
FORM_NAMES = {value: name for name, value in FORMS.items()}
MAX_ROWS = 20_000
# Who may re-arrange the residential areas of a commune: an administrator of a subtree holding it.
REARRANGE_ROLES = (RoleAssignment.Role.ADMIN,)
_NUMBER = re.compile(r"^\d+$|^\d{1,3}(?:[., \u00a0\u202f]\d{3})+$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")
_YEAR_OF_REFERENCE = re.compile(r"(?:ngày\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*|năm\s+|/)((?:19|20)\d{2})\b", re.I)


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class PlannedUnit:
    """One row: a new unit of ``commune`` formed (``form``) from ``predecessors``."""

    number: int
    commune: Unit
    name: str
    label: str
    form: str
    predecessors: list[Unit]
    household_count: int | None
    effective_on: datetime.date
    reference: str

    @property
    def form_name(self) -> str:
        return FORM_NAMES[self.form]

    @property
    def full_name(self) -> str:
        return Unit.compose_full_name(self.name, self.label)


@dataclass
class CommunePlan:
    commune: Unit
    before: list[Unit] = field(default_factory=list)
    after: list[PlannedUnit] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return sum(1 for p in self.after if p.form == KEEP)


@dataclass
class RearrangementPlan:
    rows: list[PlannedUnit] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    communes: list[CommunePlan] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    @property
    def retired(self) -> list[Unit]:
        """The old units that end on the effective date (every predecessor of a changed row)."""
        seen: dict[int, Unit] = {}
        for row in self.rows:
            if row.form != KEEP:
                for unit in row.predecessors:
                    seen.setdefault(unit.pk, unit)
        return list(seen.values())

    @property
    def created(self) -> list[PlannedUnit]:
        return [r for r in self.rows if r.form != KEEP]

    def summary(self) -> str:
        return _(
            "%(communes)s communes: %(before)s residential areas before, %(after)s after (%(new)s new, %(kept)s unchanged)"
        ) % {
            "communes": len(self.communes),
            "before": sum(len(c.before) for c in self.communes),
            "after": sum(len(c.after) for c in self.communes),
            "new": len(self.created),
            "kept": sum(c.kept for c in self.communes),
        }


# Reading ---------------------------------------------------------------------------------


def read_upload(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, values by column) of the sheet ``Sắp xếp``; a wrong file raises
    :class:`ImportFileError` with a translated message."""
    if not filename.lower().endswith(".xlsx"):
        raise ImportFileError(_("Upload an Excel workbook (.xlsx)."))
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise ImportFileError(_("The file is not a readable Excel workbook (.xlsx).")) from None
    try:
        sheets = {nfc(title): title for title in workbook.sheetnames}
        if SHEET_NAME not in sheets:
            raise ImportFileError(
                _("The workbook has no sheet named “%(sheet)s” (found: %(found)s).")
                % {"sheet": SHEET_NAME, "found": ", ".join(workbook.sheetnames)}
            )
        table = []
        for number, row in enumerate(workbook[sheets[SHEET_NAME]].iter_rows(values_only=True), start=1):
            cells = [cell_text(v).strip() for v in row]
            if any(cells):
                table.append((number, cells))
                if len(table) > MAX_ROWS + 1:
                    raise ImportFileError(_("The file has more than %(max)s rows.") % {"max": MAX_ROWS})
    finally:
        workbook.close()
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = table[0][1]
    while header and not header[-1]:
        header = header[:-1]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c or _("(empty)") for c in header if c not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            problems.append(_("columns not in the template: %(columns)s") % {"columns": ", ".join(unknown)})
        raise ImportFileError(
            _("Row 1 (header) does not match the template: %(problems)s.") % {"problems": "; ".join(problems)}
        )
    rows = []
    for number, cells in table[1:]:
        values = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}
        if any(values.values()):
            rows.append((number, values))
    return rows


def parse_households(text: str) -> int | None:
    """ "1250", "1.250", "1,250", "1 250" → 1250; None when not a whole number."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    return int(re.sub(r"\D", "", text))


def parse_date(text: str) -> datetime.date | None:
    """dd/mm/yyyy (or the ISO date a date cell reads as)."""
    text = text.strip()
    if match := _DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def reference_year(reference: str) -> int | None:
    """The year of the resolution: "Nghị quyết số 45/NQ-HĐND ngày 20/5/2026" → 2026."""
    found = _YEAR_OF_REFERENCE.findall(reference)
    return int(found[-1]) if found else None


# Validating ------------------------------------------------------------------------------


def _choose(value: str, choices) -> str | None:
    folded = value.casefold()
    return next((c for c in choices if c.casefold() == folded), None)


def _key(name: str) -> str:
    return " ".join(nfc(name).casefold().split())


class _Validator:
    def __init__(self, rows, user, today: datetime.date | None) -> None:
        self.rows = rows
        self.user = user
        self.today = today
        self.plan = RearrangementPlan()
        # every old unit named on any row (even a bad one): (row number, form or None)
        self.mentions: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        self.unit_of: dict[int, Unit] = {}
        self.first_row_of: dict[int, int] = {}  # commune id → its first row

    def error(self, number: int, message: str) -> None:
        self.plan.errors.append(RowError(row=number, message=message))

    def in_scope(self, unit: Unit) -> bool:
        return self.user is None or access.has_role(self.user, unit, *REARRANGE_ROLES)

    def run(self) -> RearrangementPlan:
        today = self.today or datetime.date.today()
        codes = {v.get(COMMUNE, "") for _n, v in self.rows} - {""}
        communes = Unit.objects.filter(valid_q(today), kind=Unit.Kind.COMMUNE, code__in=codes)
        self.communes = {c.code: c for c in communes}
        areas = Unit.objects.filter(
            valid_q(today), kind=Unit.Kind.RESIDENTIAL_AREA, parent__in=list(self.communes.values())
        ).order_by("path")
        self.areas_of: dict[int, list[Unit]] = defaultdict(list)
        for area in areas:
            self.areas_of[area.parent_id].append(area)
        old_codes = {part.strip() for _n, v in self.rows for part in v.get(OLD, "").split(";")} - {""}
        self.by_code = {
            u.code: u
            for u in Unit.objects.filter(valid_q(today), kind=Unit.Kind.RESIDENTIAL_AREA, code__in=old_codes)
        }
        uses: dict[int, list[PlannedUnit]] = defaultdict(list)
        for number, values in self.rows:
            planned = self.parse_row(number, values)
            if planned is not None:
                self.plan.rows.append(planned)
                for unit in planned.predecessors:
                    uses[unit.pk].append(planned)
        self.check_uses(uses)
        self.check_names()
        self.check_left_out(uses)
        self.plan.errors.sort(key=lambda e: e.row)
        if self.plan.ok:
            by_commune: dict[int, CommunePlan] = {}
            for row in self.plan.rows:
                commune_plan = by_commune.setdefault(
                    row.commune.pk, CommunePlan(row.commune, before=self.areas_of[row.commune.pk])
                )
                commune_plan.after.append(row)
            self.plan.communes = list(by_commune.values())
        return self.plan

    def parse_row(self, number: int, v: dict[str, str]) -> PlannedUnit | None:
        ok = True
        commune = self.communes.get(v.get(COMMUNE, ""))
        if not v.get(COMMUNE):
            self.error(number, _("“Mã xã” (commune code) is missing."))
            ok = False
        elif commune is None or not self.in_scope(commune):
            self.error(
                number,
                _("No commune with code “%(code)s” in your scope.") % {"code": v[COMMUNE]},
            )
            ok = False
        else:
            self.first_row_of.setdefault(commune.pk, number)
        name = v.get(NAME, "")
        if not name:
            self.error(number, _("“Tên đơn vị mới” (name of the new unit) is missing."))
            ok = False
        elif len(name) > 200:
            self.error(number, _("“Tên đơn vị mới” (name of the new unit) is longer than 200 characters."))
            ok = False
        label = _choose(v.get(KIND, ""), RESIDENTIAL_LABELS)
        if label is None:
            self.error(
                number,
                _("Unknown “Loại” (kind) “%(value)s”; use one of: %(values)s.")
                % {"value": v.get(KIND, ""), "values": ", ".join(RESIDENTIAL_LABELS)},
            )
            ok = False
        form_name = _choose(v.get(FORM, ""), FORMS)
        if form_name is None:
            self.error(
                number,
                _("Unknown “Hình thức” (form) “%(value)s”; use one of: %(values)s.")
                % {"value": v.get(FORM, ""), "values": ", ".join(FORMS)},
            )
            ok = False
        households = None
        if v.get(HOUSEHOLDS):
            households = parse_households(v[HOUSEHOLDS])
            if households is None:
                self.error(
                    number,
                    _("“Số hộ” (households) “%(value)s” is not a whole number.") % {"value": v[HOUSEHOLDS]},
                )
                ok = False
        reference = v.get(REFERENCE, "")
        year = reference_year(reference)
        if not reference:
            self.error(number, _("“Căn cứ” (the resolution) is missing."))
            ok = False
        elif year is None:
            self.error(
                number,
                _(
                    "“Căn cứ” (the resolution) “%(value)s” has no date, e.g. “Nghị quyết số 45/NQ-HĐND ngày 20/5/2026”."
                )
                % {"value": reference},
            )
            ok = False
        effective = parse_date(v.get(EFFECTIVE, ""))
        if effective is None:
            self.error(
                number,
                _("“Ngày hiệu lực” (effective date) “%(value)s” is not a date dd/mm/yyyy.")
                % {"value": v.get(EFFECTIVE, "")},
            )
            ok = False
        elif year is not None and effective.year != year:
            self.error(
                number,
                _("“Ngày hiệu lực” (effective date) %(date)s is outside the resolution's year %(year)s.")
                % {"date": effective.strftime("%d/%m/%Y"), "year": year},
            )
            ok = False
        predecessors = self.old_units(number, v.get(OLD, ""), commune, form_name)
        if predecessors is None:
            ok = False
        if not ok or commune is None or form_name is None or label is None or effective is None:
            return None
        form = FORMS[form_name]
        assert predecessors is not None
        count = len(predecessors)
        if form == MERGE and count < 2:
            self.error(number, _("A merger (“Sáp nhập”) needs at least two old units in “Đơn vị cũ”."))
            return None
        if form in (SPLIT, RENAME, KEEP) and count != 1:
            self.error(
                number,
                _("“%(form)s” takes exactly one old unit in “Đơn vị cũ”.") % {"form": form_name},
            )
            return None
        if form == SPLIT and households is None:
            self.error(number, _("A split (“Chia tách”) needs the households of this part in “Số hộ”."))
            return None
        old_total = _total(predecessors)
        if form != SPLIT and households is not None and old_total is not None and households != old_total:
            self.error(
                number,
                _("“Số hộ” (households) %(value)s does not add up: the old units have %(total)s.")
                % {"value": households, "total": old_total},
            )
            return None
        if form == RENAME and _key(Unit.compose_full_name(name, label)) == _key(predecessors[0].full_name):
            self.error(number, _("A rename (“Đổi tên”) needs a new name."))
            return None
        if form != SPLIT and households is None:
            households = old_total
        return PlannedUnit(
            number=number,
            commune=commune,
            name=name,
            label=label,
            form=form,
            predecessors=predecessors,
            household_count=households,
            effective_on=effective,
            reference=reference,
        )

    def old_units(
        self, number: int, text: str, commune: Unit | None, form_name: str | None
    ) -> list[Unit] | None:
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if not parts:
            self.error(number, _("“Đơn vị cũ” (old units) is missing."))
            return None
        found: list[Unit] = []
        ok = True
        for part in parts:
            unit = self.by_code.get(part)
            if unit is None and commune is not None:
                matches = [
                    a for a in self.areas_of[commune.pk] if _key(part) in (_key(a.name), _key(a.full_name))
                ]
                unit = matches[0] if len(matches) == 1 else None
            if unit is None or not self.in_scope(unit):
                self.error(
                    number,
                    _(
                        "Unknown old unit “%(value)s”: no current residential area with that code or name in the commune."
                    )
                    % {"value": part},
                )
                ok = False
            elif unit in found:
                self.error(number, _("Old unit “%(value)s” is listed twice on this row.") % {"value": part})
                ok = False
            elif (
                commune is not None
                and unit.parent_id != commune.pk
                and (form_name is None or FORMS[form_name] not in (TRANSFER, MERGE))
            ):
                self.error(
                    number,
                    _("Old unit “%(value)s” belongs to another commune: use “Điều chỉnh” or “Sáp nhập”.")
                    % {"value": part},
                )
                ok = False
            else:
                found.append(unit)
            if unit is not None and number not in (n for n, _f in self.mentions[unit.pk]):
                self.mentions[unit.pk].append((number, FORMS[form_name] if form_name else None))
                self.unit_of[unit.pk] = unit
        return found if ok else None

    def check_uses(self, uses: dict[int, list[PlannedUnit]]) -> None:
        for pk, mentions in self.mentions.items():
            if len(mentions) > 1 and any(form != SPLIT for _n, form in mentions):
                unit = self.unit_of[pk]
                first = mentions[0][0]
                for number, _form in mentions[1:]:
                    self.error(
                        number,
                        _(
                            "Old unit “%(unit)s” is used twice (already on row %(row)s); only a split (“Chia tách”) names one old unit on several rows."
                        )
                        % {"unit": unit.full_name, "row": first},
                    )
        for pk, rows in uses.items():
            unit = self.unit_of[pk]
            if any(r.form != SPLIT for r in rows) or len(self.mentions[pk]) != len(rows):
                continue
            if len(rows) == 1:
                self.error(
                    rows[0].number,
                    _("A split (“Chia tách”) of “%(unit)s” needs at least two rows (one per new unit).")
                    % {"unit": unit.full_name},
                )
                continue
            total = sum(r.household_count or 0 for r in rows)
            if unit.household_count is not None and total != unit.household_count:
                self.error(
                    rows[0].number,
                    _(
                        "The households of the split of “%(unit)s” do not add up: %(total)s on rows %(rows)s, the unit has %(households)s."
                    )
                    % {
                        "unit": unit.full_name,
                        "total": total,
                        "rows": ", ".join(str(r.number) for r in rows),
                        "households": unit.household_count,
                    },
                )
            if len({(r.effective_on, r.reference) for r in rows}) > 1:
                self.error(
                    rows[0].number,
                    _("The rows of the split of “%(unit)s” must have the same date and resolution.")
                    % {"unit": unit.full_name},
                )

    def check_names(self) -> None:
        retired = {u.pk for r in self.plan.rows if r.form != KEEP for u in r.predecessors}
        first: dict[tuple[int, str], int] = {}
        for row in self.plan.rows:
            key = (row.commune.pk, _key(row.full_name))
            if key in first:
                self.error(
                    row.number,
                    _("The name “%(name)s” is already on row %(row)s for this commune.")
                    % {"name": row.full_name, "row": first[key]},
                )
                continue
            first[key] = row.number
            if row.form == KEEP:
                continue
            for area in self.areas_of[row.commune.pk]:
                if area.pk not in retired and _key(area.full_name) == key[1]:
                    self.error(
                        row.number,
                        _(
                            "The name “%(name)s” is already taken by a residential area of the commune (code %(code)s)."
                        )
                        % {"name": row.full_name, "code": area.code},
                    )

    def check_left_out(self, uses: dict[int, list[PlannedUnit]]) -> None:
        for commune_id, number in self.first_row_of.items():
            left = [a for a in self.areas_of[commune_id] if a.pk not in self.mentions]
            if left:
                self.error(
                    number,
                    _(
                        "Residential areas of the commune left out of the file (list them, “Giữ nguyên” if unchanged): %(units)s."
                    )
                    % {"units": ", ".join(f"{a.full_name} ({a.code})" for a in left)},
                )


def _total(units: list[Unit]) -> int | None:
    counts = [u.household_count for u in units]
    return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)


def validate(
    rows: list[tuple[int, dict[str, str]]], *, user=None, today: datetime.date | None = None
) -> RearrangementPlan:
    """Check every row; ``user`` None: no scope limit (the command without ``--user``)."""
    return _Validator(rows, user, today).run()


# Template --------------------------------------------------------------------------------


def build_template(commune: Unit, *, today: datetime.date | None = None) -> bytes:
    """Sheet ``Sắp xếp`` pre-filled with the commune's current residential areas, each
    “Giữ nguyên”: the province changes the rows that change."""
    from openpyxl.styles import Font

    workbook = TextWorkbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(COLUMNS)
    for index, width in enumerate([10, 32, 14, 14, 40, 10, 16, 50]):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = width
        sheet[f"{letter}1"].font = Font(bold=True)
    areas = Unit.objects.filter(
        valid_q(today or datetime.date.today()), kind=Unit.Kind.RESIDENTIAL_AREA, parent=commune
    ).order_by("name", "code")
    for area in areas:
        sheet.append(
            [
                commune.code,
                area.name,
                area.label or RESIDENTIAL_LABELS[0],
                "Giữ nguyên",
                area.code,
                "" if area.household_count is None else str(area.household_count),
                "",
                "",
            ]
        )
    for row in range(2, sheet.max_row + 500):
        for letter in "AEF":
            sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Hướng dẫn")
    for line in [
        ["Mẫu sắp xếp thôn, tổ dân phố (phụ lục nghị quyết của HĐND tỉnh)"],
        [
            "Mỗi dòng của trang “Sắp xếp” là một đơn vị mới (sau sắp xếp). Không đổi tên trang, không đổi hàng tiêu đề."
        ],
        [
            "Mọi thôn, tổ dân phố hiện có của xã phải có mặt trong cột “Đơn vị cũ” (đơn vị không đổi: “Giữ nguyên”)."
        ],
        [FORM, ", ".join(FORMS)],
        [OLD, "Mã hoặc tên các đơn vị cũ, cách nhau bởi dấu “;”"],
        [
            HOUSEHOLDS,
            "Sáp nhập: tổng số hộ các đơn vị cũ; Chia tách: số hộ của phần này (các phần cộng lại bằng số hộ đơn vị cũ)",
        ],
        [EFFECTIVE, "dd/mm/yyyy, trong năm của nghị quyết"],
        [REFERENCE, "Ví dụ: Nghị quyết số 45/NQ-HĐND ngày 20/5/2026"],
        [KIND, ", ".join(RESIDENTIAL_LABELS)],
    ]:
        guide.append(line)
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 100
    return workbook.to_bytes()
