import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from units import access
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role


def test_a_commune_officer_sees_exactly_the_commune_subtree(officer, commune, areas, other_area, province):
    visible = set(access.visible_units(officer))
    assert visible == {commune, *areas}
    assert other_area not in visible and province not in visible


def test_a_province_role_covers_every_commune_below(
    province_viewer, province, commune, other_commune, other_area
):
    visible = set(access.visible_units(province_viewer))
    assert {province, commune, other_commune, other_area} <= visible


def test_nested_scopes_are_not_counted_twice(make_user, province, commune, area):
    user = make_user("both", Role.VIEWER, province)
    RoleAssignment.objects.create(user=user, unit=commune, role=Role.OFFICER)
    assert access.scope_paths(user) == [province.path]
    assert access.visible_units(user).filter(pk=area.pk).count() == 1


def test_roles_restrict_the_scope_to_the_units_where_the_user_holds_them(
    make_user, province, commune, other_area
):
    user = make_user("mixed", Role.VIEWER, province)
    RoleAssignment.objects.create(user=user, unit=commune, role=Role.OFFICER)
    assert other_area in access.visible_units(user)
    assert other_area not in access.visible_units(user, roles=[Role.OFFICER])
    assert access.has_role(user, commune, Role.OFFICER)
    assert not access.has_role(user, other_area, Role.OFFICER)


def test_a_superuser_sees_everything_and_an_anonymous_user_nothing(make_user, province, other_province, area):
    root = make_user("root", is_superuser=True)
    assert access.visible_units(root).count() == Unit.objects.count()
    assert not access.visible_units(AnonymousUser()).exists()
    assert not access.can_see(AnonymousUser(), area)


def test_a_user_without_roles_sees_nothing(make_user, area):
    assert not access.visible_units(make_user("nobody")).exists()


def test_objects_outside_the_scope_are_404_and_a_missing_role_is_403(officer, colleague, area, commune):
    assert access.get_for_user(officer, Unit, area.pk) == area
    with pytest.raises(Http404):
        access.get_for_user(colleague, Unit, area.pk)
    with pytest.raises(Http404):
        access.get_for_user(officer, Unit, "not-a-number")
    with pytest.raises(Http404):
        access.require_role(colleague, area, Role.OFFICER)
    with pytest.raises(PermissionDenied):
        access.require_role(officer, area, Role.APPROVER)
    access.require_role(officer, area, Role.OFFICER)


def test_scope_queryset_follows_a_related_unit(officer, commune, other_commune, make_user):
    RoleAssignment.objects.create(user=make_user("a"), unit=commune, role=Role.VIEWER)
    RoleAssignment.objects.create(user=make_user("b"), unit=other_commune, role=Role.VIEWER)
    names = set(
        access.scope_queryset(officer, RoleAssignment.objects.all(), unit_field="unit").values_list(
            "user__username", flat=True
        )
    )
    assert names == {"officer", "a"}


def test_a_sibling_with_a_longer_id_prefix_is_not_inside(make_user, province):
    # Paths end with "/": unit 1's subtree must not include unit 12.
    first = Unit.objects.create(code="P1", name="A", kind=Unit.Kind.COMMUNE, parent=province)
    sibling = Unit.objects.create(
        pk=int(f"{first.pk}0"), code="P2", name="B", kind=Unit.Kind.COMMUNE, parent=province
    )
    assert str(sibling.pk).startswith(str(first.pk))
    user = make_user("u", Role.OFFICER, first)
    assert sibling not in access.visible_units(user)
