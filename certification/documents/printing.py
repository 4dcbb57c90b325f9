"""Bulk printing: all valid certificates of a decision → one PDF and a zip of single PDFs.

The steps of a print job (``services.printing.start_print_job`` plans it): each step returns the
work that follows it (:class:`Next`) and ``tasks.printing`` enqueues that work.

* Chunks of about ``CHUNK_SIZE`` certificates are rendered as separate Celery tasks (WeasyPrint
  holds a whole document in memory; chunks keep it bounded and let several workers help), of equal
  sizes and as many as the workers can share evenly (:func:`chunk_bounds`).
* Every file is written to a temporary name and renamed: a worker killed half-way leaves no
  half-written file, and the rerun (``acks_late``) or a new job picks up the finished chunks.
* The job is done once the chunks are merged into one PDF; the zip of single PDFs is split from
  it afterwards by its own step (:func:`build_zip`), off the clerk's path. Merging and splitting
  (pikepdf) copy the pages' objects as they are.
* Files are named by content (template version + every certificate's content hash): an
  unchanged decision is served from the existing files at once.
* Revoked means unobtainable. Each chunk re-reads its certificates' status just before it
  renders and leaves out those no longer valid (:func:`recheck`); the merge re-reads them all
  once more and renders again a chunk whose certificate was revoked or replaced while it
  rendered. Each chunk records the certificates it holds (``printed``), so :func:`is_current`
  can tell at download time whether a finished job still holds only valid certificates: a
  revocation committed after the merge makes the job's files undownloadable.
"""

import datetime
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

import pikepdf
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.web.downloads import unique_names
from certification.documents import pdf, signatures
from certification.documents.certificates import (
    certificate_hash,
    certificate_pdf,
    certificate_title,
    keep_qr_codes,
    pdf_filename,
    render_certificates_pdf,
)
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


