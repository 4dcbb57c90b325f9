"""Scoring tasks: ids in, one step of ``certification.scoring.runs`` or
``certification.scoring.results``, then send what the step says comes next. Safe to run twice
(acks_late + reject_on_worker_lost come from settings)."""

import datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from certification.models import ScoringRun
from certification.scoring import results
from certification.scoring import runs as scoring_runs
from certification.tasks.guard import run_guarded


def _finalize_when_committed(run_id: int) -> None:
    transaction.on_commit(lambda: finalize_run_task.delay(run_id))


@shared_task(acks_late=True)
def score_campaign_task(run_id: int) -> int:
    """Plan the run and fan out one task per chunk of communes."""
    planned = run_guarded(ScoringRun, run_id, scoring_runs.plan_run)
    for index in planned.todo:
        score_chunk_task.delay(run_id, index)
    if planned.all_done:
        _finalize_when_committed(run_id)
    return len(planned.todo)


@shared_task(acks_late=True)
def score_chunk_task(run_id: int, index: int) -> bool:
    chunk = run_guarded(ScoringRun, run_id, scoring_runs.run_chunk, index)
    if chunk.all_done:
        _finalize_when_committed(run_id)
    return chunk.scored


@shared_task(acks_late=True)
def finalize_run_task(run_id: int) -> None:
    run_guarded(ScoringRun, run_id, scoring_runs.finalize_run)


@shared_task(acks_late=True)
def rescore_unit_task(unit_id: int, campaign_id: int) -> None:
    """The unit and the commune that counts it at once; the province summary debounced."""
    if results.rescore_unit(unit_id, campaign_id, summarize=False):
        request_province_summary(campaign_id)


def _summary_pending_key(campaign_id: int) -> str:
    return f"antt:province-summary-pending:{campaign_id}"


def request_province_summary(campaign_id: int) -> None:
    """Queue the province summary in ``SCORING_SUMMARY_DELAY`` seconds unless one is queued.

    Tasks run in-process (no broker): summarize now. The pending flag lives in the shared
    cache (``CACHE_URL``; without it each worker process debounces on its own, which is still
    bounded); it expires by itself, so a lost summary task delays the next one at most by the
    flag's lifetime."""
    delay = max(0, settings.SCORING_SUMMARY_DELAY)
    if settings.CELERY_TASK_ALWAYS_EAGER or delay == 0:
        summarize_province_task.delay(campaign_id)
    elif cache.add(_summary_pending_key(campaign_id), 1, timeout=delay * 6 + 60):
        summarize_province_task.apply_async((campaign_id,), countdown=delay)


@shared_task(acks_late=True)
def summarize_province_task(campaign_id: int) -> None:
    """The debounced summary: clear the flag first, so a save committed while this reads
    queues the next summary instead of being missed."""
    cache.delete(_summary_pending_key(campaign_id))
    results.summarize_campaign(campaign_id)


@shared_task(acks_late=True)
def score_due_campaigns_task() -> list[int]:
    run_ids = [run.pk for run in scoring_runs.score_due_campaigns()]
    for run_id in run_ids:
        score_campaign_task.delay(run_id)
    return run_ids


@shared_task
def resume_stalled_runs_task(idle_seconds: float = 600) -> list[int]:
    """Send again the chunks of the runs that made no progress for ``idle_seconds``."""
    stalled = scoring_runs.resume_stalled_runs(idle=datetime.timedelta(seconds=idle_seconds))
    for run_id in stalled:
        score_campaign_task.delay(run_id)
    return stalled
