"""Settings for a Celery worker that is to be killed half-way: the production settings, plus a
pause before each task named in ``ANTT_TEST_SLOW_TASKS`` (comma-separated short names), so
a test can SIGKILL the worker while some chunks are done and others are not."""

import os
import time

from celery.signals import task_prerun

from antt.settings import *  # noqa: F403

_SLOW = {name for name in os.environ.get("ANTT_TEST_SLOW_TASKS", "").split(",") if name}
_DELAY = float(os.environ.get("ANTT_TEST_TASK_DELAY", "0.5"))


@task_prerun.connect(weak=False)
def _pause(sender=None, **kwargs) -> None:
    if sender is not None and sender.name.rsplit(".", 1)[-1] in _SLOW:
        time.sleep(_DELAY)
