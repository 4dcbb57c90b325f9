"""Real print jobs on the Celery workers (figures 3 and 4 of issue 10): a decision's
certificates printed by ``certification.documents.printing`` exactly as the "Print" button does it —
chunks rendered as tasks on both worker processes, merged into one PDF (the job is done), then
a zip of single PDFs in its own task —
while the RSS of every worker process is sampled."""

from __future__ import annotations

import os
import shutil
import time

from bench.procs import PeakRSS, rss_kib, tree_pids
from certification.documents import pdf
from certification.models import Decision, PrintJob


def _worker_root() -> int:
    pid = os.environ.get("BENCH_CELERY_PID")
    if not pid:
        raise RuntimeError("BENCH_CELERY_PID is not set: bench/run starts the workers")
    return int(pid)


def idle_worker_rss_mib() -> float:
    return round(max(rss_kib(p) for p in tree_pids(_worker_root())) / 1024, 1)


def _forget_outputs() -> None:
    """Print outputs are named by content: remove them so the next job renders again."""
    shutil.rmtree(pdf.storage_path("print"), ignore_errors=True)


def print_decision(decision: Decision, *, timeout: float = 600) -> dict:
    """Print every certificate of ``decision`` on the workers; wall time from the click to the
    merged PDF (the job is done) and to the zip, peak RSS of the largest worker process."""
    from certification.audit import SystemActor
    from certification.services.printing import start_print_job

    _forget_outputs()
    root = _worker_root()
    with PeakRSS(lambda: [root], interval=0.05) as peak:
        started = time.perf_counter()
        job = start_print_job(decision=decision, by=SystemActor())
        while True:
            job.refresh_from_db()
            if job.status in (PrintJob.Status.DONE, PrintJob.Status.FAILED):
                break
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"print job #{job.pk} not done after {timeout:.0f} s")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        # The job is done with the merged PDF; the zip of single PDFs follows in its own task
        # (off the clerk's path since 2026-12-03): wait for it too, and report both times.
        while job.status == PrintJob.Status.DONE and not job.zip and not job.error:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"print job #{job.pk}: no zip after {timeout:.0f} s")
            time.sleep(0.05)
            job.refresh_from_db()
        zip_seconds = time.perf_counter() - started
    if job.status != PrintJob.Status.DONE or not job.zip:
        raise RuntimeError(f"print job #{job.pk} failed: {job.error[:500]}")
    from pypdf import PdfReader

    pages = len(PdfReader(pdf.storage_path(job.pdf.name)).pages)
    return {
        "certificates": job.total,
        "pages": pages,
        "chunks": len(job.chunks),
        "seconds": round(seconds, 3),
        "pages_per_second": round(pages / seconds, 2),
        "ms_per_page": round(seconds * 1000 / pages, 1),
        "zip_seconds": round(zip_seconds, 3),
        "peak_worker_rss_mib": peak.max_process_mib,
        "peak_workers_total_rss_mib": peak.max_total_mib,
        "pdf_bytes": pdf.storage_path(job.pdf.name).stat().st_size,
        "zip_bytes": pdf.storage_path(job.zip.name).stat().st_size,
    }


def best_of(decision: Decision, rounds: int, *, timeout: float = 600) -> dict:
    runs = [print_decision(decision, timeout=timeout) for _ in range(max(1, rounds))]
    best = min(runs, key=lambda r: r["seconds"])
    return {
        **best,
        "all_seconds": [r["seconds"] for r in runs],
        "peak_worker_rss_mib": max(r["peak_worker_rss_mib"] for r in runs),
    }
