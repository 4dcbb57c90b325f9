"""Bulk printing, the request side: plan a print job (or reuse one) and enqueue its first step.
The steps are in ``certification.documents.printing``. Also the audit record of every download
of a decision, a certificate or a print job's files."""

import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Action, Actor, actor_or_none, atomic_deferred, log_change
from certification.documents import pdf
from certification.documents.printing import mark_printed, output_names, plan, printable
from certification.models import Decision, PrintJob
from certification.selectors.documents import PRINT_ROLES
from certification.services.rules import require_role_on
from certification.tasks.printing import build_zip_task, print_job_task

REUSE_RUNNING_FOR = datetime.timedelta(minutes=30)
Status = PrintJob.Status


@atomic_deferred
def start_print_job(*, decision: Decision, by: Actor) -> PrintJob:
    """Start (or reuse) printing of the decision's valid certificates."""
    require_role_on(by, decision.issuer, *PRINT_ROLES)
    job = _start(decision, by)
    log_change(
        job,
        by=by,
        action=Action.PRINT_STARTED,
        field="certificates",
        new={"job": job.pk, "certificates": job.total, "status": job.status},
    )
    return job


def _start(decision: Decision, by: Actor) -> PrintJob:
    certificates = list(printable(decision))
    if not certificates:
        raise WorkflowError(_("This decision has no valid certificate to print."))
    content_hash, chunks = plan(certificates)
    pdf_name, zip_name = output_names(content_hash, decision)
    job = PrintJob(
        decision=decision, total=len(certificates), content_hash=content_hash, requested_by=actor_or_none(by)
    )
    if pdf.exists(pdf_name):
        # Files are named by what they hold: these hold exactly the certificates planned.
        job.status, job.done, job.finished_at = Status.DONE, job.total, timezone.now()
        job.chunks = mark_printed(chunks)
        job.pdf.name = pdf_name
        if pdf.exists(zip_name):
            job.zip.name = zip_name
        else:  # the zip task of an earlier job did not finish: build it again
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
    transaction.on_commit(lambda: print_job_task.delay(job.pk))
    return job


@atomic_deferred
def record_download(*, document: models.Model, by: Actor, filename: str) -> None:
    """Who downloaded which file of a decision, a certificate or a print job, and when."""
    log_change(document, by=by, action=Action.DOCUMENT_DOWNLOADED, field="file", new=filename)
