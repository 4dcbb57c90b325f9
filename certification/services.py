"""Registration, assessment entry and the review-and-recognition workflow (REGULATION §6).

Every function here is keyword-only and atomic, checks role, scope, state and deadline
first, and raises ``WorkflowError`` (translated) before writing anything. Every change of an
answer, a status or a document is written to the audit chain (``audit.log_change``).

States::

    draft ──submit──▶ submitted ──appraise──▶ appraised ──recognize──▶ recognized ──revoke──▶ revoked
      ▲                  │    ▲                  │      └─not_recognize─▶ not recognized
      └── returned ◀─return┘    └──── resubmit ───┘ (return is possible from both)

Optimistic concurrency: every change bumps ``Assessment.version`` and writes one "version"
audit event first; a writer holding an older version gets ``ConflictError`` listing the
events written since.
"""

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.text import nfc
from units.access import can_see, has_role
from units.models import RoleAssignment, Unit

from .audit import log_change
from .evidence import read_head, safe_filename, sniff_content_type
from .exceptions import WorkflowError
from .models import Answer, Assessment, AuditEvent, Campaign, Criterion, Decision, Evidence, Registration

Role = RoleAssignment.Role
Status = Assessment.Status
Value = Answer.Value

ASSESSABLE_KINDS = (
    Unit.Kind.RESIDENTIAL_AREA,
    Unit.Kind.COMMUNE,
    Unit.Kind.AGENCY,
    Unit.Kind.ENTERPRISE,
    Unit.Kind.SCHOOL,
)
# Key of ``return_assessment(items=...)`` that reopens the dossier (minutes, letter, report).
DOSSIER = "_dossier"
FIGURE_FIELDS = ("crime_count", "social_evil_count", "violation_count")
DOSSIER_FIELDS = (
    "meeting_date",
    "meeting_chair",
    "meeting_attendees",
    "submission_number",
    "submission_date",
    "report_summary",
    "note",
)
ANSWER_FIELDS = ("value", "number", "note", "self_points")
VERSION_ACTION = "version"


class ConflictError(WorkflowError):
    """Somebody saved the assessment after the caller loaded it; nothing was written."""

    def __init__(self, message: str, *, current_version: int, changes: list["Change"]):
        super().__init__(message)
        self.current_version = current_version
        self.changes = changes


@dataclass(frozen=True)
class Change:
    at: datetime.datetime
    actor: str
    subject: str
    field: str
    old: str
    new: str


class SystemActor:
    """The command line acting without ``--user``: whole country, recorded as 'system'."""

    pk = None
    id = None
    is_authenticated = True
    is_superuser = True
    is_active = True
    username = "system"

    def get_full_name(self) -> str:
        return ""

    def __str__(self) -> str:
        return "system"


# --- helpers -------------------------------------------------------------------------------


def _db_user(by):
    """What a user foreign key may hold (the system actor is stored as nobody)."""
    return by if getattr(by, "pk", None) else None


def _today() -> datetime.date:
    return timezone.localdate()


def _require(by, unit: Unit, *roles: str) -> None:
    """Scope first (outside → 'outside your area'), then role."""
    if not can_see(by, unit):
        raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": unit})
    if not has_role(by, unit, *roles):
        labels = ", ".join(str(Role(r).label) for r in roles)
        raise WorkflowError(_("This needs the role: %(roles)s.") % {"roles": labels})


def _lock(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("unit", "campaign", "criteria_set")
        .get(pk=assessment.pk)
    )


def _bump(assessment: Assessment, by) -> None:
    """Bump the version and log it before the changes it covers (see ConflictError)."""
    old = assessment.version
    assessment.version = old + 1
    Assessment.objects.filter(pk=assessment.pk).update(version=assessment.version, updated_at=timezone.now())
    log_change(
        assessment, by=by, action=VERSION_ACTION, field="version", old=old, new=old + 1, assessment=assessment
    )


def _set_status(assessment: Assessment, by, new: str, **fields) -> None:
    old = assessment.status
    assessment.status = new
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.save(update_fields=["status", "updated_at", *fields])
    log_change(assessment, by=by, action="status", field="status", old=old, new=new, assessment=assessment)


def _rescore(assessment_or_unit_id, campaign_id: int | None = None) -> None:
    """Ask the scoring engine to recompute once the transaction has committed
    (``schedule_rescore`` defers to on_commit itself and queues each unit once)."""
    if isinstance(assessment_or_unit_id, Assessment):
        unit_id, campaign_id = assessment_or_unit_id.unit_id, assessment_or_unit_id.campaign_id
    else:
        unit_id = assessment_or_unit_id
    from .results import schedule_rescore

    schedule_rescore(unit_id=unit_id, campaign_id=campaign_id)


