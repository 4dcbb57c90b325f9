"""Computed results (one per unit and campaign) and scoring runs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from certification.models.jobs import Job


class Result(models.Model):
    class Outcome(models.TextChoices):
        PASS = "pass", _("Met the standard")
        FAIL = "fail", _("Not yet met")
        NOT_ELIGIBLE = "not_eligible", _("Not covered")
        PENDING = "pending", _("Not assessed yet")

    # No index of its own: the (campaign, unit) and (campaign, outcome) indexes lead with it, and
    # one index less is less work for every row a scoring run writes.
    # No foreign-key constraints in the database (``db_constraint=False``, issue 23 round 4): a
    # result is derived data that every scoring run rewrites from the very campaign, unit and
    # assessment rows it reads in the same transaction, and Django applies ``on_delete`` itself.
    # The constraints' checks (three lookups and row locks per written row, at commit) were ~17 %
    # of PostgreSQL's CPU when a campaign is scored from scratch (docs/scoring.md).
    campaign = models.ForeignKey(
        "certification.Campaign", models.CASCADE, related_name="results", db_index=False, db_constraint=False
    )
    unit = models.ForeignKey("units.Unit", models.CASCADE, related_name="results", db_constraint=False)
    assessment = models.OneToOneField(
        "certification.Assessment",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="result",
        db_constraint=False,
    )
    outcome = models.CharField(_("result"), max_length=14, choices=Outcome.choices, default=Outcome.PENDING)
    is_forecast = models.BooleanField(_("forecast"), default=True)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    unmet_codes = models.JSONField(_("criteria not met"), default=list, blank=True)
    missing_codes = models.JSONField(_("criteria not answered"), default=list, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    # Roll-up figures for communes (XA-4) and provinces: counts by kind, recognized, registered...
    rollup = models.JSONField(default=dict, blank=True)
    input_hash = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_result_campaign_unit"),
        ]
        indexes = [models.Index(fields=["campaign", "outcome"], name="result_campaign_outcome")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_outcome_display()}"


class ScoringRun(Job):
    campaign = models.ForeignKey("certification.Campaign", models.CASCADE, related_name="scoring_runs")
    # Progress counts units (``total``/``done``) and chunks; a chunk is one transaction.
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    trigger = models.CharField(_("started by"), max_length=12, blank=True, help_text="ui, cli, schedule")
    chunk_size = models.PositiveSmallIntegerField(default=0, help_text="Communes per chunk; 0: the setting.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    # certification.scoring.fingerprint: while running, the campaign's fingerprint when planned;
    # once done, the fingerprint of a state where every row was current ("" when not known).
    fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_status_display()}"


class ScoringChunk(models.Model):
    """One slice of a run (a few communes): its units are scored in one transaction, and the
    row is marked done in that same transaction, so a redelivered chunk is skipped."""

    run = models.ForeignKey(ScoringRun, models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    parent_ids = models.JSONField(default=list, help_text="Communes (or the province) whose units it scores.")
    unit_count = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="unique_scoring_chunk"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index}"
