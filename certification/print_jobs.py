"""Bulk printing: all valid certificates of a decision → one PDF and a zip of single PDFs.

* Chunks of ``CHUNK_SIZE`` certificates are rendered as separate Celery tasks (WeasyPrint holds
  a whole document in memory; chunks keep it bounded and let several workers help).
* Every file is written to a temporary name and renamed: a worker killed half-way leaves no
  half-written file, and the rerun (``acks_late``) or a new job picks up the finished chunks.
* Files are named by content (template version + every certificate's content hash): an
  unchanged decision is served from the existing files at once.
"""

import datetime
import hashlib
import io
import logging
import zipfile
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import pdf
from .certificates import certificate_hash, pdf_filename, render_certificates_pdf
from .exceptions import WorkflowError
from .models import Certificate, Decision, PrintJob

log = logging.getLogger(__name__)

CHUNK_SIZE = 50
REUSE_RUNNING_FOR = datetime.timedelta(minutes=30)
Status = PrintJob.Status


def printable(decision: Decision):
    return Certificate.objects.filter(decision=decision, status=Certificate.Status.VALID).order_by(
        "register_number"
    )


def _plan(certificates: list[Certificate]) -> tuple[str, list[dict]]:
    hashes = [certificate_hash(c) for c in certificates]
    chunks = []
    for start in range(0, len(certificates), CHUNK_SIZE):
        part = hashes[start : start + CHUNK_SIZE]
        chunks.append(
            {
                "hash": hashlib.sha256("".join(part).encode()).hexdigest(),
                "ids": [c.pk for c in certificates[start : start + CHUNK_SIZE]],
                "cert_hashes": part,
            }
        )
    return hashlib.sha256("".join(hashes).encode()).hexdigest(), chunks


def output_names(content_hash: str, decision: Decision) -> tuple[str, str]:
    base = f"print/{content_hash[:2]}/{content_hash}"
    stem = f"giay-cong-nhan-{decision.year}-{decision.number or 'du-thao'}"
    return f"{base}/{stem}.pdf", f"{base}/{stem}.zip"


def chunk_name(chunk_hash: str) -> str:
    return f"print/chunks/{chunk_hash}.pdf"


@transaction.atomic
def start_print_job(*, decision: Decision, by) -> PrintJob:
    """Start (or reuse) printing of the decision's valid certificates."""
    certificates = list(printable(decision))
    if not certificates:
        raise WorkflowError(_("This decision has no valid certificate to print."))
    content_hash, chunks = _plan(certificates)
    pdf_name, zip_name = output_names(content_hash, decision)
    user = by if getattr(by, "pk", None) else None
    job = PrintJob(decision=decision, total=len(certificates), content_hash=content_hash, requested_by=user)
    if pdf.exists(pdf_name) and pdf.exists(zip_name):
        job.status, job.done, job.finished_at = Status.DONE, job.total, timezone.now()
        job.pdf.name, job.zip.name = pdf_name, zip_name
        job.save()
        return job
    running = (
        PrintJob.objects.filter(
            decision=decision,
            content_hash=content_hash,
            status__in=[Status.QUEUED, Status.RUNNING],
            created_at__gte=timezone.now() - REUSE_RUNNING_FOR,
        )
        .order_by("-created_at")
        .first()
    )
    if running:  # a double click, or a second clerk: follow the job already under way
        return running
    job.chunks = chunks
    job.save()
    from .tasks.printing import print_job_task

    transaction.on_commit(lambda: print_job_task.delay(job.pk))
    return job


def _chunk_done(chunk: dict) -> bool:
    return pdf.exists(chunk_name(chunk["hash"]))


def _fail(job_id: int, error: BaseException | str) -> None:
    PrintJob.objects.filter(pk=job_id).exclude(status=Status.DONE).update(
        status=Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
    )


