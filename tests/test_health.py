"""/healthz tells a load balancer whether the database and the broker answer; it never crashes, and
it tells a stranger nothing more than ok/unhealthy (which part failed goes to the log)."""

import socket

import pytest
from django.db import OperationalError
from django.urls import reverse


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_is_ok_without_login_when_tasks_run_in_process(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_a_stopped_broker_as_unhealthy_and_logs_which(client, settings, caplog):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/0"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy"}
    assert "broker ConnectionError" in caplog.text and "database ok" in caplog.text


@pytest.mark.django_db
def test_healthz_reports_a_broken_database_as_unhealthy_without_saying_why(
    client, settings, monkeypatch, caplog
):
    settings.CELERY_BROKER_URL = ""

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("antt.health.connection.cursor", broken_cursor)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy"}
    assert "OperationalError" not in response.content.decode()
    assert "database OperationalError" in caplog.text


@pytest.mark.integration
@pytest.mark.django_db
def test_healthz_is_ok_with_postgresql_and_a_running_redis(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
