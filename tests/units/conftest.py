"""Fixtures of the units tests: administrators of a commune and of another province."""

import io

import pytest
from openpyxl import Workbook

from tests.plugins.domain import role_user
from units.exchange.imports import COLUMNS, SHEET_NAME
from units.models import RoleAssignment

Role = RoleAssignment.Role


commune_admin = role_user("commune_admin", Role.ADMIN, "commune")
outsider_admin = role_user("outsider_admin", Role.ADMIN, "other_province")


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def xlsx(rows, header=COLUMNS, sheet=SHEET_NAME) -> bytes:
    """An import workbook: ``header`` then ``rows`` on sheet ``sheet``."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
