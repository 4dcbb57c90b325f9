"""Issue 20, point 7 (and issue 21, point 4): decisions are previewed as a DỰ THẢO draft that takes
no number, a revocation is its own numbered decision, and registration data lock once decided."""

import pytest
from django.urls import reverse

from antt.errors import WorkflowError
from certification.documents.decisions import decision_pdf
from certification.models import Assessment, AuditEvent, Certificate, Decision, DecisionCounter, Registration
from certification.services import registration, transitions
from tests.builders import decision_fields
from tests.certification.documents.conftest import pdf_text
from tests.certification.workflow.conftest import refused

pytestmark = pytest.mark.django_db
REASON = "Phát hiện che giấu vụ việc gây rối trật tự công cộng"


def signature(commune) -> dict:
    """The signature block of a decision form, as posted."""
    fields = decision_fields(commune)
    return {
        "issued_on": fields["issued_on"].isoformat(),
        "signer_title": fields["signer_title"],
        "signer_name": fields["signer_name"],
        "place": fields["place"],
    }


def revocation_fields(commune) -> dict:
    return {k: v for k, v in decision_fields(commune).items() if k != "issuer"}


# --- the draft preview ----------------------------------------------------------------------


def test_the_draft_preview_is_marked_and_takes_no_number(as_user, approver, commune, appraised):
    events = AuditEvent.objects.count()
    response = as_user(approver).post(
        reverse("certification:recognize-batch"),
        {
            "issuer": commune.pk,
            "assessments": [appraised.pk],
            "outcome": "recognize",
            "preview": "1",
            **signature(commune),
        },
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "DỰ THẢO" in text
    assert "/QĐ-UBND" in text and "1/QĐ-UBND" not in text  # no number yet
    assert appraised.unit.name in text
    # Nothing was written: no decision, no counter, no audit event, the assessment waits.
    assert not Decision.objects.exists() and not DecisionCounter.objects.exists()
    assert AuditEvent.objects.count() == events
    appraised.refresh_from_db()
    assert appraised.status == Assessment.Status.APPRAISED
    # Issuing afterwards takes the first number: the preview consumed none.
    decision = transitions.recognize(assessments=[appraised], by=approver, **decision_fields(commune))
    assert decision.number == 1
    issued = pdf_text(decision_pdf(decision))
    assert "DỰ THẢO" not in issued and "Số: 01/QĐ-UBND" in issued  # numbers print from 01 (Art. 15(1))


# --- revocation: its own numbered decision ---------------------------------------------------


def test_a_revocation_is_its_own_numbered_decision(recognized, approver, commune):
    revocation = transitions.revoke_assessment(
        assessment=recognized, by=approver, reason=REASON, **revocation_fields(commune)
    )
    assert revocation.kind == Decision.Kind.REVOCATION and revocation.status == Decision.Status.ISSUED
    assert revocation.issuer == commune and revocation.number == recognized.decision.number + 1
    recognized.refresh_from_db()
    assert recognized.status == Assessment.Status.REVOKED
    assert recognized.revoke_reference == revocation.reference
    certificate = recognized.certificates.get()
    assert certificate.status == Certificate.Status.REVOKED and certificate.revoking_decision == revocation
    text = pdf_text(decision_pdf(revocation))
    assert f"Số: {revocation.reference}" in text
    assert "Về việc thu hồi Giấy công nhận" in text
    assert recognized.unit.name in text and REASON in text
    assert "DỰ THẢO" not in text


def test_a_revocation_without_its_signature_block_is_refused(recognized, approver, commune):
    with refused(recognized, match="signer"):
        transitions.revoke_assessment(
            assessment=recognized,
            by=approver,
            reason=REASON,
            **revocation_fields(commune) | {"signer_name": ""},
        )
    assert Decision.objects.filter(kind=Decision.Kind.REVOCATION).count() == 0


def test_the_revocation_page_previews_then_issues_the_decision(as_user, approver, commune, recognized):
    client = as_user(approver)
    url = reverse("certification:assessment-revoke", args=[recognized.pk])
    preview = client.post(url, {"reason": REASON, "preview": "1", **signature(commune)})
    assert preview["Content-Type"] == "application/pdf"
    text = pdf_text(preview.content)
    assert "DỰ THẢO" in text and "thu hồi Giấy công nhận" in text and recognized.unit.name in text
    assert not Decision.objects.filter(kind=Decision.Kind.REVOCATION).exists()

    response = client.post(url, {"reason": REASON, **signature(commune)}, follow=True)
    revocation = Decision.objects.get(kind=Decision.Kind.REVOCATION)
    assert response.redirect_chain[-1][0] == revocation.get_absolute_url()
    page = response.content.decode()
    assert "Certificates withdrawn by this decision" in page and REASON in page
    detail = client.get(recognized.get_absolute_url()).content.decode()
    assert revocation.get_absolute_url() in detail


def test_revoking_from_the_certificate_list_issues_the_same_decision(as_user, approver, commune, recognized):
    certificate = recognized.certificates.get()
    response = as_user(approver).post(
        reverse("certification:certificate-revoke", args=[certificate.pk]),
        {"reason": REASON, **signature(commune)},
    )
    revocation = Decision.objects.get(kind=Decision.Kind.REVOCATION)
    assert response.url == revocation.get_absolute_url()
    certificate.refresh_from_db()
    assert (
        certificate.revoking_decision == revocation and certificate.revoke_reference == revocation.reference
    )


# --- registration locks once decided ---------------------------------------------------------


def _register(campaign, area, officer, households_registered):
    return registration.register_unit(
        campaign=campaign,
        unit=area,
        by=officer,
        registered_on=campaign.registration_deadline.replace(day=1),
        households_total=120,
        households_registered=households_registered,
    )


@pytest.fixture
def registered_and_recognized(campaign, area, officer, appraised, approver, commune, today):
    _register(campaign, area, officer, 110)
    transitions.recognize(assessments=[appraised], by=approver, **decision_fields(commune))
    return Registration.objects.get(campaign=campaign, unit=area)


def test_registration_data_lock_after_recognition(registered_and_recognized, campaign, area, officer):
    with pytest.raises(WorkflowError, match="locked"):
        _register(campaign, area, officer, 120)
    registered_and_recognized.refresh_from_db()
    assert registered_and_recognized.households_registered == 110


def test_the_registration_form_shows_read_only_once_recognized(
    as_user, registered_and_recognized, campaign, area, officer
):
    client = as_user(officer)
    url = reverse("certification:registration-create") + f"?unit={area.pk}&campaign={campaign.pk}"
    page = client.get(url).content.decode()
    assert "Locked: the unit's recognition decision was taken on these data" in page
    assert 'name="households_registered"' in page and "disabled" in page
    card = page.split('<section class="card narrow">', 1)[1].split("</section>", 1)[0]
    assert 'type="submit"' not in card
    client.post(
        url,
        {
            "campaign": campaign.pk,
            "unit": area.pk,
            "registered_on": campaign.registration_deadline.isoformat(),
            "households_total": 120,
            "households_registered": 120,
        },
    )
    registered_and_recognized.refresh_from_db()
    assert registered_and_recognized.households_registered == 110
