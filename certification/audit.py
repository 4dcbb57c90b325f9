"""Append-only audit trail: who, when, before → after, chained by SHA-256.

Each event's hash covers its content and the previous event's hash, so a row changed or
deleted behind the application's back (a plain SQL UPDATE) breaks the chain, and
``manage.py verify_audit`` reports the first broken link.
"""

import functools
import hashlib
import json
import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, Protocol

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.database.compiled import Compiled, KeptInsert
from certification.models import AuditEvent


class Action(models.TextChoices):
    """Every code written in ``AuditEvent.action``, with the label the timeline shows. The stored
    values are the historical strings: never rename one."""

    VERSION = "version", _("Version")  # optimistic-lock marker, hidden from the timeline
    CREATED = "created", _("Assessment started")
    ANSWER = "answer", _("Answer")
    FIGURES = "figures", _("Figures")
    DOSSIER = "dossier", _("Dossier")
    STATUS = "status", _("Status")
    RETURNED = "returned", _("Returned for correction")
    APPRAISAL = "appraisal", _("Appraisal")
    DECISION = "decision", _("Decision")
    # An approver recognizing a unit the engine scores as failing, with the written reason.
    RECOGNITION_OVERRIDE = "recognition_override", _("Recognized against the computed result")
    REVOCATION = "revocation", _("Revocation")
    EXCEPTION = "exception", _("Entry exception")
    EVIDENCE = "evidence", _("Evidence added")
    EVIDENCE_REMOVED = "evidence-removed", _("Evidence removed")
    REGISTRATION = "registration", _("Registration")
    CRITERIA_SET_PUBLISHED = "criteria_set_published", _("Criteria set published")
    # Written until the "in use" state became derived (migration 0009); past events keep it.
    CRITERIA_SET_FROZEN = "criteria_set_frozen", _("Criteria set first used")
    CRITERIA_SET_NEW_VERSION = "criteria_set_new_version", _("New criteria set version")
    CRITERIA_SET_CHANGED = "criteria_set_changed", _("Criteria set changed")
    CRITERIA_SET_DERIVED = "criteria_set_derived", _("Province criteria set created")
    CRITERIA_SET_IMPORTED = "criteria_set_imported", _("Criteria set imported")
    CRITERION_ADDED = "criterion_added", _("Criterion added")
    CRITERION_CHANGED = "criterion_changed", _("Criterion changed")
    CRITERION_DELETED = "criterion_deleted", _("Criterion deleted")
    SCORE_SHEET_ATTACHED = "score_sheet_attached", _("Score sheet attached")
    CAMPAIGN_OPENED = "campaign_opened", _("Campaign opened")
    CAMPAIGN_SETS_ATTACHED = "campaign_sets_attached", _("Criteria sets attached to the campaign")
    CAMPAIGN_DATE_CHANGED = "campaign_date_changed", _("Campaign date changed")
    CAMPAIGN_SET_REPLACED = "campaign_set_replaced", _("Campaign criteria set replaced")
    CAMPAIGN_IMPORTED = "campaign_imported", _("Campaign imported")
    SCORING_RUN = "scoring_run", _("Scoring run")
    DECISION_ISSUED = "decision_issued", _("Decision issued")
    CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
    CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked")
    CERTIFICATE_REPLACED = "certificate_replaced", _("Certificate replaced")
    PRINT_STARTED = "print_started", _("Printing of certificates started")
    DOCUMENT_DOWNLOADED = "document_downloaded", _("Document downloaded")
    DECISION_SIGNED = "decision_signed", _("Signed original of the decision registered")
    GRANT_ROLE = "grant_role", _("Role granted")
    REVOKE_ROLE = "revoke_role", _("Role revoked")
    CHANGE_ROLE = "change_role", _("Role changed")
    CREATE_USER = "create_user", _("User created")
    USER_CHANGED = "user_changed", _("User account changed")
    UNIT_CREATED = "unit_created", _("Unit created")
    UNIT_CHANGED = "unit_changed", _("Unit changed")
    UNIT_DELETED = "unit_deleted", _("Unit deleted")
    REARRANGEMENT_APPLIED = "rearrangement_applied", _("Re-arrangement of residential areas applied")
    REARRANGEMENT_UNDONE = "rearrangement_undone", _("Re-arrangement of residential areas undone")
    CARRIED_OVER = "carried_over", _("Carried over from the units before the re-arrangement")
    # movement/: the self-management models and the yearly rating of grassroots security teams.
    MOVEMENT_MODEL = "movement_model", _("Self-management model recorded")
    MOVEMENT_RATING = "movement_rating", _("Self-management model rated")
    TEAM_RATING = "team_rating", _("Security team rated")
    # Rows written in the Django admin that no service owns (one event per row, changed fields).
    RECORD_ADDED = "record_added", _("Record added in the admin")
    RECORD_CHANGED = "record_changed", _("Record changed in the admin")
    RECORD_DELETED = "record_deleted", _("Record deleted in the admin")
    DATA_GENERATED = "data_generated", _("Sample data generated")
    TWO_FACTOR = "two_factor", _("Two-factor authentication")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password set from a one-time link")
    PASSWORD_LINK = "password_link", _("One-time password link issued")
    SESSIONS_ENDED = "sessions_ended", _("Logged out everywhere")

    @classmethod
    def label_of(cls, code: str) -> str:
        """The label of a stored code (the code itself for one this enum does not know)."""
        return str(cls(code).label) if code in cls.values else code


