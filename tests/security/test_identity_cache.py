"""The session, the user and the roles are read from the identity cache (issue 23,
antt/accounts/identity.py), and every change of them takes effect at the very next request.
(A revoked or granted role: tests/certification/workflow/test_views.py; log out everywhere and a
password changed in another session: tests/security/test_accounts.py. The tests run with the cache
on: tests/conftest.py.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from units.models import Unit


def unit_page(unit: Unit) -> str:
    return reverse("units:unit-detail", args=[unit.pk])


@pytest.mark.django_db
def test_a_request_after_the_first_reads_no_session_user_or_role_row(login, officer, area):
    client = login(officer)
    assert client.get(unit_page(area)).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(unit_page(area)).status_code == 200
    tables = ("accounts_usersession", "auth_user", "units_roleassignment")
    assert not [q["sql"] for q in queries if any(f'FROM "{t}"' in q["sql"] for t in tables)]


def _deactivate(user) -> None:
    user.is_active = False


def _new_password(user) -> None:
    user.set_password("Một-mật-khẩu-khác-2026")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change", [_deactivate, _new_password], ids=["deactivated", "password set elsewhere"]
)
def test_a_user_deactivated_or_given_a_new_password_is_out_at_the_next_request(login, officer, area, change):
    client = login(officer)
    assert client.get(unit_page(area)).status_code == 200
    change(officer)
    officer.save()
    response = client.get(unit_page(area))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_deleted_session_is_over_at_the_next_request(login, officer, area):
    from antt.accounts.sessions import end_sessions

    client = login(officer)
    assert client.get(unit_page(area)).status_code == 200
    end_sessions(officer.pk)
    assert client.get(unit_page(area)).status_code == 302


@pytest.mark.django_db
def test_the_officers_commune_moved_elsewhere_keeps_its_areas_in_scope_at_once(
    login, officer, commune, area, other_province
):
    """The kept roles hold their units' paths: moving the commune must not leave them stale."""
    client = login(officer)
    assert client.get(unit_page(area)).status_code == 200
    commune.parent = other_province
    commune.save()
    area.refresh_from_db()
    assert area.path.startswith(other_province.path)
    assert client.get(unit_page(area)).status_code == 200


@pytest.mark.django_db
def test_a_role_granted_and_read_in_a_transaction_rolled_back_is_not_kept(login, officer, other_commune):
    """A grant rolled back (a failed request, a form refused after the save) must leave no
    trace in the roles kept for the next requests."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from units import access
    from units.models import RoleAssignment

    client = login(officer)
    assert client.get(unit_page(other_commune)).status_code == 404
    with transaction.atomic():
        RoleAssignment.objects.create(user=officer, unit=other_commune, role=RoleAssignment.Role.OFFICER)
        fresh = get_user_model().objects.get(pk=officer.pk)
        assert access.can_see(fresh, other_commune)  # read, inside the transaction
        transaction.set_rollback(True)

    assert not access.can_see(get_user_model().objects.get(pk=officer.pk), other_commune)
    assert client.get(unit_page(other_commune)).status_code == 404
