"""Changing one's password in a real browser: from the name in the top bar to "Tài khoản của
tôi", then "Đổi mật khẩu"; the next login takes the new password only."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_two_factor import log_in

pytestmark = pytest.mark.browser

NEW = "Trăng-rằm-tháng-tám-2026"


def test_a_user_changes_their_password_from_the_top_bar(page, approver):
    log_in(page, approver.username)
    page.get_by_title("Tài khoản của tôi").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tài khoản của tôi")
    page.get_by_role("link", name="Đổi mật khẩu").click()
    page.locator("#id_old_password").fill("correct-horse-42")
    page.locator("#id_new_password1").fill(NEW)
    page.locator("#id_new_password2").fill(NEW)
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator(".msg-success")).to_contain_text("Đã đổi mật khẩu")

    page.get_by_role("button", name="Đăng xuất", exact=True).click()
    log_in(page, approver.username)  # the old password
    expect(page.locator(".msg-error")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill(approver.username)
    page.get_by_label("Mật khẩu").fill(NEW)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
