"""Campaigns: the Art. 8(2) calendar, the sets in force, the open_campaign command."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from antt.errors import WorkflowError
from certification.audit import verify_chain
from certification.models import Campaign
from certification.selectors.campaigns import criteria_set_for_unit
from certification.services.campaigns import open_campaign, update_campaign_dates
from certification.services.criteria import add_province_criterion, publish_set

d = datetime.date


@pytest.mark.django_db
def test_opening_a_campaign_uses_the_tt124_calendar_and_the_sets_in_force(
    province, kdc_set, xa_set, cqdn_set, csgd_set
):
    campaign = open_campaign(year=2026, province=province)
    assert (campaign.residential_period_start, campaign.residential_period_end) == (
        d(2025, 11, 1),
        d(2026, 10, 31),
    )
    assert (campaign.other_period_start, campaign.other_period_end) == (d(2025, 11, 16), d(2026, 11, 15))
    assert campaign.registration_deadline == d(2026, 3, 31)
    assert campaign.residential_decision_deadline == d(2026, 11, 14)
    assert campaign.other_decision_deadline == d(2026, 11, 19)
    assert set(campaign.criteria_sets.all()) == {kdc_set, xa_set, cqdn_set, csgd_set}
    for kind, expected in [
        ("residential_area", kdc_set),
        ("commune", xa_set),
        ("enterprise", cqdn_set),
        ("school", csgd_set),
    ]:
        assert campaign.criteria_set_for(kind) == expected


@pytest.mark.django_db
def test_opening_twice_returns_the_same_campaign(province):
    first = open_campaign(year=2026, province=province, registration_deadline=d(2026, 3, 15))
    second = open_campaign(year=2026, province=province)
    assert first.pk == second.pk and Campaign.objects.count() == 1
    assert second.registration_deadline == d(2026, 3, 15) and second.criteria_sets.count() == 4
    assert verify_chain() == (True, None)


@pytest.mark.django_db
def test_the_province_s_own_published_set_is_attached_instead_of_the_national_one(
    province, other_province, kdc_set
):
    derived = add_province_criterion(kdc_set, province, "KDC-6", "Tiêu chí riêng của tỉnh.").criteria_set
    publish_set(derived)
    assert open_campaign(year=2026, province=province).criteria_set_for("residential_area") == derived
    assert open_campaign(year=2026, province=other_province).criteria_set_for("residential_area") == kdc_set


@pytest.mark.django_db
def test_a_campaign_is_opened_for_a_province_only(commune):
    with pytest.raises(WorkflowError):
        open_campaign(year=2026, province=commune)
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_dates_that_contradict_each_other_are_refused_and_nothing_changes(province, province_approver):
    campaign = open_campaign(year=2026, province=province)
    with pytest.raises(WorkflowError):
        update_campaign_dates(campaign=campaign, by=province_approver, residential_period_end=d(2025, 10, 1))
    campaign.refresh_from_db()
    assert campaign.residential_period_end == d(2026, 10, 31)
    update_campaign_dates(campaign=campaign, by=province_approver, registration_deadline=d(2026, 4, 15))
    campaign.refresh_from_db()
    assert campaign.registration_deadline == d(2026, 4, 15)


@pytest.mark.django_db
def test_what_a_thôn_must_meet_is_the_set_pinned_by_its_campaign(province, area, kdc_set):
    criteria_set, campaign = criteria_set_for_unit(area, 2026)
    assert criteria_set == kdc_set and campaign is None  # before the campaign: the set that would apply
    campaign = open_campaign(year=2026, province=province)
    assert criteria_set_for_unit(area, 2026) == (kdc_set, campaign)
    assert criteria_set_for_unit(area, 2021) == (None, None)  # before TT 124


@pytest.mark.django_db
def test_the_command_opens_a_campaign_and_is_idempotent(province, capsys):
    call_command("open_campaign", "--year", "2026", "--province", "42")
    call_command("open_campaign", "--year", "2026", "--province", "42")
    assert Campaign.objects.filter(year=2026, province=province).count() == 1
    out = capsys.readouterr().out
    assert "Đã mở đợt xét năm 2026" in out and "Đã có đợt xét năm 2026" in out


@pytest.mark.django_db
def test_the_command_explains_an_unknown_province_in_vietnamese(province):
    with pytest.raises(CommandError, match="Không tìm thấy tỉnh có mã “99”"):
        call_command("open_campaign", "--year", "2026", "--province", "99")
    assert not Campaign.objects.exists()
