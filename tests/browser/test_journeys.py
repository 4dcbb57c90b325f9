"""The main journeys of issue 8 in a real browser, each asserting what the user sees.

Each test prepares the state before its own step with the real services (so it stays short)
and then clicks through that step as the user would.
"""

import re

import pytest
from playwright.sync_api import expect

from certification.models import Answer, Assessment, Certificate, Decision
from certification.selectors.criteria import answerable_criteria
from certification.services import transitions
from tests.browser.conftest import (
    appraised_assessment,
    filled_assessment,
    recognize,
    submitted_assessment,
)
from tests.browser.helpers import (
    confirm_appraisal,
    criterion_row,
    decode_qr,
    download_pdf,
    expect_message,
    expect_saved,
    fill_meeting,
    have_qr_tools,
    pdf_text,
)

pytestmark = pytest.mark.browser
Status = Assessment.Status


def test_an_officer_registers_assesses_and_submits_a_residential_area(page, officer, campaign, area, today):
    # Log in with the form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Tên đăng nhập").fill("officer")
    page.get_by_label("Mật khẩu").fill("correct-horse-42")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    expect(page.locator("#my-units")).to_contain_text(area.name)

    # Register the residential area.
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Đánh giá").click()
    page.get_by_role("link", name="Ghi nhận đăng ký").click()
    page.get_by_label("Đợt xét").select_option(label=campaign.name)
    page.get_by_label("Đơn vị").select_option(label=area.name)
    page.get_by_label("Số hộ gia đình").fill("101")
    page.get_by_label("Số hộ đăng ký").fill("101")
    page.get_by_role("button", name="Lưu").click()
    expect_message(page, f"Đã ghi nhận đăng ký của {area.name}.")

    # The next step comes first (issue 20): the page whose one button opens the assessment.
    expect(page.get_by_role("heading", level=1)).to_have_text("Mở hồ sơ đánh giá")
    page.get_by_role("main").get_by_role("button", name="Mở hồ sơ đánh giá").click()
    expect_message(page, "Đã mở hồ sơ đánh giá để nhập.")
    expect(page.get_by_role("heading", level=1)).to_have_text(area.full_name)
    expect(page.locator("main")).to_contain_text("101/101")

    # Every criterion answered with the big buttons; each row saves on its own, no reload.
    rows = page.locator(".criterion-row[data-row]")
    count = rows.count()
    assert count == len(answerable_criteria(Assessment.objects.get().criteria_set))
    for i in range(count):
        rows.nth(i).locator("label", has_text=re.compile(r"^Đạt$")).click()
    for i in range(count):
        expect_saved(rows.nth(i))
    kdc1 = criterion_row(page, "KDC-1")
    kdc1.get_by_label("Số liệu").fill("101")
    expect_saved(kdc1)
    expect(page.locator("#conflict-message")).to_be_hidden()

    # This year's figures beside last year's, then the meeting minutes.
    figures = page.locator("#figures")
    figures.get_by_label("Số vụ tội phạm").fill("0")
    figures.get_by_label("Số vụ tệ nạn xã hội").fill("0")
    figures.get_by_label("Số vụ vi phạm pháp luật khác").fill("2")
    expect_saved(figures)
    fill_meeting(page, day=today, chair="Nguyễn Văn An, Tổ trưởng tổ dân phố")

    # Everything is stored: after a reload nothing is missing.
    page.reload()
    for i in range(count):
        expect(rows.nth(i).get_by_role("radio", name="Đạt", exact=True)).to_be_checked()
    expect(page.locator("main")).not_to_contain_text("Còn thiếu trước khi gửi")

    page.get_by_role("link", name="Gửi thẩm định").click()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect_message(page, "Đã gửi thẩm định. Hồ sơ đánh giá đã bị khóa.")
    expect(page.locator(".page-head")).to_contain_text("Đã nộp")
    expect(rows.first.get_by_role("radio", name="Đạt", exact=True)).to_be_disabled()

    assessment = Assessment.objects.get()
    assert assessment.status == Status.SUBMITTED
    assert set(assessment.answers.values_list("value", flat=True)) == {Answer.Value.MET}
    assert assessment.violation_count == 2
    assert [a["name"] for a in assessment.meeting_attendees] == ["Trần Thị Bình", "Lê Văn Cường"]


def test_an_appraiser_returns_one_criterion_with_a_reason(page_as, officer, appraiser, campaign, area, today):
    assessment = submitted_assessment(campaign, area, officer, today)
    page = page_as(appraiser)
    page.goto("/")
    queue = page.locator("#appraisal-queue")
    expect(queue).to_contain_text("Chờ tôi thẩm định")
    queue.get_by_role("link", name=area.name).click()

    page.get_by_role("link", name="Trả lại để bổ sung").click()
    page.get_by_label("Lý do trả lại KDC-4b").fill("Thiếu báo cáo vụ cháy ngày 12/8")
    page.get_by_role("button", name="Trả lại", exact=True).click()

    expect_message(page, "Đã trả lại cho cán bộ")
    returned = page.locator(".msg-warning", has_text="Chỉ các mục sau được mở")
    expect(returned).to_contain_text("KDC-4b: Thiếu báo cáo vụ cháy ngày 12/8")
    expect(page.locator(".page-head")).to_contain_text("Bị trả lại để bổ sung")
    assessment.refresh_from_db()
    assert assessment.status == Status.RETURNED
    assert list(assessment.answers.filter(is_returned=True).values_list("criterion__code", flat=True)) == [
        "KDC-4b"
    ]


