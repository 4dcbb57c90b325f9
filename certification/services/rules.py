"""Shared pieces of the workflow services: constants, errors, role/state/deadline checks,
value parsing and the optimistic-lock bookkeeping."""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.db import DatabaseError
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.database.compiled import Compiled, KeptUpdate
from antt.errors import WorkflowError
from antt.text import parse_count
from certification.audit import Action, Actor, log_change
from certification.errors import ConflictError
from certification.models import Answer, Assessment, Campaign, Criterion
from certification.selectors.assessments import (
    Change,
    changes_after,
    changes_since,
    entry_deadline,
    entry_is_open,
)
from certification.services.scoring import schedule_rescore
from units.access import can_see, has_role
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status
Value = Answer.Value

# Key of ``return_assessment(items=...)`` that reopens the dossier (minutes, letter, report).
DOSSIER = "_dossier"
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


# --- helpers -------------------------------------------------------------------------------


def local_today() -> datetime.date:
    return timezone.localdate()


def require_role_on(by: Actor, unit: Unit, *roles: str) -> None:
    """Scope first (outside → 'outside your area'), then role."""
    if not can_see(by, unit):
        raise WorkflowError(_("%(unit)s is outside your area.") % {"unit": unit})
    if not has_role(by, unit, *roles):
        labels = ", ".join(str(Role(r).label) for r in roles)
        raise WorkflowError(_("This needs the role: %(roles)s.") % {"roles": labels})


# The row lock every workflow change takes first, compiled once per process (issue 23, round 6).
_LOCKED = Compiled(
    lambda pk: (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("unit", "campaign", "criteria_set")
        .filter(pk=pk)
    )
)


def lock(assessment: Assessment) -> Assessment:
    """The assessment read again, locked until the transaction ends, with its unit, campaign and set."""
    found = _LOCKED(assessment.pk)
    if not found:
        raise Assessment.DoesNotExist("Assessment matching query does not exist.")
    return found[0]


def log_event(
    assessment: Assessment,
    by: Actor,
    action: Action,
    field: str = "",
    *,
    old: object = None,
    new: object = None,
    on: Model | None = None,
) -> None:
    """Audit one step of the assessment's workflow: a change of the assessment itself, or of
    ``on`` (an answer, a file), filed under the assessment either way."""
    obj = assessment if on is None else on
    log_change(obj, by=by, action=action, field=field, old=old, new=new, assessment=assessment)


# The UPDATEs of an assessment's row, prepared and compiled once per process and set of columns
# (issue 23, round 9). They send no post_save: nothing listens to Assessment (or Answer).
ASSESSMENT_ROW = KeptUpdate(Assessment)


def bump_version(assessment: Assessment, by: Actor, *, write: bool = True) -> None:
    """Bump the version and log it before the changes it covers (see ConflictError).
    ``write=False``: the caller writes the new version with its own UPDATE of the assessment in
    the same transaction (``set_status(…, version=assessment.version)``): one statement, not two
    (issue 23, round 7); or with the UPDATE of the one answer it saves (``entry.save_answers``,
    round 9)."""
    old = assessment.version
    assessment.version = old + 1
    if write:
        ASSESSMENT_ROW(assessment.pk, version_values(assessment))
    log_event(assessment, by, Action.VERSION, "version", old=old, new=old + 1)


def version_values(assessment: Assessment) -> dict[str, Any]:
    """The assessment's (bumped) version and a new ``updated_at``, as ``ASSESSMENT_ROW`` writes
    them: alone, or as the ``also`` of another row's kept UPDATE."""
    assessment.updated_at = timezone.now()
    return {"version": assessment.version, "updated_at": assessment.updated_at}


def write_assessment(assessment: Assessment, names: Iterable[str]) -> None:
    """``assessment.save(update_fields=[*names, "updated_at"])`` as one kept UPDATE (round 9):
    the row is the caller's, locked (``lock``); a row gone is the same error as ``save()``'s."""
    assessment.updated_at = timezone.now()
    opts = Assessment._meta
    values = {}
    for name in (*names, "updated_at"):
        attname = cast("Field[Any, Any]", opts.get_field(name)).attname
        values[attname] = getattr(assessment, attname)
    if not ASSESSMENT_ROW(assessment.pk, values):
        raise DatabaseError("Save with update_fields did not affect any rows.")


