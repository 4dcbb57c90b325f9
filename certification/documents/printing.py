"""Bulk printing: all valid certificates of a decision → one PDF and a zip of single PDFs.

The steps of a print job (``services.printing.start_print_job`` plans it): each step returns the
work that follows it (:class:`Next`) and ``tasks.printing`` enqueues that work.

* Chunks of ``CHUNK_SIZE`` certificates are rendered as separate Celery tasks (WeasyPrint holds
  a whole document in memory; chunks keep it bounded and let several workers help).
* Every file is written to a temporary name and renamed: a worker killed half-way leaves no
  half-written file, and the rerun (``acks_late``) or a new job picks up the finished chunks.
* The job is done once the chunks are merged into one PDF; the zip of single PDFs is split from
  it afterwards by its own step (:func:`build_zip`), off the clerk's path. Merging and splitting
  (pikepdf) copy the pages' objects as they are.
* Files are named by content (template version + every certificate's content hash): an
  unchanged decision is served from the existing files at once.
"""

import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import pikepdf
from django.db import transaction
from django.utils import timezone

from certification.documents import pdf
from certification.documents.certificates import certificate_hash, pdf_filename, render_certificates_pdf
from certification.models import Certificate, Decision, PrintJob

log = logging.getLogger(__name__)

CHUNK_SIZE = 50
Status = PrintJob.Status


class Next(NamedTuple):
    """The work a step leaves behind, for the task adapter to enqueue."""

    chunks: tuple[int, ...] = ()  # render these chunks, each in its own task
    finish: bool = False  # every chunk is rendered: merge them
    zip: bool = False  # the job is done: split the zip of single PDFs from its PDF


def printable(decision: Decision):
    return Certificate.objects.filter(decision=decision, status=Certificate.Status.VALID).order_by(
        "register_number"
    )


def plan(certificates: list[Certificate]) -> tuple[str, list[dict]]:
    """The job's content hash and its chunks (certificate ids and hashes, CHUNK_SIZE a chunk)."""
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


def _chunk_done(chunk: dict) -> bool:
    return pdf.exists(chunk_name(chunk["hash"]))


def run_job(job_id: int) -> Next:
    """Start the job: the chunks not rendered yet, or the merge at once when they all are."""
    job = PrintJob.objects.get(pk=job_id)
    if job.status in (Status.DONE, Status.FAILED):
        return Next()
    PrintJob.objects.filter(pk=job_id).update(status=Status.RUNNING)
    pending = tuple(i for i, chunk in enumerate(job.chunks) if not _chunk_done(chunk))
    if not pending:
        return Next(finish=record_progress(job_id))
    return Next(chunks=pending)


def render_chunk(job_id: int, index: int) -> Next:
    """Render one chunk; the chunk that completes the set leads to the merge."""
    job = PrintJob.objects.get(pk=job_id)
    if job.status in (Status.DONE, Status.FAILED):
        return Next()
    chunk = job.chunks[index]
    name = chunk_name(chunk["hash"])
    if not pdf.exists(name):
        by_id = Certificate.objects.in_bulk(chunk["ids"])
        certificates = [by_id[pk] for pk in chunk["ids"]]
        pdf.store(name, render_certificates_pdf(certificates))
    return Next(finish=record_progress(job_id))


def record_progress(job_id: int) -> bool:
    """Count rendered certificates from the chunk files (not by incrementing, so a task run
    twice counts once). True for the one call that completes the set: the chunks are to be merged."""
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job_id)
        if job.status != Status.RUNNING:
            return False
        before = job.done
        job.done = sum(len(c["ids"]) for c in job.chunks if _chunk_done(c))
        job.save(update_fields=["done"])
        return job.done >= job.total and before < job.total


def merge_pdfs(chunks: list[bytes], out: BinaryIO) -> None:
    """Merge chunk PDFs (in order) into ``out``. pikepdf (qpdf) copies each page with the objects
    it uses as they are, without re-encoding fonts or images."""
    merged = pikepdf.Pdf.new()
    for chunk in chunks:
        merged.pages.extend(pikepdf.open(io.BytesIO(chunk)).pages)
    merged.Root.Lang = pikepdf.String("vi")
    merged.save(out)


def single_pdfs(data: bytes) -> Iterator[bytes]:
    """One PDF per page of ``data``, each with only the objects its page uses (its fonts), yielded
    one at a time rather than held all together."""
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


def finish_job(job_id: int) -> Next:
    """Merge the chunks into one PDF: the job is done. The zip of single PDFs follows in its own
    step (:func:`build_zip`), off the path of the merged PDF the clerk is waiting for."""
    job = PrintJob.objects.select_related("decision").get(pk=job_id)
    if job.status == Status.DONE:
        return Next()
    pdf_name, _zip_name = output_names(job.content_hash, job.decision)
    if not pdf.exists(pdf_name):
        chunks = [pdf.read(chunk_name(c["hash"])) for c in job.chunks]
        pdf.store(pdf_name, lambda fh: merge_pdfs(chunks, fh))
    PrintJob.objects.filter(pk=job_id).update(
        status=Status.DONE, done=job.total, pdf=pdf_name, finished_at=timezone.now(), error=""
    )
    for chunk in job.chunks:
        pdf.storage_path(chunk_name(chunk["hash"])).unlink(missing_ok=True)
    return Next(zip=True)


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