def test_the_officer_fixes_only_the_returned_item_and_resubmits(
    page_as, officer, appraiser, campaign, area, today
):
    assessment = submitted_assessment(campaign, area, officer, today)
    transitions.return_assessment(
        assessment=assessment, by=appraiser, items={"KDC-4b": "Thiếu báo cáo vụ cháy ngày 12/8"}
    )
    page = page_as(officer)
    page.goto("/")
    unit_row = page.locator("#my-units .row", has_text=area.name)
    expect(unit_row).to_contain_text("Bị trả lại để bổ sung")
    unit_row.get_by_role("link", name=area.name).click()

    expect(page.locator(".msg-warning", has_text="Chỉ các mục sau được mở")).to_contain_text(
        "KDC-4b: Thiếu báo cáo vụ cháy ngày 12/8"
    )
    # Only the returned row is open; the others and the minutes stay locked.
    expect(criterion_row(page, "KDC-2").get_by_role("radio", name="Đạt", exact=True)).to_be_disabled()
    expect(page.get_by_label("Người chủ trì")).to_be_disabled()
    returned = criterion_row(page, "KDC-4b")
    returned.get_by_label("Ghi chú").fill(
        "Đã bổ sung báo cáo vụ cháy (bất khả kháng), có xác nhận của Công an xã."
    )
    expect_saved(returned)

    page.get_by_role("link", name="Gửi thẩm định").click()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect_message(page, "Đã gửi thẩm định.")
    expect(page.locator(".page-head")).to_contain_text("Đã nộp")

    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED
    notes = dict(assessment.answers.values_list("criterion__code", "note"))
    assert notes["KDC-4b"].startswith("Đã bổ sung báo cáo")
    assert [code for code, note in notes.items() if note] == ["KDC-4b"]


def test_the_approver_recognizes_the_communes_areas_in_one_decision(
    page_as, officer, appraiser, approver, campaign, areas, commune, today
):
    for a in areas[1:3]:
        appraised_assessment(campaign, a, officer, appraiser, today)
    last = submitted_assessment(campaign, areas[0], officer, today)

    # The appraiser confirms the last one.
    page = page_as(appraiser)
    confirm_appraisal(page, last)

    # The approver takes all three in one decision.
    page = page_as(approver)
    page.goto("/")
    queue = page.locator("#decision-queue")
    for a in areas[:3]:
        expect(queue).to_contain_text(a.name)
    queue.get_by_role("link", name="Ra một quyết định cho nhiều đơn vị").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quyết định công nhận")
    expect(page.get_by_label("Cơ quan công nhận")).to_contain_text(commune.name)
    page.get_by_role("button", name="Chọn tất cả").click()
    for a in areas[:3]:
        expect(page.get_by_label(a.full_name)).to_be_checked()
    page.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    page.get_by_label("Họ tên người ký").fill("Phạm Văn Dũng")
    page.get_by_role("button", name="Ban hành quyết định").click()

    expect_message(page, "cho 3 đơn vị")
    certificates = page.locator("table.table tbody tr")
    expect(certificates).to_have_count(3)
    for a in areas[:3]:
        expect(certificates.filter(has_text=a.name)).to_contain_text("Hiệu lực")
    assert {a.status for a in Assessment.objects.all()} == {Status.RECOGNIZED}
    assert Assessment.objects.values("decision").distinct().count() == 1


