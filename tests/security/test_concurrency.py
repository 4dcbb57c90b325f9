"""Concurrency on PostgreSQL with real threads (each its own connection and transaction).

Also covered, not repeated: two ``save_answers`` calls with the same version → one wins, one
gets a conflict, and a double ``recognize`` of one assessment → one decision
(tests/certification/workflow/test_concurrency.py); 50 concurrent ``issue_decision`` on draft
decisions → numbers 1..50 (tests/certification/documents/test_integration.py).

Here: the full recognition service 50 times in parallel (decision *and* certificate numbers,
the audit chain), and the two races through the HTTP views, as browsers cause them.
"""

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certification import audit
from certification.models import Answer, Assessment, AuditEvent, Certificate, Decision, DecisionCounter
from certification.selectors.assessments import changes_since
from certification.services import entry, transitions
from tests import builders
from tests.builders import KDC_LEAVES, decision_fields, fill, make_user
from tests.threads import run_in_threads
from units.models import RoleAssignment

Role = RoleAssignment.Role
THREADS = 50

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def commune_with_areas():
    province = builders.make_province()
    commune = builders.make_commune(province)
    areas = builders.make_areas(commune, THREADS, households=lambda i: None)
    kdc, xa = builders.make_test_sets()
    campaign = builders.make_open_campaign(province, [kdc, xa])
    return commune, areas, campaign, kdc


def appraised(campaign, unit, criteria_set) -> Assessment:
    """An appraised assessment with every answer met, built directly (the path to it is tested
    by the workflow suite)."""
    assessment = Assessment.objects.create(
        campaign=campaign, unit=unit, criteria_set=criteria_set, status=Assessment.Status.APPRAISED
    )
    criteria = criteria_set.criteria.filter(code__in=KDC_LEAVES)
    Answer.objects.bulk_create(Answer(assessment=assessment, criterion=c, value="met") for c in criteria)
    return assessment


