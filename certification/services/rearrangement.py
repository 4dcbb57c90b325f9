"""The campaign across a re-arrangement of residential areas (docs/rearrangement.md).

``units.services.apply_rearrangement`` writes the tree; this module carries, in every campaign
whose period the effective date falls in, each predecessor's registration, assessment and
answers to its successor, in the same transaction and audit chain. ``undo`` removes both
until the effective date.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Action, Actor, actor_or_none, atomic_deferred, log_change
from certification.models import Answer, Assessment, AuditEvent, Campaign, Registration
from certification.selectors.rearrangement import campaigns_across
from certification.services.scoring import schedule_rescore
from units import services as unit_services
from units.models import Unit

SPLIT, KEEP = "split", "keep"


@dataclass
class Outcome:
    created: dict[int, Unit] = field(default_factory=dict)  # row number → new unit
    registrations: int = 0
    assessments: int = 0
    reentry: int = 0  # answers marked for re-entry (predecessors answered differently)


@atomic_deferred
def apply(*, rows: Sequence[Any], by: Actor) -> Outcome:
    """Apply a validated plan's ``rows`` and carry the campaigns across it."""
    outcome = Outcome(created=unit_services.apply_rearrangement(rows=rows, by=by))
    with translation.override("vi"):  # the carried notes are data, in the documents' language
        for row in rows:
            if row.form == KEEP:
                continue
            unit = outcome.created[row.number]
            for campaign in campaigns_across(row.commune, row.effective_on):
                _carry(campaign, row, unit, by, outcome)
    return outcome


def _share(row: Any) -> tuple[int, int] | None:
    """A split part's share of its old unit's households (numerator, denominator)."""
    old = row.predecessors[0].household_count
    if row.form != SPLIT:
        return None
    return (row.household_count or 0, old or 1)


def _sum(values: list[int | None]) -> int | None:
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def _carry(campaign: Campaign, row: Any, unit: Unit, by: Actor, outcome: Outcome) -> None:
    old_ids = [u.pk for u in row.predecessors]
    names = {u.pk: u.full_name for u in row.predecessors}
    share = _share(row)
    registrations = list(Registration.objects.filter(campaign=campaign, unit_id__in=old_ids))
    if registrations:
        registered = _sum([r.households_registered for r in registrations])
        if registered is not None and share is not None:
            registered = registered * share[0] // share[1]
        registration = Registration.objects.create(
            campaign=campaign,
            unit=unit,
            registered_on=min(r.registered_on for r in registrations),
            households_total=unit.household_count,
            households_registered=registered,
            resolution_ref=_joined(r.resolution_ref for r in registrations),
            plan_ref=_joined(r.plan_ref for r in registrations),
            pledge_ref=_joined(r.pledge_ref for r in registrations),
            note=_("Carried over from: %(units)s.")
            % {"units": ", ".join(names[r.unit_id] for r in registrations)},
            created_by=actor_or_none(by),
        )
        log_change(
            registration,
            by=by,
            action=Action.CARRIED_OVER,
            field="registration",
            old="; ".join(str(r.pk) for r in registrations),
            new=registration.pk,
        )
        outcome.registrations += 1
    assessments = list(
        Assessment.objects.filter(campaign=campaign, unit_id__in=old_ids)
        .exclude(status=Assessment.Status.REVOKED)
        .order_by("unit_id")
    )
    if not assessments:
        return
    complete = len({a.unit_id for a in assessments}) == len(old_ids)
    figures = {
        name: (_sum([getattr(a, name) for a in assessments]) if complete and share is None else None)
        for name in Assessment.FIGURE_FIELDS
    }
    criteria_set = campaign.criteria_set_for(Unit.Kind.RESIDENTIAL_AREA) or assessments[0].criteria_set
    assessment = Assessment.objects.create(
        campaign=campaign,
        unit=unit,
        criteria_set=criteria_set,
        note=_("Carried over from: %(units)s.") % {"units": ", ".join(names[a.unit_id] for a in assessments)},
        **figures,
    )
    by_criterion: dict[int, list[Answer]] = {}
    for answer in Answer.objects.filter(assessment__in=assessments, criterion__criteria_set=criteria_set):
        by_criterion.setdefault(answer.criterion_id, []).append(answer)
    unit_of = {a.pk: a.unit_id for a in assessments}
    new_answers = []
    for criterion_id, answers in by_criterion.items():
        values = {a.effective_value for a in answers}
        if len(values) == 1 and (complete or len(answers) == len(old_ids)):
            numbers = [a.number for a in answers]
            number = numbers[0] if share is not None or len(answers) == 1 else _sum(numbers)
            new_answers.append(
                Answer(
                    assessment=assessment,
                    criterion_id=criterion_id,
                    value=values.pop(),
                    number=number,
                    note="\n".join(a.note for a in answers if a.note),
                    updated_by=actor_or_none(by),
                )
            )
            continue
        shown = "; ".join(
            f"{names[unit_of[a.assessment_id]]}: {Answer.Value(a.effective_value).label}"
            for a in sorted(answers, key=lambda a: unit_of[a.assessment_id])
        )
        new_answers.append(
            Answer(
                assessment=assessment,
                criterion_id=criterion_id,
                value=Answer.Value.EMPTY,
                note=_("To be entered again after the merger. The old answers: %(answers)s.")
                % {"answers": shown},
                updated_by=actor_or_none(by),
            )
        )
        outcome.reentry += 1
    Answer.objects.bulk_create(new_answers)
    log_change(
        assessment,
        by=by,
        action=Action.CARRIED_OVER,
        field="assessment",
        old="; ".join(str(a.pk) for a in assessments),
        new=assessment.pk,
    )
    outcome.assessments += 1
    schedule_rescore(unit_id=unit.pk, campaign_id=campaign.pk)


def _joined(values: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))[:200]


@atomic_deferred
def undo(*, reference: str, by: Actor, today: datetime.date | None = None) -> int:
    """Undo a resolution's re-arrangement before its effective date: the rows carried to the
    new units go (with whatever was entered on them since), then the units."""
    today = today or timezone.localdate()
    links = list(unit_services.rearrangement_links(reference))
    if any(link.effective_on is None or link.effective_on <= today for link in links):
        raise WorkflowError(_("A re-arrangement can only be undone before its effective date."))
    new_ids = sorted({link.successor_id for link in links})
    if AuditEvent.objects.filter(assessment__unit_id__in=new_ids).exists():
        raise WorkflowError(
            _(
                "Assessments of the new units were worked on since; the re-arrangement can no longer be undone."
            )
        )
    for assessment in Assessment.objects.filter(unit_id__in=new_ids):
        log_change(
            assessment,
            by=by,
            action=Action.REARRANGEMENT_UNDONE,
            field="assessment",
            old=assessment.pk,
            new="",
        )
    for registration in Registration.objects.filter(unit_id__in=new_ids):
        log_change(
            registration,
            by=by,
            action=Action.REARRANGEMENT_UNDONE,
            field="registration",
            old=registration.pk,
            new="",
        )
    affected = list(Assessment.objects.filter(unit_id__in=new_ids).values_list("campaign_id", flat=True))
    Assessment.objects.filter(unit_id__in=new_ids).delete()
    Registration.objects.filter(unit_id__in=new_ids).delete()
    removed = unit_services.undo_rearrangement(reference=reference, by=by, today=today)
    old_ids = {link.predecessor_id for link in links}
    for campaign_id in set(affected):
        for unit_id in old_ids:
            schedule_rescore(unit_id=unit_id, campaign_id=campaign_id)
    return removed
