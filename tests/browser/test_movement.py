"""Issue 25 in a real browser: a commune's police officer records a self-management model and
rates it, finds it beside XA-1 on the commune's entry page, records a security team and enters
its yearly rating; the appraiser reviews it and the commune chairman decides (the decision PDF).
``ANTT_SCREENSHOTS=docs/img`` also saves the pictures of docs/movement.md."""

import os
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import expect

from certification.services import entry
from movement.data.catalogue import load_catalogue
from movement.models import MovementModel, TeamRatingRound
from tests.browser.helpers import expect_message

pytestmark = pytest.mark.browser


def shot(page, name: str, *, full_page: bool = True) -> None:
    target = os.environ.get("ANTT_SCREENSHOTS")
    if target:
        page.screenshot(path=str(Path(target) / name), full_page=full_page)


@pytest.fixture(autouse=True)
def _catalogue(db) -> None:
    load_catalogue(apps)  # the live server's flushes remove what migration 0002 loaded


def test_a_commune_records_and_rates_a_model_and_sees_it_beside_xa1(
    page_as, officer, campaign, commune, areas, today
):
    page = page_as(officer)
    page.goto("/movement/")
    expect(page.get_by_text("Chưa có mô hình nào.")).to_be_visible()
    page.get_by_role("link", name="Thêm mô hình").click()
    page.get_by_label("Đơn vị quản lý").select_option(label=commune.full_name)
    page.get_by_label("Tên mô hình").fill("Camera an ninh tổ dân phố")
    page.locator("#id_model_type").select_option(label="Camera an ninh")
    page.get_by_label("Khu dân cư được bao phủ").select_option(label=areas[0].full_name)
    page.get_by_label("Ngày bắt đầu").fill(f"15/01/{today.year}")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("alert")).to_contain_text("Mô hình camera an ninh phải có số camera")
    assert not MovementModel.objects.exists()
    page.get_by_label("Số camera").fill("24")
    page.get_by_role("button", name="Lưu").click()
    expect_message(page, "Đã ghi nhận mô hình")
    expect(page.locator("h1")).to_have_text("Camera an ninh tổ dân phố")

    page.get_by_role("link", name="Đánh giá mô hình").click()
    page.locator("#id_effective_0").check()
    page.get_by_label("Người đánh giá (chức danh)").fill("Chủ tịch UBND phường")
    page.get_by_role("button", name="Lưu").click()
    expect_message(page, "Đã lưu đánh giá")
    expect(page.locator("#ratings")).to_contain_text("Hiệu quả")
    expect(page.locator("#history")).to_contain_text("Đánh giá mô hình")
    shot(page, "movement-model.png")

    assessment = entry.start_assessment(campaign=campaign, unit=commune, by=officer)
    page.goto(assessment.get_absolute_url())
    panel = page.locator("[data-movement-panel]")
    expect(panel).to_have_count(1)
    expect(panel).to_contain_text("Camera an ninh tổ dân phố")
    expect(panel).to_contain_text("Hiệu quả")
    panel.evaluate("e => e.closest('.criterion-row').scrollIntoView({block: 'center'})")
    shot(page, "movement-xa1.png", full_page=False)


def test_a_commune_rates_its_security_team_through_review_and_decision(
    page_as, officer, appraiser, approver, commune, areas, today
):
    page = page_as(officer)
    page.goto("/movement/teams/")
    page.get_by_role("link", name="Thêm tổ").click()
    page.get_by_label("Địa bàn hoạt động").select_option(label=areas[0].full_name)
    page.get_by_label("Tên tổ").fill("Tổ bảo vệ ANTT tổ dân phố 1")
    page.get_by_label("Thành viên").fill("Nguyễn Văn Hải, Tổ trưởng\nTrần Văn Nam, Tổ phó")
    page.get_by_role("button", name="Lưu").click()
    expect_message(page, "Đã thêm tổ")

    page.get_by_role("link", name="Bắt đầu xếp loại năm").click()
    page.get_by_label("Xã, phường, đặc khu").select_option(label=commune.full_name)
    page.get_by_role("button", name="Bắt đầu").click()
    # One team rated "xuất sắc" with nobody "tốt": over the 20 % cap, refused at submission.
    page.get_by_label("Tổ bảo vệ ANTT tổ dân phố 1").select_option(label="Hoàn thành xuất sắc nhiệm vụ")
    page.get_by_label("Nguyễn Văn Hải").select_option(label="Hoàn thành tốt nhiệm vụ")
    page.get_by_label("Trần Văn Nam").select_option(label="Hoàn thành nhiệm vụ")
    page.get_by_role("button", name="Lưu xếp loại").click()
    expect_message(page, "Đã lưu xếp loại")
    expect(page.get_by_role("alert").first).to_contain_text("tối đa 0")
    page.get_by_role("button", name="Gửi thẩm định").click()
    expect_message(page, "làm tròn xuống")
    page.get_by_label("Tổ bảo vệ ANTT tổ dân phố 1").select_option(label="Hoàn thành tốt nhiệm vụ")
    page.get_by_role("button", name="Lưu xếp loại").click()
    page.get_by_role("button", name="Gửi thẩm định").click()
    expect_message(page, "Đã gửi thẩm định")
    round_url = page.url
    shot(page, "movement-team-rating.png")

    review = page_as(appraiser)
    review.goto(round_url)
    review.get_by_role("button", name="Đã thẩm định: trình Chủ tịch").click()
    expect_message(review, "chờ Chủ tịch quyết định")

    chairman = page_as(approver)
    chairman.goto(round_url)
    chairman.get_by_label("Người ký").fill("Lê Văn Cường")
    chairman.get_by_role("button", name="Ban hành quyết định").click()
    expect_message(chairman, "Đã ban hành quyết định")
    expect(chairman.locator("main")).to_contain_text("1/QĐ-UBND")
    expect(chairman.locator("#history")).to_contain_text("Đã thẩm định → Đã có quyết định")
    round_ = TeamRatingRound.objects.get()
    assert round_.status == TeamRatingRound.Status.DECIDED and round_.number == 1
    response = chairman.request.get(f"/movement/ratings/{round_.pk}/decision.pdf")
    assert response.ok and response.body().startswith(b"%PDF")
    shot(chairman, "movement-team-decided.png")