def test_fifty_parallel_recognitions_by_one_issuer_get_unique_gap_free_decision_and_certificate_numbers(
    commune_with_areas, record_property
):
    commune, areas, campaign, kdc = commune_with_areas
    approver = make_user("approver", Role.APPROVER, commune)
    assessments = [appraised(campaign, unit, kdc) for unit in areas]
    events_before = AuditEvent.objects.count()

    def recognize(a):
        return lambda: transitions.recognize(assessments=[a], by=approver, **decision_fields(commune))

    started = time.monotonic()
    outcomes = run_in_threads([recognize(a) for a in assessments])
    elapsed = time.monotonic() - started
    record_property("seconds", round(elapsed, 2))
    print(f"\n{THREADS} parallel recognitions: {elapsed:.2f} s")

    errors = [o for o in outcomes if not isinstance(o, Decision)]
    assert not errors, errors[:3]
    year = campaign.year
    numbers = sorted(Decision.objects.filter(issuer=commune, year=year).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    registers = sorted(
        Certificate.objects.filter(decision__issuer=commune, year=year).values_list(
            "register_number", flat=True
        )
    )
    assert registers == list(range(1, THREADS + 1))
    assert {c.series: c.last for c in DecisionCounter.objects.filter(issuer=commune, year=year)} == {
        "decision": THREADS,
        "certificate": THREADS,
    }
    recognized = Assessment.objects.filter(pk__in=[a.pk for a in assessments], status="recognized")
    assert recognized.count() == THREADS
    assert len(set(recognized.values_list("decision", flat=True))) == THREADS
    # 50 concurrent audit writers did not fork the hash chain.
    assert AuditEvent.objects.count() > events_before
    assert audit.verify_chain() == (True, None)


def test_fifty_officers_saving_and_submitting_at_once_keep_one_unbroken_audit_chain(commune_with_areas):
    """The deadline of bench/load in small: every save and submission appends its events at the
    end of its transaction (``audit.deferred``), under the chain's lock; none may fork the chain
    or lose its place in the assessment's own history."""
    commune, areas, campaign, _kdc = commune_with_areas
    officer = make_user("officer", Role.OFFICER, commune)
    drafts = [entry.start_assessment(campaign=campaign, unit=unit, by=officer) for unit in areas]
    versions = {a.pk: a.version for a in drafts}
    events_before = AuditEvent.objects.count()

    def save_and_submit(assessment):
        def run():
            saved = fill(assessment, officer)
            return transitions.submit_assessment(assessment=saved, by=officer, expected_version=saved.version)

        return run

    outcomes = run_in_threads([save_and_submit(a) for a in drafts])

    errors = [o for o in outcomes if not isinstance(o, Assessment)]
    assert not errors, errors[:3]
    assert Assessment.objects.filter(pk__in=versions, status="submitted").count() == THREADS
    # Per assessment: version mark, answers, figures, minutes; version mark, status.
    assert AuditEvent.objects.count() == events_before + THREADS * (1 + len(KDC_LEAVES) + 6 + 2)
    assert audit.verify_chain() == (True, None)
    for assessment in drafts:
        changes = changes_since(assessment, versions[assessment.pk])
        assert [c.field for c in changes][: len(KDC_LEAVES)] == ["value"] * len(KDC_LEAVES)
        assert changes[-1].field == "status" and changes[-1].new == "submitted"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _recognition(commune_with_areas) -> tuple[Any, dict[str, Any]]:
    """An approver of the commune and the form that recognizes three appraised areas."""
    commune, areas, campaign, kdc = commune_with_areas
    approver = make_user("approver", Role.APPROVER, commune)
    chosen = [appraised(campaign, unit, kdc) for unit in areas[:3]]
    return approver, {
        "issuer": commune.pk,
        "outcome": "recognize",
        "assessments": [a.pk for a in chosen],
        "issued_on": timezone.localdate().isoformat(),
        "signer_title": "Chủ tịch",
        "signer_name": "Phạm Văn Dũng",
        "place": "Vũng Áng",
    }


def test_a_double_clicked_recognize_button_makes_exactly_one_decision(commune_with_areas):
    approver, form = _recognition(commune_with_areas)
    url = reverse("certification:recognize-batch")
    clients = [_signed_in(approver), _signed_in(approver)]

    outcomes = run_in_threads([lambda c=c: c.post(url, form) for c in clients])

    assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
    assert sorted(o.status_code for o in outcomes) == [200, 302]  # one decision, one error page
    assert Decision.objects.count() == 1
    decision = Decision.objects.get()
    assert decision.number == 1 and decision.certificates.count() == 3
    assert set(Assessment.objects.values_list("decision", flat=True)) == {decision.pk}
    refused = next(o for o in outcomes if o.status_code == 200).content.decode()
    assert "msg-error" in refused


def test_the_same_recognition_sent_again_after_it_was_issued_says_why_nothing_was_issued(
    commune_with_areas,
):
    """The second click that comes after the first finished (no race left): the page says so."""
    approver, form = _recognition(commune_with_areas)
    url = reverse("certification:recognize-batch")
    client = _signed_in(approver)

    assert client.post(url, form).status_code == 302
    again = client.post(url, form, follow=False)

    assert again.status_code == 200 and Decision.objects.count() == 1
    assert "không còn chờ quyết định" in again.content.decode()


def test_two_editors_saving_the_same_version_at_once_lose_no_update(commune_with_areas):
    commune, areas, campaign, kdc = commune_with_areas
    first, second = make_user("officer1", Role.OFFICER, commune), make_user("officer2", Role.OFFICER, commune)
    assessment = entry.start_assessment(campaign=campaign, unit=areas[0], by=first)
    answer = assessment.answers.get(criterion__code="KDC-1")
    url = reverse("certification:assessment-save", args=[assessment.pk])

    def save(client, value):
        return lambda: client.post(
            url,
            {"version": assessment.version, "only": answer.pk, f"value-{answer.pk}": value},
            HTTP_ACCEPT="application/json",
        )

    outcomes = run_in_threads([save(_signed_in(first), "met"), save(_signed_in(second), "not_met")])

    codes = sorted(o.status_code for o in outcomes)
    assert codes == [200, 409], [o.content for o in outcomes]
    winner = next(o for o in outcomes if o.status_code == 200)
    loser = json.loads(next(o for o in outcomes if o.status_code == 409).content)
    assert loser["conflict"] is True and loser["version"] == assessment.version + 1
    answer.refresh_from_db()
    won_value = "met" if winner is outcomes[0] else "not_met"
    assert answer.value == won_value
    assessment.refresh_from_db()
    assert assessment.version == loser["version"]
