"""Accounts people expect (issue 19, class 7): users change their own password; a forgotten
password is reset by an e-mailed link or by a one-time link an administrator issues (who never
knows the password); a password change, turning on two-step verification and "log out
everywhere" end the other sessions. Every change is in the audit trail, never a password."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from antt.accounts import lockout
from certification.audit import Action
from certification.models import AuditEvent
from tests.builders import PASSWORD
from tests.security.test_two_factor import code_for, secret_on_page

NEW_PASSWORD = "Trăng-rằm-tháng-tám-2026"


def logged_in(user) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def still_logged_in(client: Client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code == 200


def events(user, action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(user.pk), object_type="auth.user", action=action))


@pytest.mark.django_db
def test_a_user_changes_their_own_password_and_their_other_sessions_end(officer):
    here, elsewhere = logged_in(officer), logged_in(officer)
    page = here.get(reverse("password_change"))
    assert page.status_code == 200 and "Đổi mật khẩu" in page.content.decode()

    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    assert still_logged_in(here)
    assert not still_logged_in(elsewhere)
    [event] = events(officer, Action.PASSWORD_CHANGED)
    assert event.actor == officer and NEW_PASSWORD not in event.new and PASSWORD not in event.new


@pytest.mark.django_db
def test_a_wrong_current_password_changes_nothing_and_says_so_in_vietnamese(officer):
    client = logged_in(officer)
    response = client.post(
        reverse("password_change"),
        {"old_password": "sai-mat-khau", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "mật khẩu cũ" in response.content.decode().lower()
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
    assert not events(officer, Action.PASSWORD_CHANGED)


def link_in(message: str) -> str:
    return re.search(r"https?://\S+(/password-reset/\S+/)", message).group(1)


@pytest.mark.django_db
def test_a_forgotten_password_is_reset_by_an_e_mailed_link_that_works_once(make_user, settings):
    settings.SITE_BASE_URL = "https://antt.example.gov.vn"
    user = make_user("canbo", email="canbo@example.gov.vn")
    other_session = logged_in(user)
    anonymous = Client()

    sent = anonymous.post(reverse("password_reset"), {"email": "CANBO@example.gov.vn"})
    assert sent.status_code == 302
    [message] = mail.outbox
    assert message.to == ["canbo@example.gov.vn"]
    assert "https://antt.example.gov.vn/password-reset/" in message.body
    link = link_in(message.body)

    form = anonymous.get(link, follow=True)
    assert form.status_code == 200 and "Chọn mật khẩu mới" in form.content.decode()
    done = anonymous.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert still_logged_in(anonymous)  # the link proved the mailbox: logged in
    assert not still_logged_in(other_session)
    assert "không còn dùng được" in Client().get(link, follow=True).content.decode()  # once only
    assert events(user, Action.PASSWORD_RESET)


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_message(make_user):
    make_user("canbo", email="canbo@example.gov.vn")
    known = Client().post(reverse("password_reset"), {"email": "canbo@example.gov.vn"})
    unknown = Client().post(reverse("password_reset"), {"email": "ai-do@example.gov.vn"})
    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_reset_e_mails_are_limited_per_address(make_user, settings, monkeypatch):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    # The limit counts per minute: keep the three requests in one minute, whenever the test runs.
    now = timezone.now()
    monkeypatch.setattr(lockout, "timezone", SimpleNamespace(now=lambda: now))
    make_user("canbo", email="canbo@example.gov.vn")
    client = Client()
    codes = [
        client.post(reverse("password_reset"), {"email": "canbo@example.gov.vn"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 200]
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_an_administrator_issues_a_one_time_link_and_never_knows_the_password(province_admin, officer):
    officers_session = logged_in(officer)
    admin = Client()
    admin.force_login(province_admin)

    page = admin.post(reverse("units:user-password-link", args=[officer.pk]))

    assert page.status_code == 200
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    link = re.search(r'value="https?://[^/"]+(/password-reset/[^"]+/)"', page.content.decode()).group(1)
    officer.refresh_from_db()
    assert not officer.has_usable_password()  # the old password no longer logs in
    assert not still_logged_in(officers_session)
    assert Client().post(reverse("login"), {"username": "officer", "password": PASSWORD}).status_code == 200
    [event] = events(officer, Action.PASSWORD_LINK)
    assert event.actor == province_admin and "password-reset" not in event.new

    # The user's first login is the link: they must choose a password.
    user_client = Client()
    form = user_client.get(link, follow=True)
    done = user_client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    assert "không còn dùng được" in Client().get(link, follow=True).content.decode()


@pytest.mark.django_db
def test_the_link_is_refused_for_oneself_and_outside_the_subtree(province_admin, outsider, quiet):
    admin = Client()
    admin.force_login(province_admin)
    assert admin.post(reverse("units:user-password-link", args=[outsider.pk])).status_code == 404
    outsider.refresh_from_db()
    assert outsider.has_usable_password()

    own = admin.post(reverse("units:user-password-link", args=[province_admin.pk]), follow=True)
    assert "Hãy tự đổi mật khẩu" in own.content.decode()
    province_admin.refresh_from_db()
    assert province_admin.has_usable_password()
    assert not AuditEvent.objects.filter(action=Action.PASSWORD_LINK).exists()


@pytest.mark.django_db
def test_a_new_user_gets_a_one_time_link_not_a_password_from_the_administrator(province_admin, commune):
    admin = Client()
    admin.force_login(province_admin)
    form = admin.get(reverse("units:user-create")).content.decode()
    assert 'type="password"' not in form

    page = admin.post(
        reverse("units:user-create"),
        {"username": "canbo-moi", "unit": commune.pk, "role": "officer", "password": "bi-bo-qua-12345"},
    )

    assert page.status_code == 200 and "/password-reset/" in page.content.decode()
    user = get_user_model().objects.get(username="canbo-moi")
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_turning_on_two_step_verification_ends_the_other_sessions(officer):
    here, elsewhere = logged_in(officer), logged_in(officer)
    secret = secret_on_page(here.get(reverse("two_factor")).content.decode())

    assert here.post(reverse("two_factor"), {"code": code_for(secret)}).status_code == 302

    assert still_logged_in(here)
    assert not still_logged_in(elsewhere)


@pytest.mark.django_db
def test_log_out_everywhere_ends_every_session_of_the_account_only(officer, approver):
    here, elsewhere, colleague = logged_in(officer), logged_in(officer), logged_in(approver)
    page = here.get(reverse("account")).content.decode()
    assert "Đăng xuất khỏi mọi nơi" in page

    response = here.post(reverse("logout_everywhere"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not still_logged_in(here)
    assert not still_logged_in(elsewhere)
    assert still_logged_in(colleague)
    [event] = events(officer, Action.SESSIONS_ENDED)
    assert event.new == "2"
