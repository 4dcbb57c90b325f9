"""The audit trail cannot be changed or deleted through the application.

Covered elsewhere, not repeated here: ``save()``/``delete()`` of one event refuse and a raw SQL
UPDATE or DELETE is reported by ``manage.py verify_audit``
(tests/certification/workflow/test_audit.py); the admin lists events read-only
(tests/certification/workflow/test_admin.py). This file closes the bulk paths and the cascades.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from django.urls import reverse

from certification import audit
from certification.models import AuditEvent


def trail() -> list[tuple]:
    return list(AuditEvent.objects.order_by("id").values_list("id", "action", "old", "new", "hash"))


@pytest.mark.django_db
def test_bulk_update_delete_and_bulk_update_of_events_are_refused_and_change_nothing(small_world):
    before = trail()
    assert len(before) >= 2
    events = AuditEvent.objects.all()
    with pytest.raises(RuntimeError):
        events.update(new="đã sửa")
    with pytest.raises(RuntimeError):
        events.filter(pk=before[0][0]).delete()
    first = events.first()
    first.new = "đã sửa"
    with pytest.raises(RuntimeError):
        AuditEvent.objects.bulk_update([first], ["new"])
    assert trail() == before
    assert audit.verify_chain() == (True, None)


@pytest.mark.django_db
def test_deleting_an_audited_assessment_or_user_is_refused_so_no_event_disappears_by_cascade(small_world):
    before = trail()
    side = small_world.sides["in"]
    with pytest.raises(ProtectedError):
        side.draft.delete()
    with pytest.raises(ProtectedError):
        get_user_model().objects.filter(pk=side.member.pk).delete()
    assert trail() == before


@pytest.mark.django_db
def test_even_a_superuser_cannot_change_or_delete_an_event_in_the_admin(small_world, admin_client):
    event = AuditEvent.objects.first()
    change = admin_client.post(
        reverse("admin:certification_auditevent_change", args=[event.pk]), {"new": "đã sửa"}
    )
    delete = admin_client.post(
        reverse("admin:certification_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:certification_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert change.status_code == 403 and delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, new=event.new).exists()
    assert audit.verify_chain() == (True, None)
