"""Scoring tasks: ids in, one step of ``certification.scoring.runs`` or
``certification.scoring.results``, then send what the step says comes next. Safe to run twice
(acks_late + reject_on_worker_lost come from settings)."""

import datetime
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from certification.models import ScoringRun
from certification.scoring import results
from certification.scoring import runs as scoring_runs
from certification.tasks.guard import run_guarded


def _finalize(run_id: int) -> None:
    """The run's last step (province summary, fingerprint, status) in the task that found every
    chunk done, once its own transaction is committed: no task of its own to queue behind the
    other campaigns' chunks and to receive (issue 23, round 7). Twice is harmless; a worker
    killed here has its chunk task redelivered (acks_late), which finds the chunk done and
    finalizes again."""
    transaction.on_commit(lambda: run_guarded(ScoringRun, run_id, scoring_runs.finalize_run))


@shared_task(acks_late=True)
def score_campaign_task(run_id: int) -> int:
    """Plan the run and fan out one task per chunk of communes."""
    planned = run_guarded(ScoringRun, run_id, scoring_runs.plan_run)
    for index in planned.todo:
        score_chunk_task.delay(run_id, index)
    if planned.all_done:
        _finalize(run_id)
    return len(planned.todo)


@shared_task(acks_late=True)
def score_chunk_task(run_id: int, index: int) -> bool:
    chunk = run_guarded(ScoringRun, run_id, scoring_runs.run_chunk, index)
    if chunk.all_done:
        _finalize(run_id)
    return chunk.scored


@shared_task(acks_late=True)
def finalize_run_task(run_id: int) -> None:
    """Kept for messages queued by an earlier version (the steps now finalize in place)."""
    run_guarded(ScoringRun, run_id, scoring_runs.finalize_run)


@shared_task(acks_late=True)
def rescore_unit_task(unit_id: int, campaign_id: int) -> None:
    """The unit and the commune that counts it at once; the province summary debounced."""
    if results.rescore_unit(unit_id, campaign_id, summarize=False):
        request_province_summary(campaign_id)


# --- rescoring after saves, coalesced per campaign ---------------------------------------------
#
# At the deadline every save and submission asks for its unit to be rescored: 200 submissions in
# 10 s used to be 200 tasks, each reading and writing its unit and its commune, on the same two
# cores as the web tier. Now a save adds its unit to the campaign's pending set in Redis (the
# broker's) and queues one drain in SCORING_RESCORE_DELAY seconds unless one is queued already;
# the drain scores every pending unit and their communes in one set-based pass. The drain clears
# its flag before taking the set, so a save committed while it reads queues the next drain: the
# last change is always scored, at most about SCORING_RESCORE_DELAY seconds (plus the queue)
# after it.

_PENDING_SECONDS = 7 * 24 * 3600  # a pending set outlives any outage of the workers
_redis_clients: dict[str, Any] = {}


def _pending_key(campaign_id: int) -> str:
    return f"antt:rescore-pending:{campaign_id}"


def _queued_key(campaign_id: int) -> str:
    return f"antt:rescore-queued:{campaign_id}"


def _taken_key(campaign_id: int) -> str:
    """The units a drain took and has not finished: a worker killed midway leaves them for the
    redelivered task (acks_late) or the next drain."""
    return f"antt:rescore-taken:{campaign_id}"


def _redis() -> Any:
    """A client of the broker's Redis (one connection pool per process and URL)."""
    url = settings.CELERY_BROKER_URL
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _redis_clients[url]


def _coalescing() -> bool:
    return (
        not settings.CELERY_TASK_ALWAYS_EAGER
        and settings.SCORING_RESCORE_DELAY > 0
        and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    )


def _queue_drain(client: Any, campaign_id: int, unit_ids: Iterable[int]) -> None:
    """Add ``unit_ids`` to the pending set (first) and queue a drain unless one is queued."""
    delay = settings.SCORING_RESCORE_DELAY
    pipe = client.pipeline(transaction=False)
    pipe.sadd(_pending_key(campaign_id), *unit_ids)
    pipe.expire(_pending_key(campaign_id), _PENDING_SECONDS)
    # Expires by itself: a lost drain delays the next one at most by the flag's lifetime.
    pipe.set(_queued_key(campaign_id), 1, nx=True, ex=delay * 6 + 60)
    if pipe.execute()[2]:
        rescore_pending_task.apply_async((campaign_id,), countdown=delay)


def request_rescore(unit_id: int, campaign_id: int) -> None:
    """Rescore ``unit_id`` (and its commune) soon: coalesced with the other saves of the
    campaign on a worker, or at once without a Redis broker (tasks in-process, or
    ``SCORING_RESCORE_DELAY=0``) or while Redis does not answer (``antt.broker`` then runs the
    task in the web process)."""
    if _coalescing():
        try:
            _queue_drain(_redis(), campaign_id, [unit_id])
            return
        except RedisError:
            pass
    rescore_unit_task.delay(unit_id, campaign_id)


@shared_task(acks_late=True)
def rescore_pending_task(campaign_id: int) -> int:
    """Score every unit saved since the last drain of ``campaign_id``; how many. On failure
    the units go back to the pending set and another drain is queued."""
    client = _redis()
    pending, taken = _pending_key(campaign_id), _taken_key(campaign_id)
    client.delete(_queued_key(campaign_id))  # first: a save from now on queues the next drain
    pipe = client.pipeline(transaction=True)  # MULTI/EXEC: moved and read at once
    pipe.sunionstore(taken, [taken, pending])
    pipe.delete(pending)
    pipe.expire(taken, _PENDING_SECONDS)
    pipe.smembers(taken)
    members = pipe.execute()[3]
    unit_ids = sorted(int(m) for m in members)
    if not unit_ids:
        return 0
    try:
        scored = results.rescore_units(unit_ids, campaign_id, summarize=False)
    except Exception:
        _queue_drain(client, campaign_id, unit_ids)
        raise
    client.srem(taken, *unit_ids)  # done (a unit saved again meanwhile is pending once more)
    if scored:
        request_province_summary(campaign_id)
    return len(unit_ids)


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
