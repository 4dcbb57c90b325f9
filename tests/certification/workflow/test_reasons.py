"""Issue 20, points 2 and 3: the engine's outcome and reasons are shown where people work (the
entry, appraisal and decision pages, the officer's home, the unit pages), and recognizing a unit
the engine fails needs a written reason, kept in the audit and shown on the decision.

The unit: every answer "met", but its other violations rose from 1 last year to 2 this year, so
the engine fails KDC-4a (the answer contradicts the figures and carries no note)."""

import datetime

import pytest
from django.urls import reverse

from antt.errors import WorkflowError
from certification.audit import Action
from certification.models import Assessment, AuditEvent, Campaign, Decision, Result
from certification.scoring.results import rescore_unit
from certification.selectors import reasons
from certification.services import transitions
from tests.builders import decision_fields, make_campaign
from tests.certification.workflow.conftest import refused

pytestmark = pytest.mark.django_db

FIGURES = "vi phạm pháp luật khác 2 (năm trước 1, tăng)"
WHY = "Xã đã xác minh: vụ vi phạm thứ hai do người ngoài địa bàn gây ra"


@pytest.fixture
def last_year(province, kdc_set, xa_set, today, area) -> Assessment:
    """Last year's assessment of the same unit: one other violation (this year's fill has two)."""
    previous = make_campaign(
        province,
        today.year - 1,
        [kdc_set, xa_set],
        entry_end=today - datetime.timedelta(days=300),
        status=Campaign.Status.CLOSED,
    )
    return Assessment.objects.create(
        campaign=previous,
        unit=area,
        criteria_set=kdc_set,
        status=Assessment.Status.RECOGNIZED,
        crime_count=1,
        social_evil_count=0,
        violation_count=1,
    )


@pytest.fixture
def failing(last_year, appraised) -> Assessment:
    """Appraised, every answer met, and scored (as the worker does after the appraisal)."""
    rescore_unit(appraised.unit_id, appraised.campaign_id)
    return appraised


def batch_url(commune) -> str:
    return reverse("certification:recognize-batch") + f"?issuer={commune.pk}"


def batch_post(commune, assessment, **extra) -> dict:
    fields = decision_fields(commune)
    return {
        "issuer": commune.pk,
        "assessments": [assessment.pk],
        "outcome": "recognize",
        "issued_on": fields["issued_on"].isoformat(),
        "signer_title": fields["signer_title"],
        "signer_name": fields["signer_name"],
        "place": fields["place"],
        **extra,
    }


# --- the selector ---------------------------------------------------------------------------


def test_the_reasons_name_the_failing_criterion_with_the_engines_figures(failing):
    found = reasons.for_assessment(failing)
    assert found.outcome == Result.Outcome.FAIL and found.engine_fails
    (item,) = found.not_met
    assert item.code == "KDC-4a"
    assert any(FIGURES in why for why in item.why)
    assert FIGURES in found.sentence


def test_an_officers_quoted_note_with_full_stops_stays_one_sentence():
    text = (
        "Chưa đạt 1 tiêu chí: KDC-4a. KDC-4a: cán bộ xác định đạt với ghi chú “Đã xử lý. Xong.”. Điểm: 5/10"
    )
    assert reasons.split_sentences(text) == [
        "Chưa đạt 1 tiêu chí: KDC-4a",
        "KDC-4a: cán bộ xác định đạt với ghi chú “Đã xử lý. Xong.”",
        "Điểm: 5/10",
    ]


def test_xa4_says_what_is_still_needed(failing, commune):
    result = Result.objects.get(campaign=failing.campaign, unit=commune)
    sentences = reasons.xa4_sentences(result)
    assert sentences[0].startswith("XA-4:") and "0/5" in sentences[0]
    assert "Cần ít nhất 4/5 đơn vị được công nhận" in sentences


# --- recognizing against the engine ---------------------------------------------------------


def test_recognizing_a_unit_the_engine_fails_without_a_reason_is_refused(failing, approver, commune):
    with refused(failing, match="computed result"):
        transitions.recognize(assessments=[failing], by=approver, **decision_fields(commune))
    assert not Decision.objects.exists()


def test_a_blank_reason_is_no_reason(failing, approver, commune):
    with refused(failing, match="computed result"):
        transitions.recognize(
            assessments=[failing], by=approver, overrides={failing.pk: "   "}, **decision_fields(commune)
        )


