"""Whose People's Committee (UBND) recognizes a unit in a given year (REGULATION §6.3, §7.3).

Order of precedence:

1. A ``RecognizingAuthority`` row of the unit whose ``from_year`` ≤ year (the latest such
   row; a row with ``to_year`` < year no longer applies). This is where delegation one level
   down (TT 124 Art. 10(5)) and units followed by Ministry departments (Art. 10(4)) are
   recorded.
2. The default, derived from the tree:

   * residential area → UBND of its commune (Art. 9(1)(a), 10(1); confirmed);
   * commune → UBND of its province (since 1/7/2025; **inferred**, §7.3), or, for years
     before 2025 when the tree has a district above it, UBND of that district
     (Art. 9(1)(b), 10(2));
   * agency, enterprise, school → UBND of the administrative unit that manages it, i.e. the
     nearest province, district or commune above it (Art. 10(1)–(3); after the reform
     **inferred**: whoever now manages the unit).

Provinces and districts are not themselves recognized: ``None``.

The default is written twice, once per form it is needed in: :func:`default_authority` in
Python for one unit, :func:`default_authority_q` as one SQL condition for many (the decision
queue). A change to the rules changes both.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from units.models import RecognizingAuthority, Unit

REFORM_YEAR = 2025  # communes are recognized by the province from 1/7/2025 on


@dataclass(frozen=True)
class AuthorityDecision:
    authority: Unit | None
    rule: RecognizingAuthority | None  # None: the default applies

    @property
    def is_default(self) -> bool:
        return self.rule is None

    @property
    def is_delegation(self) -> bool:
        return bool(self.rule and self.rule.is_delegation)


def authority_rule(unit: Unit, year: int) -> RecognizingAuthority | None:
    return (
        RecognizingAuthority.objects.in_force(year)
        .filter(unit=unit)
        .select_related("authority")
        .order_by("-from_year")
        .first()
    )


def default_authority(unit: Unit, year: int) -> Unit | None:
    """The recognizing authority when no ``RecognizingAuthority`` row applies."""
    ancestors = list(unit.ancestors())  # ordered from the root down
    if unit.kind == Unit.Kind.RESIDENTIAL_AREA:
        return _nearest(ancestors, (Unit.Kind.COMMUNE,))
    if unit.kind == Unit.Kind.COMMUNE:
        if year < REFORM_YEAR:
            district = _nearest(ancestors, (Unit.Kind.DISTRICT,))
            if district is not None:
                return district
        return _nearest(ancestors, (Unit.Kind.PROVINCE,))
    if unit.kind in Unit.INSTITUTION_KINDS:
        return _nearest(ancestors, Unit.ADMINISTRATIVE_KINDS)
    return None


def default_authority_q(authority: Unit, *, unit: str, year: str) -> Q:
    """Rows whose field ``unit`` holds a unit that ``authority`` recognizes by default in the year
    held by the field ``year`` (e.g. ``unit="unit", year="campaign__year"`` on assessments):
    :func:`default_authority` as one SQL condition, except that an agency, enterprise or school
    counts only when filed directly under ``authority``."""

    def on_unit(**lookups) -> Q:
        return Q(**{f"{unit}__{lookup}": value for lookup, value in lookups.items()})

    inside = on_unit(path__startswith=authority.path)
    default = on_unit(parent=authority, kind__in=Unit.INSTITUTION_KINDS)
    if authority.kind == Unit.Kind.COMMUNE:
        default |= inside & on_unit(kind=Unit.Kind.RESIDENTIAL_AREA)
    elif authority.kind == Unit.Kind.PROVINCE:
        # Before the reform a district between them recognized the commune.
        no_district = Q(**{f"{year}__gte": REFORM_YEAR}) | on_unit(parent=authority)
        default |= inside & on_unit(kind=Unit.Kind.COMMUNE) & no_district
    elif authority.kind == Unit.Kind.DISTRICT:
        default |= on_unit(parent=authority, kind=Unit.Kind.COMMUNE) & Q(**{f"{year}__lt": REFORM_YEAR})
    return default


def _nearest(ancestors: list[Unit], kinds) -> Unit | None:
    for ancestor in reversed(ancestors):
        if ancestor.kind in kinds:
            return ancestor
    return None


def decide_authority(unit: Unit, year: int) -> AuthorityDecision:
    rule = authority_rule(unit, year)
    if rule is not None:
        return AuthorityDecision(authority=rule.authority, rule=rule)
    return AuthorityDecision(authority=default_authority(unit, year), rule=None)


def recognizing_authority(unit: Unit, year: int) -> Unit | None:
    """The unit whose People's Committee recognizes ``unit`` for ``year``."""
    return decide_authority(unit, year).authority


def delegation_targets(unit: Unit, year: int) -> QuerySet[Unit]:
    """Where Art. 10(5) allows delegating: only agencies, enterprises and schools, from the
    default authority to an administrative unit exactly one level below it, "where the unit
    is located". A unit filed under a commune (or district) can only be delegated to that
    one; a unit filed directly under the province to any of the province's communes
    (its location is not in the tree)."""
    default = default_authority(unit, year) if unit.kind in Unit.INSTITUTION_KINDS else None
    if default is None:
        return Unit.objects.none()
    below = Unit.objects.filter(parent=default, kind__in=Unit.ADMINISTRATIVE_KINDS)
    located_in = [a.pk for a in unit.ancestors() if a.parent_id == default.pk]
    if located_in:
        return below.filter(pk__in=located_in)
    return below.valid_in(year)


def check_delegation(*, unit: Unit, authority: Unit, year: int) -> None:
    """Raise ``ValidationError`` (on the ``authority`` field) unless :func:`delegation_targets`
    allows delegating ``unit`` to ``authority`` from ``year``. Called where rules are entered:
    the model alone cannot tell, it does not know the tree's default authorities."""
    if not delegation_targets(unit, year).filter(pk=authority.pk).exists():
        raise ValidationError(
            {
                "authority": _(
                    "Art. 10(5) allows delegation only for agencies, enterprises and schools, "
                    "one level down to where the unit is located."
                )
            }
        )
