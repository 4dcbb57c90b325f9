"""A token never acts further than its units and its access, whichever check asks.

Every decision on a user's roles reads the assignments the request carries (``units.access.
assignments``: for an API request, the token's narrowed ones), never the database's. The API has
no decision endpoint: deciding and revoking are asked of the services with the very user
``TokenAuth`` gives every endpoint (``tokens.scoped_user``); seeing is asked of the endpoints."""

import pytest
from django.test import Client

from antt.errors import WorkflowError
from api import tokens
from api.models import ApiRequest
from certification.models import Assessment, AuditEvent, Certificate, Decision
from certification.selectors.assessments import can_decide, can_revoke, is_approver_of
from certification.services import entry, transitions
from tests import builders
from tests.api.conftest import bearer, make_token
from tests.builders import decision_fields, fill, make_open_campaign, make_test_sets

APPROVER_ONLY = "Chỉ người phê duyệt của"  # "Only an approver of …"


def acting_as(user, **token):
    """The user an API request made with a new token of ``user`` acts as (what TokenAuth sets)."""
    found = tokens.find_token(make_token(user, **token))
    assert found is not None
    return tokens.scoped_user(found)


@pytest.fixture
def appraised(province, areas, officer, appraiser) -> Assessment:
    campaign = make_open_campaign(province, make_test_sets())
    draft = entry.start_assessment(campaign=campaign, unit=areas[0], by=officer)
    submitted = transitions.submit_assessment(assessment=fill(draft, officer), by=officer)
    return transitions.appraise_assessment(assessment=submitted, by=appraiser)


@pytest.fixture
def recognized(appraised, approver, commune) -> Assessment:
    return builders.recognized(appraised, approver, commune)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("owner", "units", "acts_for_the_commune"),
    [
        ("approver", [], True),  # the owner's whole scope
        ("approver", ["commune"], True),  # the body itself is in the token's units
        ("approver", ["area"], False),  # below the body: the area's, not the commune's
        ("superuser", ["commune"], True),  # a narrowed superuser holds every role there…
        ("superuser", ["area"], False),  # …and only there
    ],
)
def test_only_a_token_reaching_the_recognizing_body_itself_acts_as_its_approver(
    request, appraised, commune, owner, units, acts_for_the_commune
):
    narrowed = [request.getfixturevalue(name) for name in units]
    actor = acting_as(request.getfixturevalue(owner), units=narrowed)
    assert is_approver_of(actor, commune) is acts_for_the_commune
    assert can_decide(actor, appraised, commune) is acts_for_the_commune


@pytest.mark.django_db
def test_a_token_below_the_recognizing_body_cannot_recognize_and_nothing_changes(
    appraised, approver, commune, area
):
    actor = acting_as(approver, units=[area], can_write=True)
    events = AuditEvent.objects.count()
    with pytest.raises(WorkflowError, match=APPROVER_ONLY):
        transitions.recognize(assessments=[appraised], by=actor, **decision_fields(commune))
    with pytest.raises(WorkflowError, match=APPROVER_ONLY):
        transitions.not_recognize(
            assessments=[appraised], by=actor, reason="Chưa đạt", **decision_fields(commune)
        )
    appraised.refresh_from_db()
    assert appraised.status == Assessment.Status.APPRAISED
    assert not Decision.objects.exists() and AuditEvent.objects.count() == events
    # The same owner through a token over the commune decides: the refusal was the narrowing.
    transitions.recognize(
        assessments=[appraised], by=acting_as(approver, units=[commune]), **decision_fields(commune)
    )
    appraised.refresh_from_db()
    assert appraised.status == Assessment.Status.RECOGNIZED


@pytest.mark.django_db
def test_a_token_below_the_recognizing_body_cannot_revoke_and_nothing_changes(
    recognized, approver, commune, area
):
    actor = acting_as(approver, units=[area], can_write=True)
    assert not can_revoke(actor, recognized, commune)
    with pytest.raises(WorkflowError, match=APPROVER_ONLY):
        transitions.revoke_assessment(
            assessment=recognized,
            by=actor,
            reason="Phát hiện che giấu vụ việc",
            **{k: v for k, v in decision_fields(commune).items() if k != "issuer"},
        )
    recognized.refresh_from_db()
    assert recognized.status == Assessment.Status.RECOGNIZED
    assert recognized.certificates.get().status == Certificate.Status.VALID
    assert not Decision.objects.filter(kind=Decision.Kind.REVOCATION).exists()


@pytest.mark.django_db
def test_a_narrowed_token_sees_no_decision_certificate_or_assessment_outside_its_units(
    recognized, approver, areas
):
    decision = recognized.decision
    certificate = recognized.certificates.get()
    elsewhere = bearer(make_token(approver, units=[areas[1]]))
    assert elsewhere.get("/api/v1/decisions").json()["items"] == []
    assert elsewhere.get("/api/v1/certificates").json()["items"] == []
    assert elsewhere.get("/api/v1/assessments").json()["items"] == []
    assert elsewhere.get(f"/api/v1/decisions/{decision.pk}/pdf").status_code == 404
    assert elsewhere.get(f"/api/v1/certificates/{certificate.pk}/pdf").status_code == 404
    assert elsewhere.get(f"/api/v1/assessments/{recognized.pk}").status_code == 404
    # The area itself: its certificate and assessment, not the commune's decisions.
    here = bearer(make_token(approver, units=[areas[0]]))
    assert [c["id"] for c in here.get("/api/v1/certificates").json()["items"]] == [certificate.pk]
    assert [a["id"] for a in here.get("/api/v1/assessments").json()["items"]] == [recognized.pk]
    assert here.get("/api/v1/decisions").json()["items"] == []
    # The whole scope of the same owner sees the decision: the narrowing hid it.
    whole = bearer(make_token(approver))
    assert [d["id"] for d in whole.get("/api/v1/decisions").json()["items"]] == [decision.pk]


def write_operations() -> list[tuple[str, str]]:
    spec = Client().get("/api/v1/openapi.json").json()
    return sorted(
        (method.upper(), path.replace("/api/v1", "", 1))
        for path, operations in spec["paths"].items()
        for method in operations
        if method.upper() not in ("GET", "HEAD", "OPTIONS")
    )


@pytest.mark.django_db
def test_a_read_only_token_is_refused_every_write_of_the_api_before_anything_else(superuser, commune):
    operations = write_operations()
    assert len(operations) >= 4  # answers, submit and the two imports at least
    read_only = bearer(make_token(superuser))
    read_write = bearer(make_token(superuser, can_write=True))
    events = AuditEvent.objects.count()
    for method, path in operations:
        url = "/api/v1" + path.replace("{assessment_id}", "1").replace("{job_id}", "1")
        response = read_only.generic(method, url, b"{}", content_type="application/json")
        assert response.status_code == 403, (method, path, response.content)
        assert response.json() == {"detail": "Token này chỉ có quyền đọc."}
        # The same malformed request with write access gets past the check (and is refused for
        # what it is): the 403 above is the token's access, nothing else.
        other = read_write.generic(method, url, b"{}", content_type="application/json")
        assert other.status_code != 403, (method, path)
    assert AuditEvent.objects.count() == events
    refused = ApiRequest.objects.filter(token__can_write=False)
    assert sorted(refused.values_list("status", flat=True)) == [403] * len(operations)
