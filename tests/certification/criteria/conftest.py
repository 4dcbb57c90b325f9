"""Fixtures of the criteria area: the TT 124 sets loaded by the data migration."""

import pytest

from certification.models import CriteriaSet


def _set(family: str) -> CriteriaSet:
    return CriteriaSet.objects.get(family=family, version=1)


@pytest.fixture
def kdc_set(db) -> CriteriaSet:
    return _set("tt124-kdc")


@pytest.fixture
def xa_set(db) -> CriteriaSet:
    return _set("tt124-xa")


@pytest.fixture
def cqdn_set(db) -> CriteriaSet:
    return _set("tt124-cqdn")


@pytest.fixture
def csgd_set(db) -> CriteriaSet:
    return _set("tt124-csgd")


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def province_admin(make_user, province):
    from units.models import RoleAssignment

    return make_user("province_admin", RoleAssignment.Role.ADMIN, province)
