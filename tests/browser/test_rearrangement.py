"""The re-arrangement journey in a real browser (issue 22): a province administrator uploads a
resolution's annex mid-campaign, checks the preview, applies it; the registration moves to the
merged unit. ``ANTT_SCREENSHOTS=docs/img`` also saves the pictures of docs/rearrangement.md."""

import datetime
import io
import os
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from certification.models import Registration
from tests.browser.conftest import register
from tests.browser.helpers import expect_message
from tests.builders import make_user
from units.exchange.rearrangement import COLUMNS, SHEET_NAME
from units.models import RoleAssignment, UnitChange

pytestmark = pytest.mark.browser


def annex(effective: datetime.date) -> bytes:
    day, ref = effective.strftime("%d/%m/%Y"), f"Nghị quyết số 45/NQ-HĐND ngày 1/1/{effective.year}"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(COLUMNS)
    sheet.append(
        ["18823", "Tổ dân phố Hải Đông", "Tổ dân phố", "Sáp nhập", "18823-TDP01; 18823-TDP02", "", day, ref]
    )
    for i in (3, 4, 5):
        sheet.append(["18823", f"Tổ dân phố {i}", "Tổ dân phố", "Giữ nguyên", f"18823-TDP0{i}", "", day, ref])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def shot(page, name: str) -> None:
    target = os.environ.get("ANTT_SCREENSHOTS")
    if target:
        page.screenshot(path=str(Path(target) / name), full_page=True)


def test_an_administrator_merges_two_areas_mid_campaign(page_as, province, campaign, areas, today):
    admin = make_user("quantri", RoleAssignment.Role.ADMIN, province)
    officer = make_user("canbo", RoleAssignment.Role.OFFICER, areas[0].parent)
    for area in areas[:2]:
        register(campaign, area, officer, today)
    page = page_as(admin)
    page.goto("/rearrangement/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sắp xếp thôn, tổ dân phố")
    page.get_by_label("Tệp").set_input_files(
        files=[
            {
                "name": "nq45.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": annex(today + datetime.timedelta(days=10)),
            }
        ]
    )
    page.get_by_role("button", name="Kiểm tra tệp").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra việc sắp xếp")
    expect(page.locator(".rearrangement-summary")).to_contain_text("5 khu dân cư trước, 4 sau sắp xếp")
    expect(page.get_by_role("table")).to_contain_text("Tổ dân phố 1, Tổ dân phố 2")  # registrations carried
    shot(page, "rearrangement-preview.png")
    page.get_by_role("button", name="Thực hiện sắp xếp").click()

    expect_message(page, "Đã thực hiện sắp xếp")
    expect(page.get_by_role("table")).to_contain_text("Nghị quyết số 45/NQ-HĐND")  # can still be undone
    shot(page, "rearrangement-applied.png")
    merged = UnitChange.objects.filter(predecessor=areas[0]).get().successor
    registration = Registration.objects.get(campaign=campaign, unit=merged)
    assert registration.households_registered == areas[0].household_count + areas[1].household_count
