"""Every figure of issue 10 with its baseline, measured in one process against the services
``bench/run`` started (PostgreSQL with the data set, Redis, two Celery worker processes);
writes one JSON file that ``bench/report.py`` turns into docs/benchmarks.md.

    python -m bench.measure --scale province --year 2026 --out bench/data/province/results.json

A section that fails is recorded with its error and the others still run; a section is
skipped when the time budget is spent (the run must stay under 30 minutes).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("scoring", "unit", "pdf", "print", "memory", "pages", "cpu")


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def versions() -> dict:
    import django
    import weasyprint
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {"django": django.get_version(), "weasyprint": weasyprint.__version__, "postgresql": pg}


def dataset(year: int) -> dict:
    from django.db.models import Count

    from certification.models import Answer, Assessment, Campaign
    from units.models import Unit

    kinds = dict(
        Unit.objects.filter(valid_to__isnull=True)
        .exclude(code__startswith="L-")
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "year": year,
        "units": kinds,
        "campaigns": Campaign.objects.filter(year=year).count(),
        "assessments": Assessment.objects.filter(campaign__year=year).count(),
        "answers": Answer.objects.filter(assessment__campaign__year=year).count(),
        "answers_all_years": Answer.objects.count(),
    }


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        return out.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return ""


# --- sections ---------------------------------------------------------------------------------


def section_scoring(year: int, scale: str) -> dict:
    from bench import rescoring

    data = rescoring.campaign_rescoring(year, timeout=1200 if scale == "national" else 600)
    try:  # the engine alone, in this process (bench/score.py, the scoring engineer's measurement)
        from bench import score

        data["in_process_unchanged"] = score.score_year_in_process(year)
        # Issue 23: the engine path (every unit through the engine) beside the set-based path,
        # both from scratch in this process.
        data["in_process"] = score.engine_vs_set_based(year)
    except ImportError:
        pass
    return data


def section_unit(year: int, scale: str) -> dict:
    from bench import rescoring

    return rescoring.unit_rescoring(year, samples=30)


def section_pdf(year: int, scale: str) -> dict:
    """Figure 3 in this process: our pipeline vs raw WeasyPrint on the same HTML, one warm
    certificate, and LibreOffice on the equivalent 100-page document."""
    from bench import libreoffice
    from bench import pdf as pdf_bench

    return {
        "bulk": pdf_bench.bulk_throughput(100, workers=1, rounds=4),
        "single": pdf_bench.single_latency(repeat=20),
        "libreoffice": libreoffice.measure(100, rounds=2, single_rounds=3),
    }


def section_print(year: int, scale: str) -> dict:
    """Figure 3b, a whole decision on both workers: 100 certificates printed by the real job,
    in 5 rounds alternating with LibreOffice converting the equivalent mail merge."""
    from bench import printing
    from bench.fixtures import bench_decision

    decision = bench_decision(year=year, count=100, number=9100)
    versus = printing.versus_libreoffice(decision, rounds=5)
    if "skipped" in versus:
        return {
            "decision_100": printing.best_of(decision, 2),
            "idle_worker_rss_mib": printing.idle_worker_rss_mib(),
        }
    return {
        "decision_100": {**versus["best_job"], "all_seconds": versus["job"]["all_seconds"]},
        "versus_libreoffice": versus,
        "idle_worker_rss_mib": printing.idle_worker_rss_mib(),
    }


def section_memory(year: int, scale: str) -> dict:
    """Figure 4: 1,000 certificates, on the workers (peak RSS of the largest worker process)
    and in one fresh process (``bench.pdf.peak_memory``: ru_maxrss)."""
    from bench import pdf as pdf_bench
    from bench import printing
    from bench.fixtures import bench_decision

    decision = bench_decision(year=year, count=1000, number=9101)
    return {
        "decision_1000": printing.print_decision(decision, timeout=900),
        "one_process": pdf_bench.peak_memory(1000),
    }


def section_pages(year: int, scale: str) -> dict:
    from bench import pages

    return pages.measure(year, repeat=20)


def section_cpu(year: int, scale: str) -> dict:
    """Issue 23: CPU per request (web + PostgreSQL backend) as a ratio to a bare view."""
    from bench import cpu

    return cpu.measure(year, rounds=40, submissions=30)


def run(scale: str, year: int, only: list[str], budget: float) -> dict:
    started = time.monotonic()
    result: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scale": scale,
        "machine": machine(),
        "revision": git_revision(),
        "loadavg_start": loadavg(),
        "versions": versions(),
        "dataset": dataset(year),
        "sections": {},
    }
    for name in SECTIONS:
        if only and name not in only:
            continue
        left = budget - (time.monotonic() - started)
        if left < 60:
            result["sections"][name] = {"skipped": f"time budget spent ({budget:.0f} s)"}
            continue
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            data = globals()[f"section_{name}"](year, scale)
        except Exception as error:  # noqa: BLE001 - one failing figure must not lose the others
            traceback.print_exc()
            data = {"error": f"{type(error).__name__}: {error}"[:2000]}
        data["section_seconds"] = round(time.monotonic() - t0, 1)
        data["loadavg_after"] = loadavg()
        result["sections"][name] = data
        print(f"[bench] {name}: {data['section_seconds']} s", file=sys.stderr, flush=True)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["loadavg_end"] = loadavg()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["province", "national"], required=True)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", default="", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--budget", type=float, default=1500, help="seconds for all sections")
    parser.add_argument("--extra", type=Path, help="JSON merged into the result (e.g. dataset timing)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    result = run(args.scale, args.year, only, args.budget)
    if args.extra and args.extra.exists():
        result.update(json.loads(args.extra.read_text()))
    if only and args.out.exists():  # a partial run updates the sections it measured
        previous = json.loads(args.out.read_text())
        previous["sections"].update(result["sections"])
        result = {
            **previous,
            **{k: v for k, v in result.items() if k != "sections"},
            "sections": previous["sections"],
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"[bench] results in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
