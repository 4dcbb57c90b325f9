"""Criteria sets (bộ tiêu chí) as versioned data, and optional score sheets."""

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from antt.errors import WorkflowError
from antt.text import nfc
from certification.models.assessment import Assessment
from certification.scoring.engine import DEFAULT_THRESHOLD


class UnitKind(models.TextChoices):
    """The four kinds of TT 124 Art. 4-7; a criteria set applies to one of them."""

    RESIDENTIAL_AREA = "residential_area", _("Residential area")
    COMMUNE = "commune", _("Commune, ward, special zone")
    AGENCY_ENTERPRISE = "agency_enterprise", _("Agency, enterprise")
    SCHOOL = "school", _("Educational institution")

    @classmethod
    def for_unit(cls, unit_kind: str) -> "UnitKind | None":
        return {
            "residential_area": cls.RESIDENTIAL_AREA,
            "commune": cls.COMMUNE,
            "agency": cls.AGENCY_ENTERPRISE,
            "enterprise": cls.AGENCY_ENTERPRISE,
            "school": cls.SCHOOL,
        }.get(unit_kind)


class CriteriaSetQuerySet(models.QuerySet):
    def with_in_use(self) -> "CriteriaSetQuerySet":
        """Annotate ``in_use``: an assessment is filled against the set (read by ``is_in_use``)."""
        return self.annotate(in_use=Exists(Assessment.objects.filter(criteria_set=OuterRef("pk"))))


class CriteriaSet(models.Model):
    """One version of a checklist. Published sets are never edited in place.

    "In use" (an assessment is filled against it) is derived, not stored: ``is_in_use``, or the
    ``in_use`` annotation of ``CriteriaSet.objects.with_in_use()``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # Statuses whose sets may be attached to a campaign, shared by other sets and cached
    # compiled: they never change.
    IN_FORCE = (Status.PUBLISHED,)
    IN_USE_STATE = "frozen"
    IN_USE_LABEL = _("Frozen (in use)")

    class RollupBase(models.TextChoices):
        ALL_KINDS = "all", _("All managed units together")
        RESIDENTIAL_ONLY = "residential", _("Residential areas only (as TT 23/2012)")

    family = models.SlugField(
        _("family"), max_length=60, help_text=_("Same for every version, e.g. tt124-kdc")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    unit_kind = models.CharField(_("unit kind"), max_length=20, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    year_from = models.PositiveSmallIntegerField(_("from year"))
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    province = models.ForeignKey(
        "units.Unit",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="criteria_sets",
        verbose_name=_("province"),
        help_text=_("Empty for the national set; a province's set adds its own criteria."),
    )
    based_on = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="derived_sets", verbose_name=_("based on")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    rollup_base = models.CharField(
        _("base of the 70-percent rule"),
        max_length=12,
        choices=RollupBase.choices,
        default=RollupBase.ALL_KINDS,
    )
    rollup_threshold_percent = models.PositiveSmallIntegerField(
        _("recognized share required (%)"), default=DEFAULT_THRESHOLD
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CriteriaSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["unit_kind", "family", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="unique_criteria_set_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def require_editable(self) -> None:
        """Refuse any change to a set that is not a draft (answers given against it would change
        meaning); services, admin and the models' ``save`` all ask this."""
        if not self.is_editable:
            raise WorkflowError(_("A published criteria set cannot be changed; create a new version."))

    @property
    def is_in_force(self) -> bool:
        """May be attached to a campaign and shared by other sets."""
        return self.status in self.IN_FORCE

    @property
    def is_in_use(self) -> bool:
        """An assessment is filled against the set (the ``in_use`` annotation when present)."""
        if "in_use" in self.__dict__:
            return self.__dict__["in_use"]
        return self.pk is not None and Assessment.objects.filter(criteria_set_id=self.pk).exists()

    @property
    def state(self) -> str:
        """The badge's state: the status, or "frozen" for a published set in use."""
        return self.IN_USE_STATE if self.is_in_force and self.is_in_use else self.status

    @property
    def state_label(self) -> str:
        return str(self.IN_USE_LABEL) if self.state == self.IN_USE_STATE else self.get_status_display()

    @property
    def reference(self) -> str:
        """``family@version``, the stable name used in Excel files and diffs."""
        return f"{self.family}@{self.version}"

    def applies_to_year(self, year: int) -> bool:
        return self.year_from <= year and (self.year_to is None or year <= self.year_to)


