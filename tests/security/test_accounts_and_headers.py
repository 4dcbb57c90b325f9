"""Accounts and HTTP hardening: login lockout (django-axes), password rules, production settings
(`check --deploy`), cookies and security headers, and templates fit for the CSP."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.builders import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]
LOCKED_VI = "Tài khoản tạm thời bị khóa"


def _login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_with_a_vietnamese_page_even_for_the_right_one(client, quiet):
    make_user("canbo")
    for attempt in range(1, 5):
        response = _login(client, "canbo", f"wrong-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
        assert "_auth_user_id" not in client.session

    locked = _login(client, "canbo", "wrong-5")
    assert locked.status_code == 429
    assert LOCKED_VI in locked.content.decode()
    assert locked["Content-Language"] == "vi"

    still_locked = _login(client, "canbo", PASSWORD)
    assert still_locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="canbo").failures_since_start >= 5


@pytest.mark.django_db
def test_the_lockout_is_per_account_and_address_so_a_colleague_can_still_log_in(client, quiet):
    make_user("canbo")
    make_user("dongnghiep")
    for attempt in range(5):
        _login(client, "canbo", f"wrong-{attempt}")

    response = _login(client, "dongnghiep", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_a_failed_login_says_so_in_vietnamese_without_telling_which_part_was_wrong(client):
    make_user("canbo")
    wrong_password = _login(client, "canbo", "sai-mat-khau").content.decode()
    unknown_user = _login(client, "khong-co", "sai-mat-khau").content.decode()

    def error(page: str) -> str:
        return re.search(r'class="msg msg-error"[^>]*>.*?<span>(.*?)</span>', page, re.S).group(1)

    assert error(wrong_password) == error(unknown_user)
    assert "mật khẩu" in error(wrong_password).lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    ["ngan", "1234567890123", "password1234", "canbo-vung-ang"],
    ids=["too short", "only digits", "too common", "like the username"],
)
def test_weak_passwords_are_refused(password):
    user = make_user("canbo-vung-ang")
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user)


@pytest.mark.django_db
def test_a_long_uncommon_password_is_accepted():
    password_validation.validate_password("Trăng-rằm-tháng-tám-2026", make_user("canbo"))


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="antt.settings",
        HTTPS="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="antt.congan.example.vn",
    )
    env.update(overrides)
    return env


PROBE = """
import json, django
from io import StringIO
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
out = StringIO()
try:
    call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
    ok = True
except SystemCheckError as e:
    ok, out = False, StringIO(str(e))
print(json.dumps({
    "ok": ok,
    "report": out.getvalue(),
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "debug": settings.DEBUG,
}))
"""


def _probe(env: dict[str, str], tmp_path) -> dict:
    env = {**env, "ANTT_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_under_production_settings_with_secure_cookies(tmp_path):
    probe = _probe(_production_env(), tmp_path)
    assert probe["ok"], probe["report"]
    assert probe["session_secure"] and probe["csrf_secure"] and probe["session_httponly"]
    assert probe["hsts"] >= 31536000 and probe["ssl_redirect"]
    assert probe["debug"] is False


def test_check_deploy_complains_when_production_runs_without_https(tmp_path):
    probe = _probe(_production_env(HTTPS="0"), tmp_path)
    assert not probe["ok"]
    assert "SECURE_SSL_REDIRECT" in probe["report"] or "security.W008" in probe["report"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["login", "healthz"])
def test_pages_carry_the_security_headers(client, name):
    response = client.get(reverse(name))
    headers = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    assert {header: response.get(header) for header in headers} == headers
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    sources = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
    }
    assert {directive: policy.get(directive) for directive in sources} == sources
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_the_login_page_loads_only_same_origin_scripts_and_styles(client):
    page = client.get(reverse("login")).content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)


@pytest.mark.django_db
def test_the_evidence_download_keeps_its_stricter_sandbox_policy(world, client):
    side = world.sides["in"]
    client.force_login(side.member)
    response = client.get(reverse("certification:evidence-download", args=[side.evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"


def _templates() -> list[Path]:
    dirs = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(p for d in dirs for p in d.rglob("*.html"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_templates_have_no_inline_script_style_element_or_event_handler():
    """What the Content-Security-Policy would block: scripts must be static files."""
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for pattern, what in (
            (INLINE_SCRIPT, "inline <script>"),
            (re.compile(r"<style[\s>]", re.I), "<style> element"),
            (HANDLER, "on…= handler"),
            (re.compile(r"javascript:", re.I), "javascript: URL"),
        ):
            if pattern.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: {what}")
    assert len(_templates()) > 20
    assert not offenders, offenders


@pytest.mark.django_db
def test_a_form_posted_without_its_csrf_token_gets_a_vietnamese_page_not_djangos_english_one():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Biểu mẫu đã hết hạn" in page and "CSRF verification failed" not in page


@pytest.mark.parametrize(
    ("template", "heading"), [("400.html", "Không đọc được yêu cầu"), ("500.html", "Lỗi máy chủ")]
)
def test_the_error_pages_are_in_vietnamese(template, heading):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("vi"):
        page = render_to_string(template)
    assert heading in page and 'lang="vi"' in page
