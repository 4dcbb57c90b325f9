"""Scoring a whole campaign on Celery workers: plan, chunks, finish.

A run is split by commune into chunks (``SCORING_CHUNK_COMMUNES`` communes each, plus one chunk
for the units the province manages directly). Each chunk scores its residential areas and
institutions, then its communes, in ONE transaction that also marks the chunk done and adds its
units to the run's progress (``F()`` updates). So a worker killed midway leaves whole chunks
or nothing, a redelivered chunk finds itself done and does nothing, and a new run (which
supersedes the unfinished one) recomputes the same rows. The last chunk to finish queues the
province summary. Workers share nothing but the database and the queue: add workers on more
machines to go faster (docs/scoring.md).
"""

import datetime
import logging
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.audit import actor_or_none, log_change
from certification.models import Campaign, ScoringChunk, ScoringRun
from certification.scoring.results import (
    COMMUNE,
    campaign_unchanged,
    campaign_units,
    score_chunk,
    summarize_province,
)
from units.models import Unit

logger = logging.getLogger(__name__)
Status = ScoringRun.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)


def chunk_size() -> int:
    return max(1, settings.SCORING_CHUNK_COMMUNES)


@transaction.atomic
def start_scoring_run(
    *, campaign: Campaign, by=None, trigger: str = "ui", chunk_size: int | None = None
) -> ScoringRun:
    """Queue a run for ``campaign``; unfinished earlier runs of it are superseded (their chunks,
    if ever redelivered, do nothing). ``chunk_size``: communes per chunk (default: the
    ``SCORING_CHUNK_COMMUNES`` setting, 40)."""
    run = ScoringRun.objects.create(
        campaign=campaign,
        requested_by=actor_or_none(by),
        trigger=trigger,
        chunk_size=chunk_size or 0,
    )
    stale = (
        ScoringRun.objects.select_for_update().filter(campaign=campaign, status__in=ACTIVE).exclude(pk=run.pk)
    )
    for old in stale:
        old.status = Status.FAILED
        old.error = _("Superseded by run #%(id)s.") % {"id": run.pk}
        old.finished_at = timezone.now()
        old.save(update_fields=["status", "error", "finished_at"])
    log_change(run, by=by, action="scoring_run", field="status", new=run.status)
    from certification.tasks.scoring import score_campaign_task

    transaction.on_commit(lambda: score_campaign_task.delay(run.pk))
    return run


def plan_chunks(campaign: Campaign, size: int | None = None) -> list[tuple[list[int], int]]:
    """[(parent ids, units counted)]: first the province (and any districts) for the units
    filed directly under them, then the communes in tree order, ``size`` at a time."""
    province = campaign.province
    per_parent = Counter(
        dict(
            campaign_units(campaign, Unit.MANAGED_KINDS)
            .values_list("parent_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("parent_id", "n")
        )
    )
    communes = list(campaign_units(campaign, [COMMUNE]).order_by("path").values_list("id", flat=True))
    upper = [province.pk] + list(
        Unit.objects.filter(path__startswith=province.path, kind=Unit.Kind.DISTRICT)
        .order_by("path")
        .values_list("id", flat=True)
    )
    chunks = []
    if any(per_parent[pk] for pk in upper):
        chunks.append((upper, sum(per_parent[pk] for pk in upper)))
    size = size or chunk_size()
    for start in range(0, len(communes), size):
        ids = communes[start : start + size]
        chunks.append((ids, len(ids) + sum(per_parent[pk] for pk in ids)))
    return chunks


def plan_run(run_id: int) -> list[int]:
    """Create the run's chunks (once) and return the indexes still to do."""
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().select_related("campaign__province").get(pk=run_id)
        if run.status not in ACTIVE:
            return []
        if not run.chunks.exists():
            chunks = plan_chunks(run.campaign, run.chunk_size or None)
            # Nothing changed since the last scoring (officers' saves are rescored as they
            # happen, so this is the common case): every chunk would rewrite no row, so they
            # are recorded done without being sent (one campaign-wide check instead of the
            # same reads chunk by chunk).
            done_at = timezone.now() if chunks and campaign_unchanged(run.campaign) else None
            ScoringChunk.objects.bulk_create(
                ScoringChunk(run=run, index=i, parent_ids=ids, unit_count=n, done_at=done_at)
                for i, (ids, n) in enumerate(chunks)
            )
            run.total = sum(n for _ids, n in chunks)
            run.chunks_total = len(chunks)
            if done_at is not None:
                run.done, run.chunks_done = run.total, run.chunks_total
            run.status = Status.RUNNING
            run.save(update_fields=["total", "chunks_total", "done", "chunks_done", "status"])
        todo = list(run.chunks.filter(done_at__isnull=True).order_by("index").values_list("index", flat=True))
    if not todo:
        maybe_finish(run_id)
    return todo


def run_chunk(run_id: int, index: int) -> bool:
    """Score one chunk unless it is done already or its run is over. True when it scored."""
    with transaction.atomic():
        chunk = ScoringChunk.objects.select_for_update().get(run_id=run_id, index=index)
        run = ScoringRun.objects.select_related("campaign__province").get(pk=run_id)
        scored = False
        if run.status == Status.RUNNING and chunk.done_at is None:
            score_chunk(run.campaign, chunk.parent_ids)
            chunk.done_at = timezone.now()
            chunk.save(update_fields=["done_at"])
            ScoringRun.objects.filter(pk=run_id).update(
                done=F("done") + chunk.unit_count, chunks_done=F("chunks_done") + 1
            )
            scored = True
    maybe_finish(run_id)
    return scored


def maybe_finish(run_id: int) -> None:
    """Queue the summary once every chunk is done (twice is harmless)."""
    done, total, status = ScoringRun.objects.values_list("chunks_done", "chunks_total", "status").get(
        pk=run_id
    )
    if status == Status.RUNNING and done >= total:
        from certification.tasks.scoring import finalize_run_task

        transaction.on_commit(lambda: finalize_run_task.delay(run_id))


def finalize_run(run_id: int) -> None:
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().select_related("campaign__province").get(pk=run_id)
        if run.status != Status.RUNNING or run.chunks_done < run.chunks_total:
            return
        summarize_province(run.campaign)
        run.status = Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])


