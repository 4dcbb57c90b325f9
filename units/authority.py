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
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from units.models import RecognizingAuthority, Unit

REFORM_YEAR = 2025


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
        RecognizingAuthority.objects.filter(unit=unit, from_year__lte=year)
        .filter(Q(to_year__isnull=True) | Q(to_year__gte=year))
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
    return below.filter(_valid_in(year))


def _valid_in(year: int) -> Q:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=end)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )
