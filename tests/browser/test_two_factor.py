"""Two-step verification in a real browser: an approver turns it on from the top bar by the key
the page shows, then logs in again with password and code (codes computed as a phone app does)."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def code(key: str, steps: int = 0) -> str:
    key = key.replace(" ", "")
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("correct-horse-42")
    page.get_by_role("button", name="Đăng nhập").click()


def test_an_approver_turns_on_two_step_verification_and_logs_in_with_a_code(page, approver):
    log_in(page, approver.username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")
    page.get_by_role("link", name="Xác thực hai lớp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xác thực hai lớp")
    expect(page.get_by_role("img", name="Mã QR để thêm ANTT vào ứng dụng xác thực")).to_be_visible()
    key = page.locator("code.secret").inner_text()

    page.get_by_label("Mã 6 chữ số").fill("000000" if code(key) != "000000" else "111111")
    page.get_by_role("button", name="Bật xác thực hai lớp").click()
    expect(page.locator(".errorlist")).to_contain_text("Mã không đúng hoặc đã hết hạn")
    time.sleep(1.1)  # one wrong code: the next try waits 1 s
    page.get_by_label("Mã 6 chữ số").fill(code(key))
    page.get_by_role("button", name="Bật xác thực hai lớp").click()
    expect(page.locator(".msg-success")).to_contain_text("Đã bật xác thực hai lớp")

    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, approver.username)
    expect(page).to_have_url(re.compile(r"/login/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Xác thực hai lớp")
    page.goto("/units/")  # nothing else opens before the code
    expect(page).to_have_url(re.compile(r"/login/verify/\?next=%2Funits%2F"))
    page.get_by_label("Mã 6 chữ số").fill(code(key, steps=1))
    page.get_by_role("button", name="Xác nhận").click()
    expect(page).to_have_url(re.compile(r"/units/$"))
