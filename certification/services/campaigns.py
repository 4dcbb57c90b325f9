"""Yearly campaigns (đợt xét) per province: calendar of Art. 8(2) and the criteria sets in force.

``open_campaign`` is idempotent: a second call returns the same campaign (only criteria sets
missing for a unit kind are attached). A set used by an assessment is "in use"
(``CriteriaSet.is_in_use``, derived).
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Action, Actor, atomic_deferred, log_change
from certification.models import Assessment, Campaign, CriteriaSet
from certification.models.criteria import UnitKind
from certification.selectors.criteria import applicable_set
from units.models import Unit

DATE_FIELDS = tuple(Campaign.default_dates(2000))


# --- Services ----------------------------------------------------------------------------------


def _check_dates(dates: dict[str, datetime.date]) -> None:
    if dates["residential_period_start"] >= dates["residential_period_end"]:
        raise WorkflowError(_("The residential areas' period must end after it starts."))
    if dates["other_period_start"] >= dates["other_period_end"]:
        raise WorkflowError(_("The other units' period must end after it starts."))
    if dates["residential_decision_deadline"] < dates["residential_period_start"]:
        raise WorkflowError(_("The residential areas' decision deadline is before their period starts."))
    if dates["other_decision_deadline"] < dates["other_period_start"]:
        raise WorkflowError(_("The other units' decision deadline is before their period starts."))


def _attach_missing_sets(campaign: Campaign, by: Actor | None, *, always_log: bool) -> None:
    """Attach, for each unit kind without one, the newest set in force for the year; logged
    when sets were added (``always_log``: also when none was, as a new campaign records)."""
    attached = {cs.unit_kind for cs in campaign.criteria_sets.all()}
    added = []
    for kind in UnitKind.values:
        if kind in attached:
            continue
        criteria_set = applicable_set(unit_kind=kind, year=campaign.year, province=campaign.province)
        if criteria_set is not None:
            campaign.criteria_sets.add(criteria_set)
            added.append(criteria_set)
    if added or always_log:
        new = [s.reference for s in added]
        log_change(campaign, by=by, action=Action.CAMPAIGN_SETS_ATTACHED, field="criteria_sets", new=new)


@atomic_deferred
def open_campaign(
    *, year: int, province: Unit, by: Actor | None = None, **date_overrides: datetime.date
) -> Campaign:
    """Open (or return) the campaign of ``year`` for ``province``.

    Dates default to ``Campaign.default_dates(year)``; ``date_overrides`` replace some of them
    when the campaign is created. For each unit kind the newest set in force for the year is
    attached (the province's own derived set when it has one).
    """
    if province.kind != Unit.Kind.PROVINCE:
        raise WorkflowError(_("A campaign is opened for a province."))
    if not 2000 <= year <= 2100:
        raise WorkflowError(_("%(year)s is not a valid year.") % {"year": year})
    unknown = set(date_overrides) - set(DATE_FIELDS)
    if unknown:
        raise TypeError(f"open_campaign: unknown dates {sorted(unknown)}")
    Unit.objects.select_for_update().filter(pk=province.pk).first()  # serialise concurrent opens
    campaign = Campaign.objects.filter(year=year, province=province).first()
    if campaign is not None:
        _attach_missing_sets(campaign, by, always_log=False)
        return campaign
    dates = Campaign.default_dates(year) | date_overrides
    _check_dates(dates)
    campaign = Campaign.objects.create(year=year, province=province, status=Campaign.Status.OPEN, **dates)
    log_change(campaign, by=by, action=Action.CAMPAIGN_OPENED, field="status", old="", new=campaign.status)
    _attach_missing_sets(campaign, by, always_log=True)
    return campaign


@atomic_deferred
def update_campaign_dates(*, campaign: Campaign, by: Actor | None = None, **dates: datetime.date) -> Campaign:
    """Province staff adjust the calendar; every changed date is audited."""
    unknown = set(dates) - set(DATE_FIELDS)
    if unknown:
        raise TypeError(f"update_campaign_dates: unknown dates {sorted(unknown)}")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == Campaign.Status.CLOSED:
        raise WorkflowError(_("A closed campaign cannot be changed."))
    merged = {name: getattr(campaign, name) for name in DATE_FIELDS} | dates
    _check_dates(merged)
    changed = []
    for name, value in dates.items():
        old = getattr(campaign, name)
        if old != value:
            setattr(campaign, name, value)
            changed.append(name)
            log_change(campaign, by=by, action=Action.CAMPAIGN_DATE_CHANGED, field=name, old=old, new=value)
    if changed:
        campaign.save(update_fields=changed)
    return campaign


@atomic_deferred
def replace_campaign_set(
    *, campaign: Campaign, criteria_set: CriteriaSet, by: Actor | None = None
) -> Campaign:
    """Attach another set in force for its unit kind, while no assessment uses the current one."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not criteria_set.is_in_force or not criteria_set.applies_to_year(campaign.year):
        raise WorkflowError(_("Only a published set that applies to the campaign's year can be attached."))
    if criteria_set.province_id not in (None, campaign.province_id):
        raise WorkflowError(_("This set belongs to another province."))
    current = list(campaign.criteria_sets.filter(unit_kind=criteria_set.unit_kind))
    if Assessment.objects.filter(campaign=campaign, criteria_set__in=current).exists():
        raise WorkflowError(_("Assessments already use the current set; it can no longer be replaced."))
    campaign.criteria_sets.remove(*current)
    campaign.criteria_sets.add(criteria_set)
    log_change(
        campaign,
        by=by,
        action=Action.CAMPAIGN_SET_REPLACED,
        field="criteria_sets",
        old=[s.reference for s in current],
        new=criteria_set.reference,
    )
    return campaign
