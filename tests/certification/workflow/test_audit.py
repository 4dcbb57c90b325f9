"""The audit trail: every change is recorded, tampering is detected, events are append-only."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from certification import audit, services
from certification.models import AuditEvent

from .conftest import decision_kwargs

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


def test_decisions_and_revocations_are_audited(recognized, approver):
    services.revoke_assessment(assessment=recognized, by=approver, reason="Sai phạm", reference="QĐ 9")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"decision", "revocation", "status"} <= actions


def test_a_refused_recognition_writes_no_audit_event(appraised, officer, commune):
    before = AuditEvent.objects.count()
    with pytest.raises(services.WorkflowError):
        services.recognize(assessments=[appraised], by=officer, **decision_kwargs(commune))
    assert AuditEvent.objects.count() == before
