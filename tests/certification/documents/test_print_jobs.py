import io
import zipfile

import pytest
from pypdf import PdfReader

from antt.errors import WorkflowError
from certification.documents import printing as print_jobs
from certification.documents.certificates import revoke_certificates
from certification.models import PrintJob
from certification.services.printing import start_print_job
from tests.certification.documents.conftest import pdf_text, print_decision


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(print_jobs, "CHUNK_SIZE", 2)  # 5 certificates → 4 chunks (2 workers), 4 tasks


@pytest.mark.parametrize(
    ("total", "workers", "sizes"),
    [
        (101, 2, [51, 50]),  # cut every 50: 50/50/1, one worker rendering the last page alone
        (149, 2, [38, 37, 37, 37]),
        (60, 2, [30, 30]),
        (100, 1, [50, 50]),
        (1, 2, [1]),
        (0, 2, []),
    ],
)
def test_a_job_is_cut_into_equal_chunks_the_workers_share_evenly(total, workers, sizes):
    bounds = print_jobs.chunk_bounds(total, size=50, workers=workers)
    assert [end - start for start, end in bounds] == sizes


@pytest.mark.parametrize("total", [2, 7, 50, 74, 75, 99, 250, 1003])
@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_every_certificate_is_in_one_chunk_in_order_and_no_chunk_is_much_larger(total, workers):
    bounds = print_jobs.chunk_bounds(total, size=50, workers=workers)
    assert [i for start, end in bounds for i in range(start, end)] == list(range(total))
    sizes = [end - start for start, end in bounds]
    assert max(sizes) - min(sizes) <= 1 and max(sizes) <= 75
    assert len(bounds) % min(workers, total) == 0


@pytest.mark.django_db
def test_the_plan_follows_the_number_of_print_workers(decision, small_chunks, settings):
    certificates = list(print_jobs.printable(decision))
    settings.PRINT_WORKERS = 1
    assert [len(chunk["ids"]) for chunk in print_jobs.plan(certificates)[1]] == [2, 2, 1]
    settings.PRINT_WORKERS = 2
    assert [len(chunk["ids"]) for chunk in print_jobs.plan(certificates)[1]] == [2, 1, 1, 1]


@pytest.mark.django_db
def test_printing_a_decision_gives_one_pdf_and_a_zip_of_single_pdfs(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks
):
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE, job.error
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    merged = (media_root / job.pdf.name).read_bytes()
    assert len(PdfReader(io.BytesIO(merged)).pages) == 5
    text = pdf_text(merged)
    for n in range(1, 6):
        assert f"Tổ dân phố {n}" in text
    with zipfile.ZipFile(media_root / job.zip.name) as archive:
        names = archive.namelist()
        assert len(names) == 5
        assert names[0] == "giay-cong-nhan-2026-0001-to-dan-pho-1.pdf"
        single = archive.read(names[0])
    assert len(PdfReader(io.BytesIO(single)).pages) == 1
    assert "Tổ dân phố 1" in pdf_text(single)
    assert not list(media_root.rglob("*.tmp"))
    assert not list((media_root / "print" / "chunks").glob("*.pdf"))  # merged, then cleaned up


@pytest.mark.django_db
def test_printing_again_reuses_the_files_when_nothing_changed(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks, monkeypatch
):
    first = print_decision(decision, clerk, django_capture_on_commit_callbacks)

    def must_not_render(*args, **kwargs):
        raise AssertionError("re-rendered unchanged certificates")

    monkeypatch.setattr(print_jobs, "render_certificates_pdf", must_not_render)
    second = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert second.pk != first.pk
    assert second.status == PrintJob.Status.DONE
    assert (second.pdf.name, second.zip.name) == (first.pdf.name, first.zip.name)


@pytest.mark.django_db
def test_a_changed_certificate_prints_anew(
    decision, clerk, approver, small_chunks, django_capture_on_commit_callbacks
):
    first = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    revoke_certificates(
        assessment=decision.certificates.get(register_number=3).assessment, by=approver, reason="x"
    )
    second = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert second.status == PrintJob.Status.DONE
    assert second.pdf.name != first.pdf.name
    assert second.total == 4


@pytest.mark.django_db
def test_a_print_that_dies_midway_leaves_no_partial_file_and_a_rerun_completes(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks, monkeypatch
):
    real = print_jobs.render_certificates_pdf
    calls = []

    def dies_on_the_second_chunk(certificates):
        calls.append(len(certificates))
        if len(calls) == 2:
            raise MemoryError("worker killed")
        return real(certificates)

    monkeypatch.setattr(print_jobs, "render_certificates_pdf", dies_on_the_second_chunk)
    failed = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert failed.status == PrintJob.Status.FAILED
    assert "worker killed" in failed.error
    assert not failed.pdf and not failed.zip
    assert not list(media_root.rglob("*.tmp"))
    assert not list(media_root.rglob("giay-cong-nhan-*"))  # no final PDF or zip
    done_chunks = list((media_root / "print" / "chunks").glob("*.pdf"))
    for chunk in done_chunks:  # what exists is complete
        assert len(PdfReader(chunk).pages) == 2

    monkeypatch.setattr(print_jobs, "render_certificates_pdf", real)
    rerun = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert rerun.status == PrintJob.Status.DONE
    assert len(PdfReader(media_root / rerun.pdf.name).pages) == 5


