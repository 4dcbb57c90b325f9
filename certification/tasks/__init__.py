"""Celery tasks (autodiscovered as ``certification.tasks``)."""

from .emails import *  # noqa: F403
from .printing import *  # noqa: F403
from .scoring import *  # noqa: F403
