"""Run one step of a long job on a worker; a failure shows on the job's row.

A job row (``ScoringRun``, ``PrintJob``) has ``status`` with the choices QUEUED, RUNNING, DONE
and FAILED, a text ``error`` and ``finished_at``. A step that raises would otherwise leave its job
"running" for ever: the progress page would poll a job that nobody works on any more.
"""

import logging
from collections.abc import Callable
from typing import Literal, overload

from django.db.models import Model
from django.utils import timezone

logger = logging.getLogger(__name__)


def _mark_failed(model: type[Model], pk: int, error: BaseException) -> None:
    """Record ``error`` on the job unless it is over already: a job that finished keeps its
    outcome, and one that failed keeps its first error (e.g. "superseded by run #…")."""
    status = model.Status  # type: ignore[attr-defined]
    model._default_manager.filter(pk=pk, status__in=(status.QUEUED, status.RUNNING)).update(
        status=status.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
    )


@overload
def run_guarded[T](
    model: type[Model], pk: int, step: Callable[..., T], *args, reraise: Literal[True] = True
) -> T: ...
@overload
def run_guarded[T](model: type[Model], pk: int, step: Callable[..., T], *args, reraise: bool) -> T | None: ...
def run_guarded[T](
    model: type[Model], pk: int, step: Callable[..., T], *args, reraise: bool = True
) -> T | None:
    """``step(pk, *args)``; on an exception mark the job FAILED, log it, then re-raise it
    (``reraise``: the task fails visibly in Celery too) or return None."""
    try:
        return step(pk, *args)
    except Exception as error:  # noqa: BLE001 - any failure must show on the progress page
        logger.exception("%s %s failed", model.__name__, pk)
        _mark_failed(model, pk, error)
        if reraise:
            raise
        return None
