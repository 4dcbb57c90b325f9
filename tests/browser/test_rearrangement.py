"""The re-arrangement journey in a real browser (issue 22): a province administrator uploads a
resolution's annex mid-campaign, checks the preview, applies it; the registration and the draft
assessment move to the merged unit. Then the campaign goes on: the officer completes and submits
the merged unit's carried assessment, the appraiser confirms it, the commune's approver recognizes
its four residential areas in one decision, and the province's approver decides the commune, whose
XA-4 counts the areas existing at the period's end ("4 tổ dân phố sau sắp xếp (trước: 5)").
``ANTT_SCREENSHOTS=docs/img`` also saves the pictures of docs/rearrangement.md."""

import datetime
import io
import os
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from certification.models import Assessment, Registration
from certification.selectors.criteria import answerable_criteria
from certification.services import entry, registration, transitions
from tests.browser.conftest import MINUTES, appraised_assessment, filled_assessment
from tests.browser.helpers import confirm_appraisal, criterion_row, expect_message, fill_meeting
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


def commune_appraised(campaign, commune, officer, appraiser, today) -> Assessment:
    """The commune's own dossier (every criterion entered met; XA-4 is derived from its areas), appraised.
    Built with the services: the commune's entry is not the point of this journey."""
    registration.register_unit(campaign=campaign, unit=commune, by=officer, registered_on=today)
    assessment = entry.start_assessment(campaign=campaign, unit=commune, by=officer)
    codes = [c.code for c in answerable_criteria(assessment.criteria_set)]
    assessment = entry.save_answers(
        assessment=assessment,
        by=officer,
        expected_version=assessment.version,
        changes={code: {"value": "met"} for code in codes},
        figures={"crime_count": 0, "social_evil_count": 0, "violation_count": 0},
        dossier={"meeting_date": today, **MINUTES},
    )
    assessment = transitions.submit_assessment(assessment=assessment, by=officer)
    return transitions.appraise_assessment(assessment=assessment, by=appraiser)


def test_a_province_merges_two_areas_mid_campaign_and_decides_the_commune_after_it(
    page_as, province, commune, campaign, areas, officer, appraiser, approver, province_approver, today
):
    admin = make_user("quantri", RoleAssignment.Role.ADMIN, province)
    # Mid-campaign: the two areas to merge have their drafts entered, the three kept are appraised
    # already (built with the services: entering them is the officer's ordinary journey).
    for area in areas[:2]:
        filled_assessment(campaign, area, officer, today)
    kept = [appraised_assessment(campaign, area, officer, appraiser, today) for area in areas[2:]]

    # 1. The province's administrator imports the resolution: upload, preview, apply.
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
    carried = Registration.objects.get(campaign=campaign, unit=merged)
    assert carried.households_registered == areas[0].household_count + areas[1].household_count
    draft = Assessment.objects.get(campaign=campaign, unit=merged)

    # 2. The officer opens the merged unit's carried draft: the answers the two areas gave alike
    # are there; the merged unit's own meeting is new, so its minutes are entered; then submitted.
    page = page_as(officer)
    page.goto(draft.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(merged.full_name)
    expect(criterion_row(page, "KDC-2").get_by_role("radio", name="Đạt", exact=True)).to_be_checked()
    fill_meeting(page, day=today, chair="Nguyễn Văn An, Tổ trưởng tổ dân phố Hải Đông")
    page.get_by_role("link", name="Gửi thẩm định").click()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect_message(page, "Đã gửi thẩm định. Hồ sơ đánh giá đã bị khóa.")

    # 3. The appraiser confirms it.
    page = page_as(appraiser)
    confirm_appraisal(page, draft)

    # 4. The commune's approver recognizes the four areas that exist after the merger, at once.
    page = page_as(approver)
    page.goto(f"/assessments/recognize/?issuer={commune.pk}")
    expect(page.get_by_label(merged.full_name)).to_be_visible()
    for area in areas[:2]:
        expect(page.locator("main")).not_to_contain_text(area.full_name)
    page.get_by_role("button", name="Chọn tất cả").click()
    page.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    page.get_by_label("Họ tên người ký").fill("Phạm Văn Dũng")
    page.get_by_role("button", name="Ban hành quyết định", exact=True).click()
    expect_message(page, "cho 4 đơn vị")
    recognized = Assessment.objects.filter(campaign=campaign, status=Assessment.Status.RECOGNIZED)
    assert set(recognized.values_list("unit", flat=True)) == {merged.pk, *(a.unit_id for a in kept)}

    # 5. The province's approver decides the commune: XA-4 counts the four areas at the period's end.
    own = commune_appraised(campaign, commune, officer, appraiser, today)
    page = page_as(province_approver)
    page.goto(f"/assessments/recognize/?issuer={province.pk}")
    row = page.locator(f"#candidate-{own.pk}")
    expect(row).to_contain_text("4 tổ dân phố sau sắp xếp (trước: 5)")
    expect(row).to_contain_text("XA-4: 4/4")
    shot(page, "rearrangement-commune.png")
    page.get_by_label(commune.full_name).check()
    page.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    page.get_by_label("Họ tên người ký").fill("Hoàng Văn Em")
    page.get_by_role("button", name="Ban hành quyết định", exact=True).click()
    expect_message(page, "cho 1 đơn vị")
    own.refresh_from_db()
    assert own.status == Assessment.Status.RECOGNIZED
