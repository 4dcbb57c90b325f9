"""Offline entry through Excel (issue 5). The contract, exactly:

* one sheet named ``Đánh giá``;
* header row: ``Mã`` · ``Tên`` (ignored on import) · ``Đăng ký`` (``Có``/``Không``) ·
  ``Số hộ gia đình`` · ``Số hộ đăng ký`` · then one column per criterion code;
* cells: ``Đạt``, ``Không đạt``, ``Không áp dụng`` or empty (not yet assessed).

Units of every kind share the one sheet: the criterion columns are the union of the codes of
the campaign's criteria sets, and a unit's cells under codes outside its own set stay empty
(they are greyed in the download). Criteria computed by the scoring engine (XA-4) have no
column. An empty cell clears an answer (the download is pre-filled, so an untouched file
changes nothing). ``Đăng ký = Có`` records a registration dated on the import day when none
exists; households count only for residential areas and only with ``Có``.

An import is validated completely first; if any cell is wrong nothing is written and every
bad cell is reported with its row and column.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from antt.errors import WorkflowError
from antt.spreadsheets import (
    NO,
    YES,
    SpreadsheetRefused,
    TextWorkbook,
    bounded_rows,
    cell_text,
    check_xlsx,
    open_workbook,
)
from antt.text import parse_count, unusual
from certification import audit
from certification.errors import ConflictError
from certification.models import (
    Answer,
    Assessment,
    Campaign,
    CriteriaSet,
    Criterion,
    ImportJob,
    Registration,
)
from certification.models.criteria import UnitKind
from certification.selectors.assessments import entry_deadline, entry_is_open, item_is_open
from certification.selectors.criteria import answerable_criteria, ordered_criteria
from certification.services import entry
from certification.services.registration import register_unit
from units.access import visible_units
from units.models import RoleAssignment, Unit

SHEET = "Đánh giá"
HEADERS = ("Mã", "Tên", "Đăng ký", "Số hộ gia đình", "Số hộ đăng ký")
FIRST_CODE_COLUMN = len(HEADERS) + 1
VALUE_LABELS = {
    Answer.Value.MET: "Đạt",
    Answer.Value.NOT_MET: "Không đạt",
    Answer.Value.NOT_APPLICABLE: "Không áp dụng",
    Answer.Value.EMPTY: "",
}
LABEL_VALUES = {label.casefold(): value for value, label in VALUE_LABELS.items()}
KIND_ORDER = [UnitKind.RESIDENTIAL_AREA, UnitKind.COMMUNE, UnitKind.AGENCY_ENTERPRISE, UnitKind.SCHOOL]
GREY = PatternFill("solid", fgColor="DDDDDD")


@dataclass
class CellError:
    row: int
    column: int
    header: str
    message: str

    @property
    def column_letter(self) -> str:
        return get_column_letter(self.column) if self.column else "-"

    def __str__(self) -> str:
        return _("Row %(row)s, column %(column)s (%(header)s): %(message)s") % {
            "row": self.row,
            "column": self.column_letter,
            "header": self.header,
            "message": self.message,
        }


@dataclass
class RowPlan:
    row: int
    unit: Unit
    campaign: Campaign
    assessment: Assessment | None
    version: int | None
    register: bool = False
    households: tuple[int | None, int | None] | None = None
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.register or self.households or self.answers)


@dataclass
class ImportReport:
    errors: list[CellError] = field(default_factory=list)
    plans: list[RowPlan] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed_plans(self) -> list[RowPlan]:
        return [p for p in self.plans if p.has_changes]

    @property
    def answer_count(self) -> int:
        return sum(len(p.answers) for p in self.plans)

    @property
    def registration_count(self) -> int:
        return sum(1 for p in self.plans if p.register or p.households)

    def add(self, row: int, column: int, header: str, message: str) -> None:
        self.errors.append(CellError(row, column, header, message))


# --- download ------------------------------------------------------------------------------


def units_for_export(user, campaign: Campaign) -> list[Unit]:
    """The user's units (officer scope) in the campaign's province that are assessed."""
    return list(
        visible_units(user, roles=[RoleAssignment.Role.OFFICER])
        .filter(
            path__startswith=campaign.province.path,
            kind__in=Unit.ASSESSED_KINDS,
            is_eligible=True,
            valid_to__isnull=True,
        )
        .order_by("path")
    )


def _entered_codes(criteria_set: CriteriaSet) -> list[str]:
    return [c.code for c in answerable_criteria(criteria_set)]


def _sets_in_order(sets) -> list[CriteriaSet]:
    unique = {s.pk: s for s in sets if s is not None}.values()
    return sorted(
        unique, key=lambda s: (KIND_ORDER.index(s.unit_kind) if s.unit_kind in KIND_ORDER else 9, s.pk)
    )


def build_workbook(*, campaign: Campaign, units: list[Unit]) -> bytes:
    assessments = {
        a.unit_id: a
        for a in Assessment.objects.filter(campaign=campaign, unit__in=units)
        .select_related("criteria_set")
        .prefetch_related("answers__criterion")
    }
    registrations = {r.unit_id: r for r in Registration.objects.filter(campaign=campaign, unit__in=units)}
    unit_sets = {
        u.pk: assessments[u.pk].criteria_set if u.pk in assessments else campaign.criteria_set_for(u.kind)
        for u in units
    }
    codes: list[str] = []
    set_codes: dict[int, set[str]] = {}
    for criteria_set in _sets_in_order(unit_sets.values()):
        entered = _entered_codes(criteria_set)
        set_codes[criteria_set.pk] = set(entered)
        codes += [c for c in entered if c not in codes]

    wb = TextWorkbook()  # unit names stay text, never a formula
    ws = wb.active
    ws.title = SHEET
    ws.append([*HEADERS, *codes])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for unit in units:
        registration = registrations.get(unit.pk)
        assessment = assessments.get(unit.pk)
        answers = {a.criterion.code: a.value for a in assessment.answers.all()} if assessment else {}
        total = registration.households_total if registration else unit.household_count
        row = [
            unit.code,
            unit.full_name,
            YES if registration else "",
            total if unit.kind == Unit.Kind.RESIDENTIAL_AREA else None,
            registration.households_registered if registration else None,
        ]
        row += [VALUE_LABELS.get(answers.get(code, ""), "") for code in codes]
        ws.append(row)
        own = set_codes.get(getattr(unit_sets[unit.pk], "pk", None), set())
        for offset, code in enumerate(codes):
            if code not in own:
                ws.cell(row=ws.max_row, column=FIRST_CODE_COLUMN + offset).fill = GREY
        if unit.kind != Unit.Kind.RESIDENTIAL_AREA:
            ws.cell(row=ws.max_row, column=4).fill = GREY
            ws.cell(row=ws.max_row, column=5).fill = GREY
    last_row = max(ws.max_row, 2)
    yes_no = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    yes_no.add(f"C2:C{last_row}")
    ws.add_data_validation(yes_no)
    if codes:
        answers_list = DataValidation(type="list", formula1='"Đạt,Không đạt,Không áp dụng"', allow_blank=True)
        first, last = (
            get_column_letter(FIRST_CODE_COLUMN),
            get_column_letter(FIRST_CODE_COLUMN + len(codes) - 1),
        )
        answers_list.add(f"{first}2:{last}{last_row}")
        ws.add_data_validation(answers_list)
    ws.freeze_panes = "C2"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 36
    for col in range(3, FIRST_CODE_COLUMN + len(codes)):
        ws.column_dimensions[get_column_letter(col)].width = 14
    return wb.to_bytes()


# --- upload --------------------------------------------------------------------------------


_BAD = object()  # a count cell that was reported as wrong (not to be reported again as missing)


def _count(report: ImportReport, row: int, col: int, value):
    """The whole number in a cell as people write it ('1.250', '1,250', '1 250'); None when
    empty; ``_BAD`` (after reporting it once) when it is not a whole number."""
    text = cell_text(value)
    try:
        return parse_count(text)
    except ValueError:
        cell = f"{get_column_letter(col)}{row}"
        report.add(
            row,
            col,
            HEADERS[col - 1],
            _("“%(value)s” is not a whole number.") % {"value": text} + unusual(text, cell),
        )
        return _BAD


def _known_codes(year: int) -> tuple[set[str], set[str]]:
    """(answered codes, other codes: groups and computed items) of every criteria set used by
    the year's campaigns."""
    sets = CriteriaSet.objects.filter(campaign__year=year).distinct()
    pinned = CriteriaSet.objects.filter(assessments__campaign__year=year).distinct()
    answered, other = set(), set()
    for criteria_set in {*sets, *pinned}:
        for c in ordered_criteria(criteria_set):
            (answered if c.is_answerable else other).add(c.code)
    return answered, other - answered


