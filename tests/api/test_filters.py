"""Lists filter by scope, year, status and the unit's kind, as their documentation says."""

import pytest

from certification.models import Assessment
from tests.api.conftest import bearer, make_token, score_areas


@pytest.fixture
def scored(province, commune, areas, officer):
    return score_areas(province, areas[:3], officer)


def rows(client, path: str, **query) -> list[dict]:
    response = client.get(f"/api/v1/{path}", {"limit": 500, **query})
    assert response.status_code == 200, response.content
    return response.json()["items"]


@pytest.mark.django_db
def test_results_filter_by_outcome_kind_year_and_scope(
    scored, province_viewer, commune, areas, other_commune
):
    client = bearer(make_token(province_viewer))
    everything = rows(client, "results")
    assert {"pass", "fail"} <= {r["outcome"] for r in everything}
    failed = rows(client, "results", status="fail")
    assert failed and all(r["outcome"] == "fail" for r in failed)
    assert areas[1].code in {r["unit_code"] for r in failed}
    residential = rows(client, "results", kind="residential_area")
    assert {r["unit_code"] for r in residential} == {a.code for a in areas[:3]}
    assert rows(client, "results", kind="school") == []
    assert rows(client, "results", year=scored.year - 1) == []
    assert len(rows(client, "results", year=scored.year)) == len(everything)
    assert rows(client, "results", scope=other_commune.pk) == []
    assert rows(client, "results", scope=areas[0].pk)[0]["unit_code"] == areas[0].code


@pytest.mark.django_db
def test_assessments_and_units_filter_by_status_and_kind(scored, officer, commune, areas):
    client = bearer(make_token(officer))
    drafts = rows(client, "assessments", status=Assessment.Status.DRAFT)
    assert {a["unit_code"] for a in drafts} == {a.code for a in areas[:3]}
    assert rows(client, "assessments", status=Assessment.Status.SUBMITTED) == []
    assert {u["kind"] for u in rows(client, "units", kind="residential_area")} == {"residential_area"}
    assert [u["id"] for u in rows(client, "units", kind="commune")] == [commune.pk]
