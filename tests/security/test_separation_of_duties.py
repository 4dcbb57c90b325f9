"""Separation of duties (issue 19, class 4): nobody changes their own roles — not on the app's
"Users and roles" pages, not in the Django admin, not as a superuser — and a user whose last role
was removed stays manageable by the administrators of that unit (they are not lost to everyone
but the superusers)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from antt.errors import WorkflowError
from certification.models import AuditEvent
from units import services
from units.models import LastRole, RoleAssignment

Role = RoleAssignment.Role
OWN_ROLES = "Bạn không thể tự thay đổi vai trò của mình."


@pytest.fixture
def staff_province_admin(province_admin):
    """The province administrator, staff with every permission of the units app."""
    province_admin.is_staff = True
    province_admin.save()
    province_admin.user_permissions.set(Permission.objects.filter(content_type__app_label="units"))
    return province_admin


def roles_of(user) -> set[tuple[str, str]]:
    return set(RoleAssignment.objects.filter(user=user).values_list("role", "unit__code"))


# The app's pages --------------------------------------------------------------------------


def test_an_administrator_cannot_give_themselves_a_role_on_the_role_page(
    login, province_admin, commune, settings
):
    before = roles_of(province_admin)
    client = login(province_admin)
    page = client.get(reverse("units:user-detail", args=[province_admin.pk]))
    assert page.status_code == 200
    assert page.context["form"] is None  # no "Add a role" form on one's own page
    response = client.post(
        reverse("units:role-add", args=[province_admin.pk]),
        {"unit": commune.pk, "role": Role.APPROVER},
        follow=True,
    )
    assert OWN_ROLES in response.content.decode()
    assert roles_of(province_admin) == before
    assert not AuditEvent.objects.filter(action="grant_role").exists()


def test_the_service_refuses_a_self_grant_even_for_a_superuser(superuser, province_admin, commune):
    for actor in (province_admin, superuser):
        with pytest.raises(WorkflowError, match=OWN_ROLES):
            services.grant_role(by=actor, user=actor, unit=commune, role=Role.VIEWER)
    assert not RoleAssignment.objects.filter(user=superuser).exists()
    assert roles_of(province_admin) == {(Role.ADMIN, "42")}


def test_an_administrator_cannot_remove_their_own_role_in_the_app(
    login, commune_admin, commune, province_admin
):
    """A role on a unit below the administrator's own (given by the province administrator)."""
    services.grant_role(by=province_admin, user=commune_admin, unit=commune, role=Role.VIEWER)
    own = RoleAssignment.objects.get(user=commune_admin, role=Role.VIEWER)
    response = login(commune_admin).post(reverse("units:role-remove", args=[own.pk]), follow=True)
    assert OWN_ROLES in response.content.decode()
    assert RoleAssignment.objects.filter(pk=own.pk).exists()
    with pytest.raises(WorkflowError, match=OWN_ROLES):
        services.revoke_role(by=commune_admin, assignment=own)


# The Django admin -------------------------------------------------------------------------


def test_nobody_gives_themselves_a_role_in_the_django_admin(login, staff_province_admin, superuser, commune):
    for actor in (staff_province_admin, superuser):
        response = login(actor).post(
            reverse("admin:units_roleassignment_add"),
            {"user": actor.pk, "unit": commune.pk, "role": Role.VIEWER, "title": ""},
        )
        assert response.status_code == 200  # the form again, with an error
        assert not RoleAssignment.objects.filter(user=actor, role=Role.VIEWER).exists()


