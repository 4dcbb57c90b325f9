"""The officer's journey on a phone (issue 20, point 4): every page fits 360, 390 and 414 px
without sideways scrolling and shows everything on the screen (badges, the list's status and
decision, "Mở hồ sơ đánh giá", last year's figures, the history); the entry page counts the
answered criteria and keeps Save and Submit in reach. Every page is also checked by axe-core
(the ``new_context`` fixture), here at phone width, where tables used to scroll sideways with
nothing focusable."""

import re

import pytest
from playwright.sync_api import expect

from certification.models import Assessment
from certification.selectors.criteria import answerable_criteria
from tests.browser.conftest import appraised_assessment, recognize, register
from tests.browser.helpers import criterion_row, expect_fits_phones, expect_saved

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_the_officers_journey_fits_a_phone(
    page_as, officer, appraiser, approver, campaign, areas, commune, today
):
    area, done = areas[0], areas[1]
    decision = recognize(
        [appraised_assessment(campaign, done, officer, appraiser, today)], approver, commune, today
    )
    register(campaign, area, officer, today)
    page = page_as(officer, **PHONE)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    expect_fits_phones(page)

    # The units: the page is called "Đơn vị" (it said "Tổng số"), then one unit.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Đơn vị").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đơn vị")
    expect(page).to_have_title(re.compile("^Đơn vị"))
    expect_fits_phones(page)
    page.get_by_role("link", name=area.full_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(area.full_name)
    expect_fits_phones(page)

    # The assessments: status badge and decision of the recognized area on the screen.
    page.goto("/assessments/")
    recognized = page.locator("table.table tbody tr", has_text=done.name)
    recognized.scroll_into_view_if_needed()
    expect(recognized.locator(".badge")).to_be_in_viewport(ratio=1)
    expect(recognized.get_by_text(decision.reference)).to_be_in_viewport(ratio=1)
    expect_fits_phones(page)

    page.goto(f"/registrations/new/?unit={area.pk}&campaign={campaign.pk}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect_fits_phones(page)

    # "Mở hồ sơ đánh giá" is on the screen, not 7 px right of it.
    page.goto(f"/assessments/?campaign={campaign.pk}")
    start = (
        page.locator("#not-started")
        .get_by_role("row")
        .filter(has_text=area.name)
        .get_by_role("button", name="Mở hồ sơ đánh giá")
    )
    start.scroll_into_view_if_needed()
    expect(start).to_be_in_viewport(ratio=1)
    start.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(area.full_name)
    expect_fits_phones(page)

    # The entry page: how many criteria are answered, Save and Submit always at hand.
    total = len(answerable_criteria(Assessment.objects.get(unit=area).criteria_set))
    bar = page.locator("#entry-bar")
    expect(bar).to_contain_text(f"0/{total} tiêu chí đã trả lời")
    for code in ("KDC-2", "KDC-3b"):
        row = criterion_row(page, code)
        row.get_by_text("Đạt", exact=True).click()
        expect_saved(row)
        expect(bar).to_be_in_viewport()
    expect(bar).to_contain_text(f"2/{total} tiêu chí đã trả lời")
    expect(bar.get_by_role("button", name="Lưu")).to_be_in_viewport(ratio=1)
    expect(bar.get_by_role("link", name="Gửi", exact=True)).to_be_in_viewport(ratio=1)
    # Last year's figures and the history are on the screen when scrolled to.
    figures = page.locator("#figures")
    figures.scroll_into_view_if_needed()
    for cell in figures.locator("tbody td").all():
        cell.scroll_into_view_if_needed()
        expect(cell).to_be_in_viewport(ratio=1)
    history = page.locator("#timeline tbody tr").first
    history.scroll_into_view_if_needed()
    expect(history).to_be_in_viewport(ratio=1)
    page.reload()
    expect(bar).to_contain_text(f"2/{total} tiêu chí đã trả lời")

    bar.get_by_role("link", name="Gửi", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gửi thẩm định")
    expect_fits_phones(page)

    # The recognized area's assessment, with its decision, and the officer's other pages.
    page.goto(Assessment.objects.get(unit=done).get_absolute_url())
    expect(page.locator(".page-head")).to_contain_text("Được công nhận")
    expect_fits_phones(page)
    for url in ("/my-tasks/", "/notifications/", "/account/"):
        page.goto(url)
        expect_fits_phones(page)
