"""An assessment's history as people read it: who changed what, when, from what to what (the
audit chain's events, ``certification.audit``).

The entry form shows the latest ``ON_FORM`` changes and links to the whole history, a page of its
own (issue 23, round 10): an officer saving one answer at a time leaves an event per save, and
the form listed every one of them. At 200 changes the first view of the form after a saved
answer cost ~33 ms of CPU instead of ~10 and weighed 110 KB instead of 40 (bench/before_after.md).
"""

import json
import re
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import Field
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antt.database.compiled import Compiled
from antt.text import person_name
from certification.audit import Action, events_for
from certification.models import Answer, Assessment, AuditEvent, Certificate, Decision, Evidence, Registration

Status = Assessment.Status

ON_FORM = 20  # the latest changes the entry form shows
PER_PAGE = 100  # changes per page of the whole history

# Fields the timeline names that have no model field of their own (or no translated verbose name).
TIMELINE_FIELDS = {
    "criteria_set": gettext_lazy("Criteria set"),
    "criteria_sets": gettext_lazy("Criteria sets"),
    "dossier": gettext_lazy("Dossier"),
    "certificates": gettext_lazy("Certificates"),
    "decision": gettext_lazy("Decision"),
    "is_returned": gettext_lazy("Returned for correction"),
}
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?)?"
)


def _display(field: str, value: str) -> str:
    """A stored audit value as people read it: labels of codes, dd/mm/yyyy dates, the attendees
    as "name (role)", Có/Không."""
    if field in ("value", "appraised_value"):
        return str(Answer.Value(value).label) if value in Answer.Value.values else value
    if field == "status":
        return str(Status(value).label) if value in Status.values else value
    if value in ("True", "False"):
        return _("Yes") if value == "True" else _("No")
    if field == "meeting_attendees" and value.startswith("["):
        try:
            people = json.loads(value)
        except ValueError:
            return value
        return "; ".join(
            f"{p.get('name', '')} ({p['role']})" if p.get("role") else str(p.get("name", ""))
            for p in people
            if isinstance(p, dict)
        )
    if match := _ISO_DATE.fullmatch(value):
        year, month, day, hour, minute = match.groups()
        return f"{day}/{month}/{year}" + (f" {hour}:{minute}" if hour else "")
    return value


def _field_label(field: str) -> str:
    if field in TIMELINE_FIELDS:
        return str(TIMELINE_FIELDS[field])
    for model in (Answer, Assessment, Registration, Certificate, Decision, Evidence):
        try:
            return capfirst(str(cast("Field[Any, Any]", model._meta.get_field(field)).verbose_name))
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: try the next model
            continue
    return field


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    rows = []
    labels: dict[str, str] = {}  # translated once per page, not once per event
    field_labels: dict[str, str] = {}
    names: dict[int, str] = {}  # the same few people made most of the changes
    for e in events:
        if e.action not in labels:
            labels[e.action] = Action.label_of(e.action)
        if e.field and e.field not in field_labels:
            field_labels[e.field] = _field_label(e.field)
        if e.actor_id is not None and e.actor_id not in names:
            names[e.actor_id] = person_name(e.actor)
        subject = e.object_repr.split(":")[0] if e.object_type == "certification.answer" else ""
        rows.append(
            {
                "at": e.at,
                "actor": names[e.actor_id] if e.actor_id is not None else _("system"),
                "action": labels[e.action],
                "subject": subject,
                "field": field_labels[e.field] if e.field else "",
                "old": _display(e.field, e.old),
                "new": _display(e.field, e.new),
            }
        )
    return rows


# The latest ON_FORM + 1 (one more tells that there are more), newest first.
_LATEST = Compiled(lambda assessment_id: events_for(assessment_id).order_by("-id")[: ON_FORM + 1])


def latest_changes(assessment: Assessment) -> tuple[list[dict[str, Any]], bool]:
    """The latest ``ON_FORM`` changes, oldest first, and whether there are earlier ones."""
    events = _LATEST(assessment.pk)
    return _rows(events[:ON_FORM][::-1]), len(events) > ON_FORM


def history_page(assessment: Assessment, number: str | None) -> tuple[Page[AuditEvent], list[dict[str, Any]]]:
    """One page of the whole history, oldest first (``number``: as the ``page`` parameter
    came; out-of-range or junk numbers give the nearest page)."""
    page = Paginator(events_for(assessment.pk), PER_PAGE).get_page(number)
    return page, _rows(list(page.object_list))
