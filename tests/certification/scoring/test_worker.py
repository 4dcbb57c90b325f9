"""score_campaign on a real Celery worker, Redis and PostgreSQL, including a worker killed midway.

The kill test blocks two chunks deterministically: the test holds an uncommitted insert of a
Result row for one unit of each, so the worker's upsert of that row waits on the unique index.
With both worker processes stuck (and later chunks still queued) it SIGKILLs the worker.
"""

import time

import psycopg
import pytest
from django.db import connection

from certification.data import dataset
from certification.models import Campaign, Result, ScoringChunk, ScoringRun
from certification.scoring import runs as scoring_runs
from certification.services.scoring import start_scoring_run
from tests.builders import result_rows
from units.models import Unit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

YEAR = 2025
COMMUNES = 8
CHUNK = 1  # one commune per chunk: 8 chunks (the province's own units with the first)
TIMEOUT = 120


@pytest.fixture
def campaign(celery_worker) -> Campaign:
    dataset.generate_dataset(scale="province", synthetic=True, communes=COMMUNES, year=YEAR, seed=7)
    return Campaign.objects.get(year=YEAR, province__code__startswith="SX")


def snapshot(campaign) -> list[tuple]:
    return result_rows(campaign, "unit_id", "assessment_id")


def wait_for(predicate, what: str, worker=None, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tail = worker.log_tail() if worker is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def run_status(run_id: int) -> str:
    return ScoringRun.objects.values_list("status", flat=True).get(pk=run_id)


def score_through_worker(campaign, worker) -> ScoringRun:
    run = start_scoring_run(campaign=campaign, trigger="cli", chunk_size=CHUNK)
    wait_for(lambda: run_status(run.pk) in ("done", "failed"), f"run #{run.pk}", worker)
    run.refresh_from_db()
    assert run.status == "done", run.error
    return run


def test_score_campaign_runs_on_a_real_worker_and_a_rerun_changes_nothing(campaign, celery_worker):
    run = score_through_worker(campaign, celery_worker)
    assert (run.chunks_done, run.chunks_total) == (COMMUNES, COMMUNES)
    assert run.done == run.total > COMMUNES * 20
    scored_units = (
        Unit.objects.filter(path__startswith=campaign.province.path).exclude(kind="province").count()
    )
    assert Result.objects.filter(campaign=campaign).count() == scored_units + 1  # and the province summary
    outcomes = set(Result.objects.filter(campaign=campaign).values_list("outcome", flat=True))
    assert {"pass", "fail", "not_eligible"} <= outcomes
    first = snapshot(campaign)
    stamps = list(
        Result.objects.filter(campaign=campaign).order_by("unit_id").values_list("computed_at", flat=True)
    )

    score_through_worker(campaign, celery_worker)
    assert snapshot(campaign) == first
    assert (
        list(
            Result.objects.filter(campaign=campaign).order_by("unit_id").values_list("computed_at", flat=True)
        )
        == stamps
    )


def _cut_other_connections() -> int:
    """Terminate every other backend of the test database (the worker's), as a PostgreSQL
    restart or a proxy dropping idle connections would; how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
        return cursor.fetchone()[0]


def test_the_worker_keeps_its_database_connection_and_recovers_when_it_is_cut(campaign, celery_worker):
    # Celery's Django fixup used to open a new PostgreSQL connection for every task (issue 23,
    # round 7): the worker processes now keep theirs between tasks, and one cut meanwhile is
    # replaced at the next task (CONN_HEALTH_CHECKS), not turned into a failed run.
    first = score_through_worker(campaign, celery_worker)
    expected = snapshot(campaign)
    assert _cut_other_connections() >= 1

    Result.objects.filter(campaign=campaign).delete()
    second = score_through_worker(campaign, celery_worker)
    assert second.pk != first.pk
    assert (second.chunks_done, second.done) == (first.chunks_done, first.done)
    assert snapshot(campaign) == expected


def _block(unit_ids: list[int], campaign: Campaign) -> psycopg.Connection:
    """Another connection holding uncommitted Result rows for ``unit_ids``."""
    db = connection.settings_dict
    blocker = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    for unit_id in unit_ids:
        blocker.execute(
            """INSERT INTO certification_result (campaign_id, unit_id, outcome, is_forecast, grade, unmet_codes,
                   missing_codes, explanation, rollup, input_hash, computed_at)
               VALUES (%s, %s, 'pending', true, '', '[]', '[]', 'blocker', '{}', 'blocker', now())""",
            [campaign.pk, unit_id],
        )
    return blocker


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_midway_leaves_whole_chunks_and_the_rerun_matches_an_uninterrupted_run(
    campaign, celery_worker
):
    score_through_worker(campaign, celery_worker)
    uninterrupted = snapshot(campaign)
    Result.objects.filter(campaign=campaign).delete()

    chunks = scoring_runs.plan_chunks(campaign, CHUNK)
    blocked = [3, 5]
    victims = [
        Unit.objects.filter(parent_id=chunks[i][0][0], kind="residential_area")
        .order_by("id")
        .values_list("id", flat=True)[0]
        for i in blocked
    ]
    blocker = _block(victims, campaign)
    try:
        run = start_scoring_run(campaign=campaign, trigger="cli", chunk_size=CHUNK)
        wait_for(lambda: _waiting_on_locks() >= 2, "both worker processes to block", celery_worker)
        celery_worker.kill()
    finally:
        blocker.rollback()
        blocker.close()
    wait_for(lambda: _waiting_on_locks() == 0, "the killed worker's transactions to end")
    time.sleep(0.5)

    # Nothing half-written: the blocked chunks wrote nothing, the finished ones everything.
    run.refresh_from_db()
    done = set(ScoringChunk.objects.filter(run=run, done_at__isnull=False).values_list("index", flat=True))
    assert not done & set(blocked)
    assert len(done) == run.chunks_done < run.chunks_total
    assert run.done == sum(
        ScoringChunk.objects.filter(run=run, index__in=done).values_list("unit_count", flat=True)
    )
    for index in blocked:
        parent_ids = chunks[index][0]
        assert not Result.objects.filter(campaign=campaign, unit__parent_id__in=parent_ids).exists()
        assert not Result.objects.filter(campaign=campaign, unit_id__in=parent_ids).exists()
    for index in done:
        parent_ids = ScoringChunk.objects.get(run=run, index=index).parent_ids
        leaves = Unit.objects.filter(parent_id__in=parent_ids, kind__in=Unit.MANAGED_KINDS)
        assert Result.objects.filter(campaign=campaign, unit__in=leaves).count() == leaves.count() > 0

    # Restart: the unacknowledged chunks come back and the interrupted run completes.
    celery_worker.requeue_unacked()
    celery_worker.start()
    wait_for(lambda: run_status(run.pk) == "done", "the interrupted run to complete", celery_worker)
    assert snapshot(campaign) == uninterrupted

    # And a fresh rerun yields exactly the same rows.
    score_through_worker(campaign, celery_worker)
    assert snapshot(campaign) == uninterrupted
