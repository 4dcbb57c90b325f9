"""Bulk printing, the request side: plan a print job (or reuse one) and enqueue its first step.
The steps are in ``certification.documents.printing``."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Actor, actor_or_none
from certification.documents import pdf
from certification.documents.printing import output_names, plan, printable
from certification.models import Decision, PrintJob
from certification.tasks.printing import build_zip_task, print_job_task

REUSE_RUNNING_FOR = datetime.timedelta(minutes=30)
Status = PrintJob.Status


@transaction.atomic
def start_print_job(*, decision: Decision, by: Actor) -> PrintJob:
    """Start (or reuse) printing of the decision's valid certificates."""
    certificates = list(printable(decision))
    if not certificates:
        raise WorkflowError(_("This decision has no valid certificate to print."))
    content_hash, chunks = plan(certificates)
    pdf_name, zip_name = output_names(content_hash, decision)
    job = PrintJob(
        decision=decision, total=len(certificates), content_hash=content_hash, requested_by=actor_or_none(by)
    )
    if pdf.exists(pdf_name):
        job.status, job.done, job.finished_at = Status.DONE, job.total, timezone.now()
        job.pdf.name = pdf_name
        if pdf.exists(zip_name):
            job.zip.name = zip_name
        else:  # the zip task of an earlier job did not finish: build it again
            job.chunks = chunks
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
