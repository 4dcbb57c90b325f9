"""Reading assessments: who may take which step of the workflow (the predicates the services
enforce and the pages ask to show their buttons), what still blocks submission, the criteria not met, the timeline, what
other writers changed since a version, and last year's assessment."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from certification.audit import Action, events_for
from certification.models import Answer, Assessment, AuditEvent, Criterion, Registration
from certification.selectors.criteria import answerable_criteria
from units.access import has_role
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status
Value = Answer.Value

# The state each transition starts from (the services refuse any other).
SUBMITTABLE = Assessment.EDITABLE_STATUSES
APPRAISABLE = (Status.SUBMITTED,)
RETURNABLE = (Status.SUBMITTED, Status.APPRAISED)
DECIDABLE = (Status.APPRAISED,)
REVOCABLE = (Status.RECOGNIZED,)


def is_approver_of(user, authority: Unit) -> bool:
    """An approver *of* the recognizing body itself (a role higher up does not count)."""
    if getattr(user, "is_superuser", False):
        return True
    return RoleAssignment.objects.filter(user=user, unit=authority, role=Role.APPROVER).exists()


def can_submit(user, assessment: Assessment) -> bool:
    return assessment.status in SUBMITTABLE and has_role(user, assessment.unit, Role.OFFICER)


def can_appraise(user, assessment: Assessment) -> bool:
    return assessment.status in APPRAISABLE and has_role(user, assessment.unit, Role.APPRAISER)


def can_return(user, assessment: Assessment) -> bool:
    return assessment.status in RETURNABLE and has_role(user, assessment.unit, Role.APPRAISER)


def can_decide(user, assessment: Assessment, authority: Unit | None) -> bool:
    """Recognize or not: ``authority`` is the assessment's recognizing body."""
    return assessment.status in DECIDABLE and authority is not None and is_approver_of(user, authority)


def can_revoke(user, assessment: Assessment, authority: Unit | None) -> bool:
    return assessment.status in REVOCABLE and authority is not None and is_approver_of(user, authority)


@dataclass(frozen=True)
class Change:
    at: datetime.datetime
    actor: str
    subject: str
    field: str
    old: str
    new: str


def changes_since(assessment: Assessment, version: int) -> list[Change]:
    """What other writers changed after ``version`` (answers, figures, dossier, status)."""
    mark = (
        AuditEvent.objects.filter(assessment=assessment, action=Action.VERSION, old=str(version))
        .order_by("id")
        .first()
    )
    if mark is None:
        return []
    events = (
        AuditEvent.objects.filter(assessment=assessment, id__gt=mark.id)
        .exclude(action=Action.VERSION)
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


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The same unit's assessment in the previous year (for KDC-4a: this year vs last year)."""
    return (
        Assessment.objects.filter(unit_id=assessment.unit_id, campaign__year=assessment.campaign.year - 1)
        .order_by("-campaign__year")
        .first()
    )


def missing_for_submission(assessment: Assessment) -> list[str]:
    """What still blocks submission, as readable sentences (empty when it can be submitted)."""
    problems = []
    entered = {c.pk for c in answerable_criteria(assessment.criteria_set)}
    answers = list(assessment.answers.select_related("criterion").order_by("criterion__order"))
    unanswered = [a.criterion.code for a in answers if a.criterion_id in entered and not a.value]
    if unanswered:
        problems.append(_("Criteria not answered: %(codes)s.") % {"codes": ", ".join(unanswered)})
    needs_figures = any(a.criterion.answer_type == Criterion.AnswerType.COMPARISON for a in answers)
    if needs_figures and any(getattr(assessment, f) is None for f in Assessment.FIGURE_FIELDS):
        problems.append(_("Enter this year's crime, social-evil and violation figures."))
    if not (assessment.meeting_date and assessment.meeting_chair and assessment.meeting_attendees):
        problems.append(_("Enter the meeting minutes: date, chair and attendees."))
    return problems


def unmet_codes(assessment: Assessment) -> list[str]:
    """Entered criteria whose effective answer (appraised over self) is not met or empty."""
    entered = {c.pk for c in answerable_criteria(assessment.criteria_set)}
    return [
        a.criterion.code
        for a in assessment.answers.select_related("criterion").order_by("criterion__order")
        if a.criterion_id in entered and a.effective_value not in (Value.MET, Value.NOT_APPLICABLE)
    ]


def _display(field: str, value: str) -> str:
    if field in ("value", "appraised_value"):
        return str(Answer.Value(value).label) if value in Answer.Value.values else value
    if field == "status":
        return str(Status(value).label) if value in Status.values else value
    if value in ("True", "False"):
        return _("Yes") if value == "True" else _("No")
    return value


def _field_label(field: str) -> str:
    for model in (Answer, Assessment, Registration):
        try:
            return str(model._meta.get_field(field).verbose_name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: try the next model
            continue
    return field


def timeline(assessment: Assessment) -> list[dict]:
    rows = []
    labels: dict[str, str] = {}  # translated once per page, not once per event
    field_labels: dict[str, str] = {}
    for e in events_for(assessment):
        if e.action not in labels:
            labels[e.action] = Action.label_of(e.action)
        if e.field and e.field not in field_labels:
            field_labels[e.field] = _field_label(e.field)
        subject = e.object_repr.split(":")[0] if e.object_type == "certification.answer" else ""
        rows.append(
            {
                "at": e.at,
                "actor": (e.actor.get_full_name() or e.actor.username) if e.actor else _("system"),
                "action": labels[e.action],
                "subject": subject,
                "field": field_labels[e.field] if e.field else "",
                "old": _display(e.field, e.old),
                "new": _display(e.field, e.new),
            }
        )
    return rows
