"""The assessment Excel import confirmed on the web: applied on a worker, the request only queues it."""

from celery import shared_task

from certification.exchange.assessment_excel import run_import_job
from certification.models import ImportJob
from certification.tasks.guard import run_guarded

__all__ = ["import_job_task"]


@shared_task(acks_late=True)
def import_job_task(job_id: int) -> None:
    """Apply the job's file all or nothing; a failure rolls back and shows on the job's page."""
    run_guarded(ImportJob, job_id, run_import_job, reraise=False)
