"""Scoring figures of ``bench/run`` (figures 1 and 2 of issue 10), each beside its plain-SQL
baseline measured in the same run.

1. :func:`campaign_rescoring` — every campaign of a year scored on the real Celery workers
   (``certification.services.scoring.start_scoring_run``, as ``manage.py score_campaign`` does),
   from "queued" to the last run done; once from scratch (no ``Result`` rows: everything is
   computed and written) and once again unchanged (everything computed, nothing written). The
   baseline is one plain PostgreSQL ``GROUP BY assessment_id`` over the same answers that
   writes a per-assessment met / not met / N/A count and pass flag into a table.
2. :func:`unit_rescoring` — ``certification.scoring.results.rescore_unit`` (a residential area, the
   commune that counts it in XA-4, the province summary) right after one of its answers
   changed, in this process; baseline: the same three reads as plain SQL aggregates.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from django.db import connection, transaction
from django.db.models import F

from bench.procs import PeakRSS
from certification.models import Answer, Assessment, Campaign, Result, ScoringRun
from units.models import Unit

FINISHED = (ScoringRun.Status.DONE, ScoringRun.Status.FAILED)


def _effective() -> str:
    return "CASE WHEN a.appraised_value <> '' THEN a.appraised_value ELSE a.value END"


def _answer_table() -> str:
    return Answer._meta.db_table


def _assessment_table() -> str:
    return Assessment._meta.db_table


def baseline_group_by(campaign_ids: list[int], *, rounds: int = 2) -> dict:
    """Plain SQL over the same answers: one GROUP BY assessment_id, written to a temporary
    table (PostgreSQL may use its parallel workers: both cores, as our two Celery workers)."""
    sql = f"""
        CREATE TEMP TABLE bench_baseline AS
        SELECT a.assessment_id,
               count(*) FILTER (WHERE {_effective()} = 'met') AS met,
               count(*) FILTER (WHERE {_effective()} = 'not_met') AS not_met,
               count(*) FILTER (WHERE {_effective()} = 'na') AS na,
               count(*) FILTER (WHERE {_effective()} = '') AS missing,
               bool_and({_effective()} IN ('met', 'na')) AS passed
        FROM {_answer_table()} a
        JOIN {_assessment_table()} s ON s.id = a.assessment_id
        WHERE s.campaign_id = ANY(%s)
        GROUP BY a.assessment_id
    """
    times, rows = [], 0
    for _ in range(max(1, rounds)):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, [campaign_ids])
            times.append(time.perf_counter() - started)
            cursor.execute("SELECT count(*) FROM bench_baseline")
            rows = cursor.fetchone()[0]
            cursor.execute("DROP TABLE bench_baseline")
    return {"seconds": round(min(times), 3), "all_seconds": [round(t, 3) for t in times], "assessments": rows}


def _wait(run_ids: list[int], timeout: float) -> tuple[float, list[ScoringRun]]:
    started = time.monotonic()
    while True:
        runs = list(ScoringRun.objects.filter(pk__in=run_ids))
        if all(r.status in FINISHED for r in runs):
            return time.monotonic() - started, runs
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"scoring runs not finished after {timeout:.0f} s")
        time.sleep(0.05)  # the figure's resolution: 0.2 s added ~0.1 s on average to 1 and 1b


def _worker_roots() -> list[int]:
    """The Celery worker tree bench/run started (none when run by hand without it)."""
    pid = os.environ.get("BENCH_CELERY_PID")
    return [int(pid)] if pid else []


def score_year_on_workers(year: int, *, timeout: float) -> dict:
    """Queue a run for every campaign of ``year`` at once and wait for the last one; the RSS of
    the worker processes is sampled meanwhile (peak of the largest one and of all together)."""
    from certification.services.scoring import start_scoring_run

    campaigns = list(Campaign.objects.filter(year=year).select_related("province").order_by("pk"))
    with PeakRSS(_worker_roots, interval=0.05) as peak:
        started = time.monotonic()
        run_ids = [start_scoring_run(campaign=c, trigger="bench").pk for c in campaigns]
        _elapsed, runs = _wait(run_ids, timeout)
        seconds = time.monotonic() - started
    failed = [f"#{r.pk}: {r.error}" for r in runs if r.status == ScoringRun.Status.FAILED]
    if failed:
        raise RuntimeError("scoring runs failed: " + "; ".join(failed)[:2000])
    return {
        "seconds": round(seconds, 3),
        "campaigns": len(campaigns),
        "units": sum(r.total for r in runs),
        "chunks": sum(r.chunks_total for r in runs),
        "worker_peak_rss_mib": peak.max_process_mib,  # the largest worker process
        "workers_peak_rss_total_mib": peak.max_total_mib,  # the whole worker tree
    }


def campaign_rescoring(year: int, *, timeout: float = 900) -> dict:
    """Figure 1: the whole year's scoring on the workers vs the plain GROUP BY baseline."""
    campaign_ids = list(Campaign.objects.filter(year=year).values_list("pk", flat=True))
    with connection.cursor() as cursor:  # fresh statistics for both sides
        cursor.execute(f"ANALYZE {_answer_table()}")
        cursor.execute(f"ANALYZE {_assessment_table()}")
    answers = Answer.objects.filter(assessment__campaign_id__in=campaign_ids).count()
    baseline = baseline_group_by(campaign_ids)
    deleted, _ = Result.objects.filter(campaign_id__in=campaign_ids).delete()
    cold = score_year_on_workers(year, timeout=timeout)
    results = Result.objects.filter(campaign_id__in=campaign_ids).count()
    warm = score_year_on_workers(year, timeout=timeout)
    return {
        "year": year,
        "answers": answers,
        "results_written": results,
        "results_deleted_before": deleted,
        "baseline": baseline,
        "cold": cold,
        "unchanged": warm,
        "ratio": round(cold["seconds"] / baseline["seconds"], 2) if baseline["seconds"] else None,
        "ratio_unchanged": round(warm["seconds"] / baseline["seconds"], 2) if baseline["seconds"] else None,
    }


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def _baseline_unit(cursor, assessment_id: int, commune: Unit, province: Unit, campaign_id: int) -> float:
    """The reads of one rescoring as plain SQL: the unit's answers, the answers of every unit
    the commune counts, the province's counts by kind and status."""
    started = time.perf_counter()
    cursor.execute(
        f"""SELECT a.assessment_id, count(*) FILTER (WHERE {_effective()} = 'met')
            FROM {_answer_table()} a WHERE a.assessment_id = %s GROUP BY a.assessment_id""",
        [assessment_id],
    )
    cursor.fetchall()
    cursor.execute(
        f"""SELECT a.assessment_id, bool_and({_effective()} IN ('met', 'na'))
            FROM {_answer_table()} a JOIN {_assessment_table()} s ON s.id = a.assessment_id
            JOIN {Unit._meta.db_table} u ON u.id = s.unit_id
            WHERE s.campaign_id = %s AND u.parent_id = %s GROUP BY a.assessment_id""",
        [campaign_id, commune.pk],
    )
    cursor.fetchall()
    cursor.execute(
        f"""SELECT u.kind, s.status, count(*) FROM {_assessment_table()} s
            JOIN {Unit._meta.db_table} u ON u.id = s.unit_id
            WHERE s.campaign_id = %s AND u.path LIKE %s GROUP BY u.kind, s.status""",
        [campaign_id, province.path + "%"],
    )
    cursor.fetchall()
    return time.perf_counter() - started


