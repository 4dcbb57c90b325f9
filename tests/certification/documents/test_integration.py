"""Numbering under real concurrency (PostgreSQL row locks) and bulk printing on a real worker."""

import threading
import time

import pytest
from django.db import connection

from certification.documents import printing as print_jobs
from certification.documents.decisions import issue_decision
from certification.models import Decision, PrintJob
from certification.services.printing import start_print_job

THREADS = 50


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_issuings_get_numbers_1_to_50_without_gaps(campaign, commune, approver):
    drafts = [Decision.objects.create(campaign=campaign, issuer=commune, year=2026) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def issue(draft):
        try:
            barrier.wait(timeout=60)
            issue_decision(decision=draft, by=approver)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    numbers = sorted(Decision.objects.filter(issuer=commune, year=2026).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_prints_a_decision_in_chunks(decision, clerk, celery_worker, monkeypatch, media_root):
    monkeypatch.setattr(print_jobs, "CHUNK_SIZE", 2)  # the plan is made here; the worker follows it
    job = start_print_job(decision=decision, by=clerk)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (PrintJob.Status.DONE, PrintJob.Status.FAILED):
            break
        time.sleep(0.3)
    assert job.status == PrintJob.Status.DONE, (job.error, celery_worker.log_tail())
    assert len(job.chunks) == 4  # 5 certificates, about 2 a chunk, shared by 2 workers: 2/1/1/1
    assert (media_root / job.pdf.name).is_file()
    while not job.zip and not job.error and time.monotonic() < deadline:  # the zip is its own task
        time.sleep(0.3)
        job.refresh_from_db()
    assert job.zip and (media_root / job.zip.name).is_file(), (job.error, celery_worker.log_tail())
