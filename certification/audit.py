"""Append-only audit trail: who, when, before → after, chained by SHA-256.

Each event's hash covers its content and the previous event's hash, so a row changed or
deleted behind the application's back (a plain SQL UPDATE) breaks the chain, and
``manage.py verify_audit`` reports the first broken link.
"""

import hashlib
import json

from django.db import connection, models, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 124_2021


def _digest(event: AuditEvent) -> str:
    payload = json.dumps(
        [
            event.prev_hash,
            event.at.isoformat(),
            event.actor_id,
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            event.assessment_id,
            event.field,
            event.old,
            event.new,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@transaction.atomic
def log_change(obj, *, by, action: str, field: str = "", old=None, new=None, assessment=None) -> AuditEvent:
    """Append one event. Writers are serialised (a transaction-scoped advisory lock on
    PostgreSQL; SQLite serialises writes itself) so concurrent writers cannot fork the chain."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").first()
    event = AuditEvent(
        at=timezone.now(),
        actor=by if getattr(by, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        assessment=assessment,
        field=field,
        old=_text(old),
        new=_text(new),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _digest(event)
    event.save()
    return event


def verify_chain() -> tuple[bool, int | None]:
    """Walk the chain in id order; return (ok, id of the first bad event)."""
    prev = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev or _digest(event) != event.hash:
            return False, event.pk
        prev = event.hash
    return True, None


def events_for(assessment) -> "models.QuerySet[AuditEvent]":
    """The assessment's timeline, oldest first, without the internal version markers."""
    return (
        AuditEvent.objects.filter(assessment=assessment)
        .exclude(action="version")
        .select_related("actor")
        .order_by("id")
    )
