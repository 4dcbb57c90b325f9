"""Submit → appraise / return → recognize / not recognize → revoke, with every refusal."""

import pytest

from antt.errors import WorkflowError
from certification.models import Assessment, AuditEvent, Certificate, Decision
from certification.services import entry, rules, transitions
from tests.builders import decision_fields, fill
from tests.certification.workflow.conftest import refused, save, snapshot
from units.models import RoleAssignment

pytestmark = pytest.mark.django_db
Status = Assessment.Status


# --- submit -------------------------------------------------------------------------------


def test_an_officer_submits_a_complete_assessment_and_it_is_locked(filled, officer):
    assessment = transitions.submit_assessment(assessment=filled, by=officer, expected_version=filled.version)
    assert assessment.status == Status.SUBMITTED and assessment.submitted_at
    assert AuditEvent.objects.filter(assessment=filled, field="status", old="draft", new="submitted").exists()


def test_an_incomplete_assessment_cannot_be_submitted(draft, officer):
    with refused(draft, match="KDC-1"):
        transitions.submit_assessment(assessment=draft, by=officer)


def test_minutes_are_required_to_submit(filled, officer):
    save(filled, officer, dossier={"meeting_attendees": []})
    with pytest.raises(WorkflowError, match="minutes"):
        transitions.submit_assessment(assessment=filled, by=officer)


STEPS = {"submit": transitions.submit_assessment, "appraise": transitions.appraise_assessment}


@pytest.mark.parametrize(
    ("step", "state", "who"),
    [
        *(("submit", "filled", who) for who in ["appraiser", "approver", "colleague", "outsider"]),
        *(("appraise", "submitted", who) for who in ["officer", "approver", "colleague", "outsider"]),
    ],
)
def test_only_an_officer_of_the_unit_may_submit_and_only_an_appraiser_may_appraise(step, state, who, request):
    assessment = request.getfixturevalue(state)
    with refused(assessment):
        STEPS[step](assessment=assessment, by=request.getfixturevalue(who))


@pytest.mark.parametrize(
    ("step", "state", "who", "match"),
    [
        ("submit", "submitted", "officer", "Only a draft or returned"),  # submitting twice
        ("appraise", "filled", "appraiser", "Only a submitted"),  # appraising a draft
    ],
)
def test_a_step_from_the_wrong_status_is_refused(step, state, who, match, request):
    assessment = request.getfixturevalue(state)
    with refused(assessment, match=match):
        STEPS[step](assessment=assessment, by=request.getfixturevalue(who))


def test_submitting_after_the_deadline_is_refused(filled, officer, today):
    import datetime

    filled.campaign.residential_period_end = today - datetime.timedelta(days=1)
    filled.campaign.save()
    with refused(filled, match="Entry closed"):
        transitions.submit_assessment(assessment=filled, by=officer)


# --- return and resubmit ------------------------------------------------------------------


