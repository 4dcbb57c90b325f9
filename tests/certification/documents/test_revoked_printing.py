"""Revoked means unobtainable: a certificate revoked (or replaced) is in no file a print job
serves — not in the files of a job that finished before the revocation, not in a job that was
running when it happened. Who starts print jobs, and the audit of printing and downloads."""

import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from certification.audit import Action
from certification.documents import printing as print_jobs
from certification.documents.certificates import replace_certificate, revoke_certificates
from certification.models import AuditEvent, Certificate, PrintJob
from certification.services.printing import start_print_job
from tests.certification.documents.conftest import pdf_text


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(print_jobs, "CHUNK_SIZE", 2)  # 5 certificates → 3 chunks


def _print(client, decision, django_capture_on_commit_callbacks) -> PrintJob:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certification:print-start", args=[decision.pk]))
    assert response.status_code == 302
    job = PrintJob.objects.order_by("-pk").first()
    assert job.status == PrintJob.Status.DONE, job.error
    return job


def _download(client, job, kind):
    return client.get(reverse("certification:print-download", args=[job.pk, kind]))


def _zip_names(response) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        return archive.namelist()


def _revoke(decision, number, by):
    certificate = decision.certificates.get(register_number=number)
    revoke_certificates(assessment=certificate.assessment, by=by, reason="Vi phạm tiêu chí")