def _digest(hashes: list[str]) -> str:
    """The content hash of pages with these certificate hashes, in this order."""
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def chunk_bounds(total: int, *, size: int, workers: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each chunk of ``total`` certificates: about ``size`` each (at most
    1.5 × ``size``), a multiple of ``workers`` chunks where there are enough certificates, sizes
    differing by one at most. Cut every ``size`` instead, 101 certificates made chunks of
    50/50/1 and 149 of 50/50/49 on 2 workers: one worker rendered the last chunk alone while the
    other waited (issue 23, round 9). Now 51/50, and 38/37/37/37."""
    if total <= 0:
        return []
    count = max(1, (total + size // 2) // size)
    workers = max(1, min(workers, total))
    count = -(-count // workers) * workers
    base, extra = divmod(total, count)
    bounds, start = [], 0
    for index in range(count):
        end = start + base + (index < extra)
        bounds.append((start, end))
        start = end
    return bounds


def plan(certificates: list[Certificate]) -> tuple[str, list[dict]]:
    """The job's content hash and its chunks (certificate ids and hashes, :func:`chunk_bounds`)."""
    hashes = [certificate_hash(c) for c in certificates]
    chunks = []
    for start, end in chunk_bounds(len(certificates), size=CHUNK_SIZE, workers=settings.PRINT_WORKERS):
        part = hashes[start:end]
        chunks.append(
            {
                "hash": _digest(part),
                "ids": [c.pk for c in certificates[start:end]],
                "cert_hashes": part,
            }
        )
    return _digest(hashes), chunks


def output_names(content_hash: str, decision: Decision) -> tuple[str, str]:
    base = f"print/{content_hash[:2]}/{content_hash}"
    stem = f"giay-cong-nhan-{decision.year}-{decision.number or 'du-thao'}"
    return f"{base}/{stem}.pdf", f"{base}/{stem}.zip"


def chunk_name(chunk_hash: str) -> str:
    return f"print/chunks/{chunk_hash}.pdf"


def recheck(ids: list[int]) -> list[int]:
    """The certificates among ``ids`` that are valid now (read afresh), in the same order."""
    valid = set(
        Certificate.objects.filter(pk__in=ids, status=Certificate.Status.VALID).values_list("pk", flat=True)
    )
    return [pk for pk in ids if pk in valid]


def _rendered(chunk: dict) -> bool:
    """The chunk is recorded with its file (none when it holds no certificate any more)."""
    if "printed" not in chunk:
        return False
    return not chunk["printed"] or pdf.exists(chunk_name(chunk["file"]))


def printed_ids(job: PrintJob) -> list[int] | None:
    """The certificates in the job's files, in order; None when the job does not say (a job
    not finished, or one finished before chunks recorded what they hold)."""
    if not job.chunks or any("printed" not in chunk for chunk in job.chunks):
        return None
    return [pk for chunk in job.chunks for pk in chunk["printed"]]


def skipped(job: PrintJob) -> int:
    """How many planned certificates were left out because they stopped being valid."""
    ids = printed_ids(job)
    return 0 if ids is None else sum(len(chunk["ids"]) for chunk in job.chunks) - len(ids)


def is_current(job: PrintJob) -> bool:
    """A finished job whose files hold only certificates that are valid now: its files may be
    downloaded. False once one of them is revoked or replaced (print again), and for a job that
    does not record what it holds."""
    ids = printed_ids(job)
    if job.status != Status.DONE or ids is None:
        return False
    return not Certificate.objects.filter(pk__in=ids).exclude(status=Certificate.Status.VALID).exists()


def mark_printed(chunks: list[dict]) -> list[dict]:
    """``chunks`` as already rendered whole (the job reuses finished files of the same content)."""
    return [{**chunk, "printed": list(chunk["ids"]), "file": chunk["hash"]} for chunk in chunks]


def run_job(job_id: int) -> Next:
    """Start the job: the chunks not rendered yet, or the merge at once when they all are."""
    job = PrintJob.objects.get(pk=job_id)
    if job.status in (Status.DONE, Status.FAILED):
        return Next()
    PrintJob.objects.filter(pk=job_id).update(status=Status.RUNNING, progressed_at=timezone.now())
    pending = tuple(i for i, chunk in enumerate(job.chunks) if not _rendered(chunk))
    if not pending:
        return Next(finish=True)
    return Next(chunks=pending)


def render_chunk(job_id: int, index: int) -> Next:
    """Render one chunk's certificates that are still valid; the chunk that completes the set
    leads to the merge. The file is named by what it holds, so a chunk that lost a certificate
    is never taken for the whole one."""
    job = PrintJob.objects.get(pk=job_id)
    if job.status in (Status.DONE, Status.FAILED):
        return Next()
    chunk = job.chunks[index]
    printed = recheck(chunk["ids"])
    if printed == chunk["ids"]:
        file = chunk["hash"]
    else:
        kept = set(printed)
        file = _digest([h for pk, h in zip(chunk["ids"], chunk["cert_hashes"], strict=True) if pk in kept])
    if printed and not pdf.exists(chunk_name(file)):
        by_id = Certificate.objects.in_bulk(printed)
        certificates = [by_id[pk] for pk in printed]
        keep_qr_codes(certificates)  # drawn when issued; kept now for those issued before that
        pdf.store(chunk_name(file), render_certificates_pdf(certificates))
    return Next(finish=record_progress(job_id, index, printed=printed, file=file if printed else ""))


def _claim(condition: Q, now: datetime.datetime) -> list[int]:
    """The jobs matching ``condition`` that no other watchdog tick holds, marked as moved on
    ``now``: a job the workers are merely slow with is not sent again at every tick."""
    with transaction.atomic():
        found = list(
            PrintJob.objects.select_for_update(skip_locked=True)
            .filter(condition)
            .values_list("pk", flat=True)
        )
        PrintJob.objects.filter(pk__in=found).update(progressed_at=now)
    return found


def stalled_jobs(idle: datetime.timedelta) -> list[int]:
    """The unfinished jobs no step moved on for ``idle``: their unfinished work is to be sent
    again (``tasks.printing.resume_stalled_print_jobs_task``, every five minutes by beat).

    A step's message can be lost for good: Redis hands it to a worker before the worker records
    it as unacknowledged, and a worker killed in between takes it along (the scoring runs' own
    watchdog: ``scoring.runs.resume_stalled_runs``). Every step is idempotent: a chunk rendered
    twice is recorded once, a merge run twice finishes the job once."""
    now = timezone.now()
    idle_since = Q(progressed_at__lte=now - idle) | Q(progressed_at__isnull=True, created_at__lte=now - idle)
    stalled = _claim(Q(status__in=(Status.QUEUED, Status.RUNNING)) & idle_since, now)
    for job_id in stalled:
        log.warning("print job %s made no progress for %s: sending its unfinished work again", job_id, idle)
    return stalled


def zips_missing(
    idle: datetime.timedelta, *, within: datetime.timedelta = datetime.timedelta(days=1)
) -> list[int]:
    """The jobs done for ``idle`` (and less than ``within``) whose zip of single PDFs is neither
    built nor failed: its step's message was lost (:func:`stalled_jobs`); its zip is to be built
    again."""
    now = timezone.now()
    done_without_zip = Q(status=Status.DONE, zip="", error="", finished_at__range=(now - within, now - idle))
    missing = _claim(
        done_without_zip & (Q(progressed_at__isnull=True) | Q(progressed_at__lte=now - idle)), now
    )
    for job_id in missing:
        log.warning("print job %s has no zip %s after it was done: building it again", job_id, idle)
    return missing


def record_progress(job_id: int, index: int, *, printed: list[int], file: str) -> bool:
    """Record what chunk ``index`` holds and count the planned certificates dealt with (a task
    run twice counts once). True for the one call that completes the set: merge the chunks."""
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job_id)
        if job.status != Status.RUNNING or "printed" in job.chunks[index]:
            return False
        job.chunks[index] = {**job.chunks[index], "printed": printed, "file": file}
        job.done = sum(len(c["ids"]) for c in job.chunks if "printed" in c)
        job.progressed_at = timezone.now()
        job.save(update_fields=["chunks", "done", "progressed_at"])
        return all("printed" in c for c in job.chunks)