def set_status(assessment: Assessment, by: Actor, new: str, **fields: Any) -> None:
    old = assessment.status
    assessment.status = new
    for name, value in fields.items():
        setattr(assessment, name, value)
    write_assessment(assessment, ["status", *fields])
    log_event(assessment, by, Action.STATUS, "status", old=old, new=new)


def rescore(assessment_or_unit_id: Assessment | int, campaign_id: int | None = None) -> None:
    """Ask the scoring engine to recompute once the transaction has committed
    (``schedule_rescore`` defers to on_commit itself and queues each unit once)."""
    if isinstance(assessment_or_unit_id, Assessment):
        unit_id, campaign_id = assessment_or_unit_id.unit_id, assessment_or_unit_id.campaign_id
    else:
        unit_id = assessment_or_unit_id
    assert campaign_id is not None  # given with a unit id by every caller
    schedule_rescore(unit_id=unit_id, campaign_id=campaign_id)


def require_status(assessment: Assessment, allowed: Iterable[str], message: str) -> None:
    """Refuse unless the assessment is in an ``allowed`` status; ``message`` (translated) names
    the status it is in as ``%(status)s``."""
    if assessment.status not in allowed:
        raise WorkflowError(message % {"status": assessment.get_status_display()})


def require_entry_open(assessment: Assessment) -> None:
    if not entry_is_open(assessment):
        raise WorkflowError(
            _("Entry closed on %(date)s. Ask an approver to open an exception for this unit.")
            % {"date": entry_deadline(assessment).strftime("%d/%m/%Y")}
        )


def require_open_campaign(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.OPEN:
        raise WorkflowError(_("The campaign %(campaign)s is not open.") % {"campaign": campaign})


def parse_int(value: object, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_count(str(value))  # "1250", "1.250", "1,250", "1 250"
    except ValueError:
        if str(value).strip().startswith("-") and str(value).strip()[1:].isdigit():
            raise WorkflowError(_("%(field)s cannot be negative.") % {"field": label}) from None
        raise WorkflowError(_("%(field)s must be a whole number.") % {"field": label}) from None


def parse_decimal(value: object, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise WorkflowError(_("%(field)s must be a number.") % {"field": label}) from None
    if not number.is_finite() or number < 0:
        raise WorkflowError(_("%(field)s cannot be negative.") % {"field": label})
    return number.quantize(Decimal("0.01"))


def parse_date(value: object, label: str) -> datetime.date | None:
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


def check_answer(criterion: Criterion, value: object) -> str:
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


def check_points(criterion: Criterion, points: Decimal | None) -> Decimal | None:
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


def check_version(assessment: Assessment, expected_version: int | None) -> None:
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


# Changes by others that make any save based on an older version stale (the record moved on).
WHOLE_RECORD = (Action.STATUS, Action.RETURNED)


def changes_seen_since(assessment: Assessment, expected_version: int | None) -> list[Change]:
    """What changed after the version the caller saw, for the per-item check of entry
    (``check_items``). A status change since, or a version this record never had, conflicts
    here as a whole (ConflictError)."""
    if expected_version is None or int(expected_version) == assessment.version:
        return []
    changes = changes_after(assessment, int(expected_version))
    if changes is None or any(c.action in WHOLE_RECORD for c in changes):
        check_version(assessment, expected_version)
    return changes or []


def check_items(assessment: Assessment, changes: list[Change], touched: set[tuple[str, str]]) -> None:
    """Refused only when one of ``changes`` (see ``changes_seen_since``) is an item the caller is
    changing now: ``("answer", code)``, ``("figures", field)`` or ``("dossier", field)``. Two
    people on different criteria both save; the same criterion is a conflict naming who changed it."""
    clashes = [c for c in changes if (c.action, c.subject or c.field) in touched]
    if not clashes:
        return
    labels = {
        name: str(cast("Field[Any, Any]", Assessment._meta.get_field(name)).verbose_name)
        for name in (*Assessment.FIGURE_FIELDS, *DOSSIER_FIELDS)
    }
    who = ", ".join(sorted({c.actor for c in clashes}))
    what = ", ".join(dict.fromkeys(c.subject or labels.get(c.field, c.field) for c in clashes))
    when = timezone.localtime(clashes[-1].at).strftime("%H:%M %d/%m/%Y")
    message = _(
        "%(who)s changed %(what)s at %(time)s, after you opened the page. Nothing of yours was "
        "saved: reload the page, check their change and enter yours again."
    ) % {"who": who, "what": what, "time": when}
    raise ConflictError(message, current_version=assessment.version, changes=clashes)


def audit_value(value: object) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
