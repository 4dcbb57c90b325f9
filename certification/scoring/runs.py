"""Scoring a whole campaign on Celery workers: plan, chunks, finish.

A run is split by commune into chunks (at most ``SCORING_CHUNK_COMMUNES`` communes each, even
sizes; the units the province manages directly go with the first). Each chunk scores its
residential areas and institutions, then its communes, in ONE transaction that also marks the chunk done and adds its
units to the run's progress (``F()`` updates). So a worker killed midway leaves whole chunks
or nothing, a redelivered chunk finds itself done and does nothing, and a new run (which
supersedes the unfinished one) recomputes the same rows. The steps here never send a task: each
returns what comes next (chunks to send, the run ready to finish, runs to resume) and
``certification.tasks.scoring`` sends it. Workers share nothing but the database and the queue:
add workers on more machines to go faster (docs/scoring.md).
"""

import datetime
import logging
from collections import Counter
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.audit import Action, Actor, actor_or_none, log_change
from certification.models import Campaign, ScoringChunk, ScoringRun
from certification.scoring.fingerprint import campaign_fingerprint
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


MIN_CHUNKS = 2  # a campaign's communes go to at least this many chunks (the workers of one machine)


def chunk_size() -> int:
    return max(1, settings.SCORING_CHUNK_COMMUNES)


class Planned(NamedTuple):
    """What :func:`plan_run` leaves to do: the chunks to send, and whether every chunk is done
    already (then the run's finalize step is next)."""

    todo: list[int]
    all_done: bool


class ChunkScored(NamedTuple):
    """What :func:`run_chunk` did: ``scored`` False when the chunk was done already or its run
    is over; ``all_done`` when every chunk of the run is done (finalize next; twice is harmless)."""

    scored: bool
    all_done: bool


@transaction.atomic
def create_run(
    *, campaign: Campaign, by: Actor | None = None, trigger: str = "ui", chunk_size: int | None = None
) -> ScoringRun:
    """A queued run for ``campaign``; unfinished earlier runs of it are superseded (their chunks,
    if ever redelivered, do nothing). ``chunk_size``: communes per chunk (default: the
    ``SCORING_CHUNK_COMMUNES`` setting). Sending it to the workers is the caller's part."""
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
    log_change(run, by=by, action=Action.SCORING_RUN, field="status", new=run.status)
    return run


