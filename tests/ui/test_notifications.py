"""The notifications list: what needs the user's action, and the jobs they started."""

import pytest
from django.urls import reverse

from certification.models import Assessment, Decision, PrintJob, ScoringRun

Status = Assessment.Status
pytestmark = pytest.mark.django_db


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("certification:notifications"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_officer_is_told_of_an_assessment_returned_in_the_commune_only(
    client, officer, colleague, campaign, area, other_area, assess
):
    returned = assess(area, Status.RETURNED, returned=1)
    returned.answers.filter(is_returned=True).update(return_reason="Thiếu biên bản họp")
    assess(other_area, Status.RETURNED, returned=1)

    mine = page(client, officer)

    assert f"{area} was returned for correction." in mine and "Thiếu biên bản họp" in mine
    assert str(other_area) not in mine
    assert str(area) not in page(client, colleague)


def test_the_appraiser_and_the_approver_are_told_what_waits_for_them(
    client, appraiser, approver, campaign, areas, assess
):
    assess(areas[0], Status.SUBMITTED, days_ago=2)
    assess(areas[1], Status.APPRAISED, days_ago=1)

    assert f"{areas[0]} is waiting for your appraisal." in page(client, appraiser)
    approver_page = page(client, approver)
    assert f"{areas[1]} is waiting for your decision." in approver_page
    assert str(areas[0]) not in approver_page


def test_a_user_sees_the_jobs_they_started_and_not_the_others(
    client, officer, province_viewer, make_user, campaign, commune
):
    decision = Decision.objects.create(campaign=campaign, issuer=commune, year=2026, number=7)
    PrintJob.objects.create(
        decision=decision, status=PrintJob.Status.DONE, total=4, done=4, requested_by=officer
    )
    ScoringRun.objects.create(
        campaign=campaign, status=ScoringRun.Status.FAILED, requested_by=province_viewer
    )

    mine = page(client, officer)
    assert "Printing the certificates of 07/QĐ-UBND: Done (100 %)." in mine
    assert "Scoring" not in mine
    theirs = page(client, province_viewer)
    assert "Scoring of Năm 2026: Failed" in theirs and "Printing" not in theirs


def test_an_empty_list_says_so(client, outsider):
    assert "Nothing needs your attention." in page(client, outsider)


def test_the_notifications_page_is_for_signed_in_users_only(client):
    response = client.get(reverse("certification:notifications"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
