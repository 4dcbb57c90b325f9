"""Tasks go through Redis to a real ``celery worker`` process, as in production."""

import pytest
from django.db import connection

from antt.celery import app, ping
from tests.plugins.services import celery_app_using


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_to_the_worker_process_returns_its_result(celery_worker):
    result = ping.delay(41)

    assert result.get(timeout=20) == 42
    assert app.conf.task_always_eager is False


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_while_the_worker_is_down_runs_once_it_is_back(celery_worker):
    celery_worker.kill()
    assert not celery_worker.alive

    result = ping.delay(1)
    assert result.state == "PENDING"

    celery_worker.start()
    assert result.get(timeout=20) == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_is_bound_to_this_test_s_database_and_redis(celery_worker, redis_url):
    assert celery_worker.env["DATABASE_URL"].endswith("/" + connection.settings_dict["NAME"])
    assert connection.settings_dict["NAME"].startswith("test_")
    assert celery_worker.env["CELERY_BROKER_URL"] == redis_url
    assert app.conf.broker_url == redis_url


def test_the_celery_app_runs_tasks_in_process_again_after_pointing_at_a_broker():
    assert app.conf.task_always_eager is True

    with celery_app_using(app, "redis://127.0.0.1:1/0"):
        assert app.conf.task_always_eager is False
        assert app.conf.broker_url == "redis://127.0.0.1:1/0"

    assert app.conf.task_always_eager is True
    assert not app.conf.broker_url
    assert ping.delay(1).get() == 2