# NĐ 30/2020 Phụ lục I: an electronic document is PDF 1.4 or later. pikepdf writes a new PDF as 1.3
# unless told otherwise, without a title: every file a job writes carries the version of the pages
# it holds (WeasyPrint: 1.7), its title and its language.
MIN_PDF_VERSION = "1.4"
TITLE = "Giấy công nhận"


# Every stream WeasyPrint writes is already Flate-compressed: qpdf copies them as they are
# (no decoding, no recompressing), ~40 % of the cost of a single page's save. The files are the
# same size and render the same (tests/certification/documents).
SAVE_OPTIONS: dict[str, Any] = {
    "stream_decode_level": pikepdf.StreamDecodeLevel.none,
    "compress_streams": False,
}


def _version(*versions: str) -> str:
    return max((MIN_PDF_VERSION, *versions), key=lambda v: tuple(int(p) for p in v.split(".")))


def _describe(target: pikepdf.Pdf, title: str) -> None:
    target.docinfo["/Title"] = pikepdf.String(title)
    target.Root.Lang = pikepdf.String("vi")


def merge_pdfs(chunks: list[bytes], out: BinaryIO, *, title: str = TITLE) -> None:
    """Merge chunk PDFs (in order) into ``out``. pikepdf (qpdf) copies each page with the objects
    it uses as they are, without re-encoding fonts or images."""
    merged = pikepdf.Pdf.new()
    versions = []
    for chunk in chunks:
        source = pikepdf.open(io.BytesIO(chunk))
        versions.append(source.pdf_version)
        merged.pages.extend(source.pages)
    _describe(merged, title)
    merged.save(out, min_version=_version(*versions), **SAVE_OPTIONS)