def parse_workbook(fileobj, *, year: int, user) -> ImportReport:
    """Check the whole file against the database; write nothing.

    The file is checked against the spreadsheet budgets (``antt.spreadsheets``) before openpyxl
    reads it, and what the rows name (units, campaigns, assessments, answers, registrations)
    is read in a few queries for the whole file, not per row."""
    report = ImportReport()
    try:
        shape = check_xlsx(fileobj)
    except SpreadsheetRefused as e:
        report.add(0, 0, "-", str(e))
        return report
    try:
        wb = open_workbook(fileobj)
    except Exception:  # openpyxl raises many kinds of errors on a damaged or foreign file
        report.add(0, 0, "-", _("The file is not an Excel workbook (.xlsx)."))
        return report
    try:
        if SHEET not in wb.sheetnames:
            report.add(0, 0, "-", _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": SHEET})
            return report
        rows = bounded_rows(wb[SHEET], shape)
        first = next(rows, None)
        if first is None:
            report.add(1, 1, "-", _("The sheet is empty."))
            return report
        header = [cell_text(v) for v in first]
        answered, not_answered = _known_codes(year)
        codes = _check_header(report, header, answered | not_answered)
        if not report.ok:
            return report
        _check_rows(report, rows, header, codes, not_answered, year, user)
    except SpreadsheetRefused as e:
        report.errors.clear()
        report.plans.clear()
        report.add(0, 0, "-", str(e))
    finally:
        wb.close()
    return report


def _check_header(report: ImportReport, header: list[str], known: set[str]) -> dict[int, str]:
    for col, expected in enumerate(HEADERS, start=1):
        got = header[col - 1] if len(header) >= col else ""
        if got.casefold() != expected.casefold():
            report.add(1, col, got or "-", _("The header must be “%(expected)s”.") % {"expected": expected})
    codes: dict[int, str] = {}
    for col, code in enumerate(header[len(HEADERS) :], start=FIRST_CODE_COLUMN):
        if not code:
            continue
        if code not in known:
            report.add(
                1,
                col,
                code,
                _("Unknown criterion code “%(code)s”.") % {"code": code}
                + unusual(code, f"{get_column_letter(col)}1"),
            )
        elif code in codes.values():
            report.add(1, col, code, _("The criterion %(code)s appears twice.") % {"code": code})
        else:
            codes[col] = code
    return codes


class _Lookups:
    """Everything the rows refer to, read once for the whole file (a file of 20,000 rows costs
    a handful of queries, not 20,000 × 6)."""

    def __init__(self, codes: list[str], year: int, user) -> None:
        self.year = year
        scope = visible_units(user, roles=[RoleAssignment.Role.OFFICER])
        self.units: dict[str, Unit] = {}
        for start in range(0, len(codes), 5000):
            self.units.update((u.code, u) for u in scope.filter(code__in=codes[start : start + 5000]))
        ancestor_ids = {int(part) for u in self.units.values() for part in u.path.split("/") if part}
        provinces = set(
            Unit.objects.filter(pk__in=ancestor_ids, kind=Unit.Kind.PROVINCE).values_list("pk", flat=True)
        )
        self.province_of: dict[int, int | None] = {}
        for unit in self.units.values():
            ids = [int(part) for part in unit.path.split("/") if part]
            self.province_of[unit.pk] = next((pk for pk in reversed(ids) if pk in provinces), None)
        self.campaigns: dict[int, Campaign] = {}
        for campaign in Campaign.objects.filter(year=year, province__in=provinces).order_by("-pk"):
            self.campaigns[campaign.province_id] = campaign  # the first, as .first() did
        unit_ids = [u.pk for u in self.units.values()]
        self.assessments: dict[tuple[int, int], Assessment] = {}
        self.registrations: dict[tuple[int, int], Registration] = {}
        self.answers: dict[int, dict[str, Answer]] = {}
        for start in range(0, len(unit_ids), 5000):
            chunk = unit_ids[start : start + 5000]
            for a in Assessment.objects.filter(
                campaign__in=self.campaigns.values(), unit__in=chunk
            ).select_related("criteria_set", "unit", "campaign"):
                self.assessments[(a.campaign_id, a.unit_id)] = a
            for r in Registration.objects.filter(campaign__in=self.campaigns.values(), unit__in=chunk):
                self.registrations[(r.campaign_id, r.unit_id)] = r
        assessment_ids = [a.pk for a in self.assessments.values()]
        for start in range(0, len(assessment_ids), 5000):
            for answer in Answer.objects.filter(
                assessment__in=assessment_ids[start : start + 5000]
            ).select_related("criterion"):
                self.answers.setdefault(answer.assessment_id, {})[answer.criterion.code] = answer
        self._sets: dict[tuple[int, str], CriteriaSet | None] = {}
        self._own: dict[int, dict[str, Criterion]] = {}

    def campaign_for(self, unit: Unit) -> Campaign | None:
        province = self.province_of.get(unit.pk)
        return self.campaigns.get(province) if province is not None else None

    def criteria_set_for(self, campaign: Campaign, kind: str) -> CriteriaSet | None:
        if (campaign.pk, kind) not in self._sets:
            self._sets[(campaign.pk, kind)] = campaign.criteria_set_for(kind)
        return self._sets[(campaign.pk, kind)]

    def answerable(self, criteria_set: CriteriaSet) -> dict[str, Criterion]:
        if criteria_set.pk not in self._own:
            self._own[criteria_set.pk] = {c.code: c for c in answerable_criteria(criteria_set)}
        return self._own[criteria_set.pk]


def _check_rows(report, rows, header, codes, not_answered, year, user) -> None:
    table = []
    for row_number, values in enumerate(rows, start=2):
        values = list(values) + [None] * (len(header) - len(values))
        if all(cell_text(v) == "" for v in values):
            continue
        table.append((row_number, values))
    if len(table) > settings.ASSESSMENT_IMPORT_MAX_UNITS:
        # Writing costs one audited service call per unit (docs/reliability.md "Hostile files").
        report.add(
            0,
            0,
            "-",
            _(
                "The file has %(count)s units; at most %(max)s are imported at once: split it, e.g. by commune."
            )
            % {"count": len(table), "max": settings.ASSESSMENT_IMPORT_MAX_UNITS},
        )
        return
    lookups = _Lookups(list({cell_text(values[0]) for _n, values in table} - {""}), year, user)
    seen: dict[str, int] = {}
    for row_number, values in table:
        code = cell_text(values[0])
        if not code:
            report.add(row_number, 1, HEADERS[0], _("The unit code is missing."))
            continue
        if code in seen:
            report.add(
                row_number,
                1,
                HEADERS[0],
                _("The unit %(code)s is already on row %(row)s.") % {"code": code, "row": seen[code]},
            )
            continue
        seen[code] = row_number
        unit = lookups.units.get(code)
        if unit is None:
            report.add(
                row_number,
                1,
                HEADERS[0],
                _("Unit %(code)s is unknown or outside your area.") % {"code": code}
                + unusual(code, f"A{row_number}"),
            )
            continue
        plan = _check_unit_row(report, row_number, unit, values, codes, not_answered, lookups)
        if plan is not None:
            report.plans.append(plan)


def _check_unit_row(report, row, unit, values, codes, not_answered, lookups: _Lookups) -> RowPlan | None:
    errors_before = len(report.errors)
    if unit.kind not in Unit.ASSESSED_KINDS or not unit.is_eligible:
        reason = unit.ineligible_reason or unit.get_kind_display()
        report.add(
            row, 1, HEADERS[0], _("%(unit)s is not assessed: %(reason)s") % {"unit": unit, "reason": reason}
        )
        return None
    campaign = lookups.campaign_for(unit)
    if campaign is None:
        report.add(
            row,
            1,
            HEADERS[0],
            _("There is no %(year)s campaign for this unit's province.") % {"year": lookups.year},
        )
        return None
    assessment = lookups.assessments.get((campaign.pk, unit.pk))
    criteria_set = assessment.criteria_set if assessment else lookups.criteria_set_for(campaign, unit.kind)
    plan = RowPlan(row, unit, campaign, assessment, assessment.version if assessment else None)
    _check_registration(report, row, plan, values, lookups.registrations.get((campaign.pk, unit.pk)))
    if criteria_set is None:
        if any(cell_text(values[col - 1]) for col in codes):
            report.add(row, 1, HEADERS[0], _("The campaign has no criteria set for this kind of unit."))
        return None
    own = lookups.answerable(criteria_set)
    current = lookups.answers.get(assessment.pk, {}) if assessment else {}
    for col, code in codes.items():
        text = cell_text(values[col - 1])
        if text.casefold() not in LABEL_VALUES:
            report.add(
                row,
                col,
                code,
                _("“%(value)s” is not an answer: write Đạt, Không đạt, Không áp dụng or leave it empty.")
                % {"value": text}
                + unusual(text, f"{get_column_letter(col)}{row}"),
            )
            continue
        value = LABEL_VALUES[text.casefold()]
        criterion = own.get(code)
        if criterion is None or not criterion.is_answerable:
            if value and code in not_answered:
                report.add(
                    row,
                    col,
                    code,
                    _("%(code)s is not answered directly (a group or computed item).") % {"code": code},
                )
            elif value:
                report.add(
                    row, col, code, _("%(code)s does not apply to this kind of unit.") % {"code": code}
                )
            continue
        if value == Answer.Value.NOT_APPLICABLE and not criterion.na_allowed:
            report.add(row, col, code, _("“Không áp dụng” is not allowed for %(code)s.") % {"code": code})
            continue
        answer = current.get(code)
        if (answer.value if answer else "") == value:
            continue
        problem = _locked_reason(assessment, answer)
        if problem:
            report.add(row, col, code, problem)
            continue
        if campaign.status != Campaign.Status.OPEN:
            report.add(row, col, code, _("The campaign %(campaign)s is not open.") % {"campaign": campaign})
            continue
        plan.answers[code] = value
    if len(report.errors) > errors_before:
        return None
    return plan


def _locked_reason(assessment: Assessment | None, answer: Answer | None) -> str:
    if assessment is None:
        return ""
    if not assessment.is_editable:
        return _("The assessment is %(status)s and cannot be edited.") % {
            "status": assessment.get_status_display()
        }
    if answer is not None and not item_is_open(assessment, answer):
        return _("This criterion was not returned for correction and stays locked.")
    if not entry_is_open(assessment):
        return _("Entry closed on %(date)s.") % {"date": entry_deadline(assessment).strftime("%d/%m/%Y")}
    return ""


def _check_registration(
    report: ImportReport, row: int, plan: RowPlan, values, existing: Registration | None
) -> None:
    unit = plan.unit
    registered = cell_text(values[2]).casefold()
    if registered not in ("", YES.casefold(), NO.casefold()):
        report.add(row, 3, HEADERS[2], _("Write “Có” or “Không”."))
        return
    if registered == NO.casefold():
        if existing:
            report.add(
                row,
                3,
                HEADERS[2],
                _(
                    "The unit is already registered; a registration is withdrawn in the application, not in Excel."
                ),
            )
        return
    if registered != YES.casefold():
        return
    total, done = _count(report, row, 4, values[3]), _count(report, row, 5, values[4])
    if total is _BAD or done is _BAD:
        return  # reported once, in its own cell
    if unit.kind == Unit.Kind.RESIDENTIAL_AREA:
        if total is None:
            report.add(row, 4, HEADERS[3], _("Enter the number of households of the residential area."))
        if done is None:
            report.add(row, 5, HEADERS[4], _("Enter how many households registered."))
        if total is not None and done is not None and done > total:
            report.add(row, 5, HEADERS[4], _("More households registered than there are households."))
    else:
        if total is not None:
            report.add(row, 4, HEADERS[3], _("Households are recorded only for residential areas."))
        if done is not None:
            report.add(row, 5, HEADERS[4], _("Households are recorded only for residential areas."))
        total = done = None
    if plan.campaign.status != Campaign.Status.OPEN:
        if existing is None:
            report.add(
                row, 3, HEADERS[2], _("The campaign %(campaign)s is not open.") % {"campaign": plan.campaign}
            )
        return
    if existing is None:
        plan.register = True
        plan.households = (total, done) if unit.kind == Unit.Kind.RESIDENTIAL_AREA else None
    elif unit.kind == Unit.Kind.RESIDENTIAL_AREA and (
        existing.households_total,
        existing.households_registered,
    ) != (
        total,
        done,
    ):
        plan.households = (total, done)


class _Abort(Exception):
    pass


def apply_plans(report: ImportReport, *, user) -> ImportReport:
    """Write every planned change in one transaction; any refusal rolls everything back."""
    try:
        # One transaction, and the audit events of every unit chained in one INSERT at its end
        # (each service would otherwise take the chain's lock and append its own).
        with transaction.atomic(), audit.deferred():
            for plan in report.changed_plans:
                _apply_plan(report, plan, user)
    except _Abort:
        report.applied = False
        return report
    report.applied = True
    return report


def _apply_plan(report: ImportReport, plan: RowPlan, user) -> None:
    try:
        if plan.register or plan.households:
            existing = Registration.objects.filter(campaign=plan.campaign, unit=plan.unit).first()
            total, done = plan.households or (None, None)
            register_unit(
                campaign=plan.campaign,
                unit=plan.unit,
                by=user,
                registered_on=existing.registered_on if existing else timezone.localdate(),
                households_total=total,
                households_registered=done,
                resolution_ref=existing.resolution_ref if existing else "",
                plan_ref=existing.plan_ref if existing else "",
                pledge_ref=existing.pledge_ref if existing else "",
                note=existing.note if existing else _("Recorded from the Excel import."),
            )
        if plan.answers:
            assessment = plan.assessment or entry.start_assessment(
                campaign=plan.campaign, unit=plan.unit, by=user
            )
            version = plan.version if plan.assessment else assessment.version
            entry.save_answers(
                assessment=assessment,
                by=user,
                expected_version=version,
                changes={code: {"value": value} for code, value in plan.answers.items()},
            )
    except ConflictError:
        report.add(
            plan.row,
            1,
            HEADERS[0],
            _("Someone else changed this assessment meanwhile; check the file again."),
        )
        raise _Abort from None
    except WorkflowError as e:
        report.add(plan.row, 1, HEADERS[0], str(e))
        raise _Abort from None


def import_workbook(fileobj, *, year: int, user, dry_run: bool = False) -> ImportReport:
    report = parse_workbook(fileobj, year=year, user=user)
    if report.ok and not dry_run:
        apply_plans(report, user=user)
    return report


REPORT_ERRORS_SHOWN = 500


def summary(report: ImportReport) -> dict:
    """What the job page shows of a report (JSON): the counts and the first cell errors."""
    return {
        "applied": report.applied,
        "units": len(report.changed_plans),
        "answers": report.answer_count,
        "registrations": report.registration_count,
        "error_count": len(report.errors),
        "errors": [
            {"row": e.row, "column": e.column_letter, "header": e.header, "message": e.message}
            for e in report.errors[:REPORT_ERRORS_SHOWN]
        ],
    }


def run_import_job(job_id: int) -> None:
    """Apply a confirmed import (``ImportJob``) all or nothing, with the audit events of the
    services; the job's row turns DONE with the report in the same transaction, so a second run
    (a redelivered task) finds it done and writes nothing. An exception rolls everything back and
    propagates (``tasks.guard.run_guarded`` records it on the job)."""
    path = ""
    try:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            job = ImportJob.objects.select_for_update().select_related("user").get(pk=job_id)
            if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
                return
            path = job.path
            with default_storage.open(path, "rb") as fh:
                report = import_workbook(fh, year=job.year, user=job.user)
            job.report = summary(report)
            job.total = len(report.changed_plans)
            job.done = job.total if report.applied else 0
            job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
            job.save()
    finally:
        if path:
            default_storage.delete(path)


def export_filename(campaign: Campaign, today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    return f"danh-gia-{campaign.year}-{today:%Y%m%d}.xlsx"