def test_a_clerk_downloads_the_decision_and_the_certificates(
    page_as, officer, appraiser, approver, clerk, campaign, areas, commune, today, tmp_path
):
    decision = recognize(
        [appraised_assessment(campaign, a, officer, appraiser, today) for a in areas[:2]],
        approver,
        commune,
        today,
    )
    page = page_as(clerk)
    page.goto("/")
    page.locator("#clerk").get_by_role("link", name=decision.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(decision.reference)

    path = download_pdf(
        page, page.get_by_role("link", name="Tải quyết định (PDF)"), tmp_path / "decision.pdf"
    )
    text = pdf_text(path)
    assert "QUYẾT ĐỊNH" in text
    for a in areas[:2]:
        assert a.name in text

    rows = page.locator("table.table tbody tr")
    expect(rows.get_by_role("link", name="PDF")).to_have_count(2)
    for i, a in enumerate(areas[:2]):
        link = rows.filter(has_text=a.name).get_by_role("link", name="PDF")
        path = download_pdf(page, link, tmp_path / f"certificate-{i}.pdf")
        assert a.name in pdf_text(path)

    # All of them in one file for the printer (a Celery job; eager here).
    page.get_by_role("button", name="In tất cả Giấy công nhận").click()
    expect(page.locator("progress")).to_have_attribute("value", "100")
    link = page.get_by_role("link", name="Tất cả Giấy công nhận trong một tệp PDF")
    text = pdf_text(download_pdf(page, link, tmp_path / "all.pdf"))
    assert all(a.name in text for a in areas[:2])


def test_anyone_verifies_the_certificate_by_its_qr_code_until_it_is_revoked(
    page_as,
    new_context,
    settings,
    live_server,
    officer,
    appraiser,
    approver,
    clerk,
    campaign,
    area,
    commune,
    today,
    tmp_path,
):
    if not have_qr_tools():
        pytest.skip("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to read the QR code")
    settings.SITE_BASE_URL = live_server.url
    decision = recognize(
        [appraised_assessment(campaign, area, officer, appraiser, today)], approver, commune, today
    )
    certificate = Certificate.objects.get(decision=decision)

    clerk_page = page_as(clerk)
    clerk_page.goto(decision.get_absolute_url())
    link = clerk_page.locator("table.table tbody tr", has_text=area.name).get_by_role("link", name="PDF")
    url = decode_qr(download_pdf(clerk_page, link, tmp_path / "certificate.pdf"))
    assert url == f"{live_server.url}/verify/{certificate.code}"

    visitor = new_context().new_page()
    visitor.goto(url)
    expect(visitor.locator(".verify-status")).to_have_text("Còn hiệu lực")
    expect(visitor.locator(".verify-content")).to_contain_text(area.name)
    expect(visitor.locator(".verify-content")).to_contain_text(decision.reference)
    expect(visitor.get_by_role("link", name="Đăng xuất")).to_have_count(0)

    page = page_as(approver)
    page.goto(decision.get_absolute_url())
    page.locator("table.table tbody tr", has_text=area.name).get_by_role("link", name="Thu hồi").click()
    # The revocation is a decision of its own (NĐ 30 Art. 18(3)), numbered when issued.
    page.get_by_label("Lý do").fill("Phát hiện che giấu vụ việc gây rối trật tự công cộng")
    page.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    page.get_by_label("Họ tên người ký").fill("Phạm Văn Dũng")
    page.get_by_role("button", name="Ban hành quyết định thu hồi").click()
    revocation = Decision.objects.get(kind=Decision.Kind.REVOCATION)
    expect(page.get_by_role("heading", level=1)).to_contain_text(revocation.reference)
    expect(page.locator("#revoked")).to_contain_text(area.name)

    visitor.reload()
    expect(visitor.locator(".verify-status")).to_have_text("Hết hiệu lực: đã bị thu hồi")
    expect(visitor.locator(".verify-revocation")).to_contain_text("Phát hiện che giấu vụ việc")
    expect(visitor.locator(".verify-revocation")).to_contain_text(revocation.reference)


def test_an_officer_of_another_commune_reaches_none_of_it(
    page_as, officer, appraiser, approver, colleague, campaign, area, other_area, commune, today
):
    decision = recognize(
        [appraised_assessment(campaign, area, officer, appraiser, today)], approver, commune, today
    )
    assessment = Assessment.objects.get(unit=area)
    certificate = Certificate.objects.get(decision=decision)
    # The colleague's own commune has work too, so the lists are not empty by accident.
    filled_assessment(campaign, other_area, colleague, today)

    page = page_as(colleague)
    for url in [
        assessment.get_absolute_url(),
        f"/assessments/{assessment.pk}/submit/",
        f"/assessments/{assessment.pk}/return/",
        f"/assessments/{assessment.pk}/appraise/",
        f"/assessments/{assessment.pk}/revoke/",
        f"/registrations/new/?unit={area.pk}",
        f"/units/{area.pk}/",
        decision.get_absolute_url(),
        f"/decisions/{decision.pk}/pdf",
        f"/certificates/{certificate.pk}/pdf",
        f"/certificates/{certificate.pk}/revoke",
    ]:
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
        expect(page.locator("body")).not_to_contain_text(area.name)

    # A page without an object of the other commune: the role is missing, nothing leaks.
    assert page.goto("/assessments/recognize/").status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Không được phép")

    for url in ["/", "/assessments/", "/decisions/", "/units/", "/my-tasks/"]:
        page.goto(url)
        expect(page.locator("main")).not_to_contain_text(area.name)
    page.goto("/assessments/")
    expect(page.locator("main")).to_contain_text(other_area.name)
    # Nor by posting to it (with a valid CSRF token of its own session).
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    answer = assessment.answers.first()
    response = page.request.post(
        f"/assessments/{assessment.pk}/save/",
        form={"version": str(assessment.version), "only": str(answer.pk), f"value-{answer.pk}": "not_met"},
        headers={"Accept": "application/json", "X-CSRFToken": token, "Referer": page.url},
    )
    assert response.status == 404
    assessment.refresh_from_db()
    assert assessment.status == Status.RECOGNIZED