@pytest.mark.django_db
def test_a_certificate_revoked_after_printing_cannot_be_downloaded_from_the_old_job(
    client, decision, clerk, approver, viewer, small_chunks, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    old = _print(client, decision, django_capture_on_commit_callbacks)
    assert _download(client, old, "pdf").status_code == 200
    assert "Số vào sổ: 3" in pdf_text(b"".join(_download(client, old, "pdf").streaming_content))

    _revoke(decision, 3, approver)

    detail = reverse("certification:print-detail", args=[old.pk])
    for user in (clerk, viewer):
        client.force_login(user)
        for kind in ("pdf", "zip"):
            response = _download(client, old, kind)
            assert response.status_code == 302 and response["Location"] == detail
    client.force_login(clerk)
    page = client.get(detail).content.decode()
    assert "bị thu hồi hoặc thay thế" in page and "In lại" in page
    assert reverse("certification:print-download", args=[old.pk, "pdf"]) not in page

    new = _print(client, decision, django_capture_on_commit_callbacks)
    assert new.pk != old.pk and new.pdf.name != old.pdf.name
    text = pdf_text(b"".join(_download(client, new, "pdf").streaming_content))
    assert "Số vào sổ: 3" not in text and "Tổ dân phố 3" not in text
    assert "Số vào sổ: 1" in text and "Số vào sổ: 5" in text
    names = _zip_names(_download(client, new, "zip"))
    assert len(names) == 4 and not [n for n in names if "-0003-" in n]


@pytest.mark.django_db
def test_a_replaced_certificate_makes_the_old_job_undownloadable_too(
    client, decision, clerk, approver, small_chunks, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    old = _print(client, decision, django_capture_on_commit_callbacks)
    replace_certificate(certificate=decision.certificates.get(register_number=2), by=approver, reason="Mất")
    assert _download(client, old, "pdf").status_code == 302
    assert not print_jobs.is_current(old)


@pytest.mark.django_db
def test_a_chunk_leaves_out_a_certificate_revoked_before_it_renders(
    client, decision, clerk, approver, small_chunks, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:  # planned with 5, not started yet
        job = start_print_job(decision=decision, by=clerk)
    assert job.total == 5
    _revoke(decision, 3, approver)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    job.refresh_from_db()
    assert job.status == PrintJob.Status.DONE, job.error
    merged = (media_root / job.pdf.name).read_bytes()
    text = pdf_text(merged)
    assert "Số vào sổ: 3" not in text and "Số vào sổ: 4" in text
    assert len(PdfReader(io.BytesIO(merged)).pages) == 4
    assert print_jobs.skipped(job) == 1 and print_jobs.is_current(job)
    with zipfile.ZipFile(media_root / job.zip.name) as archive:
        assert [n[:24] for n in archive.namelist()] == [f"giay-cong-nhan-2026-000{n}" for n in (1, 2, 4, 5)]
    client.force_login(clerk)
    assert _download(client, job, "pdf").status_code == 200  # what it holds is all valid
    page = client.get(reverse("certification:print-detail", args=[job.pk])).content.decode()
    assert "1 Giấy công nhận đã bị thu hồi hoặc thay thế trong khi in" in page


@pytest.mark.django_db
def test_a_certificate_revoked_while_its_chunk_renders_is_not_in_the_finished_files(
    client,
    decision,
    clerk,
    approver,
    small_chunks,
    media_root,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    real = print_jobs.render_certificates_pdf
    target = decision.certificates.get(register_number=3)

    def revoked_meanwhile(certificates):
        data = real(certificates)
        if target.pk in [c.pk for c in certificates] and not target.revoke_reason:
            # The revocation commits after the chunk read the statuses, before it is merged.
            _revoke(decision, 3, approver)
            target.revoke_reason = "done"
        return data

    monkeypatch.setattr(print_jobs, "render_certificates_pdf", revoked_meanwhile)
    client.force_login(clerk)
    job = _print(client, decision, django_capture_on_commit_callbacks)
    merged = (media_root / job.pdf.name).read_bytes()
    assert "Số vào sổ: 3" not in pdf_text(merged)
    assert len(PdfReader(io.BytesIO(merged)).pages) == 4
    assert print_jobs.is_current(job)
    assert len(_zip_names(_download(client, job, "zip"))) == 4


@pytest.mark.django_db
def test_a_job_whose_every_certificate_was_revoked_while_queued_fails_with_a_message(
    decision, clerk, approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        job = start_print_job(decision=decision, by=clerk)
    for certificate in decision.certificates.all():
        revoke_certificates(assessment=certificate.assessment, by=approver, reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    job.refresh_from_db()
    assert job.status == PrintJob.Status.FAILED and not job.pdf
    assert "Không còn Giấy công nhận nào" in job.error


@pytest.mark.django_db
def test_a_finished_job_that_does_not_say_what_it_holds_is_not_served(
    client, decision, clerk, small_chunks, django_capture_on_commit_callbacks
):
    """Jobs finished before chunks recorded their certificates: printed again, not trusted."""
    client.force_login(clerk)
    job = _print(client, decision, django_capture_on_commit_callbacks)
    PrintJob.objects.filter(pk=job.pk).update(chunks=[])
    assert _download(client, job, "pdf").status_code == 302


@pytest.mark.django_db
def test_the_read_only_viewer_cannot_start_a_print_job(client, decision, viewer, clerk):
    client.force_login(viewer)
    assert client.post(reverse("certification:print-start", args=[decision.pk])).status_code == 403
    assert not PrintJob.objects.exists()
    start = reverse("certification:print-start", args=[decision.pk])
    assert start not in client.get(decision.get_absolute_url()).content.decode()
    client.force_login(clerk)
    assert start in client.get(decision.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_print_service_refuses_the_viewer_too(decision, viewer):
    from antt.errors import WorkflowError

    with pytest.raises(WorkflowError):
        start_print_job(decision=decision, by=viewer)
    assert not PrintJob.objects.exists()


@pytest.mark.django_db
def test_starting_a_print_job_and_every_download_leave_who_and_what_in_the_audit_chain(
    client, decision, certificate, clerk, viewer, approver, small_chunks, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    job = _print(client, decision, django_capture_on_commit_callbacks)
    started = AuditEvent.objects.get(action=Action.PRINT_STARTED)
    assert (started.actor, started.object_type, started.object_id) == (
        clerk,
        "certification.printjob",
        str(job.pk),
    )
    assert '"certificates": 5' in started.new

    client.force_login(viewer)
    assert client.get(reverse("certification:decision-pdf", args=[decision.pk])).status_code == 200
    assert client.get(reverse("certification:certificate-pdf", args=[certificate.pk])).status_code == 200
    assert _download(client, job, "pdf").status_code == 200
    assert _download(client, job, "zip").status_code == 200
    downloads = AuditEvent.objects.filter(action=Action.DOCUMENT_DOWNLOADED).order_by("id")
    assert [(e.actor, e.object_type) for e in downloads] == [
        (viewer, "certification.decision"),
        (viewer, "certification.certificate"),
        (viewer, "certification.printjob"),
        (viewer, "certification.printjob"),
    ]
    assert downloads[1].new.startswith("giay-cong-nhan-2026-0001")
    assert downloads[3].new.endswith(".zip")

    _revoke(decision, 2, approver)
    assert _download(client, job, "pdf").status_code == 302  # refused: nothing downloaded, nothing logged
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_DOWNLOADED).count() == 4
    with translation.override("vi"):
        assert str(Action.DOCUMENT_DOWNLOADED.label) == "Tải tài liệu về"
        assert str(Action.PRINT_STARTED.label) == "Bắt đầu in Giấy công nhận"
    assert Certificate.objects.get(register_number=2, decision=decision).status == Certificate.Status.REVOKED
