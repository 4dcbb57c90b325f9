"""Two-step verification (TOTP, django-otp): turning it on and off, the code after the password,
throttled guessing, roles that must have it, and the administrator's reset for a lost phone.

Codes are computed the way a phone's authenticator app does (RFC 6238 from the secret the page
shows), so the enrolment page's key is tested too."""

import re
import time
from base64 import b32decode

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from certification.models import AuditEvent
from tests.builders import PASSWORD, make_user
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role


def code_for(secret_hex: str, offset_steps: int = 0) -> str:
    totp = TOTP(bytes.fromhex(secret_hex))
    totp.time = time.time() + 30 * offset_steps
    return f"{totp.token():06d}"


def secret_on_page(html: str) -> str:
    """The base32 key shown in groups of four, back to hex as the device stores it."""
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    return b32decode(key + "=" * (-len(key) % 8)).hex()


@pytest.fixture
def province(db):
    return Unit.objects.create(code="42", name="Hà Tĩnh", label="Tỉnh", kind=Unit.Kind.PROVINCE)


@pytest.fixture
def approver(province):
    return make_user("duyet", Role.APPROVER, province)


def log_in(client, user) -> object:
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def enrol(client, user) -> str:
    """Turn it on through the page; returns the secret (hex)."""
    log_in(client, user)
    page = client.get(reverse("two_factor")).content.decode()
    secret = secret_on_page(page)
    response = client.post(reverse("two_factor"), {"code": code_for(secret)})
    assert response.status_code == 302
    return secret


def awaiting_code(client, user) -> str:
    """Enrolled, logged out and logged in again with the password: the session waits for a code.
    Returns the secret (hex)."""
    secret = enrol(client, user)
    client.logout()
    log_in(client, user)
    return secret