def test_nobody_changes_or_removes_their_own_role_in_the_django_admin(
    login, staff_province_admin, superuser, make_user, commune, province, quiet
):
    services.grant_role(by=superuser, user=staff_province_admin, unit=commune, role=Role.VIEWER)
    own = RoleAssignment.objects.get(user=staff_province_admin, role=Role.VIEWER)
    client = login(staff_province_admin)
    change = client.post(
        reverse("admin:units_roleassignment_change", args=[own.pk]),
        {"user": staff_province_admin.pk, "unit": province.pk, "role": Role.APPROVER, "title": ""},
    )
    delete = client.post(reverse("admin:units_roleassignment_delete", args=[own.pk]), {"post": "yes"})
    assert change.status_code == 403 and delete.status_code == 403
    client.post(
        reverse("admin:units_roleassignment_changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk], "post": "yes"},
    )
    own.refresh_from_db()
    assert (own.role, own.unit) == (Role.VIEWER, commune)

    other_superuser = make_user("root2", is_superuser=True, is_staff=True)
    superuser_role = services.grant_role(by=other_superuser, user=superuser, unit=commune, role=Role.VIEWER)
    client = login(superuser)
    change = client.post(
        reverse("admin:units_roleassignment_change", args=[superuser_role.pk]),
        {"user": superuser.pk, "unit": province.pk, "role": Role.APPROVER, "title": ""},
    )
    assert change.status_code == 403
    assert RoleAssignment.objects.get(pk=superuser_role.pk).role == Role.VIEWER


def test_the_django_admin_goes_through_the_services_and_is_audited(
    login, staff_province_admin, officer, commune
):
    client = login(staff_province_admin)
    response = client.post(
        reverse("admin:units_roleassignment_add"),
        {"user": officer.pk, "unit": commune.pk, "role": Role.VIEWER, "title": ""},
    )
    assert response.status_code == 302
    added = RoleAssignment.objects.get(user=officer, role=Role.VIEWER)
    granted = AuditEvent.objects.get(action="grant_role", object_id=str(added.pk))
    assert granted.actor == staff_province_admin and granted.new == f"viewer@{commune.code}"

    response = client.post(
        reverse("admin:units_roleassignment_change", args=[added.pk]),
        {"user": officer.pk, "unit": commune.pk, "role": Role.CLERK, "title": "Văn thư"},
    )
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="change_role")
    assert '"viewer@18823"' in changed.old and '"clerk@18823"' in changed.new

    client.post(reverse("admin:units_roleassignment_delete", args=[added.pk]), {"post": "yes"})
    assert not RoleAssignment.objects.filter(pk=added.pk).exists()
    assert AuditEvent.objects.filter(action="revoke_role", object_id=str(added.pk)).count() == 1


def test_nobody_makes_themselves_superuser_or_staff_in_the_user_admin(
    login, staff_province_admin, superuser, quiet
):
    """A staff administrator with every permission does not reach the accounts at all (they are
    not scoped); a superuser cannot change their own flags, groups or permissions."""
    staff_province_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth"))
    client = login(staff_province_admin)
    page = reverse("admin:auth_user_change", args=[staff_province_admin.pk])
    assert client.get(page).status_code == 403
    client.post(page, {"username": staff_province_admin.username, "is_superuser": "on", "is_staff": "on"})
    staff_province_admin.refresh_from_db()
    assert not staff_province_admin.is_superuser

    form = login(superuser).get(reverse("admin:auth_user_change", args=[superuser.pk]))
    readonly = form.context["adminform"].readonly_fields
    assert {"is_superuser", "is_staff", "is_active", "groups", "user_permissions"} <= set(readonly)


# A user whose last role was removed -------------------------------------------------------


def test_a_user_whose_last_role_was_removed_stays_manageable_by_the_administrator(
    login, province_admin, officer, commune
):
    only = officer.roles.get()
    client = login(province_admin)
    assert client.post(reverse("units:role-remove", args=[only.pk])).status_code == 302
    assert not officer.roles.exists()
    remembered = LastRole.objects.get(user=officer)
    assert (remembered.unit, remembered.role, remembered.removed_by) == (
        commune,
        Role.OFFICER,
        province_admin,
    )

    listing = client.get(reverse("units:user-list")).content.decode()
    assert officer.username in listing
    detail = client.get(reverse("units:user-detail", args=[officer.pk]))
    assert detail.status_code == 200 and detail.context["form"] is not None
    response = client.post(
        reverse("units:role-add", args=[officer.pk]), {"unit": commune.pk, "role": Role.VIEWER}
    )
    assert response.status_code == 302
    assert roles_of(officer) == {(Role.VIEWER, commune.code)}
    assert not LastRole.objects.filter(user=officer).exists()


def test_the_remembered_user_is_manageable_by_any_administrator_of_that_unit_and_by_nobody_else(
    login, province_admin, commune_admin, outsider_admin, officer
):
    services.revoke_role(by=commune_admin, assignment=officer.roles.get())
    assert services.managed_users(province_admin).filter(pk=officer.pk).exists()
    assert services.managed_users(commune_admin).filter(pk=officer.pk).exists()
    assert not services.managed_users(outsider_admin).filter(pk=officer.pk).exists()
    assert login(outsider_admin).get(reverse("units:user-detail", args=[officer.pk])).status_code == 404