@pytest.mark.django_db
def test_a_decision_without_valid_certificates_cannot_be_printed(decision, clerk, approver):
    for cert in decision.certificates.all():
        revoke_certificates(assessment=cert.assessment, by=approver, reason="x")
    with pytest.raises(WorkflowError):
        start_print_job(decision=decision, by=clerk)
    assert not PrintJob.objects.exists()


@pytest.fixture
def zip_task_held(monkeypatch):
    """The zip task is queued but does not run (a busy worker): collects the job ids it got."""
    from certification.tasks import printing

    held = []
    monkeypatch.setattr(printing.build_zip_task, "delay", held.append)
    return held


@pytest.mark.django_db
def test_the_job_is_done_with_the_merged_pdf_and_the_zip_is_built_by_its_own_task(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks, zip_task_held
):
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE and job.pdf and not job.zip
    assert zip_task_held == [job.pk]
    assert len(PdfReader(media_root / job.pdf.name).pages) == 5
    assert not list((media_root / "print" / "chunks").glob("*.pdf"))  # the zip is split from the PDF

    print_jobs.build_zip(job.pk)
    print_jobs.build_zip(job.pk)  # safe to run twice
    job.refresh_from_db()
    with zipfile.ZipFile(media_root / job.zip.name) as archive:
        names = archive.namelist()
        assert names[4] == "giay-cong-nhan-2026-0005-to-dan-pho-5.pdf"
        single = archive.read(names[4])
    assert len(PdfReader(io.BytesIO(single)).pages) == 1
    assert "Tổ dân phố 5" in pdf_text(single) and "Tổ dân phố 4" not in pdf_text(single)


@pytest.mark.django_db
def test_a_failed_zip_leaves_the_pdf_downloadable_and_printing_again_builds_it(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks, monkeypatch
):
    real = print_jobs.write_zip

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(print_jobs, "write_zip", broken)
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE and (media_root / job.pdf.name).is_file()
    assert not job.zip and "disk full" in job.error
    assert not list(media_root.rglob("*.zip")) and not list(media_root.rglob("*.tmp"))

    monkeypatch.setattr(print_jobs, "write_zip", real)
    again = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert again.status == PrintJob.Status.DONE and again.pdf.name == job.pdf.name
    assert again.zip and (media_root / again.zip.name).is_file() and not again.error


@pytest.mark.django_db
def test_a_job_whose_chunk_messages_were_lost_is_sent_again_by_the_watchdog(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks, monkeypatch
):
    """A worker killed between taking a message from Redis and recording it as unacknowledged
    takes it along: the job would wait for ever. Beat's watchdog sends its unfinished work again
    once it made no progress for the idle time, once per idle time."""
    import datetime

    from django.utils import timezone

    from certification.tasks import printing as tasks

    lost = []
    real_delay = tasks.render_chunk_task.delay
    monkeypatch.setattr(tasks.render_chunk_task, "delay", lambda *args: lost.append(args))
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.RUNNING and len(lost) == 4 and job.done == 0
    idle = datetime.timedelta(minutes=10)
    assert print_jobs.stalled_jobs(idle) == []  # it just started

    monkeypatch.setattr(tasks.render_chunk_task, "delay", real_delay)
    PrintJob.objects.filter(pk=job.pk).update(
        progressed_at=timezone.now() - idle - datetime.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_stalled_print_jobs_task(idle_seconds=idle.total_seconds()) == [job.pk]
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE and job.done == 5
    assert len(PdfReader(media_root / job.pdf.name).pages) == 5
    assert print_jobs.stalled_jobs(datetime.timedelta(0)) == []  # done: never sent again


@pytest.mark.django_db
def test_the_watchdog_leaves_a_job_that_moved_on_recently(
    decision, clerk, small_chunks, django_capture_on_commit_callbacks, monkeypatch
):
    import datetime

    from certification.tasks import printing as tasks

    monkeypatch.setattr(tasks.render_chunk_task, "delay", lambda *args: None)
    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert print_jobs.stalled_jobs(datetime.timedelta(0)) == [job.pk]
    # Marked as moved on by the watchdog itself: not sent again at the next tick.
    assert print_jobs.stalled_jobs(datetime.timedelta(minutes=10)) == []


@pytest.mark.django_db
def test_a_zip_whose_message_was_lost_is_built_by_the_watchdog(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks, zip_task_held, monkeypatch
):
    import datetime

    from django.utils import timezone

    from certification.tasks import printing as tasks

    job = print_decision(decision, clerk, django_capture_on_commit_callbacks)
    assert job.status == PrintJob.Status.DONE and not job.zip and zip_task_held == [job.pk]  # lost
    idle = datetime.timedelta(minutes=10)
    assert print_jobs.zips_missing(idle) == []  # just done

    monkeypatch.undo()  # the zip task runs again (and the chunks' size is back: nothing to print)
    long_ago = timezone.now() - idle - datetime.timedelta(seconds=1)
    PrintJob.objects.filter(pk=job.pk).update(finished_at=long_ago, progressed_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.resume_stalled_print_jobs_task(idle_seconds=idle.total_seconds())
    job.refresh_from_db()
    assert job.zip and (media_root / job.zip.name).is_file() and not job.error
    assert print_jobs.zips_missing(datetime.timedelta(0)) == []  # built: never again