def test_a_returned_assessment_reopens_only_the_returned_items(submitted, officer, appraiser):
    transitions.return_assessment(
        assessment=submitted, by=appraiser, items={"KDC-3a": "Thiếu biên bản xác minh"}
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.RETURNED
    answer = submitted.answers.get(criterion__code="KDC-3a")
    assert (answer.is_returned, answer.return_reason) == (True, "Thiếu biên bản xác minh")

    before = snapshot(submitted)
    with pytest.raises(WorkflowError, match="KDC-1"):
        save(submitted, officer, changes={"KDC-1": {"value": "not_met"}})
    with pytest.raises(WorkflowError, match="figures"):
        save(submitted, officer, figures={"crime_count": 9})
    with pytest.raises(WorkflowError, match="dossier"):
        save(submitted, officer, dossier={"meeting_chair": "X"})
    assert snapshot(submitted) == before

    save(submitted, officer, changes={"KDC-3a": {"note": "Đã bổ sung"}})
    transitions.submit_assessment(assessment=submitted, by=officer)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not submitted.answers.filter(is_returned=True).exists()


def test_returning_the_dossier_reopens_the_minutes(submitted, officer, appraiser):
    transitions.return_assessment(assessment=submitted, by=appraiser, items={rules.DOSSIER: "Thiếu chữ ký"})
    submitted.refresh_from_db()
    save(submitted, officer, dossier={"meeting_chair": "Trưởng thôn B"})
    submitted.refresh_from_db()
    assert submitted.meeting_chair == "Trưởng thôn B"


@pytest.mark.parametrize("items", [{}, {"KDC-1": ""}, {"KDC-9": "không có"}])
def test_a_return_needs_known_items_each_with_a_reason(submitted, appraiser, items):
    with refused(submitted):
        transitions.return_assessment(assessment=submitted, by=appraiser, items=items)


@pytest.mark.parametrize("who", ["officer", "approver", "colleague", "outsider"])
def test_only_an_appraiser_may_return(submitted, who, request):
    with refused(submitted):
        transitions.return_assessment(
            assessment=submitted, by=request.getfixturevalue(who), items={"KDC-1": "x"}
        )


def test_a_draft_cannot_be_returned(filled, appraiser):
    with refused(filled):
        transitions.return_assessment(assessment=filled, by=appraiser, items={"KDC-1": "x"})


# --- appraise -----------------------------------------------------------------------------


def test_the_appraisal_is_kept_apart_from_the_self_assessment(submitted, appraiser):
    transitions.appraise_assessment(
        assessment=submitted,
        by=appraiser,
        values={"KDC-5": {"appraised_value": "not_met"}},
        note="Có kỷ luật",
    )
    submitted.refresh_from_db()
    answer = submitted.answers.get(criterion__code="KDC-5")
    assert (answer.value, answer.appraised_value, answer.effective_value) == ("met", "not_met", "not_met")
    assert submitted.status == Status.APPRAISED and submitted.appraisal_note == "Có kỷ luật"


def test_an_appraisal_with_a_forbidden_not_applicable_is_refused(submitted, appraiser):
    with refused(submitted):
        transitions.appraise_assessment(
            assessment=submitted, by=appraiser, values={"KDC-1": {"appraised_value": "na"}}
        )


# --- recognize ----------------------------------------------------------------------------


def appraise_all(areas, officer, appraiser, campaign):
    result = []
    for unit in areas:
        assessment = entry.start_assessment(campaign=campaign, unit=unit, by=officer)
        fill(assessment, officer)
        transitions.submit_assessment(assessment=assessment, by=officer)
        result.append(transitions.appraise_assessment(assessment=assessment, by=appraiser))
    return result


def test_an_approver_recognizes_a_communes_areas_in_one_decision(
    areas, officer, appraiser, approver, campaign, commune, django_capture_on_commit_callbacks
):
    assessments = appraise_all(areas, officer, appraiser, campaign)
    with django_capture_on_commit_callbacks(execute=True):
        decision = transitions.recognize(assessments=assessments, by=approver, **decision_fields(commune))
    assert decision.kind == Decision.Kind.RECOGNITION and decision.status == Decision.Status.ISSUED
    assert decision.number and decision.issuer == commune
    assert set(decision.assessments.values_list("status", flat=True)) == {Status.RECOGNIZED}
    assert decision.assessments.count() == len(areas)
    assert Certificate.objects.filter(decision=decision).count() == len(areas)


def test_a_double_submitted_recognition_creates_one_decision(appraised, approver, commune):
    transitions.recognize(assessments=[appraised], by=approver, **decision_fields(commune))
    with refused(appraised, match="only appraised"):
        transitions.recognize(assessments=[appraised], by=approver, **decision_fields(commune))
    assert Decision.objects.count() == 1


def test_recognition_is_all_or_nothing_when_one_is_not_appraised(
    appraised, areas, officer, approver, campaign, commune
):
    other = entry.start_assessment(campaign=campaign, unit=areas[1], by=officer)
    before = (snapshot(appraised), snapshot(other))
    with pytest.raises(WorkflowError):
        transitions.recognize(assessments=[appraised, other], by=approver, **decision_fields(commune))
    assert (snapshot(appraised), snapshot(other)) == before


@pytest.mark.parametrize("who", ["officer", "appraiser", "province_approver", "colleague", "outsider"])
def test_only_an_approver_of_the_recognizing_authority_may_recognize(appraised, commune, who, request):
    with refused(appraised):
        transitions.recognize(
            assessments=[appraised], by=request.getfixturevalue(who), **decision_fields(commune)
        )


def test_the_issuer_must_be_the_recognizing_authority(appraised, province, province_approver):
    with refused(appraised, match="recognized by"):
        transitions.recognize(assessments=[appraised], by=province_approver, **decision_fields(province))


def test_an_approver_of_another_commune_cannot_decide_for_this_one(appraised, make_user, other_commune):
    stranger = make_user("other_approver", RoleAssignment.Role.APPROVER, other_commune)
    with refused(appraised):
        transitions.recognize(assessments=[appraised], by=stranger, **decision_fields(other_commune))


def test_a_unit_that_does_not_meet_a_criterion_cannot_be_recognized(submitted, appraiser, approver, commune):
    transitions.appraise_assessment(
        assessment=submitted, by=appraiser, values={"KDC-5": {"appraised_value": "not_met"}}
    )
    with refused(submitted, match="KDC-5"):
        transitions.recognize(assessments=[submitted], by=approver, **decision_fields(commune))


def test_a_decision_needs_date_and_signer(appraised, approver, commune):
    with refused(appraised):
        transitions.recognize(
            assessments=[appraised], by=approver, **{**decision_fields(commune), "signer_name": ""}
        )


# --- not recognized -----------------------------------------------------------------------


def test_not_recognizing_goes_through_a_non_recognition_decision(appraised, approver, commune):
    decision = transitions.not_recognize(
        assessments=[appraised],
        by=approver,
        reason="Xảy ra tội phạm nghiêm trọng",
        **decision_fields(commune),
    )
    appraised.refresh_from_db()
    assert appraised.status == Status.NOT_RECOGNIZED and appraised.decision == decision
    assert decision.kind == Decision.Kind.NON_RECOGNITION and decision.number
    assert not Certificate.objects.exists()


def test_not_recognizing_needs_a_reason(appraised, approver, commune):
    with refused(appraised, match="reason"):
        transitions.not_recognize(
            assessments=[appraised], by=approver, reason=" ", **decision_fields(commune)
        )


# --- revoke -------------------------------------------------------------------------------


def revocation(issuer, **overrides) -> dict:
    """The signature block of a revocation decision (``decision_fields`` without the issuer)."""
    return {k: v for k, v in decision_fields(issuer, **overrides).items() if k != "issuer"}


def test_an_approver_revokes_a_recognition_by_a_numbered_decision(recognized, approver, commune):
    decision = transitions.revoke_assessment(
        assessment=recognized, by=approver, reason="Phát hiện sai phạm", **revocation(commune)
    )
    recognized.refresh_from_db()
    assert recognized.status == Status.REVOKED
    assert (recognized.revoke_reason, recognized.revoke_reference) == (
        "Phát hiện sai phạm",
        decision.reference,
    )
    assert decision.kind == Decision.Kind.REVOCATION and decision.number == 2
    assert set(recognized.certificates.values_list("status", flat=True)) == {Certificate.Status.REVOKED}


@pytest.mark.parametrize(("reason", "signer"), [("", "Phạm Văn Dũng"), ("Sai phạm", "")])
def test_revocation_needs_reason_and_signer(recognized, approver, commune, reason, signer):
    with refused(recognized):
        transitions.revoke_assessment(
            assessment=recognized, by=approver, reason=reason, **revocation(commune, signer_name=signer)
        )


@pytest.mark.parametrize("who", ["officer", "appraiser", "colleague", "outsider"])
def test_only_an_approver_may_revoke(recognized, commune, who, request):
    with refused(recognized):
        transitions.revoke_assessment(
            assessment=recognized, by=request.getfixturevalue(who), reason="x", **revocation(commune)
        )


def test_only_a_recognized_assessment_can_be_revoked(appraised, approver, commune):
    with refused(appraised, match="Only a recognized"):
        transitions.revoke_assessment(assessment=appraised, by=approver, reason="x", **revocation(commune))


# --- scoring hook -------------------------------------------------------------------------


def test_every_answer_and_decision_change_asks_for_a_rescore(
    draft, officer, monkeypatch, django_capture_on_commit_callbacks
):
    from certification.services import rules

    calls = []
    monkeypatch.setattr(
        rules, "schedule_rescore", lambda unit_id, campaign_id: calls.append((unit_id, campaign_id))
    )
    with django_capture_on_commit_callbacks(execute=True):
        save(draft, officer, changes={"KDC-1": {"value": "met"}})
    assert calls == [(draft.unit_id, draft.campaign_id)]
