"""The admin site (left out of the permission matrix): only staff get in; a staff administrator
of a commune sees only their subtree even with every model permission; the certification
models are for superusers only (they are not scoped there; the app's pages are).

Scoping inside the units admin is tested in detail in tests/units/test_admin.py."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import ADMIN, MARKERS, OFFICER, SUPER


def admin_pages_without_arguments() -> list[str]:
    """Index, app indexes are left out (they need an argument); every changelist and add page."""
    admin = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "admin"
    )
    names = []
    for p in admin.url_patterns:
        patterns = p.url_patterns if isinstance(p, URLResolver) else [p]
        for q in patterns:
            if (
                isinstance(q, URLPattern)
                and q.name
                and not q.pattern.converters
                and "(?P" not in str(q.pattern)
            ):
                names.append(f"admin:{q.name}")
    return sorted(set(names))


def test_the_admin_pages_are_enumerated():
    names = admin_pages_without_arguments()
    assert "admin:index" in names and "admin:certification_assessment_changelist" in names
    assert "admin:units_unit_changelist" in names and len(names) > 30


@pytest.mark.django_db
def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login_from_every_admin_page(world, client):
    login = reverse("admin:login")
    names = [n for n in admin_pages_without_arguments() if n not in ("admin:login", "admin:logout")]
    for who in (None, world.users[OFFICER]):
        client.logout()
        if who:
            client.force_login(who)
        for name in names:
            response = client.get(reverse(name))
            assert response.status_code == 302, (name, who)
            assert response["Location"].startswith(login), (name, who)


@pytest.fixture
def staff_admin(world):
    """The commune administrator made staff, with every permission there is."""
    user = world.users[ADMIN]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.mark.django_db
def test_a_staff_commune_admin_with_every_permission_sees_only_their_subtree(
    world, client, staff_admin, quiet
):
    client.force_login(staff_admin)
    units = client.get(reverse("admin:units_unit_changelist") + "?all=").content.decode()
    assert MARKERS["in"] in units and MARKERS["out"] not in units
    far_unit = world.sides["out"].areas[0]
    change = client.get(reverse("admin:units_unit_change", args=[far_unit.pk]))
    assert change.status_code == 302  # Django: "doesn't exist. Perhaps it was deleted?" → index

    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/certification/" not in index
    certification = [n for n in admin_pages_without_arguments() if ":certification_" in n]
    assert len(certification) >= 20
    for name in certification:
        assert client.get(reverse(name)).status_code == 403, name
    assessment = world.sides["out"].draft
    assert (
        client.get(reverse("admin:certification_assessment_change", args=[assessment.pk])).status_code == 403
    )


@pytest.mark.django_db
def test_superusers_reach_the_certification_admin_read_only(world, client):
    client.force_login(world.users[SUPER])
    assert client.get(reverse("admin:certification_assessment_changelist")).status_code == 200
    assert client.get(reverse("admin:certification_assessment_add")).status_code == 403
    page = client.get(reverse("admin:certification_decision_changelist")).content.decode()
    assert str(world.sides["in"].decision.number) in page
