"""Shared domain fixtures: a small province with two communes, their residential areas and
institutions, and one user per role (insider, colleague in the other commune, outsider)."""

import pytest

from tests import builders
from tests.builders import make_areas, make_commune, make_province
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def province(db) -> Unit:
    return make_province("42")


@pytest.fixture
def other_province(db) -> Unit:
    return make_province("40")


@pytest.fixture
def commune(province) -> Unit:
    return make_commune(province, "18823")


@pytest.fixture
def other_commune(province) -> Unit:
    return make_commune(province, "18832")


@pytest.fixture
def areas(commune) -> list[Unit]:
    return make_areas(commune, 5, code="TDP")


@pytest.fixture
def area(areas) -> Unit:
    return areas[0]


@pytest.fixture
def other_area(other_commune) -> Unit:
    return Unit.objects.create(
        code="18832-T01",
        name="Thôn Tân Hoa",
        label="Thôn",
        kind=Unit.Kind.RESIDENTIAL_AREA,
        parent=other_commune,
    )


@pytest.fixture
def make_user(db):
    return builders.make_user


def role_user(username: str, role: str, unit_fixture: str):
    """A fixture: the user ``username`` with ``role`` on the unit of fixture ``unit_fixture``."""

    @pytest.fixture
    def user(request, make_user):
        return make_user(username, role, request.getfixturevalue(unit_fixture))

    return user


officer = role_user("officer", Role.OFFICER, "commune")
appraiser = role_user("appraiser", Role.APPRAISER, "commune")
approver = role_user("approver", Role.APPROVER, "commune")
clerk = role_user("clerk", Role.CLERK, "commune")
province_approver = role_user("province_approver", Role.APPROVER, "province")
province_viewer = role_user("leader", Role.VIEWER, "province")
colleague = role_user("colleague", Role.OFFICER, "other_commune")  # an officer of another commune
outsider = role_user("outsider", Role.OFFICER, "other_province")
province_admin = role_user("province_admin", Role.ADMIN, "province")
commune_admin = role_user("commune_admin", Role.ADMIN, "commune")
outsider_admin = role_user("outsider_admin", Role.ADMIN, "other_province")


@pytest.fixture
def login(client):
    """``login(user)``: the test client, logged in as ``user``."""

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_superuser=True, is_staff=True)