def run_job(job_id: int) -> None:
    """Dispatch the chunks that are not rendered yet (each its own task); finish at once when
    they all are."""
    from .tasks.printing import render_chunk_task

    job = PrintJob.objects.get(pk=job_id)
    if job.status in (Status.DONE, Status.FAILED):
        return
    PrintJob.objects.filter(pk=job_id).update(status=Status.RUNNING)
    pending = [i for i, chunk in enumerate(job.chunks) if not _chunk_done(chunk)]
    if not pending:
        record_progress(job_id)
        return
    for index in pending:
        render_chunk_task.delay(job_id, index)


def render_chunk(job_id: int, index: int) -> None:
    job = PrintJob.objects.get(pk=job_id)
    if job.status in (Status.DONE, Status.FAILED):
        return
    chunk = job.chunks[index]
    name = chunk_name(chunk["hash"])
    if not pdf.exists(name):
        by_id = Certificate.objects.in_bulk(chunk["ids"])
        certificates = [by_id[pk] for pk in chunk["ids"]]
        pdf.store(name, render_certificates_pdf(certificates))
    record_progress(job_id)


def record_progress(job_id: int) -> None:
    """Count rendered certificates from the chunk files (not by incrementing, so a task run
    twice counts once); the task that completes the set enqueues the final merge."""
    from .tasks.printing import finish_job_task

    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job_id)
        if job.status != Status.RUNNING:
            return
        before = job.done
        job.done = sum(len(c["ids"]) for c in job.chunks if _chunk_done(c))
        job.save(update_fields=["done"])
        complete = job.done >= job.total and before < job.total
        if complete:
            transaction.on_commit(lambda: finish_job_task.delay(job_id))


def assemble(chunks, filenames: list[str], pdf_out: BinaryIO, zip_out: BinaryIO) -> None:
    """Merge chunk PDFs (paths or file objects, in order) into ``pdf_out`` and split them into
    one PDF per page in the zip ``zip_out`` under ``filenames`` (one per page, in order)."""
    from pypdf import PdfReader, PdfWriter

    merged = PdfWriter()
    names = iter(filenames)
    # PDFs are already compressed: the zip stores them as they are.
    with zipfile.ZipFile(zip_out, "w", compression=zipfile.ZIP_STORED) as archive:
        for chunk in chunks:
            reader = PdfReader(chunk)
            merged.append(reader)
            for page in reader.pages:
                single = PdfWriter()
                single.add_page(page)
                buffer = io.BytesIO()
                single.write(buffer)
                archive.writestr(next(names), buffer.getvalue())
    merged.write(pdf_out)


def finish_job(job_id: int) -> None:
    """Merge the chunks into one PDF and split them into single PDFs for the zip."""
    job = PrintJob.objects.select_related("decision").get(pk=job_id)
    if job.status == Status.DONE:
        return
    pdf_name, zip_name = output_names(job.content_hash, job.decision)
    certificates = Certificate.objects.in_bulk([pk for c in job.chunks for pk in c["ids"]])
    filenames = [pdf_filename(certificates[pk]) for c in job.chunks for pk in c["ids"]]
    chunk_paths = [pdf.storage_path(chunk_name(c["hash"])) for c in job.chunks]
    zip_path = pdf.storage_path(zip_name)

    # Both files appear only once complete: the zip is renamed into place inside the PDF's
    # writer, so a failure in either leaves neither.
    def write_pdf(pdf_fh) -> None:
        pdf.atomic_write(zip_path, lambda zip_fh: assemble(chunk_paths, filenames, pdf_fh, zip_fh))

    try:
        pdf.store(pdf_name, write_pdf)
    except BaseException:
        zip_path.unlink(missing_ok=True)
        raise
    PrintJob.objects.filter(pk=job_id).update(
        status=Status.DONE, done=job.total, pdf=pdf_name, zip=zip_name, finished_at=timezone.now(), error=""
    )
    for chunk in job.chunks:
        pdf.storage_path(chunk_name(chunk["hash"])).unlink(missing_ok=True)


def guarded(job_id: int, step, *args) -> None:
    """Run a step; on an error mark the job failed (files already written stay complete)."""
    try:
        step(job_id, *args)
    except Exception as error:  # noqa: BLE001 - any failure must show on the progress page
        log.exception("print job %s failed", job_id)
        _fail(job_id, error)