@pytest.mark.django_db
def test_turning_it_on_shows_a_qr_code_and_key_and_needs_a_correct_code(client, approver):
    log_in(client, approver)
    page = client.get(reverse("two_factor")).content.decode()
    assert "Xác thực hai lớp" in page and 'src="data:image/svg+xml' in page
    secret = secret_on_page(page)
    assert TOTPDevice.objects.get(user=approver, confirmed=False).key == secret
    assert (
        secret_on_page(client.get(reverse("two_factor")).content.decode()) == secret
    )  # a reload keeps the key

    wrong = client.post(reverse("two_factor"), {"code": "12345"})
    assert "Mã gồm đúng 6 chữ số." in wrong.content.decode()
    bad = code_for(secret, offset_steps=10)
    refused = client.post(reverse("two_factor"), {"code": bad})
    assert "Mã không đúng hoặc đã hết hạn" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=approver, confirmed=True).exists()

    time.sleep(1.1)  # the wrong code above throttles the next try for 1 s
    response = client.post(reverse("two_factor"), {"code": code_for(secret)}, follow=True)
    assert "Đã bật xác thực hai lớp" in response.content.decode()
    assert TOTPDevice.objects.get(user=approver).confirmed
    event = AuditEvent.objects.get(action="two_factor")
    assert (event.actor, event.object_id, event.old, event.new) == (approver, str(approver.pk), "off", "on")
    # The session that turned it on is verified: it goes on working.
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_after_the_password_every_page_waits_for_the_code(client, approver):
    secret = enrol(client, approver)
    client.logout()
    response = log_in(client, approver)
    assert response.status_code == 302
    for name in ("home", "units:unit-list", "two_factor"):
        page = client.get(reverse(name))
        assert page.status_code == 302 and page["Location"].startswith(reverse("otp_verify")), name
    assert client.get("/admin/").status_code == 302
    step = client.get(reverse("otp_verify") + "?next=/units/")
    assert "Mở ứng dụng xác thực" in step.content.decode()

    used = code_for(secret, offset_steps=1)  # the next step's: the enrolment used this one
    response = client.post(reverse("otp_verify"), {"code": used, "next": "/units/"})
    assert response.status_code == 302 and response["Location"] == "/units/"
    assert client.get(reverse("home")).status_code == 200

    # The same code cannot open a second session (replay).
    other = type(client)()
    log_in(other, approver)
    replay = other.post(reverse("otp_verify"), {"code": used})
    assert replay.status_code == 200 and "Mã không đúng hoặc đã hết hạn" in replay.content.decode()
    assert other.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_wrong_codes_are_throttled_with_a_vietnamese_message_even_for_the_right_one(client, approver):
    secret = awaiting_code(client, approver)
    for _ in range(3):
        client.post(reverse("otp_verify"), {"code": code_for(secret, offset_steps=20)})
    blocked = client.post(reverse("otp_verify"), {"code": code_for(secret, offset_steps=1)})
    text = blocked.content.decode()
    assert "Nhập sai mã quá nhiều lần liên tiếp" in text, text
    assert client.get(reverse("home")).status_code == 302
    # Tries during the wait are refused unchecked: guessing gets no faster by hammering.
    assert TOTPDevice.objects.get(user=approver).throttling_failure_count == 1
    time.sleep(1.1)
    assert client.post(reverse("otp_verify"), {"code": code_for(secret, offset_steps=1)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_an_open_redirect_is_not_followed_after_the_code(client, approver):
    secret = awaiting_code(client, approver)
    response = client.post(
        reverse("otp_verify"), {"code": code_for(secret, offset_steps=1), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


@pytest.mark.django_db
def test_turning_it_off_needs_a_current_code_and_is_recorded(client, approver):
    secret = enrol(client, approver)
    refused = client.post(reverse("two_factor"), {"code": code_for(secret, offset_steps=-10)})
    assert "Mã không đúng hoặc đã hết hạn" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=approver).exists()
    time.sleep(1.1)  # the wrong code throttles the next try for 1 s
    response = client.post(reverse("two_factor"), {"code": code_for(secret, offset_steps=1)}, follow=True)
    assert "Đã tắt xác thực hai lớp" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=approver, confirmed=True).exists()
    assert [(e.old, e.new) for e in AuditEvent.objects.filter(action="two_factor").order_by("id")] == [
        ("off", "on"),
        ("on", "off"),
    ]
    client.logout()
    log_in(client, approver)
    assert client.get(reverse("home")).status_code == 200  # the password alone again


@pytest.mark.django_db
def test_a_role_that_requires_it_must_turn_it_on_first_and_cannot_turn_it_off(client, approver, settings):
    settings.ANTT_REQUIRE_2FA_FOR = ["approver", "admin"]
    log_in(client, approver)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("two_factor"))
    page = client.get(home["Location"]).content.decode()
    assert "Vai trò của bạn bắt buộc xác thực hai lớp. Hãy bật để tiếp tục." in page
    secret = secret_on_page(page)
    response = client.post(reverse("two_factor"), {"code": code_for(secret), "next": "/"})
    assert response["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200
    page = client.get(reverse("two_factor")).content.decode()
    assert "không thể tắt" in page and "Tắt xác thực hai lớp" not in page
    refused = client.post(reverse("two_factor"), {"code": code_for(secret)}, follow=True)
    assert "không thể tắt" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=approver, confirmed=True).exists()

    # An officer's role is not in the list: the password alone.
    officer = make_user("canbo", Role.OFFICER, Unit.objects.get(code="42"))
    other = type(client)()
    log_in(other, officer)
    assert other.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_the_administrator_resets_a_lost_phone_and_the_waiting_session_is_released(client, approver):
    awaiting_code(client, approver)
    assert client.get(reverse("home")).status_code == 302
    root = get_user_model().objects.create_superuser("root", "root@example.vn", PASSWORD)
    call_command("reset_2fa", approver.username, "--by", "root")
    assert not TOTPDevice.objects.filter(user=approver).exists()
    event = AuditEvent.objects.filter(action="two_factor").latest("id")
    assert (event.actor, event.old, event.new) == (root, "on", "off")
    # The session that waited for a code goes on with the password it gave.
    response = client.get(reverse("otp_verify") + "?next=/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_the_device_admin_is_for_superusers_only_and_never_shows_the_key(client, approver, province):
    secret = enrol(client, approver)
    staff = make_user("quantri", Role.ADMIN, province, is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(Permission.objects.all())
    client.logout()
    client.force_login(staff)
    assert client.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 403
    root = get_user_model().objects.create_superuser("root", "root@example.vn", PASSWORD)
    client.force_login(root)
    device = TOTPDevice.objects.get(user=approver)
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert "duyet" in listing
    assert secret not in listing + change
