"""Writes through the API go through the web pages' services: the same checks, the same audit
(who, before → after), the same version conflicts (409), and the imports' row errors."""

import io

import pytest
from django.test import Client

from certification.audit import Action
from certification.models import Assessment, AuditEvent
from certification.services import entry
from tests.api.conftest import bearer, make_token
from tests.builders import fill, make_open_campaign, make_test_sets
from units.exchange.imports import COLUMNS
from units.models import Unit


@pytest.fixture
def draft(province, area, officer) -> Assessment:
    campaign = make_open_campaign(province, make_test_sets())
    return entry.start_assessment(campaign=campaign, unit=area, by=officer)


def save(client: Client, assessment: Assessment, body: dict):
    return client.post(f"/api/v1/assessments/{assessment.pk}/answers", body, content_type="application/json")


@pytest.mark.django_db
def test_saving_answers_is_audited_like_the_entry_page_and_returns_the_new_version(draft, officer):
    client = bearer(make_token(officer, can_write=True))
    response = save(
        client, draft, {"version": draft.version, "answers": {"KDC-1": {"value": "met", "note": "Đủ"}}}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == draft.version + 1
    assert {a["criterion"]: a["value"] for a in body["answers"]}["KDC-1"] == "met"
    event = AuditEvent.objects.get(action=Action.ANSWER, field="value")
    assert (event.actor_id, event.old, event.new) == (officer.pk, "", "met")


@pytest.mark.django_db
def test_a_stale_version_of_the_same_criterion_is_409_and_nothing_is_written(draft, officer):
    client = bearer(make_token(officer, can_write=True))
    seen = draft.version
    assert save(client, draft, {"version": seen, "answers": {"KDC-1": {"value": "met"}}}).status_code == 200
    response = save(client, draft, {"version": seen, "answers": {"KDC-1": {"value": "not_met"}}})
    assert response.status_code == 409
    body = response.json()
    assert body["version"] == seen + 1 and body["detail"]
    assert [(c["subject"], c["field"], c["old"], c["new"]) for c in body["changes"]] == [
        ("KDC-1", "value", "", "met")
    ]
    draft.refresh_from_db()
    assert draft.answers.get(criterion__code="KDC-1").value == "met"


@pytest.mark.django_db
def test_a_refused_value_is_a_vietnamese_400_and_nothing_changes(draft, officer, settings):
    settings.LANGUAGE_CODE = "vi"
    client = bearer(make_token(officer, can_write=True))
    response = save(client, draft, {"version": draft.version, "answers": {"KDC-99": {"value": "met"}}})
    assert response.status_code == 400
    assert "KDC-99" in response.json()["detail"]
    assert save(client, draft, {"version": "x"}).status_code == 422
    draft.refresh_from_db()
    assert draft.version == 1


@pytest.mark.django_db
def test_a_read_only_token_cannot_write(draft, officer):
    client = bearer(make_token(officer))
    response = save(client, draft, {"version": draft.version, "answers": {"KDC-1": {"value": "met"}}})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.version == 1 and not AuditEvent.objects.filter(action=Action.ANSWER).exists()


@pytest.mark.django_db
def test_a_role_without_entry_rights_cannot_save_even_with_a_write_token(draft, appraiser):
    client = bearer(make_token(appraiser, can_write=True))
    response = save(client, draft, {"version": draft.version, "answers": {"KDC-1": {"value": "met"}}})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.version == 1


@pytest.mark.django_db
def test_submitting_locks_the_assessment_and_a_second_submit_is_refused(draft, officer):
    fill(draft, officer)
    draft.refresh_from_db()
    client = bearer(make_token(officer, can_write=True))
    response = client.post(
        f"/api/v1/assessments/{draft.pk}/submit", {"version": draft.version}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Assessment.Status.SUBMITTED
    again = client.post(
        f"/api/v1/assessments/{draft.pk}/submit",
        {"version": response.json()["version"]},
        content_type="application/json",
    )
    assert again.status_code == 400
    assert AuditEvent.objects.filter(action=Action.STATUS, new=Assessment.Status.SUBMITTED).count() == 1


@pytest.mark.django_db
def test_an_assessment_outside_the_tokens_scope_is_404(draft, colleague):
    client = bearer(make_token(colleague, can_write=True))
    response = save(client, draft, {"version": draft.version, "answers": {"KDC-1": {"value": "met"}}})
    assert response.status_code == 404
    assert client.get(f"/api/v1/assessments/{draft.pk}").status_code == 404


UNITS_HEADER = ",".join(COLUMNS) + "\n"


@pytest.mark.django_db
def test_a_units_file_with_bad_rows_is_refused_whole_with_each_row_number(province_admin, commune, settings):
    settings.LANGUAGE_CODE = "vi"
    client = bearer(make_token(province_admin, can_write=True))
    template = client.get("/api/v1/units").json()  # warm: the token works
    assert template["items"]
    before = Unit.objects.count()
    csv = (
        UNITS_HEADER
        + f"18823-T01,Thôn Mới,Thôn,{commune.code},120,,,,\n18823-T02,,Thôn,{commune.code},x,,,,\n"
    )
    response = client.post("/api/v1/units/import", {"file": _named(csv), "dry_run": "false"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"] and all(e.startswith("Dòng ") for e in body["errors"]), body
    assert Unit.objects.count() == before


@pytest.mark.django_db
def test_a_good_units_file_is_checked_by_a_dry_run_then_imported_and_audited(province_admin, commune):
    client = bearer(make_token(province_admin, can_write=True))
    csv = UNITS_HEADER + f"18823-T01,Thôn Đông Hải,Thôn,{commune.code},120,,,,\n"
    dry = client.post("/api/v1/units/import", {"file": _named(csv), "dry_run": "true"})
    assert dry.status_code == 200, dry.content
    assert not Unit.objects.filter(code="18823-T01").exists()
    done = client.post("/api/v1/units/import", {"file": _named(csv)})
    assert done.status_code == 200 and done.json()["count"] == 1
    unit = Unit.objects.get(code="18823-T01")
    assert unit.parent == commune
    assert AuditEvent.objects.filter(
        action=Action.UNIT_CREATED, object_id=str(unit.pk), actor=province_admin
    ).exists()


@pytest.mark.django_db
def test_only_administrators_import_units(officer, commune):
    client = bearer(make_token(officer, can_write=True))
    csv = UNITS_HEADER + f"18823-T01,Thôn Đông Hải,Thôn,{commune.code},120,,,,\n"
    assert client.post("/api/v1/units/import", {"file": _named(csv)}).status_code == 403
    assert not Unit.objects.filter(code="18823-T01").exists()


def _named(text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "don-vi.csv"
    return upload


@pytest.mark.django_db
def test_a_write_token_narrowed_to_one_area_cannot_write_the_next_one(province, areas, officer):
    campaign = make_open_campaign(province, make_test_sets())
    mine, other = (entry.start_assessment(campaign=campaign, unit=a, by=officer) for a in areas[:2])
    client = bearer(make_token(officer, units=[areas[0]], can_write=True))
    body = {"version": 1, "answers": {"KDC-1": {"value": "met"}}}
    assert save(client, other, body).status_code == 404
    assert save(client, mine, body).status_code == 200
    other.refresh_from_db()
    assert other.version == 1
