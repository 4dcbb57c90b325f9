"""Celery tasks (autodiscovered as ``certification.tasks``)."""

from .printing import *  # noqa: F403
from .scoring import *  # noqa: F403
