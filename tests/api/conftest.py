"""API fixtures: tokens made through the service, clients that send them."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from api.tokens import create_token


def make_token(user, *, units=(), can_write: bool = False, days: int = 30) -> str:
    _token, secret = create_token(
        by=user,
        name=f"token of {user.username}",
        units=units,
        can_write=can_write,
        expires_on=timezone.localdate() + datetime.timedelta(days=days),
    )
    return secret


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def token_client():
    def build(user, **kwargs) -> Client:
        return bearer(make_token(user, **kwargs))

    return build
