"""Reads of the re-arrangement workflow: the campaigns a change falls in, what happens to each
registration, assessment and certificate (the preview page), the resolutions that can still
be undone, and what an old unit is now (the public verify page)."""

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from certification.models import Assessment, Campaign, Certificate, Registration
from units import access
from units.models import RoleAssignment, Unit, UnitChange


def campaigns_across(commune: Unit, effective_on: datetime.date) -> list[Campaign]:
    """The campaigns of the commune's province whose units change during their period: they
    start with the old units and end (their scope date) with the new ones."""
    ancestor_ids = [int(part) for part in commune.path.split("/") if part]
    return list(
        Campaign.objects.filter(
            province_id__in=ancestor_ids,
            residential_period_start__lt=effective_on,
            other_period_end__gte=effective_on,
        )
        .exclude(status=Campaign.Status.CLOSED)
        .order_by("year")
    )


@dataclass
class CampaignImpact:
    campaign: Campaign
    registered: list[str] = field(default_factory=list)  # names of the old units registered
    assessments: list[tuple[str, str]] = field(default_factory=list)  # (old unit, status label)


@dataclass
class RowImpact:
    row: Any
    campaigns: list[CampaignImpact] = field(default_factory=list)
    certificates: int = 0  # valid certificates of the old units: they stay, with the issued name


def impact(rows: Sequence[Any]) -> list[RowImpact]:
    """For each changed row of a plan: in each campaign it falls in, which old units are
    registered and assessed (carried to the new unit), and how many certificates the old units
    hold (kept as issued; the verify page names the new unit)."""
    changed = [r for r in rows if r.form != "keep"]
    old_ids = {u.pk for r in changed for u in r.predecessors}
    certificates = Counter(
        Certificate.objects.filter(unit_id__in=old_ids, status=Certificate.Status.VALID).values_list(
            "unit_id", flat=True
        )
    )
    cache: dict[tuple[int, datetime.date], list[Campaign]] = {}
    campaigns: dict[int, Campaign] = {}
    for row in changed:
        key = (row.commune.pk, row.effective_on)
        if key not in cache:
            cache[key] = campaigns_across(row.commune, row.effective_on)
            campaigns.update((c.pk, c) for c in cache[key])
    registered: set[tuple[int, int]] = set()
    statuses: dict[tuple[int, int], str] = {}
    labels = dict(Assessment.Status.choices)
    for start in range(0, len(old_ids), 5000):
        chunk = sorted(old_ids)[start : start + 5000]
        registered.update(
            Registration.objects.filter(campaign__in=list(campaigns), unit_id__in=chunk).values_list(
                "campaign_id", "unit_id"
            )
        )
        for campaign_id, unit_id, status in Assessment.objects.filter(
            campaign__in=list(campaigns), unit_id__in=chunk
        ).values_list("campaign_id", "unit_id", "status"):
            statuses[(campaign_id, unit_id)] = str(labels[status])
    found = []
    for row in changed:
        names = {u.pk: u.full_name for u in row.predecessors}
        item = RowImpact(row=row, certificates=sum(certificates[pk] for pk in names))
        for campaign in cache[(row.commune.pk, row.effective_on)]:
            item.campaigns.append(
                CampaignImpact(
                    campaign=campaign,
                    registered=[name for pk, name in names.items() if (campaign.pk, pk) in registered],
                    assessments=[
                        (name, statuses[(campaign.pk, pk)])
                        for pk, name in names.items()
                        if (campaign.pk, pk) in statuses
                    ],
                )
            )
        found.append(item)
    return found


def undoable(user: Any, today: datetime.date | None = None) -> list[dict[str, Any]]:
    """The resolutions applied in ``user``'s subtree that can still be undone (their effective
    date not reached): reference, effective date, how many new units."""
    today = today or timezone.localdate()
    links: QuerySet[UnitChange] = UnitChange.objects.filter(
        effective_on__gt=today, successor__kind=Unit.Kind.RESIDENTIAL_AREA
    ).exclude(reference="")
    scope = access.visible_units(user, roles=[RoleAssignment.Role.ADMIN])
    links = links.filter(successor__in=scope)
    found: dict[str, dict[str, Any]] = {}
    for reference, effective_on, successor_id in links.values_list(
        "reference", "effective_on", "successor_id"
    ):
        entry = found.setdefault(
            reference, {"reference": reference, "effective_on": effective_on, "units": set()}
        )
        entry["units"].add(successor_id)
    return [{**e, "units": len(e["units"])} for e in sorted(found.values(), key=lambda e: e["effective_on"])]


def unit_now(unit: Unit, today: datetime.date | None = None) -> list[Unit]:
    """What a unit that no longer exists is now: its successors (through every later change)
    that exist today; empty while the unit exists."""
    today = today or timezone.localdate()
    if unit.is_current(today):
        return []
    seen, frontier, now = {unit.pk}, [unit.pk], []
    for _generation in range(6):
        successors = list(
            Unit.objects.filter(predecessor_links__predecessor_id__in=frontier)
            .exclude(pk__in=seen)
            .distinct()
        )
        if not successors:
            break
        frontier = []
        for successor in successors:
            seen.add(successor.pk)
            if successor.is_current(today) or (successor.valid_from and successor.valid_from > today):
                now.append(successor)
            else:
                frontier.append(successor.pk)
    return sorted(now, key=lambda u: u.path)
