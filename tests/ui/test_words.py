"""Words (issue 20, point 9): Vietnamese where Django or Chromium would speak English or show raw values."""

import io

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from certification.models import Result
from certification.scoring.export import write_results

pytestmark = pytest.mark.django_db


def test_django_messages_are_corrected_in_vietnamese(vietnamese):
    with translation.override("vi"), pytest.raises(forms.ValidationError) as refused:
        forms.IntegerField().clean("mười")
    assert refused.value.messages == ["Nhập một số nguyên."]  # Django's own: "Nhập một số tổng thể."


def test_the_admin_carries_the_products_name_not_djangos(client, vietnamese, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Quản trị hệ thống công nhận" in page and "Quản trị dữ liệu" in page
    assert "Django" not in page.split("<body", 1)[1].split("</header>", 1)[0]


def test_dates_are_typed_dd_mm_yyyy_and_files_chosen_in_vietnamese(client, vietnamese, officer, campaign):
    client.force_login(officer)
    page = client.get(reverse("certification:registration-create")).content.decode()
    assert 'type="date"' not in page  # Chromium draws it mm/dd/yyyy on an English system
    assert 'name="registered_on"' in page and 'placeholder="dd/mm/yyyy"' in page
    upload = client.get(reverse("certification:assessments-excel-upload")).content.decode()
    assert "Chọn tệp…" in upload and "Chưa chọn tệp" in upload


def test_a_person_is_greeted_family_name_first(client, vietnamese, officer, campaign):
    officer.first_name, officer.last_name = "Minh", "Nguyễn Văn"
    officer.save()
    client.force_login(officer)
    page = client.get(reverse("home")).content.decode()
    assert "Nguyễn Văn Minh" in page and "Minh Nguyễn Văn" not in page


def test_the_results_export_tells_not_assessed_from_failed(campaign, areas):
    Result.objects.create(
        campaign=campaign, unit=areas[0], outcome="fail", unmet_codes=["KDC-5"], is_forecast=True
    )
    Result.objects.create(campaign=campaign, unit=areas[1], outcome="pending", missing_codes=["KDC-1"])
    out = io.BytesIO()
    write_results([campaign], out)
    rows = {
        row[0]: row
        for row in load_workbook(io.BytesIO(out.getvalue()))["Kết quả"].iter_rows(values_only=True)
    }
    assert rows[areas[0].code][4] == "Chưa đạt"
    assert rows[areas[1].code][4] == "Chưa đánh giá"
    assert rows[areas[2].code][4] == "Chưa đánh giá"  # not scored yet either