class PartOfSet(models.Model):
    """A row of a criteria set (an item, its score sheet): it never changes once the set is
    published. The last line of defence: services and the admin refuse earlier."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:  # answers given against it would change meaning
            self.owning_set().require_editable()
        super().save(*args, **kwargs)

    def owning_set(self) -> CriteriaSet:
        raise NotImplementedError


class Criterion(PartOfSet):
    """One item of a criteria set; groups (KDC-3, KDC-4…) hold sub-items."""

    class AnswerType(models.TextChoices):
        BOOLEAN = "boolean", _("Met / not met")
        COUNT_THRESHOLD = "count_threshold", _("Count against a threshold")
        COMPARISON = "comparison", _("Compared with the previous year")
        DERIVED = "derived", _("Derived from other units' results")
        GROUP = "group", _("Group of sub-items")

    criteria_set = models.ForeignKey(CriteriaSet, models.CASCADE, related_name="criteria")
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="children")
    code = models.CharField(_("code"), max_length=32)
    text = models.TextField(_("text"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    answer_type = models.CharField(
        _("answered as"), max_length=16, choices=AnswerType.choices, default=AnswerType.BOOLEAN
    )
    na_allowed = models.BooleanField(_("“not applicable” allowed"), default=False)
    na_condition = models.TextField(_("applies only"), blank=True)
    threshold_percent = models.PositiveSmallIntegerField(_("threshold (%)"), null=True, blank=True)
    evidence_hint = models.TextField(_("expected evidence"), blank=True)
    source = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reused_by",
        verbose_name=_("same as"),
        help_text=_("Shared item (XA-2 reuses KDC-2..4, CSGD-3 reuses CQDN-3): the text comes from here."),
    )
    is_province_addition = models.BooleanField(_("added by the province"), default=False)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["criteria_set", "order"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="unique_criterion_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"

    def save(self, *args, **kwargs) -> None:
        self.code = nfc(self.code)
        self.text = nfc(self.text)
        self.na_condition = nfc(self.na_condition)
        self.evidence_hint = nfc(self.evidence_hint)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self.criteria_set.require_editable()
        return super().delete(*args, **kwargs)

    def owning_set(self) -> CriteriaSet:
        return self.criteria_set

    @property
    def is_leaf(self) -> bool:
        return self.answer_type != self.AnswerType.GROUP

    @property
    def is_answerable(self) -> bool:
        """Entered by an officer: not a group, not derived from other units' results (XA-4)."""
        return self.answer_type not in (self.AnswerType.GROUP, self.AnswerType.DERIVED)

    @property
    def reference(self) -> str:
        """``family@version:code``, e.g. ``tt124-kdc@1:KDC-3a`` (the Excel "Dùng chung với" column)."""
        return f"{self.criteria_set.reference}:{self.code}"


class ScoreSheet(PartOfSet):
    """Optional points sheet attached to a criteria set (e.g. a province's 100-point scheme)."""

    criteria_set = models.OneToOneField(CriteriaSet, models.CASCADE, related_name="score_sheet")
    name = models.CharField(_("name"), max_length=200)
    is_example = models.BooleanField(
        _("example only"), default=False, help_text=_("Shipped as an example, not an official scheme.")
    )
    total_points = models.PositiveSmallIntegerField(_("total points"), default=100)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")

    def __str__(self) -> str:
        return self.name

    def owning_set(self) -> CriteriaSet:
        return self.criteria_set


class ScoreItem(PartOfSet):
    sheet = models.ForeignKey(ScoreSheet, models.CASCADE, related_name="items")
    criterion = models.ForeignKey(Criterion, models.CASCADE, related_name="score_items")
    max_points = models.DecimalField(_("max points"), max_digits=6, decimal_places=2)
    deduction = models.DecimalField(
        _("deduction per incident"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    is_knockout = models.BooleanField(_("knock-out item"), default=False)

    class Meta:
        verbose_name = _("score item")
        verbose_name_plural = _("score items")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="unique_score_item"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.max_points}"

    def owning_set(self) -> CriteriaSet:
        return self.sheet.criteria_set


class GradeBand(PartOfSet):
    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        AVERAGE = "average", _("Average")
        WEAK = "weak", _("Weak")

    sheet = models.ForeignKey(ScoreSheet, models.CASCADE, related_name="grade_bands")
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    min_points = models.DecimalField(_("from points"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["-min_points"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "grade"], name="unique_grade_band"),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} ≥ {self.min_points}"

    def owning_set(self) -> CriteriaSet:
        return self.sheet.criteria_set
