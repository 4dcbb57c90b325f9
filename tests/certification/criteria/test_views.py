"""Criteria and campaign pages, each as an insider, a colleague of another commune and an outsider."""

import datetime
import io

import pytest
from django.urls import reverse

from certification.exchange.criteria_excel import export_set_xlsx
from certification.models import Campaign, CriteriaSet
from certification.services.campaigns import open_campaign
from certification.services.criteria import add_province_criterion


@pytest.fixture
def province_set(kdc_set, province):
    return add_province_criterion(kdc_set, province, "KDC-6", "Có camera an ninh.").criteria_set


@pytest.fixture
def campaign(province):
    return open_campaign(year=2026, province=province)


def get(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(f"certification:{name}", args=args))


def post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(f"certification:{name}", args=args), data or {})


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client, kdc_set):
    response = client.get(reverse("certification:criteria-set-detail", args=[kdc_set.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_every_officer_reads_the_national_sets(client, officer, outsider, kdc_set):
    for user in (officer, outsider):
        response = get(client, user, "criteria-set-detail", kdc_set.pk)
        assert response.status_code == 200
        assert kdc_set.criteria.get(code="KDC-3g").text in response.content.decode()
    assert get(client, officer, "criteria-set-list").status_code == 200


@pytest.mark.django_db
def test_a_province_set_is_read_in_its_province_only(client, officer, colleague, outsider, province_set):
    assert get(client, officer, "criteria-set-detail", province_set.pk).status_code == 200
    assert get(client, colleague, "criteria-set-detail", province_set.pk).status_code == 200
    assert get(client, outsider, "criteria-set-detail", province_set.pk).status_code == 404
    assert province_set.name not in get(client, outsider, "criteria-set-list").content.decode()


@pytest.mark.django_db
def test_province_staff_publish_their_set_officers_may_not(
    client, officer, outsider, province_approver, province_set
):
    assert post(client, officer, "criteria-set-publish", province_set.pk).status_code == 403
    assert post(client, outsider, "criteria-set-publish", province_set.pk).status_code == 404
    province_set.refresh_from_db()
    assert province_set.status == "draft"
    assert get(client, province_approver, "criteria-set-publish", province_set.pk).status_code == 200
    response = post(client, province_approver, "criteria-set-publish", province_set.pk)
    assert response.status_code == 302
    province_set.refresh_from_db()
    assert province_set.status == "published"


@pytest.mark.django_db
def test_only_a_national_administrator_versions_a_national_set(client, province_approver, superuser, kdc_set):
    assert post(client, province_approver, "criteria-set-new-version", kdc_set.pk).status_code == 403
    assert CriteriaSet.objects.filter(family="tt124-kdc").count() == 1
    response = post(client, superuser, "criteria-set-new-version", kdc_set.pk)
    v2 = CriteriaSet.objects.get(family="tt124-kdc", version=2)
    assert response.status_code == 302 and response["Location"].endswith(f"/criteria/{v2.pk}/")


@pytest.mark.django_db
def test_the_diff_page_shows_the_province_addition(client, officer, kdc_set, province_set):
    response = get(client, officer, "criteria-set-diff", kdc_set.pk, province_set.pk)
    assert response.status_code == 200 and "42-KDC-6" in response.content.decode()


@pytest.mark.django_db
def test_the_excel_export_downloads_a_workbook(client, officer, kdc_set):
    response = get(client, officer, "criteria-set-export", kdc_set.pk)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="tt124-kdc-v1.xlsx"' in response["Content-Disposition"]


@pytest.mark.django_db
def test_importing_needs_authoring_rights_on_the_family(
    client, officer, province_admin, kdc_set, province_set
):
    assert get(client, officer, "criteria-set-import").status_code == 403
    upload = io.BytesIO(export_set_xlsx(kdc_set))
    upload.name = "kdc.xlsx"
    client.force_login(province_admin)
    refused = client.post(reverse("certification:criteria-set-import"), {"file": upload})
    assert refused.status_code == 200 and "tt124-kdc" in refused.content.decode()
    assert CriteriaSet.objects.filter(family="tt124-kdc").count() == 1
    own = io.BytesIO(export_set_xlsx(province_set))
    own.name = "tinh.xlsx"
    accepted = client.post(reverse("certification:criteria-set-import"), {"file": own})
    assert accepted.status_code == 302
    assert CriteriaSet.objects.filter(family=province_set.family, version=2, status="draft").exists()


@pytest.mark.django_db
def test_province_staff_add_a_province_criterion_from_the_page(client, officer, province_admin, kdc_set):
    data = {
        "province": province_admin.roles.get().unit_id,
        "code": "KDC-6",
        "text": "Có tổ liên gia.",
        "answer_type": "boolean",
    }
    assert post(client, officer, "criteria-province-add", kdc_set.pk, data=data).status_code == 403
    response = post(client, province_admin, "criteria-province-add", kdc_set.pk, data=data)
    assert response.status_code == 302
    assert CriteriaSet.objects.get(family="tt124-kdc-42").criteria.filter(code="42-KDC-6").exists()


@pytest.mark.django_db
def test_what_a_thôn_must_meet_is_shown_to_its_commune_only(
    client, officer, colleague, outsider, area, kdc_set, campaign
):
    response = get(client, officer, "criteria-for-unit", area.pk, 2026)
    assert response.status_code == 200
    page = response.content.decode()
    assert kdc_set.criteria.get(code="KDC-1").text in page and "31/10/2026" in page
    assert get(client, colleague, "criteria-for-unit", area.pk, 2026).status_code == 404
    assert get(client, outsider, "criteria-for-unit", area.pk, 2026).status_code == 404


@pytest.mark.django_db
def test_the_campaign_is_read_in_its_province_only(client, officer, colleague, outsider, campaign):
    assert get(client, officer, "campaign-detail", campaign.pk).status_code == 200
    assert get(client, colleague, "campaign-detail", campaign.pk).status_code == 200
    assert get(client, outsider, "campaign-detail", campaign.pk).status_code == 404
    assert str(campaign.province) in get(client, officer, "campaign-list").content.decode()
    assert f"/campaigns/{campaign.pk}/" not in get(client, outsider, "campaign-list").content.decode()


@pytest.mark.django_db
def test_province_staff_edit_the_dates_officers_may_not(
    client, officer, outsider, province_approver, campaign
):
    dates = {name: value.isoformat() for name, value in Campaign.default_dates(2026).items()}
    dates["registration_deadline"] = "2026-04-10"
    assert post(client, officer, "campaign-edit", campaign.pk, data=dates).status_code == 403
    assert post(client, outsider, "campaign-edit", campaign.pk, data=dates).status_code == 404
    campaign.refresh_from_db()
    assert campaign.registration_deadline == datetime.date(2026, 3, 31)
    assert post(client, province_approver, "campaign-edit", campaign.pk, data=dates).status_code == 302
    campaign.refresh_from_db()
    assert campaign.registration_deadline == datetime.date(2026, 4, 10)


@pytest.mark.django_db
def test_contradicting_dates_show_a_message_and_change_nothing(client, province_approver, campaign):
    dates = {name: value.isoformat() for name, value in Campaign.default_dates(2026).items()}
    dates["other_period_end"] = "2025-01-01"
    response = post(client, province_approver, "campaign-edit", campaign.pk, data=dates)
    assert response.status_code == 200 and "msg-error" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.other_period_end == datetime.date(2026, 11, 15)


@pytest.mark.django_db
def test_province_staff_open_a_campaign_from_the_page(client, officer, province_approver, province):
    assert get(client, officer, "campaign-open").status_code == 403
    response = post(client, province_approver, "campaign-open", data={"year": 2027, "province": province.pk})
    assert response.status_code == 302
    assert Campaign.objects.get(year=2027, province=province).criteria_sets.count() == 4


@pytest.mark.django_db
def test_a_province_approver_cannot_open_a_campaign_for_another_province(
    client, province_approver, other_province
):
    response = post(
        client, province_approver, "campaign-open", data={"year": 2027, "province": other_province.pk}
    )
    assert response.status_code == 200
    assert not Campaign.objects.filter(province=other_province).exists()


@pytest.mark.django_db
def test_the_example_score_sheet_is_shown_as_an_example(client, officer):
    example = CriteriaSet.objects.get(family="vi-du-kdc-bang-diem")
    page = get(client, officer, "criteria-set-detail", example.pk).content.decode()
    assert "Bảng điểm ví dụ (không phải biểu mẫu chính thức)" in page and "msg-warning" in page
