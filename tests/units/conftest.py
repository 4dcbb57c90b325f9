"""Fixtures of the units tests: administrators of a commune and of a province, a superuser."""

import pytest

from tests.plugins.domain import role_user
from units.models import RoleAssignment

Role = RoleAssignment.Role


commune_admin = role_user("commune_admin", Role.ADMIN, "commune")
province_admin = role_user("province_admin", Role.ADMIN, "province")
outsider_admin = role_user("outsider_admin", Role.ADMIN, "other_province")


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
