"""Entry that never loses work (issue 20, points 1, 6 and 13): a connection that comes and goes,
two people on one record, and saving that does not depend on timing.

Each test waits on what the user waits on: the row's "Đã lưu" / "Đang chờ lưu" and the status bar
at the bottom of the page, never on a sleep.
"""

import re

import pytest
from playwright.sync_api import expect

from certification.models import Assessment
from certification.services import entry, transitions
from tests.browser.conftest import filled_assessment, register, submitted_assessment
from tests.browser.helpers import criterion_row, expect_saved
from tests.builders import make_user
from units.models import RoleAssignment

pytestmark = pytest.mark.browser
SAVE_URL = re.compile(r"/assessments/\d+/save/$")
WAITING = "Đang chờ lưu"


def started(campaign, area, officer, today) -> Assessment:
    register(campaign, area, officer, today)
    return entry.start_assessment(campaign=campaign, unit=area, by=officer)


def answers(assessment: Assessment) -> dict[str, tuple[str, str]]:
    return {
        code: (value, note)
        for code, value, note in assessment.answers.values_list("criterion__code", "value", "note")
    }


def test_answers_entered_offline_survive_a_reload_and_are_saved_when_the_network_returns(
    page_as, officer, campaign, area, today
):
    assessment = started(campaign, area, officer, today)
    page = page_as(officer)
    page.goto(assessment.get_absolute_url())
    bar = page.locator("#save-bar")
    kdc1, kdc2 = criterion_row(page, "KDC-1"), criterion_row(page, "KDC-2")

    # The connection drops; the officer goes on entering.
    page.context.set_offline(True)
    kdc1.locator("label", has_text=re.compile(r"^Đạt$")).click()
    kdc1.get_by_label("Ghi chú").fill("Có nghị quyết của chi bộ")
    kdc2.locator("label", has_text=re.compile(r"^Không đạt$")).click()
    expect(bar).to_contain_text("Mất kết nối: 2 mục đã sửa đang chờ trong trình duyệt này")
    expect(kdc1.locator(".save-state")).to_have_text(WAITING)
    expect(kdc2.locator(".save-state")).to_have_text(WAITING)
    assert answers(assessment)["KDC-1"] == ("", "")

    # Pages load again but saves still fail (a weak line); leaving asks first; the reload keeps
    # what was entered.
    page.route(SAVE_URL, lambda route: route.abort())
    page.context.set_offline(False)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(kdc1.get_by_role("radio", name="Đạt", exact=True)).to_be_checked()
    expect(kdc1.get_by_label("Ghi chú")).to_have_value("Có nghị quyết của chi bộ")
    expect(kdc2.get_by_role("radio", name="Không đạt", exact=True)).to_be_checked()
    expect(bar).to_contain_text("2 mục đã sửa đang chờ trong trình duyệt này")
    assert answers(assessment)["KDC-1"] == ("", "")

    # The network returns: everything is sent, in order, and the page says so.
    page.unroute(SAVE_URL)
    page.context.set_offline(True)
    with page.expect_request(SAVE_URL) as sent:
        page.context.set_offline(False)
    # A row's fields form-encoded (no file: the server parses it ~10× faster than multipart).
    assert sent.value.headers["content-type"].startswith("application/x-www-form-urlencoded")
    expect_saved(kdc1)
    expect_saved(kdc2)
    expect(bar).to_contain_text("Đã lưu mọi thay đổi.")
    saved = answers(assessment)
    assert saved["KDC-1"] == ("met", "Có nghị quyết của chi bộ")
    assert saved["KDC-2"] == ("not_met", "")
    assessment.refresh_from_db()
    assert assessment.version == 3  # one save per row, no repeat

    # Nothing waits any more: the page can be left without a question.
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(kdc1.get_by_label("Ghi chú")).to_have_value("Có nghị quyết của chi bộ")
    expect(bar).not_to_contain_text("đang chờ")


def test_a_rejected_upload_is_explained_beside_the_upload_form(
    page_as, officer, campaign, area, today, tmp_path
):
    assessment = started(campaign, area, officer, today)
    page = page_as(officer)
    page.goto(assessment.get_absolute_url())
    upload = page.locator("#evidence-upload")
    scan = tmp_path / "bien-ban.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    upload.locator("input[type=file]").set_input_files(str(scan))

    page.context.set_offline(True)
    upload.get_by_role("button", name="Đính kèm").click()
    expect(upload.locator(".upload-problem")).to_have_text(
        "Mất kết nối: tệp chưa được tải lên. Hãy thử lại khi có mạng."
    )
    expect(upload.locator(".upload-problem")).to_be_in_viewport()

    # Refused by the server: the page comes back at the evidence, the reason beside the form.
    page.context.set_offline(False)
    fake = tmp_path / "anh.png"
    fake.write_bytes(b"MZ not an image")
    upload.locator("input[type=file]").set_input_files(str(fake))
    expect(upload.locator(".upload-problem")).to_be_hidden()
    upload.get_by_role("button", name="Đính kèm").click()
    expect(page.locator("#evidence-upload .upload-problem")).to_have_text(
        re.compile("Chỉ nhận tệp PDF, JPEG và PNG")
    )
    expect(page.locator("#evidence-upload .upload-problem")).to_be_in_viewport()