def unit_rescoring(year: int, *, samples: int = 30, seed: int = 10) -> dict:
    """Figure 2: ``rescore_unit`` right after an answer changed, for ``samples`` residential
    areas of the largest province (its summary is the most expensive), alternating met ↔ not
    met so every sample really rewrites the unit's, the commune's and the province's rows."""
    from bench.fixtures import bench_province
    from certification.scoring.results import rescore_unit

    province = bench_province()
    campaign = Campaign.objects.get(year=year, province=province)
    candidates = list(
        Assessment.objects.filter(campaign=campaign, unit__kind=Unit.Kind.RESIDENTIAL_AREA)
        .order_by("pk")
        .values_list("pk", "unit_id", "unit__parent_id")
    )
    rng = random.Random(seed)
    picked = rng.sample(candidates, min(samples, len(candidates)))
    ours, baseline = [], []
    communes = Unit.objects.in_bulk({c for _a, _u, c in picked})
    rescore_unit(picked[0][1], campaign.pk)  # warm-up: imports, plans, caches
    for assessment_id, unit_id, commune_id in picked:
        answer = Answer.objects.filter(assessment_id=assessment_id).exclude(value="").order_by("pk").first()
        if answer is None:
            continue
        flipped = "not_met" if answer.value != "not_met" else "met"
        # Bench data only: the service would also audit and queue a rescore on a worker; it
        # bumps the version as every service does (scoring knows the answers by it).
        Answer.objects.filter(pk=answer.pk).update(value=flipped, appraised_value="")
        Assessment.objects.filter(pk=assessment_id).update(version=F("version") + 1)
        started = time.perf_counter()
        rescore_unit(unit_id, campaign.pk)
        ours.append(time.perf_counter() - started)
        Answer.objects.filter(pk=answer.pk).update(value=answer.value, appraised_value=answer.appraised_value)
        Assessment.objects.filter(pk=assessment_id).update(version=F("version") + 1)
        rescore_unit(unit_id, campaign.pk)  # back to the data set's state (not timed)
        with connection.cursor() as cursor:
            baseline.append(
                _baseline_unit(cursor, assessment_id, communes[commune_id], province, campaign.pk)
            )
    ms = [t * 1000 for t in ours]
    base_ms = [t * 1000 for t in baseline]
    return {
        "samples": len(ms),
        "province": str(province),
        "province_units": Unit.objects.filter(path__startswith=province.path).count(),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
        "baseline_p50_ms": round(statistics.median(base_ms), 1),
        "baseline_p95_ms": round(_percentile(base_ms, 95), 1),
        "ratio": round(statistics.median(ms) / statistics.median(base_ms), 2),
    }