def leaf_criteria(criteria_set) -> list[Criterion]:
    from .criteria import leaf_criteria as _leaves

    return list(_leaves(criteria_set))


def entered_criteria(criteria_set) -> list[Criterion]:
    """Leaves a person answers (derived ones such as XA-4 are computed by the scoring engine)."""
    return [c for c in leaf_criteria(criteria_set) if c.answer_type != Criterion.AnswerType.DERIVED]


def entry_deadline(assessment: Assessment) -> datetime.date:
    return assessment.campaign.entry_deadline_for(assessment.unit.kind)


def entry_is_open(assessment: Assessment, today: datetime.date | None = None) -> bool:
    today = today or _today()
    if today <= entry_deadline(assessment):
        return True
    return bool(assessment.entry_exception_until and assessment.entry_exception_until >= today)


def _require_entry_open(assessment: Assessment) -> None:
    if not entry_is_open(assessment):
        raise WorkflowError(
            _("Entry closed on %(date)s. Ask an approver to open an exception for this unit.")
            % {"date": entry_deadline(assessment).strftime("%d/%m/%Y")}
        )


def _require_open_campaign(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.OPEN:
        raise WorkflowError(_("The campaign %(campaign)s is not open.") % {"campaign": campaign})


def _to_int(value, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise WorkflowError(_("%(field)s must be a whole number.") % {"field": label}) from None
    if number < 0:
        raise WorkflowError(_("%(field)s cannot be negative.") % {"field": label})
    return number


def _to_decimal(value, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise WorkflowError(_("%(field)s must be a number.") % {"field": label}) from None
    if not number.is_finite() or number < 0:
        raise WorkflowError(_("%(field)s cannot be negative.") % {"field": label})
    return number.quantize(Decimal("0.01"))


def _to_date(value, label: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    raise WorkflowError(_("%(field)s is not a valid date (dd/mm/yyyy).") % {"field": label})


def _check_value(criterion: Criterion, value) -> str:
    value = "" if value is None else str(value)
    if value not in Value.values:
        raise WorkflowError(
            _("%(code)s: unknown answer “%(value)s”.") % {"code": criterion.code, "value": value}
        )
    if value == Value.NOT_APPLICABLE and not criterion.na_allowed:
        raise WorkflowError(_("%(code)s: “Not applicable” is not allowed here.") % {"code": criterion.code})
    return value


def _max_points(criterion: Criterion) -> Decimal | None:
    item = criterion.score_items.first()
    return item.max_points if item else None


def _check_points(criterion: Criterion, points: Decimal | None) -> Decimal | None:
    if points is None:
        return None
    limit = _max_points(criterion)
    if limit is None:
        raise WorkflowError(
            _("%(code)s: there is no score sheet for this criterion.") % {"code": criterion.code}
        )
    if points > limit:
        raise WorkflowError(
            _("%(code)s: at most %(max)s points.") % {"code": criterion.code, "max": f"{limit:g}"}
        )
    return points


def changes_since(assessment: Assessment, version: int) -> list[Change]:
    """What other writers changed after ``version`` (answers, figures, dossier, status)."""
    mark = (
        AuditEvent.objects.filter(assessment=assessment, action=VERSION_ACTION, old=str(version))
        .order_by("id")
        .first()
    )
    if mark is None:
        return []
    events = (
        AuditEvent.objects.filter(assessment=assessment, id__gt=mark.id)
        .exclude(action=VERSION_ACTION)
        .select_related("actor")
        .order_by("id")
    )
    return [
        Change(
            at=e.at,
            actor=(e.actor.get_full_name() or e.actor.username) if e.actor else _("system"),
            subject=e.object_repr.split(":")[0] if e.object_type == "certification.answer" else "",
            field=e.field,
            old=e.old,
            new=e.new,
        )
        for e in events
    ]


def _check_version(assessment: Assessment, expected_version: int | None) -> None:
    if expected_version is None or int(expected_version) == assessment.version:
        return
    changes = changes_since(assessment, int(expected_version))
    who = sorted({c.actor for c in changes})
    what = sorted({c.subject or c.field for c in changes})
    message = _(
        "Someone else saved this assessment after you opened it (%(who)s changed: %(what)s). "
        "Nothing of yours was saved: reload the page, check their changes and enter yours again."
    ) % {"who": ", ".join(who) or _("another user"), "what": ", ".join(what) or _("the status")}
    raise ConflictError(message, current_version=assessment.version, changes=changes)


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The same unit's assessment in the previous year (for KDC-4a: this year vs last year)."""
    return (
        Assessment.objects.filter(unit_id=assessment.unit_id, campaign__year=assessment.campaign.year - 1)
        .order_by("-campaign__year")
        .first()
    )


def recognizing_authority(unit: Unit, year: int) -> Unit:
    from units.authority import recognizing_authority as authority

    return authority(unit, year)


def is_approver_of(user, authority: Unit) -> bool:
    """An approver *of* the recognizing body itself (a role higher up does not count)."""
    if getattr(user, "is_superuser", False):
        return True
    return RoleAssignment.objects.filter(user=user, unit=authority, role=Role.APPROVER).exists()


# --- registration (Q1) ---------------------------------------------------------------------


@transaction.atomic
def register_unit(
    *,
    campaign: Campaign,
    unit: Unit,
    by,
    registered_on: datetime.date,
    households_total: int | None = None,
    households_registered: int | None = None,
    resolution_ref: str = "",
    plan_ref: str = "",
    pledge_ref: str = "",
    note: str = "",
) -> Registration:
    """Record (or correct) that ``unit`` registered for ``campaign`` (hồ sơ đăng ký, Art. 9(2)(a))."""
    _require(by, unit, Role.OFFICER)
    _require_open_campaign(campaign)
    if not unit.is_within(campaign.province):
        raise WorkflowError(_("%(unit)s is not in the campaign's province.") % {"unit": unit})
    if unit.kind not in ASSESSABLE_KINDS:
        raise WorkflowError(_("%(unit)s is not a kind of unit that is assessed.") % {"unit": unit})
    if not unit.is_eligible:
        raise WorkflowError(
            _("%(unit)s is not covered: %(reason)s") % {"unit": unit, "reason": unit.ineligible_reason}
        )
    registered_on = _to_date(registered_on, _("Registration date"))
    if registered_on is None:
        raise WorkflowError(_("Enter the registration date."))
    if registered_on > _today():
        raise WorkflowError(_("The registration date cannot be in the future."))
    total = _to_int(households_total, _("Households"))
    registered = _to_int(households_registered, _("Households registered"))
    if unit.kind == Unit.Kind.RESIDENTIAL_AREA:
        if total is None or registered is None:
            raise WorkflowError(_("For a residential area enter the households and how many registered."))
        if registered > total:
            raise WorkflowError(_("More households registered than there are households."))
    elif total is not None or registered is not None:
        raise WorkflowError(_("Households are recorded only for residential areas."))

    values = {
        "registered_on": registered_on,
        "households_total": total,
        "households_registered": registered,
        "resolution_ref": nfc(resolution_ref),
        "plan_ref": nfc(plan_ref),
        "pledge_ref": nfc(pledge_ref),
        "note": nfc(note),
    }
    assessment = Assessment.objects.filter(campaign=campaign, unit=unit).first()
    registration = Registration.objects.select_for_update().filter(campaign=campaign, unit=unit).first()
    if registration is None:
        registration = Registration.objects.create(
            campaign=campaign, unit=unit, created_by=_db_user(by), **values
        )
        log_change(
            registration,
            by=by,
            action="registration",
            field="registered_on",
            new=registered_on.isoformat(),
            assessment=assessment,
        )
    else:
        changed = [name for name, value in values.items() if getattr(registration, name) != value]
        for name in changed:
            old = getattr(registration, name)
            setattr(registration, name, values[name])
            log_change(
                registration,
                by=by,
                action="registration",
                field=name,
                old=old.isoformat() if isinstance(old, datetime.date) else old,
                new=values[name].isoformat() if isinstance(values[name], datetime.date) else values[name],
                assessment=assessment,
            )
        if changed:
            registration.save(update_fields=changed)
    _rescore(unit.pk, campaign.pk)
    return registration


# --- assessment entry ----------------------------------------------------------------------


@transaction.atomic
def start_assessment(*, campaign: Campaign, unit: Unit, by) -> Assessment:
    """Open the unit's assessment for the campaign, pinned to the campaign's criteria set for
    its kind, with one empty answer per leaf criterion. Starting twice returns the same one."""
    _require(by, unit, Role.OFFICER)
    existing = Assessment.objects.filter(campaign=campaign, unit=unit).first()
    if existing is not None:
        return existing
    _require_open_campaign(campaign)
    if not unit.is_within(campaign.province):
        raise WorkflowError(_("%(unit)s is not in the campaign's province.") % {"unit": unit})
    if not unit.is_eligible:
        raise WorkflowError(
            _("%(unit)s is not covered: %(reason)s") % {"unit": unit, "reason": unit.ineligible_reason}
        )
    criteria_set = campaign.criteria_set_for(unit.kind)
    if criteria_set is None:
        raise WorkflowError(
            _("The campaign has no criteria set for %(kind)s.") % {"kind": unit.get_kind_display()}
        )
    leaves = leaf_criteria(criteria_set)
    if not leaves:
        raise WorkflowError(_("The criteria set %(set)s has no criteria.") % {"set": criteria_set})
    assessment = Assessment.objects.create(campaign=campaign, unit=unit, criteria_set=criteria_set)
    Answer.objects.bulk_create([Answer(assessment=assessment, criterion=c) for c in leaves])
    log_change(
        assessment,
        by=by,
        action="created",
        field="criteria_set",
        new=str(criteria_set),
        assessment=assessment,
    )
    _rescore(assessment)
    return assessment


def _plan_answer_changes(assessment: Assessment, changes: dict, answers: dict[str, Answer]) -> list:
    plan = []
    for code, data in changes.items():
        code = nfc(code)
        answer = answers.get(code)
        if answer is None:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        criterion = answer.criterion
        if criterion.answer_type == Criterion.AnswerType.DERIVED:
            raise WorkflowError(_("%(code)s is computed from the units' results.") % {"code": code})
        if assessment.status == Status.RETURNED and not answer.is_returned:
            raise WorkflowError(
                _("%(code)s was not returned for correction and stays locked.") % {"code": code}
            )
        new = {}
        if "value" in data:
            new["value"] = _check_value(criterion, data["value"])
        if "number" in data:
            new["number"] = _to_int(data["number"], code)
        if "note" in data:
            new["note"] = nfc(data["note"])
        if "self_points" in data:
            new["self_points"] = _check_points(criterion, _to_decimal(data["self_points"], code))
        unknown = set(data) - set(ANSWER_FIELDS)
        if unknown:
            raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
        for name, value in new.items():
            if getattr(answer, name) != value:
                plan.append((answer, name, getattr(answer, name), value))
    return plan


def _clean_attendees(value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise WorkflowError(_("Attendees must be a list of names and roles."))
    rows = []
    for item in value:
        if isinstance(item, str):
            item = {"name": item, "role": ""}
        name, role = nfc(item.get("name")), nfc(item.get("role"))
        if not name and not role:
            continue
        if not name:
            raise WorkflowError(_("Each attendee needs a name."))
        rows.append({"name": name, "role": role})
    return rows


def _plan_fields(assessment: Assessment, figures: dict | None, dossier: dict | None) -> list:
    plan = []
    if figures:
        if (
            assessment.status == Status.RETURNED
            and not assessment.answers.filter(
                is_returned=True, criterion__answer_type=Criterion.AnswerType.COMPARISON
            ).exists()
        ):
            raise WorkflowError(_("The figures were not returned for correction and stay locked."))
        for name, value in figures.items():
            if name not in FIGURE_FIELDS:
                raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": name})
            label = str(Assessment._meta.get_field(name).verbose_name)
            plan.append((name, _to_int(value, label)))
    if dossier:
        if assessment.status == Status.RETURNED and not assessment.dossier_returned:
            raise WorkflowError(_("The dossier was not returned for correction and stays locked."))
        for name, value in dossier.items():
            if name not in DOSSIER_FIELDS:
                raise WorkflowError(_("Unknown fields: %(fields)s.") % {"fields": name})
            label = str(Assessment._meta.get_field(name).verbose_name)
            if name in ("meeting_date", "submission_date"):
                value = _to_date(value, label)
            elif name == "meeting_attendees":
                value = _clean_attendees(value)
            else:
                value = nfc(value)
            plan.append((name, value))
    return [
        (name, getattr(assessment, name), value) for name, value in plan if getattr(assessment, name) != value
    ]


def _audit_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@transaction.atomic
def save_answers(
    *,
    assessment: Assessment,
    by,
    expected_version: int,
    changes: dict[str, dict] | None = None,
    figures: dict | None = None,
    dossier: dict | None = None,
) -> Assessment:
    """Save answers (``{code: {value, number, note, self_points}}``, only the keys given),
    this year's figures and dossier fields. Refused unless the caller holds the current
    version (ConflictError), the assessment is editable and entry is open."""
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    _check_version(assessment, expected_version)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    answer_plan = _plan_answer_changes(assessment, changes or {}, answers)
    field_plan = _plan_fields(assessment, figures, dossier)
    if not answer_plan and not field_plan:
        return assessment
    _bump(assessment, by)
    touched = {}
    for answer, name, old, new in answer_plan:
        setattr(answer, name, new)
        touched[answer.pk] = answer
        log_change(answer, by=by, action="answer", field=name, old=old, new=new, assessment=assessment)
    for answer in touched.values():
        answer.updated_by = _db_user(by)
        answer.save()
    for name, old, new in field_plan:
        setattr(assessment, name, new)
        log_change(
            assessment,
            by=by,
            action="figures" if name in FIGURE_FIELDS else "dossier",
            field=name,
            old=_audit_value(old),
            new=_audit_value(new),
            assessment=assessment,
        )
    if field_plan:
        assessment.save(update_fields=[name for name, _old, _new in field_plan] + ["updated_at"])
    _rescore(assessment)
    return assessment


@transaction.atomic
def add_evidence(*, assessment: Assessment, by, file, criterion_code: str = "") -> Evidence:
    """Attach a PDF/JPEG/PNG (checked by content and size) to the assessment or one criterion."""
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    criterion = None
    if criterion_code:
        answer = assessment.answers.select_related("criterion").filter(criterion__code=criterion_code).first()
        if answer is None:
            raise WorkflowError(
                _("%(code)s is not a criterion of this assessment.") % {"code": criterion_code}
            )
        if assessment.status == Status.RETURNED and not answer.is_returned:
            raise WorkflowError(
                _("%(code)s was not returned for correction and stays locked.") % {"code": criterion_code}
            )
        criterion = answer.criterion
    elif assessment.status == Status.RETURNED and not assessment.dossier_returned:
        raise WorkflowError(_("The dossier was not returned for correction and stays locked."))
    size = file.size
    limit = settings.EVIDENCE_MAX_BYTES
    if not size:
        raise WorkflowError(_("The file is empty."))
    if size > limit:
        raise WorkflowError(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": f"{size / 1048576:.1f}", "max": f"{limit / 1048576:g}"}
        )
    content_type = sniff_content_type(read_head(file))
    if content_type is None:
        raise WorkflowError(_("Only PDF, JPEG and PNG files are accepted."))
    evidence = Evidence(
        assessment=assessment,
        criterion=criterion,
        token=secrets.token_hex(20),
        original_name=safe_filename(getattr(file, "name", "") or "", content_type),
        content_type=content_type,
        size=size,
        uploaded_by=_db_user(by),
    )
    # Files are not transactional: a failure below removes the stored file again.
    evidence.file.save(evidence.token, file, save=False)
    try:
        evidence.save()
        log_change(
            evidence,
            by=by,
            action="evidence",
            field=criterion.code if criterion else "",
            new=evidence.original_name,
            assessment=assessment,
        )
    except Exception:
        evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def delete_evidence(*, evidence: Evidence, by) -> None:
    assessment = evidence.assessment
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    if not assessment.is_editable:
        raise WorkflowError(
            _("The assessment is %(status)s and cannot be edited.")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    if assessment.status == Status.RETURNED:
        returned = (
            evidence.criterion_id
            and assessment.answers.filter(criterion_id=evidence.criterion_id, is_returned=True).exists()
        )
        if not (returned or (not evidence.criterion_id and assessment.dossier_returned)):
            raise WorkflowError(_("This file belongs to an item that was not returned and stays locked."))
    log_change(evidence, by=by, action="evidence-removed", old=evidence.original_name, assessment=assessment)
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def open_entry_exception(*, assessment: Assessment, by, until: datetime.date) -> Assessment:
    """An approver reopens entry for one unit after the campaign's deadline, until ``until``."""
    _require(by, assessment.unit, Role.APPROVER)
    assessment = _lock(assessment)
    until = _to_date(until, _("Open until"))
    if until is None or until < _today():
        raise WorkflowError(_("The exception must last until today or later."))
    if assessment.status in Assessment.DECIDED_STATUSES:
        raise WorkflowError(_("A decision was already taken for this assessment."))
    old = assessment.entry_exception_until
    _bump(assessment, by)
    assessment.entry_exception_until = until
    assessment.save(update_fields=["entry_exception_until", "updated_at"])
    log_change(
        assessment,
        by=by,
        action="exception",
        field="entry_exception_until",
        old=old.isoformat() if old else "",
        new=until.isoformat(),
        assessment=assessment,
    )
    return assessment


# --- workflow transitions ------------------------------------------------------------------


def missing_for_submission(assessment: Assessment) -> list[str]:
    """What still blocks submission, as readable sentences (empty when it can be submitted)."""
    problems = []
    entered = {c.pk for c in entered_criteria(assessment.criteria_set)}
    unanswered = [
        a.criterion.code
        for a in assessment.answers.select_related("criterion").order_by("criterion__order")
        if a.criterion_id in entered and not a.value
    ]
    if unanswered:
        problems.append(_("Criteria not answered: %(codes)s.") % {"codes": ", ".join(unanswered)})
    needs_figures = assessment.answers.filter(criterion__answer_type=Criterion.AnswerType.COMPARISON).exists()
    if needs_figures and any(getattr(assessment, f) is None for f in FIGURE_FIELDS):
        problems.append(_("Enter this year's crime, social-evil and violation figures."))
    if not (assessment.meeting_date and assessment.meeting_chair and assessment.meeting_attendees):
        problems.append(_("Enter the meeting minutes: date, chair and attendees."))
    return problems


@transaction.atomic
def submit_assessment(*, assessment: Assessment, by, expected_version: int | None = None) -> Assessment:
    """Officer → appraisal. All leaf answers given, minutes present; locks the assessment."""
    _require(by, assessment.unit, Role.OFFICER)
    assessment = _lock(assessment)
    _check_version(assessment, expected_version)
    if not assessment.is_editable:
        raise WorkflowError(
            _("Only a draft or returned assessment can be submitted (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    _require_entry_open(assessment)
    problems = missing_for_submission(assessment)
    if problems:
        raise WorkflowError(" ".join(problems))
    _bump(assessment, by)
    for answer in assessment.answers.filter(is_returned=True).select_related("criterion"):
        log_change(
            answer, by=by, action="answer", field="is_returned", old=True, new=False, assessment=assessment
        )
    assessment.answers.filter(is_returned=True).update(is_returned=False)
    _set_status(assessment, by, Status.SUBMITTED, submitted_at=timezone.now(), dossier_returned=False)
    _rescore(assessment)
    return assessment


@transaction.atomic
def return_assessment(*, assessment: Assessment, by, items: dict[str, str]) -> Assessment:
    """Appraiser sends the assessment back; only ``items`` (criterion code → reason, or
    ``DOSSIER`` → reason) reopen for the officer."""
    _require(by, assessment.unit, Role.APPRAISER)
    assessment = _lock(assessment)
    if assessment.status not in (Status.SUBMITTED, Status.APPRAISED):
        raise WorkflowError(
            _("Only a submitted or appraised assessment can be returned (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    items = {nfc(code): nfc(reason) for code, reason in (items or {}).items()}
    if not items:
        raise WorkflowError(_("Choose at least one item to return, with a reason."))
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    for code, reason in items.items():
        if code != DOSSIER and code not in answers:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        if code in answers and answers[code].criterion.answer_type == Criterion.AnswerType.DERIVED:
            raise WorkflowError(_("%(code)s is computed from the units' results.") % {"code": code})
        if not reason:
            raise WorkflowError(_("Give the reason for returning %(code)s.") % {"code": _label(code)})
    _bump(assessment, by)
    assessment.answers.update(is_returned=False, return_reason="")
    for code, reason in items.items():
        if code == DOSSIER:
            continue
        answer = answers[code]
        answer.is_returned, answer.return_reason = True, reason
        answer.save(update_fields=["is_returned", "return_reason", "updated_at"])
        log_change(answer, by=by, action="returned", field="return_reason", new=reason, assessment=assessment)
    dossier_reason = items.get(DOSSIER, "")
    if dossier_reason:
        log_change(
            assessment, by=by, action="returned", field="dossier", new=dossier_reason, assessment=assessment
        )
    summary = "\n".join(f"{_label(code)}: {reason}" for code, reason in items.items())
    _set_status(
        assessment,
        by,
        Status.RETURNED,
        return_reason=summary,
        dossier_returned=bool(dossier_reason),
        dossier_return_reason=dossier_reason,
        appraised_at=None,
    )
    _rescore(assessment)
    return assessment


def _label(code: str) -> str:
    return _("Dossier") if code == DOSSIER else code


@transaction.atomic
def appraise_assessment(
    *, assessment: Assessment, by, values: dict[str, dict] | None = None, note: str = ""
) -> Assessment:
    """Appraiser confirms the dossier; ``values`` (code → {appraised_value, appraised_points})
    records where the appraisal differs from the self-assessment (kept apart)."""
    _require(by, assessment.unit, Role.APPRAISER)
    assessment = _lock(assessment)
    if assessment.status != Status.SUBMITTED:
        raise WorkflowError(
            _("Only a submitted assessment can be appraised (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    plan = []
    for code, data in (values or {}).items():
        answer = answers.get(nfc(code))
        if answer is None:
            raise WorkflowError(_("%(code)s is not a criterion of this assessment.") % {"code": code})
        if "appraised_value" in data:
            new = _check_value(answer.criterion, data["appraised_value"])
            if new != answer.appraised_value:
                plan.append((answer, "appraised_value", answer.appraised_value, new))
        if "appraised_points" in data:
            points = _check_points(answer.criterion, _to_decimal(data["appraised_points"], code))
            if points != answer.appraised_points:
                plan.append((answer, "appraised_points", answer.appraised_points, points))
    _bump(assessment, by)
    for answer, name, old, new in plan:
        setattr(answer, name, new)
        answer.save(update_fields=[name, "updated_at"])
        log_change(answer, by=by, action="appraisal", field=name, old=old, new=new, assessment=assessment)
    fields = {"appraised_at": timezone.now()}
    if nfc(note) != assessment.appraisal_note:
        log_change(
            assessment,
            by=by,
            action="appraisal",
            field="appraisal_note",
            old=assessment.appraisal_note,
            new=nfc(note),
            assessment=assessment,
        )
        fields["appraisal_note"] = nfc(note)
    _set_status(assessment, by, Status.APPRAISED, **fields)
    _rescore(assessment)
    return assessment


def unmet_codes(assessment: Assessment) -> list[str]:
    """Entered criteria whose effective answer (appraised over self) is not met or empty."""
    entered = {c.pk for c in entered_criteria(assessment.criteria_set)}
    return [
        a.criterion.code
        for a in assessment.answers.select_related("criterion").order_by("criterion__order")
        if a.criterion_id in entered and a.effective_value not in (Value.MET, Value.NOT_APPLICABLE)
    ]


def _lock_for_decision(assessments, by, issuer: Unit) -> list[Assessment]:
    ids = sorted({a.pk for a in assessments})
    if not ids:
        raise WorkflowError(_("Choose at least one assessment."))
    locked = list(
        Assessment.objects.select_for_update(of=("self",))
        .select_related("unit", "campaign")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len({a.campaign_id for a in locked}) > 1:
        raise WorkflowError(_("One decision covers one campaign: choose assessments of the same year."))
    if not is_approver_of(by, issuer):
        raise WorkflowError(_("Only an approver of %(issuer)s can sign its decisions.") % {"issuer": issuer})
    for a in locked:
        if not can_see(by, a.unit):
            raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": a.unit})
        authority = recognizing_authority(a.unit, a.campaign.year)
        if authority is None or authority.pk != issuer.pk:
            raise WorkflowError(
                _("%(unit)s is recognized by %(authority)s, not by %(issuer)s.")
                % {"unit": a.unit, "authority": authority or "?", "issuer": issuer}
            )
        if a.status != Status.APPRAISED:
            raise WorkflowError(
                _("%(unit)s is %(status)s; only appraised assessments can be decided.")
                % {"unit": a.unit, "status": a.get_status_display()}
            )
    return locked


def _new_decision(*, campaign: Campaign, kind: str, by, issuer: Unit, **fields) -> Decision:
    for required in ("issued_on", "signer_title", "signer_name"):
        if not fields.get(required):
            raise WorkflowError(_("Enter the decision's date, the signer's title and name."))
    clean = {k: nfc(v) if isinstance(v, str) else v for k, v in fields.items() if v is not None}
    clean["issued_on"] = _to_date(clean["issued_on"], _("Issued on"))
    decision = Decision.objects.create(
        campaign=campaign, issuer=issuer, kind=kind, year=campaign.year, created_by=_db_user(by), **clean
    )
    log_change(decision, by=by, action="decision", field="kind", new=kind)
    return decision


@transaction.atomic
def recognize(
    *,
    assessments,
    by,
    issuer: Unit,
    issued_on: datetime.date,
    signer_title: str,
    signer_name: str,
    place: str = "",
    signed_for: str = "",
    legal_bases: str = "",
    recipients: str = "",
    symbol: str | None = None,
) -> Decision:
    """One recognition decision for many appraised assessments (e.g. a commune's residential
    areas); issues it (numbered) and creates the certificates. Running it twice (double
    click) finds the assessments already recognized and refuses."""
    locked = _lock_for_decision(assessments, by, issuer)
    failing = {a.unit: unmet_codes(a) for a in locked}
    failing = {unit: codes for unit, codes in failing.items() if codes}
    if failing:
        unit, codes = next(iter(failing.items()))
        raise WorkflowError(
            _("%(unit)s does not meet %(codes)s; record a non-recognition instead.")
            % {"unit": unit, "codes": ", ".join(codes)}
        )
    extra = {"symbol": symbol} if symbol else {}
    decision = _new_decision(
        campaign=locked[0].campaign,
        kind=Decision.Kind.RECOGNITION,
        by=by,
        issuer=issuer,
        issued_on=issued_on,
        signer_title=signer_title,
        signer_name=signer_name,
        place=place,
        signed_for=signed_for,
        legal_bases=legal_bases,
        recipients=recipients,
        **extra,
    )
    now = timezone.now()
    for a in locked:
        _bump(a, by)
        log_change(a, by=by, action="decision", field="decision", new=decision.pk, assessment=a)
        _set_status(a, by, Status.RECOGNIZED, decision=decision, decided_at=now)
    from .decisions import create_certificates, issue_decision

    decision = issue_decision(decision=decision, by=by)
    create_certificates(decision=decision, by=by)
    for a in locked:
        _rescore(a)
    return decision


@transaction.atomic
def not_recognize(
    *,
    assessments,
    by,
    issuer: Unit,
    reason: str,
    issued_on: datetime.date,
    signer_title: str,
    signer_name: str,
    place: str = "",
    signed_for: str = "",
    legal_bases: str = "",
    recipients: str = "",
) -> Decision:
    """Record that appraised assessments are not recognized, through a non-recognition decision."""
    if not nfc(reason):
        raise WorkflowError(_("Give the reason for not recognizing."))
    locked = _lock_for_decision(assessments, by, issuer)
    decision = _new_decision(
        campaign=locked[0].campaign,
        kind=Decision.Kind.NON_RECOGNITION,
        by=by,
        issuer=issuer,
        reason=reason,
        issued_on=issued_on,
        signer_title=signer_title,
        signer_name=signer_name,
        place=place,
        signed_for=signed_for,
        legal_bases=legal_bases,
        recipients=recipients,
    )
    now = timezone.now()
    for a in locked:
        _bump(a, by)
        log_change(a, by=by, action="decision", field="decision", new=decision.pk, assessment=a)
        _set_status(a, by, Status.NOT_RECOGNIZED, decision=decision, decided_at=now)
    from .decisions import issue_decision

    decision = issue_decision(decision=decision, by=by)
    for a in locked:
        _rescore(a)
    return decision


@transaction.atomic
def revoke_assessment(
    *, assessment: Assessment, by, reason: str, reference: str, revoking_decision: Decision | None = None
) -> Assessment:
    """Withdraw a recognition (no national rule; REGULATION §6.6): reason and reference required."""
    assessment = _lock(assessment)
    if not can_see(by, assessment.unit):
        raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": assessment.unit})
    authority = recognizing_authority(assessment.unit, assessment.campaign.year)
    if authority is None or not is_approver_of(by, authority):
        raise WorkflowError(
            _("Only an approver of %(issuer)s can revoke this recognition.") % {"issuer": authority or "?"}
        )
    if assessment.status != Status.RECOGNIZED:
        raise WorkflowError(
            _("Only a recognized assessment can be revoked (it is %(status)s).")
            % {"status": assessment.get_status_display()}
        )
    reason, reference = nfc(reason), nfc(reference)
    if not reason or not reference:
        raise WorkflowError(_("Give the reason and the reference of the revocation."))
    _bump(assessment, by)
    log_change(
        assessment, by=by, action="revocation", field="revoke_reference", new=reference, assessment=assessment
    )
    _set_status(
        assessment,
        by,
        Status.REVOKED,
        revoke_reason=reason,
        revoke_reference=reference,
        revoked_at=timezone.now(),
    )
    from .decisions import revoke_certificates

    revoke_certificates(assessment=assessment, by=by, reason=reason, revoking_decision=revoking_decision)
    _rescore(assessment)
    return assessment
