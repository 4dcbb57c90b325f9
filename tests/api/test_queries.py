"""The query-count rule of the web pages (bench/pages.py) holds for the API: a page of results,
assessments or units costs the same number of queries for a commune of 3 units as for one of 30
(the page is at most ``limit`` rows; the reasons are read in two queries for the whole page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certification.services import entry
from certification.services.scoring import score_now
from tests.api.conftest import bearer, make_token
from tests.builders import fill, make_areas, make_open_campaign, make_test_sets


def queries(client, url: str) -> int:
    client.get(url)  # warm: the token's last use is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["results", "assessments", "units"])
def test_a_list_costs_the_same_queries_for_ten_times_the_units(
    path, province, commune, officer, province_viewer
):
    campaign = make_open_campaign(province, make_test_sets())

    def grow(count: int, code: str) -> None:
        areas = make_areas(commune, count, code=code, name=f"Khu {code}")
        drafts = [entry.start_assessment(campaign=campaign, unit=a, by=officer) for a in areas]
        for draft in drafts:
            fill(draft, officer, value="not_met")
        score_now(drafts)

    client = bearer(make_token(province_viewer))
    url = f"/api/v1/{path}?scope={commune.pk}&limit=100"
    grow(3, "A")
    small = queries(client, url)
    grow(27, "B")
    assert len(client.get(url).json()["items"]) >= 30
    assert queries(client, url) == small
