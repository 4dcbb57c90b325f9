"""The admin shows assessments and the audit trail but never edits or deletes them."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from certification.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "correct-horse-42")
    client.force_login(user)
    return client


def test_audit_events_are_listed_but_cannot_be_changed_or_deleted(admin_client, filled):
    event = AuditEvent.objects.first()
    assert admin_client.get(reverse("admin:certification_auditevent_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:certification_auditevent_change", args=[event.pk])).status_code == 200
    )
    response = admin_client.post(
        reverse("admin:certification_auditevent_change", args=[event.pk]), {"new": "x"}
    )
    assert response.status_code == 403
    assert (
        admin_client.post(reverse("admin:certification_auditevent_delete", args=[event.pk])).status_code
        == 403
    )
    assert AuditEvent.objects.get(pk=event.pk).new == event.new


def test_assessments_are_read_only_in_the_admin(admin_client, filled):
    assert (
        admin_client.get(reverse("admin:certification_assessment_change", args=[filled.pk])).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:certification_assessment_add")).status_code == 403
