"""The entry page can be completed without a mouse: Tab moves between fields, the arrow keys
pick an answer in a criterion's button group (standard radio-group keys), Enter and Space
press links and buttons."""

import datetime

import pytest
from playwright.sync_api import expect

from certification.models import Answer, Assessment
from certification.services import entry
from tests.browser.conftest import register
from tests.browser.helpers import expect_message, expect_saved

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName, type: e.type || "", name: e.name || "", value: e.value || "",
          text: (e.textContent || "").trim()};
}"""
LABEL_OUTLINE = """() => {
  const label = document.querySelector(`label[for="${document.activeElement.id}"]`);
  return label ? parseFloat(getComputedStyle(label).outlineWidth) : 0;
}"""
TYPED = {
    "crime_count": "0",
    "social_evil_count": "1",
    "violation_count": "2",
    "meeting_chair": "Nguyễn Văn An, Tổ trưởng",
}
ATTENDEES = [("Trần Thị Bình", "Bí thư chi bộ"), ("Lê Văn Cường", "Công an phường")]


def tab_to(page, wanted, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            return focused
    raise AssertionError("the keyboard never reached the element")


def test_the_entry_page_can_be_completed_with_the_keyboard_only(page_as, officer, campaign, area, today):
    register(campaign, area, officer, today)
    assessment = entry.start_assessment(campaign=campaign, unit=area, by=officer)
    # A day equal to its month types the same in dd/mm/yyyy and mm/dd/yyyy date fields.
    meeting = datetime.date(today.year, 10, 10)
    page = page_as(officer)
    page.goto(assessment.get_absolute_url())

    attendees = iter(ATTENDEES)
    person = None
    focus_checked = False
    while True:
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUSED)
        if f["type"] == "radio" and f["name"].startswith("value-"):
            assert f["value"] == "", "Tab lands on the checked button: “Chưa đánh giá”"
            if not focus_checked:
                assert page.evaluate(LABEL_OUTLINE) >= 2, "the focused button shows a focus ring"
                focus_checked = True
            page.keyboard.press("ArrowRight")  # from the last button round to the first: “Đạt”
            row = page.locator(f"[data-row='{f['name'].removeprefix('value-')}']")
            expect(row.get_by_role("radio", name="Đạt", exact=True)).to_be_checked()
            expect_saved(row)
        elif f["name"].startswith("number-"):
            page.keyboard.type("101")
        elif f["name"] in TYPED:
            page.keyboard.type(TYPED[f["name"]])
        elif f["name"] == "meeting_date":
            page.keyboard.type(meeting.strftime("%d/%m/%Y"))  # a text box in dd/mm/yyyy
        elif f["name"] == "attendee-name":
            person = next(attendees, None)
            if person:
                page.keyboard.type(person[0])
        elif f["name"] == "attendee-role" and person:
            page.keyboard.type(person[1])
        elif f["tag"] == "BUTTON" and f["text"] == "Lưu":
            break
    expect_saved(page.locator("#figures"))
    expect_saved(page.locator("#dossier"))

    page.keyboard.press("Enter")  # the form's own "Lưu" button: sends whatever still waits
    expect(page.locator("#save-bar")).to_contain_text("Đã lưu mọi thay đổi.")
    expect(page.locator("main")).not_to_contain_text("Còn thiếu trước khi gửi")
    tab_to(page, lambda f: f["tag"] == "A" and f["text"] == "Gửi thẩm định")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gửi thẩm định")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Gửi")
    page.keyboard.press("Space")
    expect_message(page, "Đã gửi thẩm định.")

    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert set(assessment.answers.values_list("value", flat=True)) == {Answer.Value.MET}
    assert (assessment.crime_count, assessment.social_evil_count, assessment.violation_count) == (0, 1, 2)
    assert assessment.meeting_date == meeting
    assert assessment.meeting_attendees == [{"name": n, "role": r} for n, r in ATTENDEES]
