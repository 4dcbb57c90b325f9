"""API fixtures: tokens made through the service, clients that send them."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from api.tokens import create_token
from certification.services import entry
from certification.services.scoring import score_now
from tests.builders import fill, make_open_campaign, make_test_sets


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


def score_areas(province, areas, officer):
    """An open campaign where the first area passes, the second fails and any other is a blank
    draft, all scored; returns the campaign."""
    campaign = make_open_campaign(province, make_test_sets())
    drafts = [entry.start_assessment(campaign=campaign, unit=a, by=officer) for a in areas]
    fill(drafts[0], officer)
    fill(drafts[1], officer, value="not_met")
    score_now(drafts)
    return campaign