def test_recognizing_against_the_engine_with_a_reason_is_audited(failing, approver, commune):
    decision = transitions.recognize(
        assessments=[failing], by=approver, overrides={failing.pk: WHY}, **decision_fields(commune)
    )
    failing.refresh_from_db()
    assert failing.status == Assessment.Status.RECOGNIZED and failing.decision == decision
    event = AuditEvent.objects.get(action=Action.RECOGNITION_OVERRIDE, assessment=failing)
    assert event.new == WHY and FIGURES in event.old and event.actor == approver
    assert Action.label_of(event.action) == "Recognized against the computed result"
    (override,) = reasons.overrides_for(decision)
    assert override.reason == WHY and FIGURES in override.computed


def test_a_unit_the_engine_passes_needs_no_reason(appraised, approver, commune):
    decision = transitions.recognize(assessments=[appraised], by=approver, **decision_fields(commune))
    assert decision.number == 1
    assert not AuditEvent.objects.filter(action=Action.RECOGNITION_OVERRIDE).exists()


# --- the pages ------------------------------------------------------------------------------


def test_the_batch_page_shows_the_result_its_reasons_and_asks_for_a_reason(
    as_user, approver, commune, failing
):
    page = as_user(approver).get(batch_url(commune)).content.decode()
    assert FIGURES in page
    assert "Forecast: Does not meet the standard yet" in page
    assert f'name="override-{failing.pk}"' in page


def test_the_batch_page_refuses_without_a_reason_and_issues_nothing(as_user, approver, commune, failing):
    client = as_user(approver)
    response = client.post(
        reverse("certification:recognize-batch"), batch_post(commune, failing), follow=True
    )
    assert "write the reason for departing from the computed result" in response.content.decode()
    assert not Decision.objects.exists()
    failing.refresh_from_db()
    assert failing.status == Assessment.Status.APPRAISED


def test_the_override_reason_is_shown_on_the_decision_page(as_user, approver, commune, failing):
    client = as_user(approver)
    response = client.post(
        reverse("certification:recognize-batch"),
        batch_post(commune, failing, **{f"override-{failing.pk}": WHY}),
        follow=True,
    )
    page = response.content.decode()
    decision = Decision.objects.get()
    assert response.redirect_chain[-1][0] == decision.get_absolute_url()
    assert "Recognized against the computed result" in page
    assert WHY in page and FIGURES in page


def test_the_appraisal_page_shows_the_result_and_its_reasons(as_user, appraiser, last_year, submitted):
    rescore_unit(submitted.unit_id, submitted.campaign_id)
    page = as_user(appraiser).get(reverse("certification:assessment-appraise", args=[submitted.pk]))
    assert FIGURES in page.content.decode()


def test_the_entry_page_tells_the_officer_what_fails_and_what_is_needed(as_user, officer, last_year, filled):
    rescore_unit(filled.unit_id, filled.campaign_id)
    page = as_user(officer).get(filled.get_absolute_url()).content.decode()
    assert "Computed result: what is missing and what is needed" in page
    assert FIGURES in page
    assert "Needed:" in page  # the criterion's own text beside the engine's reason


def test_the_officers_home_gives_the_reason_beside_the_forecast(as_user, officer, last_year, filled):
    rescore_unit(filled.unit_id, filled.campaign_id)
    page = as_user(officer).get(reverse("home")).content.decode()
    assert "forecast: not yet" in page
    assert FIGURES in page


def test_the_officers_home_says_what_xa4_still_needs(as_user, officer, last_year, filled):
    rescore_unit(filled.unit_id, filled.campaign_id)
    page = as_user(officer).get(reverse("home")).content.decode()
    assert "Cần ít nhất 4/5 đơn vị được công nhận" in page


def test_the_unit_and_commune_pages_show_what_is_missing_and_needed(
    as_user, officer, last_year, filled, commune
):
    rescore_unit(filled.unit_id, filled.campaign_id)
    client = as_user(officer)
    unit_page = client.get(reverse("units:unit-detail", args=[filled.unit_id])).content.decode()
    assert FIGURES in unit_page
    commune_page = client.get(reverse("units:unit-detail", args=[commune.pk])).content.decode()
    assert commune_page.count("Cần ít nhất 4/5 đơn vị được công nhận") == 1  # said once, not twice


def test_a_failing_unit_cannot_be_slipped_through_without_the_field(failing, approver, commune):
    """The check is the service's, not the page's: a request without the field is refused too."""
    with pytest.raises(WorkflowError):
        transitions.recognize(assessments=[failing], by=approver, overrides={}, **decision_fields(commune))


def test_sentences_without_quotes_split_as_with_them():
    """The unquoted text's shortcut (issue 23) splits as the quote-aware reading does."""
    for text in ("A. B. C", "a. . b", "a.. b", " x.  y .", "Điểm: 5/10. ", "", "no stop", "a.b. c"):
        quoted = text + ". “q. r”"
        assert reasons.split_sentences(quoted)[:-1] == reasons.split_sentences(text), text
