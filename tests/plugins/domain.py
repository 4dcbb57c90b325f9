"""Shared domain fixtures: a small province with two communes, their residential areas and
institutions, and one user per role (insider, colleague in the other commune, outsider)."""

import pytest
from django.contrib.auth import get_user_model

from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def province(db) -> Unit:
    return Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)


@pytest.fixture
def other_province(db) -> Unit:
    return Unit.objects.create(code="40", name="Nghệ An", label="Tỉnh", kind=Unit.Kind.PROVINCE)


@pytest.fixture
def commune(province) -> Unit:
    return Unit.objects.create(
        code="18823", name="Vũng Áng", label="Phường", kind=Unit.Kind.COMMUNE, parent=province
    )


@pytest.fixture
def other_commune(province) -> Unit:
    return Unit.objects.create(
        code="18832", name="Kỳ Hoa", label="Xã", kind=Unit.Kind.COMMUNE, parent=province
    )


@pytest.fixture
def areas(commune) -> list[Unit]:
    return [
        Unit.objects.create(
            code=f"18823-TDP{i:02d}",
            name=f"Tổ dân phố {i}",
            label="Tổ dân phố",
            kind=Unit.Kind.RESIDENTIAL_AREA,
            parent=commune,
            household_count=100 + i,
        )
        for i in range(1, 6)
    ]


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
    def make(username: str, role: str | None = None, unit: Unit | None = None, **extra):
        user = get_user_model().objects.create_user(username=username, password="correct-horse-42", **extra)
        if role and unit:
            RoleAssignment.objects.create(user=user, unit=unit, role=role)
        return user

    return make


@pytest.fixture
def officer(make_user, commune):
    return make_user("officer", Role.OFFICER, commune)


@pytest.fixture
def appraiser(make_user, commune):
    return make_user("appraiser", Role.APPRAISER, commune)


@pytest.fixture
def approver(make_user, commune):
    return make_user("approver", Role.APPROVER, commune)


@pytest.fixture
def clerk(make_user, commune):
    return make_user("clerk", Role.CLERK, commune)


@pytest.fixture
def province_approver(make_user, province):
    return make_user("province_approver", Role.APPROVER, province)


@pytest.fixture
def province_viewer(make_user, province):
    return make_user("leader", Role.VIEWER, province)


@pytest.fixture
def colleague(make_user, other_commune):
    """An officer of another commune in the same province."""
    return make_user("colleague", Role.OFFICER, other_commune)


@pytest.fixture
def outsider(make_user, other_province):
    return make_user("outsider", Role.OFFICER, other_province)