# --- two people, one record (point 6) --------------------------------------------------------


def test_two_officers_on_different_criteria_both_keep_their_answer(
    page_as, officer, campaign, area, commune, today
):
    second = make_user("officer2", RoleAssignment.Role.OFFICER, commune, first_name="Hoa", last_name="Lê")
    assessment = started(campaign, area, officer, today)
    mine, theirs = page_as(officer), page_as(second, viewport={"width": 390, "height": 844})
    mine.goto(assessment.get_absolute_url())
    theirs.goto(assessment.get_absolute_url())

    mine_kdc1 = criterion_row(mine, "KDC-1")
    mine_kdc1.locator("label", has_text=re.compile(r"^Đạt$")).click()
    expect_saved(mine_kdc1)
    # The second officer, on the page opened before that save, answers another criterion.
    theirs_kdc2 = criterion_row(theirs, "KDC-2")
    theirs_kdc2.locator("label", has_text=re.compile(r"^Không đạt$")).click()
    theirs_kdc2.get_by_label("Ghi chú").fill("Có 1 vụ trộm cắp tài sản")
    expect_saved(theirs_kdc2)
    expect(theirs.locator("#conflict-message")).to_be_hidden()
    assert answers(assessment)["KDC-1"] == ("met", "")
    assert answers(assessment)["KDC-2"] == ("not_met", "Có 1 vụ trộm cắp tài sản")

    # A real conflict: the same criterion, changed by the first officer since the page opened.
    theirs_kdc1 = criterion_row(theirs, "KDC-1")
    theirs_kdc1.locator("label", has_text=re.compile(r"^Không đạt$")).click()
    conflict = theirs.locator("#conflict-message")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text(re.compile(r"officer đã sửa KDC-1 lúc \d\d:\d\d"))
    expect(theirs_kdc1.locator(".save-state")).to_contain_text("officer đã sửa KDC-1")
    expect(theirs.locator("#save-bar")).to_contain_text("KDC-1: officer đã sửa KDC-1")
    assert answers(assessment)["KDC-1"] == ("met", "")


# --- saving that does not depend on timing (point 13) ----------------------------------------


def test_a_note_typed_before_the_page_script_ran_is_saved(page_as, officer, appraiser, campaign, area, today):
    """The flaky journey: the note was typed while assessment.js was still on its way (a busy
    phone or machine), so no input event was heard and nothing was saved. The script now finds
    what differs from the page when it starts."""
    assessment = submitted_assessment(campaign, area, officer, today)
    transitions.return_assessment(
        assessment=assessment, by=appraiser, items={"KDC-4b": "Thiếu báo cáo vụ cháy ngày 12/8"}
    )
    page = page_as(officer)
    script = re.compile(r"/static/js/assessment\.js")
    held = []
    page.route(script, lambda route: held.append(route))
    with page.expect_request(script):
        page.goto(assessment.get_absolute_url(), wait_until="commit")
    returned = criterion_row(page, "KDC-4b")
    returned.get_by_label("Ghi chú").fill("Đã bổ sung báo cáo vụ cháy, có xác nhận của Công an xã.")
    assert held, "the page asked for its script"
    held[0].continue_()
    expect_saved(returned)
    assert answers(assessment)["KDC-4b"][1] == "Đã bổ sung báo cáo vụ cháy, có xác nhận của Công an xã."


def test_leaving_right_after_typing_saves_first(page_as, officer, campaign, area, today):
    assessment = filled_assessment(campaign, area, officer, today)
    page = page_as(officer)
    page.goto(assessment.get_absolute_url())
    criterion_row(page, "KDC-1").get_by_label("Ghi chú").fill("Nghị quyết số 12-NQ/CB")
    # No pause for the typing to be sent: straight to the submission.
    page.get_by_role("link", name="Gửi thẩm định").click()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Đã gửi thẩm định.")
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert answers(assessment)["KDC-1"][1] == "Nghị quyết số 12-NQ/CB"
