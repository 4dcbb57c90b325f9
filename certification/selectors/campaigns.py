"""Reading campaigns: which ones a user sees or manages, and a unit's campaign and criteria set."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from certification.models import Campaign, CriteriaSet
from certification.models.criteria import UnitKind
from certification.selectors.criteria import applicable_set
from units.access import has_role, home_units, is_global, scope_filter
from units.models import RoleAssignment, Unit

MANAGER_ROLES = (RoleAssignment.Role.APPROVER, RoleAssignment.Role.ADMIN)


def _path_ids(unit: Unit) -> list[int]:
    return [int(part) for part in unit.path.split("/") if part]


def related_province_ids(user: User) -> set[int] | None:
    """Provinces whose campaigns and own criteria the user may read (None: all of them).

    A role anywhere in a province makes its campaigns visible (read-only): a commune officer
    must know the calendar of the province.
    """
    if is_global(user):
        return None
    ancestor_ids = {pk for unit in home_units(user) for pk in _path_ids(unit)}
    provinces = Unit.objects.filter(kind=Unit.Kind.PROVINCE).filter(
        Q(pk__in=ancestor_ids) | scope_filter(user)
    )
    return set(provinces.values_list("pk", flat=True))


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    ids = related_province_ids(user)
    campaigns = Campaign.objects.select_related("province")
    return campaigns if ids is None else campaigns.filter(province_id__in=ids)


def get_campaign_for_user(user: User, pk: int | str) -> Campaign:
    try:
        return visible_campaigns(user).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_sets(user: User) -> QuerySet[CriteriaSet]:
    """National sets for everyone signed in; a province's sets for the people of that province."""
    sets = CriteriaSet.objects.with_in_use().select_related("province", "based_on")
    ids = related_province_ids(user)
    if ids is None:
        return sets
    return sets.filter(Q(province__isnull=True) | Q(province_id__in=ids))


def get_set_for_user(user: User, pk: int | str) -> CriteriaSet:
    try:
        return visible_sets(user).get(pk=pk)
    except (CriteriaSet.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_manage_province(user: User, province: Unit) -> bool:
    """Province staff (approver or administrator on the province) edit campaigns and province sets."""
    return has_role(user, province, *MANAGER_ROLES)


def managed_provinces(user: User) -> QuerySet[Unit]:
    provinces = Unit.objects.filter(kind=Unit.Kind.PROVINCE)
    if is_global(user):
        return provinces
    return provinces.filter(scope_filter(user, roles=MANAGER_ROLES))


def campaign_for_unit(unit: Unit, year: int) -> Campaign | None:
    province = unit.province()
    if province is None:
        return None
    return Campaign.objects.filter(year=year, province=province).first()


def criteria_set_for_unit(unit: Unit, year: int) -> tuple[CriteriaSet | None, Campaign | None]:
    """What ``unit`` must meet in ``year``: the set pinned by the campaign, or (before the
    campaign is opened) the set that would apply."""
    kind = UnitKind.for_unit(unit.kind)
    if kind is None:
        return None, None
    campaign = campaign_for_unit(unit, year)
    if campaign is not None:
        pinned = campaign.criteria_set_for(unit.kind)
        if pinned is not None:
            return pinned, campaign
    return applicable_set(unit_kind=kind, year=year, province=unit.province()), campaign
