"""The smaller faults of issue 19 (class 8): a year the calendar does not have is a 404, not a
500; `check --deploy` fails without SECRET_KEY; /healthz tells strangers only ok/unhealthy;
refused requests (403) are logged as one line, without a traceback."""

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize("year", [0, 1, 9999, 99999])
def test_the_criteria_of_a_unit_for_an_impossible_year_are_not_a_server_error(officer, area, year, quiet):
    client = Client()
    client.force_login(officer)
    response = client.get(reverse("certification:criteria-for-unit", args=[area.pk, year]))
    assert response.status_code == 404


def _deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_URL"))}
    env.pop("SECRET_KEY", None)
    env.update(DJANGO_SETTINGS_MODULE="antt.settings", HTTPS="1", DEBUG="0", ALLOWED_HOSTS="antt.example.vn")
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_fails_without_a_secret_key(tmp_path):
    result = _deploy_check(ANTT_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "antt.E001" in result.stderr + result.stdout and "SECRET_KEY" in result.stderr + result.stdout


def test_check_deploy_passes_with_a_secret_key(tmp_path):
    result = _deploy_check(ANTT_VAR_DIR=str(tmp_path), SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_healthz_says_only_ok_or_unhealthy(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


@pytest.mark.django_db
def test_a_refused_request_is_logged_in_one_line_without_a_traceback(officer, caplog):
    client = Client()
    client.force_login(officer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("units:user-list"))
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING and "Forbidden" in record.getMessage()
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
def test_a_server_error_keeps_its_traceback(officer, caplog, monkeypatch):
    from units import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "render", broken)
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get(reverse("units:unit-list")).status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None
