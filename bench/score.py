"""Scoring cost in one process, beside PostgreSQL's plain ``GROUP BY assessment_id``.

``bench/rescoring.py`` measures the same on the real Celery workers (what users get); this
module takes the queue out of the picture to show what the engine itself costs:

1. the whole year scored chunk by chunk in this process (``certification.scoring.results.score_chunk``
   then ``summarize_province``), from scratch and again unchanged;
2. the baseline: one GROUP BY over the same answers (``bench.rescoring.baseline_group_by``);
3. one unit rescored after an answer changed (``bench.rescoring.unit_rescoring``).

    DATABASE_URL=postgres://… python -m bench.score --year 2026 [--samples 30] [--skip-cold]

Prints JSON; no numbers are asserted anywhere (they go to docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def score_year_in_process(year: int, *, set_based: bool = True) -> dict:
    """Every campaign of ``year``: each chunk in its own transaction, then the summary.
    ``set_based`` False: every unit through the engine (``score_chunk``'s reference path)."""
    from django.db import transaction

    from certification.models import Campaign
    from certification.scoring.results import score_chunk, summarize_province
    from certification.scoring.runs import plan_chunks

    started = time.perf_counter()
    units = written = chunks = 0
    for campaign in Campaign.objects.filter(year=year).select_related("province").order_by("pk"):
        for parent_ids, _count in plan_chunks(campaign):
            with transaction.atomic():
                report = score_chunk(campaign, parent_ids, set_based=set_based)
            units += report.scored
            written += report.written
            chunks += 1
        summarize_province(campaign)
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "set_based": set_based,
        "units": units,
        "written": written,
        "chunks": chunks,
    }


def engine_vs_set_based(year: int, *, rounds: int = 1) -> dict:
    """From scratch in this process, the engine path and the set-based path alternately (best
    of ``rounds`` each), the rows deleted before each; the set-based path goes last, so the
    campaign ends scored as the workers would leave it."""
    from certification.models import Campaign, Result

    campaign_ids = list(Campaign.objects.filter(year=year).values_list("pk", flat=True))
    engine, set_based = [], []
    for _ in range(max(1, rounds)):
        for path, into in ((False, engine), (True, set_based)):
            Result.objects.filter(campaign_id__in=campaign_ids).delete()
            into.append(score_year_in_process(year, set_based=path))
    return {
        "engine_cold": min(engine, key=lambda r: r["seconds"]),
        "set_based_cold": min(set_based, key=lambda r: r["seconds"]),
        "rounds": rounds,
    }


def measure(year: int, *, samples: int = 30, cold: bool = True) -> dict:
    from django.db import connection

    from bench.rescoring import baseline_group_by, unit_rescoring
    from certification.models import Answer, Campaign, Result

    campaign_ids = list(Campaign.objects.filter(year=year).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Answer._meta.db_table}")
    figures: dict = {
        "year": year,
        "campaigns": len(campaign_ids),
        "answers": Answer.objects.filter(assessment__campaign_id__in=campaign_ids).count(),
        "baseline": baseline_group_by(campaign_ids),
    }
    if cold:
        Result.objects.filter(campaign_id__in=campaign_ids).delete()
        figures["cold"] = score_year_in_process(year)
    figures["unchanged"] = score_year_in_process(year)
    base = figures["baseline"]["seconds"] or None
    for key in ("cold", "unchanged"):
        if key in figures and base:
            figures[f"ratio_{key}"] = round(figures[key]["seconds"] / base, 2)
    if samples:
        figures["unit"] = unit_rescoring(year, samples=samples)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--samples", type=int, default=30, help="units for the one-unit figure (0: skip)")
    parser.add_argument("--skip-cold", action="store_true", help="only the unchanged rerun")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    print(
        json.dumps(
            measure(args.year, samples=args.samples, cold=not args.skip_cold), indent=2, ensure_ascii=False
        )
    )


if __name__ == "__main__":
    main()
