"""Scoring asked for by a request: a run of a whole campaign, or the rescoring of one unit after
a change. Both go to the workers once the transaction commits (``certification.tasks.scoring``)."""

from collections.abc import Iterable

from django.db import transaction

from certification.audit import Actor
from certification.models import Assessment, Campaign, ScoringRun
from certification.scoring.results import score_campaign_units, score_communes
from certification.scoring.runs import create_run
from certification.tasks.scoring import request_rescore, score_campaign_task
from units.models import Unit


def start_scoring_run(
    *, campaign: Campaign, by: Actor | None = None, trigger: str = "ui", chunk_size: int | None = None
) -> ScoringRun:
    """Queue a run for ``campaign``; unfinished earlier runs of it are superseded (their chunks,
    if ever redelivered, do nothing). ``chunk_size``: communes per chunk (default: the
    ``SCORING_CHUNK_COMMUNES`` setting)."""
    run = create_run(campaign=campaign, by=by, trigger=trigger, chunk_size=chunk_size)
    transaction.on_commit(lambda: score_campaign_task.delay(run.pk))
    return run


def score_now(assessments: Iterable[Assessment]) -> None:
    """Bring the results of ``assessments`` up to date inside the caller's transaction: a
    decision reads the engine's current word instead of waiting for a worker. Units whose inputs
    did not change are left alone (the input hash), so this is cheap when nothing changed."""
    by_campaign: dict[int, tuple[Campaign, list[int], list[int]]] = {}
    for a in assessments:
        campaign, leaves, communes = by_campaign.setdefault(a.campaign_id, (a.campaign, [], []))
        (communes if a.unit.kind == Unit.Kind.COMMUNE else leaves).append(a.unit_id)
    for campaign, leaves, communes in by_campaign.values():
        if leaves:
            score_campaign_units(campaign, leaves)
        if communes:
            score_communes(campaign, communes)


class _Rescore:
    """An on-commit callback that knows what it rescores, so a transaction queues it once."""

    def __init__(self, unit_id: int, campaign_id: int) -> None:
        self.key = (unit_id, campaign_id)

    def __call__(self) -> None:
        request_rescore(*self.key)


def schedule_rescore(*, unit_id: int, campaign_id: int) -> None:
    """Rescore ``unit_id`` and its ancestors on a worker once the transaction commits (coalesced
    with the campaign's other saves: ``certification.tasks.scoring.request_rescore``)."""
    conn = transaction.get_connection()
    pending = getattr(conn, "run_on_commit", None) or []
    key = (unit_id, campaign_id)
    if conn.in_atomic_block and any(getattr(entry[1], "key", None) == key for entry in pending):
        return
    transaction.on_commit(_Rescore(unit_id, campaign_id))
