"""Yearly campaign (đợt xét) per province."""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from units.models import Unit


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    year = models.PositiveSmallIntegerField(_("year"))
    province = models.ForeignKey(
        "units.Unit", models.PROTECT, related_name="campaigns", verbose_name=_("province")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    criteria_sets = models.ManyToManyField("certification.CriteriaSet", verbose_name=_("criteria sets"))
    # Art. 8(2): residential areas 01/11 (N-1) - 31/10 (N); others 16/11 (N-1) - 15/11 (N).
    residential_period_start = models.DateField(_("residential areas: period start"))
    residential_period_end = models.DateField(_("residential areas: period end"))
    other_period_start = models.DateField(_("other units: period start"))
    other_period_end = models.DateField(_("other units: period end"))
    registration_deadline = models.DateField(_("registration deadline"))
    residential_decision_deadline = models.DateField(_("residential areas: decision deadline"))
    other_decision_deadline = models.DateField(_("other units: decision deadline"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "province__name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "province"], name="unique_campaign_year_province"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.year} · {self.province}"

    @staticmethod
    def default_dates(year: int) -> dict[str, datetime.date]:
        """The TT 124 calendar for ``year`` (REGULATION §5.3); provinces may edit them."""
        d = datetime.date
        return {
            "residential_period_start": d(year - 1, 11, 1),
            "residential_period_end": d(year, 10, 31),
            "other_period_start": d(year - 1, 11, 16),
            "other_period_end": d(year, 11, 15),
            "registration_deadline": d(year, 3, 31),
            # "trước ngày 15/11" and "trước ngày 20/11": the last allowed day is the 14th / 19th.
            "residential_decision_deadline": d(year, 11, 14),
            "other_decision_deadline": d(year, 11, 19),
        }

    def criteria_set_for(self, unit_kind: str):
        from certification.models.criteria import UnitKind

        kind = UnitKind.for_unit(unit_kind)
        # A province's own set wins over the national one (NULLS LAST: PostgreSQL sorts NULL first).
        return (
            self.criteria_sets.filter(unit_kind=kind)
            .order_by(models.F("province_id").desc(nulls_last=True), "-version")
            .first()
        )

    def entry_deadline_for(self, unit_kind: str) -> datetime.date:
        """Last day officers may enter answers: the end of the unit's assessment period."""
        if unit_kind == Unit.Kind.RESIDENTIAL_AREA:
            return self.residential_period_end
        return self.other_period_end