class Actor(Protocol):
    """Who acts: a ``User`` or the ``SystemActor``."""

    pk: Any
    is_superuser: bool
    is_active: bool
    username: str

    @property
    def is_authenticated(self) -> bool: ...  # a property on User

    def get_full_name(self) -> str: ...


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


def actor_or_none(by: Actor | None) -> Any:
    """What a user foreign key may hold: the user, or nobody for the system actor."""
    return by if getattr(by, "pk", None) else None


GENESIS = "0" * 64
AUDIT_LOCK_KEY = 124_2021
# Events queued by ``deferred()`` on this thread (Django's connections are per thread too).
_local = threading.local()


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


def log_change(
    obj, *, by: "Actor | None", action: Action, field: str = "", old=None, new=None, assessment=None
) -> AuditEvent:
    """Record one event: appended at once, or, inside ``deferred()``, when that block ends."""
    event = AuditEvent(
        actor=actor_or_none(by),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        assessment=assessment,
        field=field,
        old=_text(old),
        new=_text(new),
    )
    queue = getattr(_local, "queue", None)
    if queue is not None:
        queue.append(event)
    else:
        _append([event])
    return event


def log_diff(
    obj, *, by: "Actor | None", action: Action, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> AuditEvent | None:
    """One event for one row: the fields that differ between the ``old`` and ``new`` snapshots
    (``None``: the row did not exist before / does not exist after; a missing field counts as
    empty), each side as a JSON object of just those fields. Nothing is logged when nothing
    differs."""
    old, new = old or {}, new or {}
    changed = [name for name in {**old, **new} if old.get(name, "") != new.get(name, "")]
    if not changed:
        return None
    return log_change(
        obj,
        by=by,
        action=action,
        field=", ".join(changed)[:60],
        old={name: old[name] for name in changed if name in old} if old else None,
        new={name: new[name] for name in changed if name in new} if new else None,
    )


def snapshot(obj, fields: "list[str] | None" = None) -> dict[str, str]:
    """The row's concrete fields as text (foreign keys as ids), for :func:`log_diff`."""
    found = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.primary_key or (fields is not None and model_field.name not in fields):
            continue
        value = model_field.value_from_object(obj)
        text = "" if value is None else str(value)
        if model_field.name == "password" and text:
            # Never the hash itself: enough to show that it changed.
            text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]
        found[model_field.name] = text
    return found


# The chain's tail, compiled once per process (issue 23, round 6: every write reads it).
_LAST = Compiled(lambda: AuditEvent.objects.only("hash").order_by("-id")[:1])
# The events' INSERT, one prepared statement for any number of events (issue 23, round 9: the
# ORM's save() or bulk_create() built and compiled it at every write, ~0.5 ms). No post_save:
# nothing listens to AuditEvent.
_INSERT = KeptInsert(AuditEvent)


@transaction.atomic(savepoint=False)  # inside the caller's transaction: no SAVEPOINT round trips
def _append(events: list[AuditEvent]) -> None:
    """Chain ``events`` after the last one and insert them in one statement. Writers are
    serialised (a transaction-scoped advisory lock on PostgreSQL, held until the caller's
    transaction ends; SQLite serialises writes itself) so concurrent writers cannot fork the
    chain: the lock is taken here, as late as possible, and only for the chain's tail."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
    last = _LAST()
    prev = last[0].hash if last else GENESIS
    at = timezone.now()
    for event in events:
        event.at, event.prev_hash = at, prev
        event.hash = prev = _digest(event)
    _INSERT(events)


@contextmanager
def deferred():
    """Queue the events logged inside and append them together when the block ends, inside the
    caller's transaction (use it inside ``transaction.atomic``, around a service's whole body).

    Appending takes the chain's lock, which is then held until the transaction commits: taken
    at the first event, it would serialise every writer for the whole rest of its
    transaction (all the answers of a form saved one by one); taken at the end, only for one
    INSERT and the commit. Nested blocks join the outermost one; a nested block that raises
    drops its own events (its savepoint is rolled back too)."""
    queue = getattr(_local, "queue", None)
    if queue is not None:
        mark = len(queue)
        try:
            yield
        except BaseException:
            del queue[mark:]
            raise
        return
    _local.queue = queue = []
    try:
        yield
    finally:
        _local.queue = None
    if queue:
        _append(queue)


def atomic_deferred[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic`` with the audit events of ``func`` appended at its end (``deferred``)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), deferred():
            return func(*args, **kwargs)

    return wrapper


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
        .exclude(action=Action.VERSION)
        .select_related("actor")
        .order_by("id")
    )