def plan_chunks(campaign: Campaign, size: int | None = None) -> list[tuple[list[int], int]]:
    """[(parent ids, units counted)]: the communes in tree order, in chunks of at most ``size``
    communes of even sizes (168 communes by 120: two chunks of 84, not 120 and 48, so two
    workers finish together), at least ``MIN_CHUNKS`` of them; the province (and any
    districts), for the units filed directly under them, join the first chunk (one transaction
    and one task fewer per run)."""
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
    upper = upper if any(per_parent[pk] for pk in upper) else []
    size = size or chunk_size()
    # Chunks needed at ``size`` communes each, and at least MIN_CHUNKS: one province scored
    # alone (the "Chấm ngay" button) still keeps both workers of docker-compose.yml busy.
    count = min(len(communes), max(MIN_CHUNKS, -(-len(communes) // size)))
    even = -(-len(communes) // count) if count else size
    groups = [communes[start : start + even] for start in range(0, len(communes), even)] or [[]]
    groups[0] = upper + groups[0]
    is_commune = set(communes)
    return [
        (ids, sum(per_parent[pk] for pk in ids) + sum(1 for pk in ids if pk in is_commune))
        for ids in groups
        if ids
    ]


def plan_run(run_id: int) -> Planned:
    """Create the run's chunks (once) and return the indexes still to do."""
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().select_related("campaign__province").get(pk=run_id)
        if run.status not in ACTIVE:
            return Planned([], all_done=False)
        if not run.chunks.exists():
            # First (before any check reads the rows): the fingerprint of what this run starts from.
            fingerprint = campaign_fingerprint(run.campaign)
            run.fingerprint = fingerprint.full if fingerprint else ""
            chunks = plan_chunks(run.campaign, run.chunk_size or None)
            # Nothing changed since the last scoring (officers' saves are rescored as they
            # happen, so this is the common case): every chunk would rewrite no row, so they
            # are recorded done without being sent. Known at once when the campaign's
            # fingerprint is one a finished run verified (``_verified_before``), else by one
            # campaign-wide check instead of the same reads chunk by chunk.
            unchanged = bool(chunks) and (_verified_before(run) or campaign_unchanged(run.campaign))
            done_at = timezone.now() if unchanged else None
            ScoringChunk.objects.bulk_create(
                ScoringChunk(run=run, index=i, parent_ids=ids, unit_count=n, done_at=done_at)
                for i, (ids, n) in enumerate(chunks)
            )
            run.total = sum(n for _ids, n in chunks)
            run.chunks_total = len(chunks)
            if done_at is not None:
                run.done, run.chunks_done = run.total, run.chunks_total
            run.status = Status.RUNNING
            run.save(update_fields=["total", "chunks_total", "done", "chunks_done", "status", "fingerprint"])
        todo = list(run.chunks.filter(done_at__isnull=True).order_by("index").values_list("index", flat=True))
    return Planned(todo, all_done=not todo and _all_done(run_id))


def run_chunk(run_id: int, index: int) -> ChunkScored:
    """Score one chunk unless it is done already or its run is over."""
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
    return ChunkScored(scored, all_done=_all_done(run_id))


def _all_done(run_id: int) -> bool:
    """Every chunk of the running run is done: the province summary and the run's end are next."""
    done, total, status = ScoringRun.objects.values_list("chunks_done", "chunks_total", "status").get(
        pk=run_id
    )
    return status == Status.RUNNING and done >= total


def finalize_run(run_id: int) -> None:
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().select_related("campaign__province").get(pk=run_id)
        if run.status != Status.RUNNING or run.chunks_done < run.chunks_total:
            return
        if not _verified_before(run):
            summarize_province(run.campaign)
            run.fingerprint = _verified_now(run)
        run.status = Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at", "fingerprint"])


def _verified_before(run: ScoringRun) -> bool:
    """The campaign's fingerprint when ``run`` was planned is one a finished run recorded as
    verified: every row (units, communes, the province summary) was current in that state, and
    nothing a run reads or writes has changed since, so every row is current now."""
    return bool(run.fingerprint) and (
        ScoringRun.objects.filter(
            campaign_id=run.campaign_id, status=Status.DONE, fingerprint=run.fingerprint
        )
        .exclude(pk=run.pk)
        .exists()
    )


def _verified_now(run: ScoringRun) -> str:
    """The fingerprint to record on ``run`` as it ends, its chunks done and the summary written:
    the campaign's current one when nothing the run reads has changed since it was planned (so
    every chunk and the summary read that same state, and every row is current), else ""."""
    if not run.fingerprint:
        return ""
    now = campaign_fingerprint(run.campaign)
    return now.full if now is not None and now.inputs == run.fingerprint[: len(now.inputs)] else ""


def resume_stalled_runs(*, idle: datetime.timedelta = datetime.timedelta(minutes=10)) -> list[int]:
    """The runs that made no progress for ``idle``: their chunks are to be sent again.

    A chunk message can be lost for good: Redis hands a message to a worker before the worker
    records it as unacknowledged, and a worker killed in between (an OOM kill, a power cut)
    takes it along. Chunks are idempotent, so sending a run's unfinished chunks again is safe:
    the ones still queued somewhere find themselves done and do nothing. Celery beat calls this
    every five minutes (``certification/schedule.py``).
    """
    cutoff = timezone.now() - idle
    stalled = list(
        ScoringRun.objects.filter(status__in=ACTIVE)
        .annotate(last=Greatest("started_at", Coalesce(Max("chunks__done_at"), "started_at")))
        .filter(last__lte=cutoff)
        .values_list("pk", flat=True)
    )
    for run_id in stalled:
        logger.warning("scoring run %s made no progress since %s: sending its chunks again", run_id, cutoff)
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
    """Called daily by celery beat: a new run for each due campaign, to be sent to the workers;
    a campaign already scored today by the schedule is skipped."""
    today = today or timezone.localdate()
    runs = []
    for campaign in due_campaigns(today):
        start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        if ScoringRun.objects.filter(campaign=campaign, trigger="schedule", started_at__gte=start).exists():
            continue
        runs.append(create_run(campaign=campaign, trigger="schedule"))
    return runs
