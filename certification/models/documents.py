"""Recognition decisions, certificates and bulk print jobs."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from certification.models.jobs import Job


class Decision(models.Model):
    """Quyết định công nhận (or revocation), numbered per issuing body and year when issued."""

    class Kind(models.TextChoices):
        RECOGNITION = "recognition", _("Recognition")
        NON_RECOGNITION = "non_recognition", _("Non-recognition")
        REVOCATION = "revocation", _("Revocation")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    campaign = models.ForeignKey("certification.Campaign", models.PROTECT, related_name="decisions")
    issuer = models.ForeignKey(
        "units.Unit", models.PROTECT, related_name="issued_decisions", verbose_name=_("issuing body")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RECOGNITION)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    symbol = models.CharField(_("symbol"), max_length=40, default="QĐ-UBND")
    place = models.CharField(_("place"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=120, blank=True)
    signed_for = models.CharField(
        _("signing on behalf"), max_length=10, blank=True, help_text=_("TM. or KT.")
    )
    legal_bases = models.TextField(_("legal bases"), blank=True)
    recipients = models.TextField(_("recipients"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    pdf = models.FileField(upload_to="decisions/", blank=True, max_length=255)
    # Hash of the content the cached ``pdf`` was rendered from (re-rendered when it changes).
    content_hash = models.CharField(max_length=64, blank=True)
    # SHA-256 of the bytes of ``pdf`` as served (the public check finds a document by it).
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The original signed outside by the competent person (NĐ 30 Art. 13(7), 19(2)): kept as uploaded.
    signed_pdf = models.FileField(
        _("signed original"), upload_to="decisions/signed/", blank=True, max_length=255
    )
    signed_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    signed_by = models.CharField(_("signed by"), max_length=300, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "number"],
                condition=models.Q(number__isnull=False),
                name="unique_decision_number",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("Draft decision"))

    def get_absolute_url(self) -> str:
        return reverse("certification:decision-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """'01/QĐ-UBND': numbers below 10 take a leading zero (NĐ 30/2020 Art. 15(1))."""
        return f"{self.number:02d}/{self.symbol}" if self.number else ""


class DecisionCounter(models.Model):
    """Last number used per issuer, year and series; locked with SELECT … FOR UPDATE."""

    issuer = models.ForeignKey("units.Unit", models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=12, default="decision")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "series"], name="unique_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id}/{self.year}/{self.series}: {self.last}"


def new_certificate_code() -> str:
    return secrets.token_urlsafe(16)


class Certificate(models.Model):
    """Giấy công nhận; ``snapshot`` keeps the content exactly as issued."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced")

    decision = models.ForeignKey(Decision, models.PROTECT, related_name="certificates")
    assessment = models.ForeignKey("certification.Assessment", models.PROTECT, related_name="certificates")
    unit = models.ForeignKey("units.Unit", models.PROTECT, related_name="certificates")
    year = models.PositiveSmallIntegerField(_("year"))
    register_number = models.PositiveIntegerField(_("register number"))
    code = models.CharField(max_length=40, unique=True, default=new_certificate_code, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALID)
    snapshot = models.JSONField(default=dict)
    replaced_by = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="replaces")
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason revoked"), blank=True)
    revoking_decision = models.ForeignKey(
        Decision, models.PROTECT, null=True, blank=True, related_name="revoked_certificates"
    )
    revoke_reference = models.CharField(_("revoked by (reference)"), max_length=200, blank=True)
    replace_reason = models.TextField(_("reason replaced"), blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    pdf = models.FileField(upload_to="certificates/", blank=True, max_length=255)
    # The QR code it prints (a PNG of the verification address ``qr_url``), drawn once when the
    # certificate is issued and reused by every print and reprint; derived from ``code`` and
    # SITE_BASE_URL like ``pdf`` from the snapshot, drawn again when the address changes.
    # Defaults in the database too: code that does not know the columns yet (a web worker of
    # the previous release during a deploy) still inserts certificates.
    qr_url = models.CharField(max_length=300, blank=True, default="", db_default="", editable=False)
    qr_png = models.BinaryField(blank=True, default=b"", db_default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "register_number"], name="unique_certificate_register_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.year} · {self.register_number}"

    def get_verify_url(self) -> str:
        return reverse("verify", args=[self.code])


class PrintJob(Job):
    """Bulk printing of a decision's certificates on Celery, with progress."""

    decision = models.ForeignKey(Decision, models.CASCADE, related_name="print_jobs")
    content_hash = models.CharField(max_length=64, blank=True)
    # One entry per chunk rendered as its own task: {"hash": …, "ids": [certificate ids]}.
    chunks = models.JSONField(default=list, blank=True)
    pdf = models.FileField(upload_to="print/", blank=True, max_length=255)
    zip = models.FileField(upload_to="print/", blank=True, max_length=255)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When a step last moved the job on (started, a chunk recorded): beat's watchdog sends the
    # unfinished work of a job idle for too long again (``printing.stalled_jobs``).
    progressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.decision} · {self.get_status_display()}"
