"""The campaign across a re-arrangement of residential areas (docs/rearrangement.md).

``units.services.apply_rearrangement`` writes the tree; this module carries, in every campaign
whose period the effective date falls in, each predecessor's registration, assessment and
answers to its successor, in the same transaction and audit chain. ``undo`` removes both
until the effective date.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import Action, Actor, actor_or_none, atomic_deferred, log_change
from certification.models import Answer, Assessment, AuditEvent, Campaign, Registration
from certification.selectors.rearrangement import campaigns_across
from certification.services.scoring import schedule_rescore, start_scoring_run
from units import services as unit_services
from units.models import Unit

SPLIT, KEEP = "split", "keep"


@dataclass
class Outcome:
    created: dict[int, Unit] = field(default_factory=dict)  # row number → new unit
    registrations: int = 0
    assessments: int = 0
    reentry: int = 0  # answers marked for re-entry (predecessors answered differently)


class OldAnswer(NamedTuple):
    assessment_id: int
    criterion_id: int
    value: str
    appraised_value: str
    number: int | None
    note: str

    @property
    def effective_value(self) -> str:
        """As ``Answer.effective_value``: the appraised answer wins."""
        return self.appraised_value or self.value


# Above this many new units a whole scoring run is cheaper than rescoring each (and its commune).
RESCORE_ONE_BY_ONE = 50


@atomic_deferred
def apply(*, rows: Sequence[Any], by: Actor) -> Outcome:
    """Apply a validated plan's ``rows`` and carry the campaigns across it; the units are
    rescored after the commit (a scoring run of each campaign for a large annex)."""
    outcome = Outcome(created=unit_services.apply_rearrangement(rows=rows, by=by))
    by_campaign: dict[int, tuple[Campaign, list[Any]]] = {}
    cache: dict[tuple[int, datetime.date], list[Campaign]] = {}
    for row in rows:
        if row.form == KEEP:
            continue
        key = (row.commune.pk, row.effective_on)
        if key not in cache:
            cache[key] = campaigns_across(row.commune, row.effective_on)
        for campaign in cache[key]:
            by_campaign.setdefault(campaign.pk, (campaign, []))[1].append(row)
    with translation.override("vi"):  # the carried notes are data, in the documents' language
        for campaign, campaign_rows in by_campaign.values():
            _carry(campaign, campaign_rows, outcome, by)
            if len(campaign_rows) > RESCORE_ONE_BY_ONE:
                start_scoring_run(campaign=campaign, by=by, trigger="cli")
            else:
                for row in campaign_rows:
                    schedule_rescore(unit_id=outcome.created[row.number].pk, campaign_id=campaign.pk)
    return outcome


def _sum(values: list[int | None]) -> int | None:
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def _carry(campaign: Campaign, rows: list[Any], outcome: Outcome, by: Actor) -> None:
    """Carry every row's predecessors' registration, assessment and answers in ``campaign`` to
    its new unit: a few set-based reads and bulk writes for the whole annex."""
    old_ids = sorted({u.pk for row in rows for u in row.predecessors})
    registrations = {
        r.unit_id: r for r in Registration.objects.filter(campaign=campaign, unit_id__in=old_ids)
    }
    assessments = {
        a.unit_id: a
        for a in Assessment.objects.filter(campaign=campaign, unit_id__in=old_ids).exclude(
            status=Assessment.Status.REVOKED
        )
    }
    criteria_set = campaign.criteria_set_for(Unit.Kind.RESIDENTIAL_AREA)
    # As plain tuples: an annex carries tens of thousands of answers.
    answers: dict[int, list[OldAnswer]] = {}
    carried = Answer.objects.filter(assessment__in=[a.pk for a in assessments.values()])
    if criteria_set is not None:
        carried = carried.filter(criterion__criteria_set=criteria_set)
    for values in carried.order_by("pk").values_list(*OldAnswer._fields):
        answer = OldAnswer(*values)
        answers.setdefault(answer.assessment_id, []).append(answer)
    actor = actor_or_none(by)
    new_registrations, new_assessments, sources = [], [], {}
    for row in rows:
        unit = outcome.created[row.number]
        names = {u.pk: u.full_name for u in row.predecessors}
        olds = [u.pk for u in row.predecessors]
        found = [registrations[pk] for pk in olds if pk in registrations]
        if found:
            registered = _sum([r.households_registered for r in found])
            if registered is not None and row.form == SPLIT:
                registered = (
                    registered * (row.household_count or 0) // (row.predecessors[0].household_count or 1)
                )
            new_registrations.append(
                Registration(
                    campaign=campaign,
                    unit=unit,
                    registered_on=min(r.registered_on for r in found),
                    households_total=unit.household_count,
                    households_registered=registered,
                    resolution_ref=_joined(r.resolution_ref for r in found),
                    plan_ref=_joined(r.plan_ref for r in found),
                    pledge_ref=_joined(r.pledge_ref for r in found),
                    note=_("Carried over from: %(units)s.")
                    % {"units": ", ".join(names[r.unit_id] for r in found)},
                    created_by=actor,
                )
            )
        assessed = [assessments[pk] for pk in olds if pk in assessments]
        if not assessed:
            continue
        complete = len(assessed) == len(olds)
        figures = {
            name: (_sum([getattr(a, name) for a in assessed]) if complete and row.form != SPLIT else None)
            for name in Assessment.FIGURE_FIELDS
        }
        new_assessments.append(
            Assessment(
                campaign=campaign,
                unit=unit,
                criteria_set=criteria_set or assessed[0].criteria_set,
                note=_("Carried over from: %(units)s.")
                % {"units": ", ".join(names[a.unit_id] for a in assessed)},
                **figures,
            )
        )
        sources[unit.pk] = (row, assessed, complete, names)
    Registration.objects.bulk_create(new_registrations, batch_size=1000)
    Assessment.objects.bulk_create(new_assessments, batch_size=1000)
    new_answers = []
    for assessment in new_assessments:
        row, assessed, complete, names = sources[assessment.unit_id]
        new_answers += _carried_answers(assessment, row, assessed, complete, names, answers, outcome, actor)
    Answer.objects.bulk_create(new_answers, batch_size=5000)
    for registration in new_registrations:
        log_change(
            registration, by=by, action=Action.CARRIED_OVER, field="registration", old="", new=registration.pk
        )
    for assessment in new_assessments:
        _row, assessed, _complete, _names = sources[assessment.unit_id]
        log_change(
            assessment,
            by=by,
            action=Action.CARRIED_OVER,
            field="assessment",
            old="; ".join(str(a.pk) for a in assessed),
            new=assessment.pk,
        )
    outcome.registrations += len(new_registrations)
    outcome.assessments += len(new_assessments)


def _carried_answers(
    assessment: Assessment,
    row: Any,
    assessed: list[Assessment],
    complete: bool,
    names: dict[int, str],
    answers: dict[int, list["OldAnswer"]],
    outcome: Outcome,
    actor: Any,
) -> list[Answer]:
    """The new assessment's answers: an answer the predecessors agree on is carried (figures
    added up, a split part keeps its old unit's); one they differ on is left for re-entry,
    with each old answer in the note."""
    unit_of = {a.pk: a.unit_id for a in assessed}
    by_criterion: dict[int, list[OldAnswer]] = {}
    for old in assessed:
        for answer in answers.get(old.pk, []):
            by_criterion.setdefault(answer.criterion_id, []).append(answer)
    found = []
    for criterion_id, old_answers in by_criterion.items():
        values = {a.effective_value for a in old_answers}
        if len(values) == 1 and complete and len(old_answers) == len(assessed):
            numbers = [a.number for a in old_answers]
            found.append(
                Answer(
                    assessment=assessment,
                    criterion_id=criterion_id,
                    value=values.pop(),
                    number=numbers[0] if row.form == SPLIT or len(numbers) == 1 else _sum(numbers),
                    note="\n".join(a.note for a in old_answers if a.note),
                    updated_by=actor,
                )
            )
            continue
        shown = "; ".join(
            f"{names[unit_of[a.assessment_id]]}: {Answer.Value(a.effective_value).label}"
            for a in sorted(old_answers, key=lambda a: unit_of[a.assessment_id])
        )
        found.append(
            Answer(
                assessment=assessment,
                criterion_id=criterion_id,
                value=Answer.Value.EMPTY,
                note=_("To be entered again after the merger. The old answers: %(answers)s.")
                % {"answers": shown},
                updated_by=actor,
            )
        )
        outcome.reentry += 1
    return found


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
    assessments = list(Assessment.objects.filter(unit_id__in=new_ids))
    registrations = list(Registration.objects.filter(unit_id__in=new_ids))
    for name, rows in (("assessment", assessments), ("registration", registrations)):
        for row in rows:
            log_change(row, by=by, action=Action.REARRANGEMENT_UNDONE, field=name, old=row.pk, new="")
    affected = [a.campaign_id for a in assessments]
    Assessment.objects.filter(unit_id__in=new_ids).delete()
    Registration.objects.filter(unit_id__in=new_ids).delete()
    removed = unit_services.undo_rearrangement(reference=reference, by=by, today=today)
    old_ids = {link.predecessor_id for link in links}
    for campaign_id in set(affected):
        for unit_id in old_ids:
            schedule_rescore(unit_id=unit_id, campaign_id=campaign_id)
    return removed
