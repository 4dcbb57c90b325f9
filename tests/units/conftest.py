"""Fixtures of the units tests: administrators of a commune and of a province, a superuser."""

import pytest

from units.models import RoleAssignment

Role = RoleAssignment.Role


@pytest.fixture
def commune_admin(make_user, commune):
    return make_user("commune_admin", Role.ADMIN, commune)


@pytest.fixture
def province_admin(make_user, province):
    return make_user("province_admin", Role.ADMIN, province)


@pytest.fixture
def outsider_admin(make_user, other_province):
    return make_user("outsider_admin", Role.ADMIN, other_province)


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
