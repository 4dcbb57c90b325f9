import io
import zipfile

import pytest
from pypdf import PdfReader

from certification import print_jobs
from certification.certificates import revoke_certificates
from certification.exceptions import WorkflowError
from certification.models import PrintJob

from .conftest import pdf_text


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(print_jobs, "CHUNK_SIZE", 2)  # 5 certificates → 3 chunks, 3 tasks


def _run(decision, user, django_capture_on_commit_callbacks) -> PrintJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = print_jobs.start_print_job(decision=decision, by=user)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_printing_a_decision_gives_one_pdf_and_a_zip_of_single_pdfs(
    decision, clerk, small_chunks, media_root, django_capture_on_commit_callbacks
):
    job = _run(decision, clerk, django_capture_on_commit_callbacks)
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
    first = _run(decision, clerk, django_capture_on_commit_callbacks)

    def must_not_render(*args, **kwargs):
        raise AssertionError("re-rendered unchanged certificates")

    monkeypatch.setattr(print_jobs, "render_certificates_pdf", must_not_render)
    second = _run(decision, clerk, django_capture_on_commit_callbacks)
    assert second.pk != first.pk
    assert second.status == PrintJob.Status.DONE
    assert (second.pdf.name, second.zip.name) == (first.pdf.name, first.zip.name)


@pytest.mark.django_db
def test_a_changed_certificate_prints_anew(
    decision, clerk, approver, small_chunks, django_capture_on_commit_callbacks
):
    first = _run(decision, clerk, django_capture_on_commit_callbacks)
    revoke_certificates(
        assessment=decision.certificates.get(register_number=3).assessment, by=approver, reason="x"
    )
    second = _run(decision, clerk, django_capture_on_commit_callbacks)
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
    failed = _run(decision, clerk, django_capture_on_commit_callbacks)
    assert failed.status == PrintJob.Status.FAILED
    assert "worker killed" in failed.error
    assert not failed.pdf and not failed.zip
    assert not list(media_root.rglob("*.tmp"))
    assert not list(media_root.rglob("giay-cong-nhan-*"))  # no final PDF or zip
    done_chunks = list((media_root / "print" / "chunks").glob("*.pdf"))
    for chunk in done_chunks:  # what exists is complete
        assert len(PdfReader(chunk).pages) == 2

    monkeypatch.setattr(print_jobs, "render_certificates_pdf", real)
    rerun = _run(decision, clerk, django_capture_on_commit_callbacks)
    assert rerun.status == PrintJob.Status.DONE
    assert len(PdfReader(media_root / rerun.pdf.name).pages) == 5


@pytest.mark.django_db
def test_a_decision_without_valid_certificates_cannot_be_printed(decision, clerk, approver):
    for cert in decision.certificates.all():
        revoke_certificates(assessment=cert.assessment, by=approver, reason="x")
    with pytest.raises(WorkflowError):
        print_jobs.start_print_job(decision=decision, by=clerk)
    assert not PrintJob.objects.exists()
