"""Bulk printing tasks: ids in, one step of ``certification.documents.printing``, then enqueue the
work the step returns. Safe to run twice."""

import datetime
import logging
from collections.abc import Callable

from celery import shared_task
from celery.signals import worker_init
from django.db import transaction

from certification.documents import printing
from certification.models import PrintJob
from certification.tasks.guard import run_guarded

__all__ = [
    "build_zip_task",
    "finish_job_task",
    "print_job_task",
    "render_chunk_task",
    "resume_stalled_print_jobs_task",
]

log = logging.getLogger(__name__)


def guarded(job_id: int, step: Callable[..., printing.Next | None], *args: object) -> printing.Next | None:
    """Run a step; on an error the job shows it (files already written stay complete) and
    nothing more is enqueued."""
    return run_guarded(PrintJob, job_id, step, *args, reraise=False)


def _enqueue(job_id: int, work: printing.Next | None) -> None:
    if work is None:  # the step failed: the job says so
        return
    for index in work.chunks:
        render_chunk_task.delay(job_id, index)
    # Once the step's writes are committed, should an eager task run inside a transaction.
    if work.finish:
        transaction.on_commit(lambda: finish_job_task.delay(job_id))
    if work.zip:
        transaction.on_commit(lambda: build_zip_task.delay(job_id))


@shared_task(acks_late=True)
def print_job_task(job_id: int) -> None:
    _enqueue(job_id, guarded(job_id, printing.run_job))


@shared_task(acks_late=True)
def render_chunk_task(job_id: int, index: int) -> None:
    _enqueue(job_id, guarded(job_id, printing.render_chunk, index))


@shared_task(acks_late=True)
def finish_job_task(job_id: int) -> None:
    _enqueue(job_id, guarded(job_id, printing.finish_job))


@shared_task(acks_late=True)
def build_zip_task(job_id: int) -> None:
    printing.build_zip(job_id)  # a failure is recorded on the job, which stays done


@shared_task
def resume_stalled_print_jobs_task(idle_seconds: float = 600) -> list[int]:
    """Send again the unfinished work of the jobs no step moved on for ``idle_seconds``: the job's
    first step, which sends the chunks not rendered yet, or the merge; the zip of a job done
    without it."""
    idle = datetime.timedelta(seconds=idle_seconds)
    stalled = printing.stalled_jobs(idle)
    for job_id in stalled:
        print_job_task.delay(job_id)
    for job_id in printing.zips_missing(idle):
        build_zip_task.delay(job_id)
    return stalled


@worker_init.connect
def warm_up_printing(sender: object = None, **kwargs: object) -> None:
    """Load what a worker's first certificate pays for (WeasyPrint, fonts, the certificate's
    stylesheet and template, pikepdf: ~0.55 s of CPU) once in the worker's parent, before it
    forks its pool: the first bulk print job no longer pays it in one chunk (issue 23, round 9).
    A worker that cannot render (fonts missing?) still starts and serves every other task; its
    first print shows the error on the job."""
    try:
        printing.warm_up()
    except Exception:  # noqa: BLE001 - a worker must start even if printing is broken
        log.exception("certificate warm-up failed")
