"""The movement around the standard (docs/movement.md): the register of self-management models
(Hướng dẫn 22/HD-BCA-V05) and the yearly rating of grassroots security teams (Hướng dẫn
01/HD-BCA-V05 of 2026)."""

import datetime
import math

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from certification.models.assessment import EvidenceFile

# "xuất sắc" at most 20 % of those rated "tốt" (Hướng dẫn 01/HD-BCA-V05).
EXCELLENT_CAP_PERCENT = 20


def excellent_cap(good: int) -> int:
    """How many may be rated "Hoàn thành xuất sắc" when ``good`` are rated "Hoàn thành tốt":
    the floor of 20 % (4 → 0, 5 → 1, 9 → 1, 10 → 2), so the share never passes 20 %."""
    return math.floor(good * EXCELLENT_CAP_PERCENT / 100)


def rating_period(year: int) -> tuple[datetime.date, datetime.date]:
    """The period rated in ``year``: 15/11 of the previous year to 14/11."""
    return datetime.date(year - 1, 11, 15), datetime.date(year, 11, 14)


class ModelType(models.Model):
    """Loại mô hình: the national catalogue (``province`` empty) and each province's additions."""

    province = models.ForeignKey(
        "units.Unit", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("province")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    counts_cameras = models.BooleanField(_("counts cameras"), default=False)

    class Meta:
        verbose_name = _("model type")
        verbose_name_plural = _("model types")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(province__isnull=True), name="unique_national_model_type"
            ),
            models.UniqueConstraint(fields=["province", "code"], name="unique_province_model_type"),
        ]

    def __str__(self) -> str:
        return self.name


class MovementModel(models.Model):
    """Mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc: kept by ``unit`` (a commune, agency,
    enterprise or school), covering ``covered`` (residential areas, or the commune itself)."""

    unit = models.ForeignKey(
        "units.Unit", models.PROTECT, related_name="movement_models", verbose_name=_("kept by")
    )
    name = models.CharField(_("name"), max_length=200)
    model_type = models.ForeignKey(ModelType, models.PROTECT, related_name="models", verbose_name=_("type"))
    covered = models.ManyToManyField(
        "units.Unit", related_name="covering_models", blank=True, verbose_name=_("units covered")
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    members = models.PositiveIntegerField(_("members"), null=True, blank=True)
    cameras = models.PositiveIntegerField(_("cameras"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("self-management model")
        verbose_name_plural = _("self-management models")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("movement:model-detail", args=[self.pk])

    def runs_in(self, year: int) -> bool:
        start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        return self.started_on <= end and (self.ended_on is None or self.ended_on >= start)


class ModelRating(models.Model):
    """The yearly rating of a model: hiệu quả / chưa hiệu quả, with who rated it."""

    model = models.ForeignKey(MovementModel, models.CASCADE, related_name="ratings")
    year = models.PositiveSmallIntegerField(_("year"))
    effective = models.BooleanField(_("effective"))
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("rated by")
    )
    rater_title = models.CharField(_("rated by (title)"), max_length=120, blank=True)
    rated_on = models.DateField(_("rated on"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("model rating")
        verbose_name_plural = _("model ratings")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["model", "year"], name="unique_model_year_rating")]

    def __str__(self) -> str:
        return f"{self.model} {self.year}"


def model_evidence_path(instance: "ModelEvidence", filename: str) -> str:
    # As certification's evidence: the user's file name is never used on disk.
    return f"evidence/movement/{instance.model_id}/{instance.token}"


class ModelEvidence(EvidenceFile):
    model = models.ForeignKey(MovementModel, models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=model_evidence_path, max_length=255)

    class Meta:
        verbose_name = _("model evidence")
        verbose_name_plural = _("model evidence")


class SecurityTeam(models.Model):
    """Tổ bảo vệ an ninh, trật tự ở cơ sở, working in ``unit`` (a residential area or a commune)."""

    unit = models.ForeignKey("units.Unit", models.PROTECT, related_name="security_teams")
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("security team")
        verbose_name_plural = _("security teams")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(SecurityTeam, models.CASCADE, related_name="members")
    full_name = models.CharField(_("full name"), max_length=120)
    position = models.CharField(_("position"), max_length=60, blank=True, help_text=_("Tổ trưởng, Tổ phó…"))

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "pk"]

    def __str__(self) -> str:
        return self.full_name


class Level(models.TextChoices):
    EXCELLENT = "excellent", _("Excellently completed the tasks")
    GOOD = "good", _("Well completed the tasks")
    COMPLETED = "completed", _("Completed the tasks")
    NOT_COMPLETED = "not_completed", _("Did not complete the tasks")


class TeamRatingRound(models.Model):
    """One commune's yearly rating of its teams and their members: entered by the commune
    police, reviewed, decided by the commune chairman, then issued as a decision (PDF)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed")
        DECIDED = "decided", _("Decided")

    commune = models.ForeignKey("units.Unit", models.PROTECT, related_name="team_rating_rounds")
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    number = models.PositiveIntegerField(_("decision number"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    signer_name = models.CharField(_("signer"), max_length=120, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team rating")
        verbose_name_plural = _("team ratings")
        ordering = ["-year", "commune__path"]
        constraints = [models.UniqueConstraint(fields=["commune", "year"], name="unique_commune_year_rating")]

    def __str__(self) -> str:
        return f"{self.commune} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("movement:round-detail", args=[self.pk])

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        return rating_period(self.year)


class TeamRating(models.Model):
    """The level of one team (``member`` empty) or of one of its members in a round."""

    round = models.ForeignKey(TeamRatingRound, models.CASCADE, related_name="ratings")
    team = models.ForeignKey(SecurityTeam, models.CASCADE, related_name="ratings")
    member = models.ForeignKey(TeamMember, models.CASCADE, null=True, blank=True, related_name="ratings")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)

    class Meta:
        verbose_name = _("rating of a team or member")
        verbose_name_plural = _("ratings of teams and members")
        ordering = ["team__name", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team"], condition=Q(member__isnull=True), name="unique_round_team"
            ),
            models.UniqueConstraint(fields=["round", "member"], name="unique_round_member"),
        ]

    def __str__(self) -> str:
        return str(self.member or self.team)
