"""Celery application. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")

app = Celery("antt", task_cls="antt.broker:BrokerTolerantTask")  # Redis down: pages still work
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="antt.ping", ignore_result=False)  # its result is awaited; other tasks store none
def ping(value: int) -> int:
    """Round trip used by /healthz-style checks and the integration tests."""
    return value + 1
