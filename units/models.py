"""The administrative tree: provinces, (historical) districts, communes, residential areas and
the agencies, enterprises and schools attached to the level that manages them."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from antt.text import search_key, tidy


def valid_q(start: datetime.date, end: datetime.date | None = None) -> Q:
    """Units that exist on ``start`` (or on some day from ``start`` to ``end``): ``valid_to`` is
    the first day a unit no longer exists. The SQL form of :meth:`Unit.is_current`."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=end or start)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )


def valid_in_q(year: int) -> Q:
    """Valid on some day of ``year``."""
    return valid_q(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


class UnitQuerySet(models.QuerySet):
    def valid_in(self, year: int) -> "UnitQuerySet":
        """Units that existed on some day of ``year``."""
        return self.filter(valid_in_q(year))


class Unit(models.Model):
    """One node of the tree (think DHIS2 organisation unit).

    ``path`` is a materialized path of primary keys ("12/345/6789/"), so "everything under X"
    is one indexed prefix query: ``Unit.objects.filter(path__startswith=x.path)``.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District")
        COMMUNE = "commune", _("Commune")
        RESIDENTIAL_AREA = "residential_area", _("Residential area")
        AGENCY = "agency", _("Agency")
        ENTERPRISE = "enterprise", _("Enterprise")
        SCHOOL = "school", _("Educational institution")

    class EnterpriseSize(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    class SchoolLevel(models.TextChoices):
        CRECHE = "creche", _("Crèche")
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        PRIMARY = "primary", _("Primary school")
        LOWER_SECONDARY = "lower_secondary", _("Lower secondary school")
        UPPER_SECONDARY = "upper_secondary", _("Upper secondary school")
        MULTI_LEVEL = "multi_level", _("Multi-level school")
        VOCATIONAL = "vocational", _("Vocational school")
        COLLEGE = "college", _("College")
        UNIVERSITY = "university", _("University")
        CONTINUING = "continuing", _("Continuing education centre")
        OTHER = "other", _("Other")

    # Kinds that are assessed as "institutions" (Art. 6-7) and sit under a managing level.
    INSTITUTION_KINDS = (Kind.AGENCY, Kind.ENTERPRISE, Kind.SCHOOL)
    ADMINISTRATIVE_KINDS = (Kind.PROVINCE, Kind.DISTRICT, Kind.COMMUNE)
    # Assessed every year (TT 124 Art. 3-7), and the kinds a commune manages (what XA-4 counts:
    # 100 % registered, >= 70 % recognized).
    ASSESSED_KINDS = (Kind.RESIDENTIAL_AREA, Kind.COMMUNE, *INSTITUTION_KINDS)
    MANAGED_KINDS = (Kind.RESIDENTIAL_AREA, *INSTITUTION_KINDS)
    INELIGIBLE_SCHOOL_LEVELS = (SchoolLevel.CRECHE, SchoolLevel.KINDERGARTEN, SchoolLevel.PRIMARY)
    INELIGIBLE_ENTERPRISE_SIZES = (EnterpriseSize.MICRO, EnterpriseSize.SMALL)

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    label = models.CharField(
        _("local label"), max_length=40, blank=True, help_text=_("Thôn, Tổ dân phố, Xã, Phường, Đặc khu…")
    )
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent unit")
    )
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty while it exists.")
    )
    household_count = models.PositiveIntegerField(_("households"), null=True, blank=True)
    enterprise_size = models.CharField(
        _("enterprise size"), max_length=10, choices=EnterpriseSize.choices, blank=True
    )
    school_level = models.CharField(_("school level"), max_length=20, choices=SchoolLevel.choices, blank=True)
    is_armed_forces = models.BooleanField(_("armed forces"), default=False)
    is_eligible = models.BooleanField(_("eligible"), default=True, editable=False)
    ineligible_reason = models.CharField(_("reason not eligible"), max_length=200, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    search_name = models.CharField(max_length=200, editable=False, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="unit_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "kind"], name="unit_parent_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.refresh_derived_fields()
        with transaction.atomic():
            super().save(*args, **kwargs)
            self._update_path()

    def get_absolute_url(self) -> str:
        return reverse("units:unit-detail", args=[self.pk])

    def clean(self) -> None:
        if self.parent_id and self.pk:
            parent = self.parent
            if parent.pk == self.pk or (self.path and parent.path.startswith(self.path)):
                raise ValidationError(
                    {"parent": _("A unit cannot be placed under itself or its own sub-unit.")}
                )

    def refresh_derived_fields(self) -> None:
        """Normalise text and recompute the search key and eligibility.

        ``save()`` calls it; bulk loaders (``bulk_create``/``bulk_update``) must call it
        themselves, then ``units.tree.rebuild_paths`` for the paths.
        """
        self.code = tidy(self.code)
        self.name = tidy(self.name)
        self.label = tidy(self.label)
        self.note = tidy(self.note)
        self.search_name = search_key(self.full_name)[:200]
        self.is_eligible, self.ineligible_reason = self.compute_eligibility()

    @property
    def ineligibility_reason_display(self) -> str:
        """The reason in the current language ('' when eligible)."""
        if self.is_eligible:
            return ""
        return self.compute_eligibility()[1] or self.ineligible_reason

    @property
    def is_administrative(self) -> bool:
        return self.kind in self.ADMINISTRATIVE_KINDS

    @property
    def is_institution(self) -> bool:
        return self.kind in self.INSTITUTION_KINDS

    @property
    def full_name(self) -> str:
        return self.compose_full_name(self.name, self.label)

    @staticmethod
    def compose_full_name(name: str, label: str) -> str:
        """'Xã Kỳ Anh' from name and label, unless the name already starts with its label (for
        lists read with ``values_list`` instead of whole units)."""
        if label and not name.lower().startswith(label.lower()):
            return f"{label} {name}"
        return name

    def _update_path(self) -> None:
        parent_path = self.parent.path if self.parent_id else ""
        new_path = f"{parent_path}{self.pk}/"
        if new_path == self.path:
            return
        old_path = self.path
        Unit.objects.filter(pk=self.pk).update(path=new_path, depth=new_path.count("/") - 1)
        if old_path:
            # Re-parented: move the whole subtree in one statement.
            Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1))
            )
        self.path, self.depth = new_path, new_path.count("/") - 1

    def compute_eligibility(self) -> tuple[bool, str]:
        """TT 124 Art. 1(2)(b): armed-forces agencies, small/micro enterprises and primary
        schools, kindergartens and crèches stay on record but are never assessed."""
        if self.kind == self.Kind.AGENCY and self.is_armed_forces:
            return False, str(_("Armed-forces agency (TT 124 Art. 1(2)(b))"))
        if self.kind == self.Kind.ENTERPRISE and self.enterprise_size in self.INELIGIBLE_ENTERPRISE_SIZES:
            return False, str(_("Small or micro enterprise (TT 124 Art. 1(2)(b))"))
        if self.kind == self.Kind.SCHOOL and self.school_level in self.INELIGIBLE_SCHOOL_LEVELS:
            return False, str(_("Primary school, kindergarten or crèche (TT 124 Art. 1(2)(b))"))
        return True, ""

    def descendants(self, include_self: bool = False) -> models.QuerySet["Unit"]:
        qs = Unit.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def ancestors(self, include_self: bool = False) -> models.QuerySet["Unit"]:
        ids = [int(part) for part in self.path.split("/") if part]
        if not include_self:
            ids = ids[:-1]
        return Unit.objects.filter(pk__in=ids).order_by("depth")

    def ancestor_of_kind(self, kind: str) -> "Unit | None":
        return self.ancestors(include_self=True).filter(kind=kind).last()

    def province(self) -> "Unit | None":
        """The province the unit lies in (itself for a province)."""
        return self if self.kind == self.Kind.PROVINCE else self.ancestor_of_kind(self.Kind.PROVINCE)

    def is_within(self, other: "Unit") -> bool:
        return self.path.startswith(other.path)

    def is_current(self, on=None) -> bool:
        from django.utils import timezone

        day = on or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to > day
        )


class UnitChange(models.Model):
    """A merger, split, rename or transfer: ``predecessor`` became (part of) ``successor``.

    ``continued``: the same unit under the same name, re-created in a new tree (e.g. a
    commune whose district was abolished on 1/7/2025)."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("Merger")
        SPLIT = "split", _("Split")
        RENAME = "rename", _("Rename")
        TRANSFER = "transfer", _("Transfer")
        CONTINUATION = "continued", _("Continuation")

    predecessor = models.ForeignKey(Unit, models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Unit, models.CASCADE, related_name="predecessor_links")
    kind = models.CharField(_("kind of change"), max_length=10, choices=Kind.choices, default=Kind.MERGE)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    reference = models.CharField(_("legal reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unit change")
        verbose_name_plural = _("unit changes")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="unique_unit_change"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


class RecognizingAuthorityQuerySet(models.QuerySet):
    def in_force(self, year: int | F) -> "RecognizingAuthorityQuerySet":
        """Rules that apply in ``year`` (a number or an expression such as
        ``OuterRef("campaign__year")``); of several for one unit, the latest ``from_year`` wins."""
        return self.filter(Q(from_year__lte=year) & (Q(to_year__isnull=True) | Q(to_year__gte=year)))


class RecognizingAuthority(models.Model):
    """Whose People's Committee recognizes ``unit`` from ``from_year`` (REGULATION §6.3, §7.3).

    Without a row the default applies (see ``units.authority.recognizing_authority``):
    UBND xã for residential areas and commune-managed institutions, UBND tỉnh for communes
    and province-managed institutions. ``is_delegation`` marks Art. 10(5) delegation one
    level down.
    """

    unit = models.ForeignKey(Unit, models.CASCADE, related_name="authority_rules")
    authority = models.ForeignKey(
        Unit, models.PROTECT, related_name="+", verbose_name=_("recognizing authority")
    )
    from_year = models.PositiveSmallIntegerField(_("from year"))
    to_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    is_delegation = models.BooleanField(_("delegated (Art. 10(5))"), default=False)
    reference = models.CharField(_("legal reference"), max_length=200, blank=True)

    objects = RecognizingAuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = _("recognizing authority")
        verbose_name_plural = _("recognizing authorities")
        constraints = [
            models.UniqueConstraint(fields=["unit", "from_year"], name="unique_authority_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ← {self.authority} ({self.from_year})"

    def clean(self) -> None:
        """Whether a delegation goes where Art. 10(5) allows is checked where rules are entered
        (``units.authority.check_delegation``), which knows the tree's default authorities."""
        if not (self.unit_id and self.authority_id):
            return
        if self.to_year is not None and self.to_year < self.from_year:
            raise ValidationError({"to_year": _("The last year cannot be before the first year.")})
        if self.authority.kind not in Unit.ADMINISTRATIVE_KINDS:
            raise ValidationError(
                {"authority": _("The recognizing authority must be a province, district or commune.")}
            )


class RoleAssignment(models.Model):
    """A user's role on a unit; the scope is that unit's whole subtree."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("Commune police officer")
        APPRAISER = "appraiser", _("Appraiser")
        APPROVER = "approver", _("Approver")
        CLERK = "clerk", _("Clerk")
        VIEWER = "viewer", _("Viewer")
        ADMIN = "admin", _("Administrator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="roles")
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    title = models.CharField(_("title"), max_length=120, blank=True, help_text=_("e.g. Chủ tịch UBND xã"))

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_user_unit_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class LastRole(models.Model):
    """The role a user held when their last role was removed.

    Administrators manage the users holding a role in their subtree; without this row a user
    whose last role was taken away would vanish from every administrator's list, and nobody but
    a superuser could give them a role again. The row goes when the user gets a role again."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="last_role")
    unit = models.ForeignKey(Unit, models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=12, choices=RoleAssignment.Role.choices)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"))

    class Meta:
        verbose_name = _("last role")
        verbose_name_plural = _("last roles")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"
