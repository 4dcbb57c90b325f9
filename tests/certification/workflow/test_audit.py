"""The audit trail: every change is recorded, tampering is detected, events are append-only."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from antt.errors import WorkflowError
from certification import audit
from certification.errors import ConflictError
from certification.models import AuditEvent
from certification.services import entry, transitions
from tests.builders import KDC_LEAVES, decision_fields, fill

pytestmark = pytest.mark.django_db


def test_the_whole_workflow_leaves_a_timeline_with_who_and_before_after(
    recognized, officer, appraiser, approver
):
    events = list(audit.events_for(recognized))
    statuses = [(e.old, e.new, e.actor) for e in events if e.field == "status"]
    assert statuses == [
        ("draft", "submitted", officer),
        ("submitted", "appraised", appraiser),
        ("appraised", "recognized", approver),
    ]
    assert any(e.field == "value" and e.new == "met" and e.actor == officer for e in events)
    assert not any(e.action == "version" for e in events)


def test_the_chain_verifies_after_a_workflow(recognized):
    assert audit.verify_chain() == (True, None)
    call_command("verify_audit")


def test_a_row_changed_by_raw_sql_is_detected_and_named(filled):
    victim = AuditEvent.objects.filter(field="value").order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certification_auditevent SET new = %s WHERE id = %s", ["not_met", victim.pk])
    assert audit.verify_chain() == (False, victim.pk)
    with pytest.raises(CommandError, match=f"#{victim.pk}") as excinfo:
        call_command("verify_audit")
    assert excinfo.value.returncode == 1


def test_a_deleted_row_breaks_the_chain_at_the_next_event(filled):
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM certification_auditevent WHERE id = %s", [ids[2]])
    assert audit.verify_chain() == (False, ids[3])


def test_events_cannot_be_edited_or_deleted_through_the_application(filled):
    event = AuditEvent.objects.first()
    event.new = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_decisions_and_revocations_are_audited(recognized, approver, commune):
    fields = {k: v for k, v in decision_fields(commune).items() if k != "issuer"}
    transitions.revoke_assessment(assessment=recognized, by=approver, reason="Sai phạm", **fields)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"decision", "revocation", "status"} <= actions


def test_a_refused_recognition_writes_no_audit_event(appraised, officer, commune):
    before = AuditEvent.objects.count()
    with pytest.raises(WorkflowError):
        transitions.recognize(assessments=[appraised], by=officer, **decision_fields(commune))
    assert AuditEvent.objects.count() == before


def test_a_save_appends_its_events_together_at_the_end_version_mark_first_and_chained(draft, officer):
    before = AuditEvent.objects.count()
    fill(draft, officer)
    events = list(AuditEvent.objects.order_by("id"))[-(len(KDC_LEAVES) + 7) :]
    # the version mark, the answers, 3 figures, 3 fields of the minutes
    assert AuditEvent.objects.count() == before + 1 + len(KDC_LEAVES) + 6
    ids = [e.pk for e in events]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # one INSERT: consecutive, in logging order
    assert events[0].action == "version"
    assert [e.field for e in events[1 : len(KDC_LEAVES) + 1]] == ["value"] * len(KDC_LEAVES)
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:], strict=False))
    assert audit.verify_chain() == (True, None)


def test_a_refused_save_inside_deferred_writes_no_event_and_leaves_the_chain_whole(filled, officer):
    before = AuditEvent.objects.count()
    with pytest.raises(ConflictError):
        entry.save_answers(
            assessment=filled, by=officer, expected_version=0, changes={"KDC-1": {"value": "not_met"}}
        )
    assert AuditEvent.objects.count() == before
    assert audit.verify_chain() == (True, None)


def test_events_are_written_only_when_the_outermost_deferred_block_ends(filled, officer):
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit.deferred():
        audit.log_change(filled, by=officer, action="note", field="a", new="1", assessment=filled)
        with audit.deferred():
            audit.log_change(filled, by=officer, action="note", field="b", new="2", assessment=filled)
        assert AuditEvent.objects.count() == before
    assert list(AuditEvent.objects.order_by("id").values_list("field", flat=True))[-2:] == ["a", "b"]
    assert audit.verify_chain() == (True, None)


def test_a_nested_deferred_block_that_fails_drops_only_its_own_events(filled, officer):
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit.deferred():
        audit.log_change(filled, by=officer, action="note", field="kept", new="1", assessment=filled)
        with pytest.raises(ValueError), transaction.atomic(), audit.deferred():
            audit.log_change(filled, by=officer, action="note", field="dropped", new="2", assessment=filled)
            raise ValueError
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.order_by("-id").first().field == "kept"
    assert audit.verify_chain() == (True, None)


def test_an_error_in_a_deferred_block_writes_none_of_its_events(filled, officer):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError), transaction.atomic(), audit.deferred():
        audit.log_change(filled, by=officer, action="note", field="a", new="1", assessment=filled)
        raise ValueError
    assert AuditEvent.objects.count() == before
    audit.log_change(filled, by=officer, action="note", field="after", new="1", assessment=filled)
    assert audit.verify_chain() == (True, None)
