"""Queue an assessment Excel import that the user confirmed (docs/reliability.md, "Hostile files")."""

from django.contrib.auth.models import User
from django.db import transaction

from certification.models import ImportJob
from certification.tasks.imports import import_job_task


def start_import_job(*, path: str, year: int, by: User) -> ImportJob:
    """A job applying the checked file at ``path`` (the stored preview) once this transaction
    commits; the job's writes go through the audited services (``assessment_excel.apply_plans``)."""
    job = ImportJob.objects.create(user=by, year=year, path=path)
    transaction.on_commit(lambda: import_job_task.delay(job.pk))
    return job
