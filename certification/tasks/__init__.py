"""Celery tasks (autodiscovered as ``certification.tasks``)."""

from certification.tasks.digests import *  # noqa: F403
from certification.tasks.printing import *  # noqa: F403
from certification.tasks.scoring import *  # noqa: F403