def fail_run(run_id: int, error: BaseException) -> None:
    ScoringRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
        status=Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
    )


def guarded(run_id: int, step: Callable, *args):
    """Run a step; a bug fails the run visibly instead of leaving it "running" for ever."""
    try:
        return step(run_id, *args)
    except Exception as error:
        logger.exception("scoring run %s failed", run_id)
        fail_run(run_id, error)
        raise


def resume_stalled_runs(*, idle: datetime.timedelta = datetime.timedelta(minutes=10)) -> list[int]:
    """Send again the chunks of runs that made no progress for ``idle``; returns their ids.

    A chunk message can be lost for good: Redis hands a message to a worker before the worker
    records it as unacknowledged, and a worker killed in between (an OOM kill, a power cut)
    takes it along. Chunks are idempotent, so sending a run's unfinished chunks again is safe:
    the ones still queued somewhere find themselves done and do nothing. Celery beat calls this
    every five minutes (``certification/schedule.py``).
    """
    from django.db.models import Max
    from django.db.models.functions import Coalesce, Greatest

    from certification.tasks.scoring import score_campaign_task

    cutoff = timezone.now() - idle
    stalled = list(
        ScoringRun.objects.filter(status__in=ACTIVE)
        .annotate(last=Greatest("started_at", Coalesce(Max("chunks__done_at"), "started_at")))
        .filter(last__lte=cutoff)
        .values_list("pk", flat=True)
    )
    for run_id in stalled:
        logger.warning("scoring run %s made no progress since %s: sending its chunks again", run_id, cutoff)
        score_campaign_task.delay(run_id)
    return stalled


def due_campaigns(today: datetime.date | None = None) -> list[Campaign]:
    """Open campaigns whose assessment period (either one) ended yesterday or today."""
    today = today or timezone.localdate()
    days = [today - datetime.timedelta(days=1), today]
    return list(
        Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .filter(Q(residential_period_end__in=days) | Q(other_period_end__in=days))
        .select_related("province")
        .order_by("pk")
    )


def score_due_campaigns(today: datetime.date | None = None) -> list[ScoringRun]:
    """Called daily by celery beat; a campaign already scored today by the schedule is skipped."""
    today = today or timezone.localdate()
    runs = []
    for campaign in due_campaigns(today):
        start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        if ScoringRun.objects.filter(campaign=campaign, trigger="schedule", started_at__gte=start).exists():
            continue
        runs.append(start_scoring_run(campaign=campaign, trigger="schedule"))
    return runs
