"""Celery application. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")

# The task modules every worker imports. certification/tasks is a package whose __init__ stays
# empty: a service that imports one task module must not pull in every other one (and their
# services), which would make the services import one another in a circle.
TASK_MODULES = [
    "api.tasks",
    "certification.tasks.digests",
    "certification.tasks.housekeeping",
    "certification.tasks.printing",
    "certification.tasks.scoring",
]

# BrokerTolerantTask: with Redis down, pages still work.
app = Celery("antt", task_cls="antt.broker:BrokerTolerantTask", include=TASK_MODULES)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="antt.ping", ignore_result=False)  # its result is awaited; other tasks store none
def ping(value: int) -> int:
    """Round trip used by /healthz-style checks and the integration tests."""
    return value + 1
