import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from units.models import RecognizingAuthority, RoleAssignment, Unit

Role = RoleAssignment.Role


def _staff(user):
    """``user`` made staff with every permission of the units app."""
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="units"))
    return user


@pytest.fixture
def staff_admin(commune_admin):
    return _staff(commune_admin)


@pytest.fixture
def staff_outsider(outsider_admin):
    return _staff(outsider_admin)


def test_staff_see_only_their_subtree_in_the_unit_changelist(login, staff_admin, areas, other_area, province):
    response = login(staff_admin).get(reverse("admin:units_unit_changelist"))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert set(areas) <= shown
    assert other_area not in shown and province not in shown


def test_a_unit_outside_the_subtree_is_not_reachable_in_the_admin(
    login, staff_admin, staff_outsider, other_area, area
):
    response = login(staff_admin).get(reverse("admin:units_unit_change", args=[other_area.pk]))
    assert response.status_code == 302  # Django admin redirects a missing object to the index
    assert login(staff_outsider).get(reverse("admin:units_unit_change", args=[area.pk])).status_code == 302
    assert login(staff_admin).get(reverse("admin:units_unit_change", args=[area.pk])).status_code == 200


def test_the_parent_choices_are_limited_to_the_subtree(login, staff_admin, commune, other_commune):
    client = login(staff_admin)
    data = {"code": "18823-N", "name": "Thôn Mới", "kind": "residential_area", "label": "Thôn", "note": ""}
    response = client.post(reverse("admin:units_unit_add"), {**data, "parent": other_commune.pk})
    assert response.status_code == 200 and "parent" in response.context["adminform"].form.errors
    response = client.post(reverse("admin:units_unit_add"), {**data, "parent": ""})
    assert response.status_code == 200  # only superusers add roots
    response = client.post(reverse("admin:units_unit_add"), {**data, "parent": commune.pk})
    assert response.status_code == 302
    created = Unit.objects.get(code="18823-N")
    assert created.parent == commune and created.is_within(commune)


def test_the_root_of_ones_subtree_cannot_be_moved_in_the_admin(login, staff_admin, commune):
    response = login(staff_admin).get(reverse("admin:units_unit_change", args=[commune.pk]))
    assert "parent" in response.context["adminform"].readonly_fields


def test_role_assignments_are_scoped_and_cannot_create_a_peer(
    login, staff_admin, officer, colleague, commune
):
    client = login(staff_admin)
    shown = set(client.get(reverse("admin:units_roleassignment_changelist")).context["cl"].result_list)
    assert officer.roles.get() in shown and colleague.roles.get() not in shown
    response = client.post(
        reverse("admin:units_roleassignment_add"),
        {"user": officer.pk, "unit": commune.pk, "role": Role.ADMIN},
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=officer, role=Role.ADMIN).exists()
    response = client.post(
        reverse("admin:units_roleassignment_add"),
        {"user": colleague.pk, "unit": commune.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 200  # a user of another commune is not among the choices
    response = client.post(
        reverse("admin:units_roleassignment_add"),
        {"user": officer.pk, "unit": commune.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302


def test_recognizing_authority_rows_are_scoped_and_validated(
    login, staff_admin, superuser, commune, province, other_area
):
    school = Unit.objects.create(
        code="S", name="Trường THCS", kind=Unit.Kind.SCHOOL, school_level="lower_secondary", parent=commune
    )
    RecognizingAuthority.objects.create(unit=other_area, authority=other_area.parent, from_year=2026)
    shown = (
        login(staff_admin)
        .get(reverse("admin:units_recognizingauthority_changelist"))
        .context["cl"]
        .result_list
    )
    assert not list(shown)
    response = login(superuser).post(
        reverse("admin:units_recognizingauthority_add"),
        {
            "unit": school.pk,
            "authority": province.pk,
            "from_year": 2026,
            "is_delegation": "on",
            "reference": "",
        },
    )
    assert response.status_code == 200  # delegation goes down, never up
    assert not RecognizingAuthority.objects.filter(unit=school).exists()


def test_superusers_see_everything_in_the_admin(
    login, superuser, areas, other_area, province, other_province
):
    shown = set(login(superuser).get(reverse("admin:units_unit_changelist")).context["cl"].result_list)
    assert {province, other_province, other_area} <= shown


def test_admin_search_ignores_diacritics_and_stays_scoped(login, staff_admin, commune, other_commune):
    mine = Unit.objects.create(
        code="K1", name="Thôn Kỳ Long", kind=Unit.Kind.RESIDENTIAL_AREA, parent=commune
    )
    Unit.objects.create(code="K2", name="Thôn Kỳ Long", kind=Unit.Kind.RESIDENTIAL_AREA, parent=other_commune)
    response = login(staff_admin).get(reverse("admin:units_unit_changelist"), {"q": "ky long"})
    assert list(response.context["cl"].result_list) == [mine]


def test_unit_changes_are_visible_when_one_side_is_in_the_subtree(login, staff_admin, commune, other_commune):
    from units.models import UnitChange

    old = Unit.objects.create(
        code="L-1", name="Kỳ Long", label="Phường", kind=Unit.Kind.COMMUNE, valid_to="2025-07-01"
    )
    mine = UnitChange.objects.create(predecessor=old, successor=commune)
    UnitChange.objects.create(predecessor=old, successor=other_commune)
    shown = list(
        login(staff_admin).get(reverse("admin:units_unitchange_changelist")).context["cl"].result_list
    )
    assert shown == [mine]
