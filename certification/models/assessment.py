"""Registration, assessment (one per unit and campaign), answers and evidence."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from units.models import Unit


class Registration(models.Model):
    """Q1 registration (hồ sơ đăng ký, Art. 9(2)(a)); feeds criterion 1 and XA-4."""

    campaign = models.ForeignKey("certification.Campaign", models.CASCADE, related_name="registrations")
    unit = models.ForeignKey("units.Unit", models.PROTECT, related_name="registrations")
    registered_on = models.DateField(_("registered on"))
    households_total = models.PositiveIntegerField(_("households"), null=True, blank=True)
    households_registered = models.PositiveIntegerField(_("households registered"), null=True, blank=True)
    resolution_ref = models.CharField(_("Party resolution"), max_length=200, blank=True)
    plan_ref = models.CharField(_("security plan"), max_length=200, blank=True)
    pledge_ref = models.CharField(_("registration pledge"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_registration"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.campaign.year}"


class Assessment(models.Model):
    """One unit's dossier and answers for one campaign, pinned to one criteria set version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for correction")
        APPRAISED = "appraised", _("Appraised")
        RECOGNIZED = "recognized", _("Recognized")
        NOT_RECOGNIZED = "not_recognized", _("Not recognized")
        REVOKED = "revoked", _("Revoked")

    EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
    DECIDED_STATUSES = (Status.RECOGNIZED, Status.NOT_RECOGNIZED, Status.REVOKED)
    # This year's figures, compared with last year's for KDC-4a.
    FIGURE_FIELDS = ("crime_count", "social_evil_count", "violation_count")
    # Not a field: the deciding body, set by ``selectors.worklist.with_authority``.
    authority: Unit | None

    campaign = models.ForeignKey("certification.Campaign", models.PROTECT, related_name="assessments")
    unit = models.ForeignKey("units.Unit", models.PROTECT, related_name="assessments")
    criteria_set = models.ForeignKey("certification.CriteriaSet", models.PROTECT, related_name="assessments")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Every service bumps it before changing the assessment or an answer
    # (services/rules.bump_version); scoring also relies on it: a unit's input hash names the
    # answers by (assessment id, version) instead of reading them (docs/scoring.md).
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped on every change.")
    # Figures for KDC-4a (this year; last year's come from the previous campaign's assessment).
    crime_count = models.PositiveIntegerField(_("crimes"), null=True, blank=True)
    social_evil_count = models.PositiveIntegerField(_("social-evil cases"), null=True, blank=True)
    violation_count = models.PositiveIntegerField(_("other violations"), null=True, blank=True)
    # Dossier (Art. 9(2)(b)): minutes, submission letter, results report.
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    meeting_chair = models.CharField(_("meeting chaired by"), max_length=200, blank=True)
    meeting_attendees = models.JSONField(_("attendees"), default=list, blank=True)
    submission_number = models.CharField(_("submission letter number"), max_length=60, blank=True)
    submission_date = models.DateField(_("submission letter date"), null=True, blank=True)
    report_summary = models.TextField(_("results report"), blank=True)
    note = models.TextField(_("note"), blank=True)
    entry_exception_until = models.DateField(_("entry open until (exception)"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    appraised_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(
        "certification.Decision", models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    # The appraiser may reopen the dossier (minutes, letter, report) along with criteria: this
    # reason (kept after resubmission, as the answers' reasons are) is what reopens it.
    dossier_return_reason = models.TextField(_("reason the dossier was returned"), blank=True)
    appraisal_note = models.TextField(_("appraisal note"), blank=True)
    revoke_reason = models.TextField(_("reason revoked"), blank=True)
    revoke_reference = models.CharField(_("revocation reference"), max_length=200, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_assessment_campaign_unit"),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="assessment_campaign_status")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.campaign.year}"

    def get_absolute_url(self) -> str:
        return reverse("certification:assessment-detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def dossier_returned(self) -> bool:
        """Returned with the dossier (minutes, letter, report) reopened."""
        return self.status == self.Status.RETURNED and bool(self.dossier_return_reason)

    @property
    def return_reason(self) -> str:
        """Why it was returned, one line per item: the returned answers in the criteria's order
        (``code: reason``), then the dossier. Reads ``answers.all()``: prefetch it for a list."""
        if self.status != self.Status.RETURNED:
            return ""
        returned = sorted(
            (a for a in self.answers.all() if a.is_returned),
            key=lambda a: (a.criterion.order, a.criterion_id),
        )
        lines = [f"{a.criterion.code}: {a.return_reason}" for a in returned]
        if self.dossier_return_reason:
            lines.append(f"{gettext('Dossier')}: {self.dossier_return_reason}")
        return "\n".join(lines)


class Answer(models.Model):
    """The answer to one leaf criterion. Self-assessed and appraised values are kept apart."""

    class Value(models.TextChoices):
        EMPTY = "", _("Not assessed")
        MET = "met", _("Met")
        NOT_MET = "not_met", _("Not met")
        NOT_APPLICABLE = "na", _("Not applicable")

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="answers")
    criterion = models.ForeignKey("certification.Criterion", models.PROTECT, related_name="answers")
    value = models.CharField(_("answer"), max_length=8, choices=Value.choices, blank=True, default="")
    appraised_value = models.CharField(
        _("appraised answer"), max_length=8, choices=Value.choices, blank=True, default=""
    )
    number = models.PositiveIntegerField(_("figure"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    self_points = models.DecimalField(_("self-score"), max_digits=6, decimal_places=2, null=True, blank=True)
    appraised_points = models.DecimalField(
        _("appraised score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    is_returned = models.BooleanField(_("returned"), default=False)
    return_reason = models.TextField(_("reason returned"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="unique_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.get_value_display()}"

    @property
    def effective_value(self) -> str:
        """The appraised answer wins over the self-assessment once there is one."""
        return self.appraised_value or self.value


def evidence_path(instance: "Evidence", filename: str) -> str:
    # The user's filename is never used on disk (kept in original_name for display).
    return f"evidence/{instance.assessment.campaign.year}/{instance.assessment_id}/{instance.token}"


class EvidenceFile(models.Model):
    """An uploaded evidence file (checked and stored by ``certification.exchange.evidence``): the
    certification's evidence and the movement's model files. ``file`` is declared by each model
    with its own ``upload_to`` (stored under ``token``, never the user's file name)."""

    token = models.CharField(max_length=40, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class Evidence(EvidenceFile):
    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="evidence")
    criterion = models.ForeignKey(
        "certification.Criterion", models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path, max_length=255)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
