"""Accessibility of the pages issue 20 (point 12) found wanting, on a phone. Every page any
browser test visits is checked by axe-core (WCAG 2.1 A/AA) through the ``new_context`` fixture;
these tests call the same check (``expect_accessible``) at the narrowest phone width too, and
assert what a screen reader user hears."""

import re

import pytest
from playwright.sync_api import expect

from certification.services import entry
from tests.browser.conftest import register
from tests.browser.helpers import expect_accessible, expect_saved

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_the_entry_page_with_its_figures_and_history_is_accessible_on_a_phone(
    page_as, officer, campaign, area, today
):
    register(campaign, area, officer, today)
    assessment = entry.start_assessment(campaign=campaign, unit=area, by=officer)
    page = page_as(officer, **PHONE)
    page.goto(assessment.get_absolute_url())
    figures = page.locator("#figures")
    figures.get_by_label("Số vụ tội phạm").fill("0")
    expect_saved(figures)
    page.reload()  # the history now has rows
    expect(page.locator("#timeline tbody tr").first).to_be_attached()
    # The tables were regions scrolling sideways with nothing to focus (scrollable-region-focusable).
    expect_accessible(page)
    # Read as a table still: the figures' cells keep their roles on the stacked phone layout.
    expect(figures.get_by_role("row")).to_have_count(4)
    expect(figures.get_by_role("rowheader", name="Số vụ tội phạm")).to_be_visible()


def test_help_texts_are_announced_with_their_field(page_as, officer, campaign, area):
    page = page_as(officer, **PHONE)
    page.goto(f"/registrations/new/?unit={area.pk}&campaign={campaign.pk}")
    expect(page.get_by_label("Số hộ gia đình")).to_have_accessible_description("Chỉ dành cho khu dân cư.")
    expect_accessible(page)


def test_the_units_page_is_called_units(page_as, officer, area):
    page = page_as(officer, **PHONE)
    page.goto("/units/")
    expect(page).to_have_title(re.compile("^Đơn vị"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Đơn vị")
    expect_accessible(page)
