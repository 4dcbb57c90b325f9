"""Celery application. With no broker configured, tasks run in-process (eager)."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

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


@task_prerun.connect
@task_postrun.connect
def close_old_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task on a worker, what Django does around each request: close the database
    connections that are older than ``CONN_MAX_AGE`` or unusable (an error, a transaction left
    open), and health-check the kept ones at their next query (``CONN_HEALTH_CHECKS``). Celery's
    own fixup would close them all every time, but ``CELERY_DB_REUSE_MAX`` (settings) stops it:
    a new PostgreSQL backend per task cost ~3 of ~15 CPU-s when a national year is scored on two
    workers. Not for a task run eagerly, inside its caller's transaction."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections as close_old

    close_old()