def single_pdfs(data: bytes, titles: list[str] | None = None) -> Iterator[bytes]:
    """One PDF per page of ``data``, each with only the objects its page uses (its fonts), yielded
    one at a time rather than held all together; titled ``titles`` in order (else as ``data``)."""
    with pikepdf.open(io.BytesIO(data)) as source:
        version = _version(source.pdf_version)
        default = str(source.docinfo.get("/Title", TITLE))
        for n, page in enumerate(source.pages):
            # WeasyPrint gives every page of a document one shared resources dictionary: copied
            # as it is, each single PDF would carry every QR code of its chunk (50 images, 124 KB
            # instead of 27 KB, and the other certificates' codes). Keep what the page draws.
            page.remove_unreferenced_resources()
            single = pikepdf.Pdf.new()
            single.pages.append(page)
            _describe(single, titles[n] if titles and n < len(titles) else default)
            buffer = io.BytesIO()
            single.save(buffer, min_version=version, **SAVE_OPTIONS)
            yield buffer.getvalue()


def write_zip(data: bytes, filenames: list[str], zip_out: BinaryIO, titles: list[str] | None = None) -> None:
    """The zip of one PDF per page of the merged PDF ``data``, named ``filenames`` in order."""
    count = 0
    # PDFs are already compressed: the zip stores them as they are.
    with zipfile.ZipFile(zip_out, "w", compression=zipfile.ZIP_STORED) as archive:
        for single in single_pdfs(data, titles):
            if count >= len(filenames):
                raise ValueError(f"more pages than the {len(filenames)} certificates")
            archive.writestr(filenames[count], single)
            count += 1
    if count != len(filenames):
        raise ValueError(f"{count} pages for {len(filenames)} certificates")


def write_signed_zip(job: PrintJob, zip_out: BinaryIO) -> None:
    """Where the server signs: the zip of each certificate's own signed PDF, with its seal, the
    very file its single download gives (kept, so the public check knows it), one at a time."""
    ids = printed_ids(job) or []
    certificates = Certificate.objects.in_bulk(ids)
    names = unique_names([pdf_filename(certificates[pk]) for pk in ids])
    with zipfile.ZipFile(zip_out, "w", compression=zipfile.ZIP_STORED) as archive:
        for pk, name in zip(ids, names, strict=True):
            archive.writestr(name, certificate_pdf(certificates[pk]))


def job_title(decision: Decision) -> str:
    """'Giấy công nhận theo Quyết định số 01/QĐ-UBND'."""
    return f"{TITLE} theo Quyết định số {decision.reference}" if decision.reference else TITLE


def _entries(job: PrintJob) -> tuple[list[str], list[str]]:
    """The zip's file names and the titles of its PDFs, in page order."""
    ids = printed_ids(job) or []
    certificates = Certificate.objects.in_bulk(ids)
    ordered = [certificates[pk] for pk in ids]
    return unique_names([pdf_filename(c) for c in ordered]), [certificate_title(c) for c in ordered]


def _redo(job_id: int) -> tuple[int, ...] | None:
    """Forget the chunks that hold a certificate no longer valid (revoked or replaced while
    they rendered) or whose file is gone: they are rendered again. Under the job's lock; None
    when the job is no longer running (another run of the merge finished it)."""
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job_id)
        if job.status != Status.RUNNING:
            return None
        ids = printed_ids(job) or []
        gone = set(ids) - set(recheck(ids))
        redo = tuple(
            i
            for i, chunk in enumerate(job.chunks)
            if "printed" not in chunk or gone & set(chunk["printed"]) or not _rendered(chunk)
        )
        if redo:
            for i in redo:
                job.chunks[i] = {k: v for k, v in job.chunks[i].items() if k not in ("printed", "file")}
            job.done = sum(len(c["ids"]) for c in job.chunks if "printed" in c)
            job.progressed_at = timezone.now()
            job.save(update_fields=["chunks", "done", "progressed_at"])
        return redo


