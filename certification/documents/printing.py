"""Bulk printing: all valid certificates of a decision → one PDF and a zip of single PDFs.

* Chunks of ``CHUNK_SIZE`` certificates are rendered as separate Celery tasks (WeasyPrint holds
  a whole document in memory; chunks keep it bounded and let several workers help).
* Every file is written to a temporary name and renamed: a worker killed half-way leaves no
  half-written file, and the rerun (``acks_late``) or a new job picks up the finished chunks.
* The job is done once the chunks are merged into one PDF; the zip of single PDFs is split from
  it afterwards by its own task (``build_zip_task``), off the clerk's path. Merging and splitting
  (pikepdf) copy the pages' objects as they are.
* Files are named by content (template version + every certificate's content hash): an
  unchanged decision is served from the existing files at once.
"""

import datetime
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pikepdf
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import actor_or_none
from certification.documents import pdf
from certification.documents.certificates import certificate_hash, pdf_filename, render_certificates_pdf
from certification.models import Certificate, Decision, PrintJob

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
    user = actor_or_none(by)
    job = PrintJob(decision=decision, total=len(certificates), content_hash=content_hash, requested_by=user)
    if pdf.exists(pdf_name):
        job.status, job.done, job.finished_at = Status.DONE, job.total, timezone.now()
        job.pdf.name = pdf_name
        if pdf.exists(zip_name):
            job.zip.name = zip_name
        else:  # the zip task of an earlier job did not finish: build it again
            job.chunks = chunks
            from certification.tasks.printing import build_zip_task

            transaction.on_commit(lambda: build_zip_task.delay(job.pk))
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
    from certification.tasks.printing import print_job_task

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
    from certification.tasks.printing import render_chunk_task

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
    from certification.tasks.printing import finish_job_task

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


def merge_pdfs(chunks: list[bytes], out: BinaryIO) -> None:
    """Merge chunk PDFs (in order) into ``out``. pikepdf (qpdf) copies each page with the objects
    it uses as they are, without re-encoding fonts or images: ~0.1 ms a page."""
    merged = pikepdf.Pdf.new()
    for chunk in chunks:
        merged.pages.extend(pikepdf.open(io.BytesIO(chunk)).pages)
    merged.Root.Lang = pikepdf.String("vi")
    merged.save(out)


def single_pdfs(data: bytes) -> Iterator[bytes]:
    """One PDF per page of ``data``, each with only the objects its page uses (~1 ms a page: its fonts),
    one at a time (a thousand of them would weigh ~50 MB)."""
    with pikepdf.open(io.BytesIO(data)) as source:
        for page in source.pages:
            single = pikepdf.Pdf.new()
            single.pages.append(page)
            single.Root.Lang = pikepdf.String("vi")
            buffer = io.BytesIO()
            single.save(buffer)
            yield buffer.getvalue()


def write_zip(data: bytes, filenames: list[str], zip_out: BinaryIO) -> None:
    """The zip of one PDF per page of the merged PDF ``data``, named ``filenames`` in order."""
    count = 0
    # PDFs are already compressed: the zip stores them as they are.
    with zipfile.ZipFile(zip_out, "w", compression=zipfile.ZIP_STORED) as archive:
        for single in single_pdfs(data):
            if count >= len(filenames):
                raise ValueError(f"more pages than the {len(filenames)} certificates")
            archive.writestr(filenames[count], single)
            count += 1
    if count != len(filenames):
        raise ValueError(f"{count} pages for {len(filenames)} certificates")


def assemble(chunks, filenames: list[str], pdf_out: BinaryIO, zip_out: BinaryIO) -> None:
    """Everything a print job writes, in one call (the benchmark's pipeline): the chunks (paths
    or file objects, in order) merged into ``pdf_out`` and the zip of single PDFs."""
    datas = [chunk.read() if hasattr(chunk, "read") else Path(chunk).read_bytes() for chunk in chunks]
    buffer = io.BytesIO()
    merge_pdfs(datas, buffer)
    pdf_out.write(buffer.getvalue())
    write_zip(buffer.getvalue(), filenames, zip_out)


def _filenames(job: PrintJob) -> list[str]:
    certificates = Certificate.objects.in_bulk([pk for c in job.chunks for pk in c["ids"]])
    return [pdf_filename(certificates[pk]) for c in job.chunks for pk in c["ids"]]


def finish_job(job_id: int) -> None:
    """Merge the chunks into one PDF: the job is done. The zip of single PDFs follows in its own
    task (``build_zip_task``), off the path of the merged PDF the clerk is waiting for."""
    from certification.tasks.printing import build_zip_task

    job = PrintJob.objects.select_related("decision").get(pk=job_id)
    if job.status == Status.DONE:
        return
    pdf_name, _zip_name = output_names(job.content_hash, job.decision)
    if not pdf.exists(pdf_name):
        chunks = [pdf.read(chunk_name(c["hash"])) for c in job.chunks]
        pdf.store(pdf_name, lambda fh: merge_pdfs(chunks, fh))
    PrintJob.objects.filter(pk=job_id).update(
        status=Status.DONE, done=job.total, pdf=pdf_name, finished_at=timezone.now(), error=""
    )
    for chunk in job.chunks:
        pdf.storage_path(chunk_name(chunk["hash"])).unlink(missing_ok=True)
    transaction.on_commit(lambda: build_zip_task.delay(job_id))


def build_zip(job_id: int) -> None:
    """The zip of one PDF per certificate, split from the merged PDF (written under a temporary
    name, renamed into place). Safe to run twice; a failure leaves the merged PDF usable and
    records the error on the job, which stays done."""
    job = PrintJob.objects.select_related("decision").get(pk=job_id)
    if job.status != Status.DONE or not pdf.exists(job.pdf.name):
        return
    _pdf_name, zip_name = output_names(job.content_hash, job.decision)
    try:
        if not pdf.exists(zip_name):
            data = pdf.read(job.pdf.name)
            pdf.store(zip_name, lambda fh: write_zip(data, _filenames(job), fh))
    except Exception as error:  # noqa: BLE001 - the merged PDF stays available; show why
        log.exception("print job %s: zip failed", job_id)
        PrintJob.objects.filter(pk=job_id).update(error=str(error)[:2000])
        return
    PrintJob.objects.filter(pk=job_id).update(zip=zip_name, error="")


def guarded(job_id: int, step, *args) -> None:
    """Run a step; on an error mark the job failed (files already written stay complete)."""
    try:
        step(job_id, *args)
    except Exception as error:  # noqa: BLE001 - any failure must show on the progress page
        log.exception("print job %s failed", job_id)
        _fail(job_id, error)
