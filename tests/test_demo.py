"""The newcomer's first command: ``setup_demo`` loads a working province and is safe to rerun."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from certification.models import Assessment, Campaign, Certificate, Result
from units.models import RoleAssignment, Unit


@pytest.mark.django_db(transaction=True)
def test_setup_demo_loads_a_working_province_and_can_run_twice(client):
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    units_after_first = Unit.objects.count()

    assert Unit.objects.get(code="42").name == "Hà Tĩnh"
    assert Unit.objects.filter(kind=Unit.Kind.COMMUNE, parent__code="42").count() == 69
    assert Unit.objects.filter(kind=Unit.Kind.RESIDENTIAL_AREA).count() > 500
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == {r.value for r in RoleAssignment.Role}
    campaign = Campaign.objects.order_by("-year").first()
    statuses = set(campaign.assessments.values_list("status", flat=True))
    assert {"draft", "submitted", "returned", "appraised", "recognized"} <= statuses
    assert Certificate.objects.filter(assessment__campaign=campaign).exists()
    assert Result.objects.filter(campaign=campaign).exists()
    assert "canbo.vungang" in out.getvalue()

    recognized = Assessment.objects.filter(campaign=campaign, status="recognized").count()
    certificates = Certificate.objects.count()

    call_command("setup_demo", stdout=io.StringIO())
    assert Unit.objects.count() == units_after_first
    assert Assessment.objects.filter(campaign=campaign, status="recognized").count() == recognized
    assert Certificate.objects.count() == certificates

    officer = get_user_model().objects.get(username="canbo.vungang")
    assert officer.check_password("antt-demo-2026")
    client.force_login(officer)
    home = client.get("/")
    assert home.status_code == 200
    assert "Vũng Áng" in home.content.decode()