def finish_job(job_id: int) -> Next:
    """Check once more that every certificate printed is valid (a chunk whose certificate was
    revoked while it rendered is rendered again), then merge the chunks into one PDF named by
    what it holds: the job is done. The zip of single PDFs follows in its own step
    (:func:`build_zip`), off the path of the merged PDF the clerk is waiting for."""
    job = PrintJob.objects.select_related("decision").get(pk=job_id)
    if job.status != Status.RUNNING:
        return Next()
    redo = _redo(job_id)
    if redo is None:
        return Next()
    if redo:
        return Next(chunks=redo)
    job.refresh_from_db(fields=["chunks"])
    kept = set(printed_ids(job) or [])
    if not kept:
        PrintJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=Status.FAILED,
            error=_("No certificate of this job is valid any more: nothing was printed."),
            finished_at=timezone.now(),
        )
        return Next()
    hashes = [h for c in job.chunks for pk, h in zip(c["ids"], c["cert_hashes"], strict=True) if pk in kept]
    content_hash = _digest(hashes)
    pdf_name, _zip_name = output_names(content_hash, job.decision)
    if not pdf.exists(pdf_name):
        chunks = [pdf.read(chunk_name(c["file"])) for c in job.chunks if c["printed"]]
        if signatures.server_signs():
            # One agency signature over the whole file, no seal drawn: its pages are for paper,
            # where the clerk stamps the seal (NĐ 30 Art. 18(5)).
            merged = io.BytesIO()
            merge_pdfs(chunks, merged, title=job_title(job.decision))
            pdf.store(pdf_name, signatures.sign(merged.getvalue()))
        else:
            pdf.store(pdf_name, lambda fh: merge_pdfs(chunks, fh, title=job_title(job.decision)))
    finished = PrintJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=Status.DONE,
        done=job.total,
        content_hash=content_hash,
        pdf=pdf_name,
        finished_at=timezone.now(),
        error="",
    )
    if not finished:
        return Next()
    for chunk in job.chunks:
        if chunk["printed"]:
            pdf.storage_path(chunk_name(chunk["file"])).unlink(missing_ok=True)
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
        if not pdf.exists(zip_name) and signatures.server_signs():
            pdf.store(zip_name, lambda fh: write_signed_zip(job, fh))
        elif not pdf.exists(zip_name):
            data = pdf.read(job.pdf.name)
            filenames, titles = _entries(job)
            pdf.store(zip_name, lambda fh: write_zip(data, filenames, fh, titles))
    except Exception as error:  # noqa: BLE001 - the merged PDF stays available; show why
        log.exception("print job %s: zip failed", job_id)
        PrintJob.objects.filter(pk=job_id).update(error=str(error)[:2000])
        return
    PrintJob.objects.filter(pk=job_id).update(zip=zip_name, error="")


# Every text style of the certificate, in Vietnamese: the warm-up lays out the glyphs a real page uses.
_WARM_UP_SNAPSHOT = {
    "year": 2026,
    "issuer_header": ["ỦY BAN NHÂN DÂN", "PHƯỜNG VŨNG ÁNG"],
    "decision_authority": "Chủ tịch Ủy ban nhân dân phường Vũng Áng",
    "decision_reference": "1/QĐ-UBND",
    "decision_date_text": "ngày 12 tháng 11 năm 2026",
    "unit_name": "Tổ dân phố Hoành Sơn",
    "location": "Phường Vũng Áng, tỉnh Hà Tĩnh",
    "register_number": 1,
    "place_date": "Kỳ Anh, ngày 12 tháng 11 năm 2026",
    "signer_lines": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
    "signer_name": "Nguyễn Văn Hùng",
}


def warm_up() -> None:
    """Pay now, in a worker that has printed nothing yet, what its first certificate would pay:
    WeasyPrint and the fonts, the stylesheet, the certificate template, segno and Pillow's PNG
    codec, pikepdf (the merge and the zip). Called at the Celery worker's ``worker_init``
    (``certification.tasks.printing``), before the pool forks: every worker process starts warm,
    one that replaces a recycled process too. Without it a fresh process's first certificate took
    ~0.55 s of CPU, the next 0.03 s (issue 23, round 9). Touches no database row, writes no file."""
    pdf.warm_up("certificate")
    page = render_certificates_pdf([Certificate(code="khoi-dong", snapshot=_WARM_UP_SNAPSHOT)])
    merged = io.BytesIO()
    merge_pdfs([page], merged)
    for _single in single_pdfs(merged.getvalue()):
        pass
