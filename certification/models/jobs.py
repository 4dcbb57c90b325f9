"""What a scoring run and a print job share: a long job on Celery with its progress."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    """Where a job is; ``Job.Status`` (``ScoringRun.Status``, ``PrintJob.Status``)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """Abstract: the status, the progress counts and the error of a failed job (no table)."""

    Status = JobStatus
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class ImportJob(Job):
    """An assessment Excel import confirmed on the web, applied by a worker: the request only checks
    the file again and queues it (docs/reliability.md, "Hostile files"). Only its user sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    path = models.CharField(max_length=255)  # the stored preview file; deleted once the job ran
    report = models.JSONField(default=dict, blank=True)  # counts and cell errors, in Vietnamese
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.year})"
