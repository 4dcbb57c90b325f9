"""Issue 20, point 2 in a real browser: the approver sees why the engine fails a unit on the batch
decision page, cannot recognize it without a written reason, and finds that reason on the
decision."""

import pytest
from playwright.sync_api import expect

from certification.models import Assessment, Campaign, Decision
from certification.models.criteria import UnitKind
from tests.browser.conftest import appraised_assessment
from tests.browser.helpers import expect_message

pytestmark = pytest.mark.browser
WHY = "Vụ vi phạm mới do người ngoài địa bàn gây ra, đã được xử lý"
FIGURES = "vi phạm pháp luật khác 1 (năm trước 0, tăng)"


def test_an_approver_recognizes_a_unit_the_engine_fails_only_with_a_written_reason(
    page_as, officer, appraiser, approver, campaign, province, area, commune, today
):
    # Last year: no other violation; this year one (the shipped fill), every answer "met".
    previous = Campaign.objects.create(
        year=today.year - 1,
        province=province,
        status=Campaign.Status.CLOSED,
        **Campaign.default_dates(today.year - 1),
    )
    Assessment.objects.create(
        campaign=previous,
        unit=area,
        criteria_set=campaign.criteria_sets.get(unit_kind=UnitKind.RESIDENTIAL_AREA),
        status=Assessment.Status.RECOGNIZED,
        crime_count=0,
        social_evil_count=0,
        violation_count=0,
    )
    assessment = appraised_assessment(campaign, area, officer, appraiser, today)

    page = page_as(approver)
    page.goto(f"/assessments/recognize/?issuer={commune.pk}")
    row = page.locator(f"#candidate-{assessment.pk}")
    expect(row).to_contain_text("Chưa đạt tiêu chuẩn")
    expect(row).to_contain_text(FIGURES)
    page.get_by_label(area.full_name).check()
    page.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    page.get_by_label("Họ tên người ký").fill("Phạm Văn Dũng")
    page.get_by_role("button", name="Ban hành quyết định", exact=True).click()
    expect_message(page, "Muốn vẫn công nhận, hãy ghi lý do")
    assert not Decision.objects.exists()

    page.locator(f"#override-{assessment.pk}").fill(WHY)
    page.get_by_role("button", name="Ban hành quyết định", exact=True).click()
    expect_message(page, "cho 1 đơn vị")
    overrides = page.locator("#overrides")
    expect(overrides).to_contain_text("Công nhận khác kết quả chấm")
    expect(overrides).to_contain_text(WHY)
    expect(overrides).to_contain_text(FIGURES)
