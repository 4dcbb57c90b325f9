"""Campaign scoring (set-based: input digests in SQL, answers folded into bit masks, unchanged
units skipped) gives, for every unit, exactly the row the engine computes from that unit's
inputs read one by one through the ORM — from scratch, after changes, and unchanged."""

import datetime
import random

import pytest

from certification.data import dataset
from certification.models import Answer, Assessment, Campaign, Criterion, Registration, Result
from certification.scoring import engine as scoring
from certification.scoring import results
from certification.scoring.inputs import load_plans
from certification.scoring.runs import plan_chunks
from tests.builders import RESULT_COLUMNS, change_answers
from units.models import RecognizingAuthority, Unit

pytestmark = pytest.mark.django_db

YEAR = 2025
FIELDS = ("assessment_id", *RESULT_COLUMNS)


def score_everything(campaign: Campaign) -> None:
    """As a scoring run does, chunk by chunk (small chunks: several per campaign)."""
    for parent_ids, _count in plan_chunks(campaign, size=2):
        results.score_chunk(campaign, parent_ids)
    results.summarize_province(campaign)


def engine_inputs(campaign: Campaign, unit: Unit, xa4: scoring.Xa4Rollup | None) -> scoring.UnitInputs:
    assessment = Assessment.objects.filter(campaign=campaign, unit=unit).first()
    registration = Registration.objects.filter(campaign=campaign, unit=unit).first()
    previous = Assessment.objects.filter(
        campaign__year=campaign.year - 1, campaign__province=campaign.province, unit=unit
    ).first()
    plan, answers, figures, decision = None, {}, None, ""
    if assessment is not None:
        plan = load_plans([assessment.criteria_set_id]).plans[assessment.criteria_set_id]
        for answer in Answer.objects.filter(
            assessment=assessment, criterion__criteria_set_id=assessment.criteria_set_id
        ).select_related("criterion"):
            if answer.criterion.answer_type in (scoring.GROUP, scoring.DERIVED):
                continue
            answers[answer.criterion.code] = scoring.AnswerInput(
                answer.appraised_value or answer.value,
                answer.number,
                answer.note.strip(),
                answer.self_points,
                answer.appraised_points,
            )
        figures = scoring.Figures(
            assessment.crime_count, assessment.social_evil_count, assessment.violation_count
        )
        decision = assessment.status if assessment.status in scoring.DECIDED else ""
    # Grouped by where each input is read: the unit, its registration, its assessments.
    return scoring.UnitInputs(
        kind=unit.kind,
        is_eligible=unit.is_eligible,
        ineligible_reason=unit.ineligible_reason,
        xa4=xa4,
        registered=registration is not None,
        households_total=(
            registration.households_total
            if registration is not None and registration.households_total is not None
            else unit.household_count
        ),
        households_registered=registration.households_registered if registration is not None else None,
        plan=plan,
        answers=answers,
        figures=figures,
        last_year=(
            scoring.Figures(previous.crime_count, previous.social_evil_count, previous.violation_count)
            if previous is not None
            else None
        ),
        decision=decision,
    )


def engine_xa4(campaign: Campaign, commune: Unit) -> scoring.Xa4Rollup:
    """XA-4 from the rows of the units the commune recognizes, as the engine defines it."""
    assessment = Assessment.objects.filter(campaign=campaign, unit=commune).first()
    set_id = assessment.criteria_set_id if assessment else campaign.criteria_set_for(Unit.Kind.COMMUNE).pk
    plan = load_plans([set_id]).plans[set_id]
    derived = next(c for c in plan.criteria if c.answer_type == scoring.DERIVED)
    threshold = derived.threshold_percent
    children = []
    for unit_id, kind, eligible in results.managed_units(campaign, [commune.pk])[commune.pk]:
        status = Assessment.objects.filter(campaign=campaign, unit_id=unit_id).values_list(
            "status", flat=True
        )
        row = Result.objects.filter(campaign=campaign, unit_id=unit_id).first()
        children.append(
            scoring.ChildState(
                kind=kind,
                is_eligible=eligible,
                registered=Registration.objects.filter(campaign=campaign, unit_id=unit_id).exists(),
                decision=next((s for s in status if s in scoring.DECIDED), ""),
                computed_outcome=row.outcome if row else scoring.PENDING,
            )
        )
    return scoring.rollup_xa4(
        children,
        base=plan.rollup_base,
        threshold_percent=threshold if threshold is not None else plan.rollup_threshold_percent,
        code=derived.code,
    )


def assert_rows_are_the_engines(campaign: Campaign) -> int:
    units = list(results.campaign_units(campaign).order_by("id"))
    rows = {row.unit_id: row for row in Result.objects.filter(campaign=campaign)}
    assert set(rows) - {campaign.province_id} == {u.pk for u in units}
    for unit in units:
        xa4 = engine_xa4(campaign, unit) if unit.kind == Unit.Kind.COMMUNE else None
        expected = scoring.score_unit(engine_inputs(campaign, unit, xa4))
        assessment = Assessment.objects.filter(campaign=campaign, unit=unit).first()
        want = (
            assessment.pk if assessment else None,
            expected.outcome,
            expected.is_forecast,
            expected.points,
            expected.grade,
            expected.unmet,
            expected.missing,
            expected.explanation,
            xa4.as_dict() if xa4 else {},
        )
        got = tuple(getattr(rows[unit.pk], name) for name in FIELDS)
        assert got == want, f"{unit.kind} {unit.code}"
    return len(units)


def computed_at(campaign: Campaign) -> dict[int, datetime.datetime]:
    return dict(Result.objects.filter(campaign=campaign).values_list("unit_id", "computed_at"))


def test_every_row_is_what_the_engine_decides_from_scratch_after_changes_and_unchanged():
    dataset.generate_dataset(
        scale="province", synthetic=True, communes=3, year=YEAR, seed=11, decided_ratio=0.2, fill_ratio=0.9
    )
    campaign = Campaign.objects.get(year=YEAR, province__code__startswith="SX")
    rng = random.Random(5)
    answers = list(Answer.objects.filter(assessment__campaign=campaign).order_by("pk"))
    # Variety the generator does not make: N/A on mandatory criteria, notes, figures that rose.
    for answer in rng.sample(answers, 40):
        answer.value = rng.choice(["met", "not_met", "na", ""])
        answer.appraised_value = rng.choice(["", "", "met", "not_met"])
        answer.note = rng.choice(["", "  có ghi chú  ", "Giải trình: số vụ tăng do phát hiện"])
        answer.save()
    # Delegations (Art. 10(5)): XA-4 counts these units where their rule says, not under their
    # parent: an area moved to another commune, a province-level institution to a commune.
    communes = list(results.campaign_units(campaign, [Unit.Kind.COMMUNE]).order_by("pk"))
    moved = Unit.objects.filter(parent=communes[0], kind=Unit.Kind.RESIDENTIAL_AREA).order_by("pk").first()
    upper = (
        Unit.objects.filter(parent_id=campaign.province_id, kind__in=Unit.INSTITUTION_KINDS, is_eligible=True)
        .order_by("pk")
        .first()
    )
    assert moved is not None and upper is not None
    RecognizingAuthority.objects.create(unit=moved, authority=communes[1], from_year=YEAR)
    RecognizingAuthority.objects.create(unit=upper, authority=communes[2], from_year=YEAR)

    assert not results.campaign_unchanged(campaign)  # nothing scored yet
    score_everything(campaign)
    scored = assert_rows_are_the_engines(campaign)
    assert scored > 100
    assert results.campaign_unchanged(campaign)
    first = computed_at(campaign)

    # Change a few inputs of different kinds; only those units (and communes whose XA-4 moved)
    # may be rewritten.
    changed_answer = rng.choice([a for a in answers if a.value == "met"])
    change_answers(Answer.objects.filter(pk=changed_answer.pk), value="not_met", appraised_value="")
    noted = rng.choice(
        list(
            Answer.objects.filter(
                assessment__campaign=campaign, criterion__answer_type=Criterion.AnswerType.COMPARISON
            )
        )
    )
    change_answers(Answer.objects.filter(pk=noted.pk), value="met", note="Đã xác minh")
    decided = Assessment.objects.filter(campaign=campaign).exclude(status="recognized").order_by("pk").first()
    Assessment.objects.filter(pk=decided.pk).update(status="recognized")
    unregistered = Registration.objects.filter(campaign=campaign).order_by("-pk").first()
    unregistered.delete()
    touched = {
        changed_answer.assessment.unit_id,
        noted.assessment.unit_id,
        decided.unit_id,
        unregistered.unit_id,
    }

    assert not results.campaign_unchanged(campaign)
    score_everything(campaign)
    assert_rows_are_the_engines(campaign)
    assert results.campaign_unchanged(campaign)
    second = computed_at(campaign)
    rewritten = {uid for uid, at in second.items() if at != first[uid]}
    kinds = dict(Unit.objects.filter(pk__in=rewritten).values_list("id", "kind"))
    assert {uid for uid in rewritten if kinds[uid] != Unit.Kind.COMMUNE} - {campaign.province_id} <= touched

    # Nothing changed since: no row is rewritten.
    score_everything(campaign)
    assert computed_at(campaign) == second
    assert_rows_are_the_engines(campaign)


@pytest.mark.parametrize(
    "change",
    ["answer", "note", "decision", "registration", "delegation", "commune answer"],
)
def test_the_campaign_wide_check_sees_every_kind_of_change(change):
    dataset.generate_dataset(scale="province", synthetic=True, communes=2, year=YEAR, seed=3)
    campaign = Campaign.objects.get(year=YEAR, province__code__startswith="SX")
    score_everything(campaign)
    assert results.campaign_unchanged(campaign)
    area = Assessment.objects.filter(campaign=campaign, unit__kind="residential_area").order_by("pk").first()
    if change == "answer":
        answer = Answer.objects.filter(assessment=area).order_by("pk").first()
        change_answers(
            Answer.objects.filter(pk=answer.pk), value="not_met" if answer.value != "not_met" else "met"
        )
    elif change == "note":
        change_answers(
            Answer.objects.filter(pk=Answer.objects.filter(assessment=area).order_by("pk").first().pk),
            note="mới",
        )
    elif change == "decision":
        Assessment.objects.filter(pk=area.pk).update(status="revoked")
    elif change == "registration":
        Registration.objects.filter(campaign=campaign, unit=area.unit).delete()
    elif change == "delegation":
        from units.models import RecognizingAuthority

        communes = list(results.campaign_units(campaign, [Unit.Kind.COMMUNE]).order_by("pk"))
        other = next(c for c in communes if c.pk != area.unit.parent_id)
        RecognizingAuthority.objects.create(unit=area.unit, authority=other, from_year=YEAR)
    else:
        commune = Assessment.objects.filter(campaign=campaign, unit__kind="commune").order_by("pk").first()
        answer = Answer.objects.filter(assessment=commune).order_by("pk").first()
        change_answers(Answer.objects.filter(pk=answer.pk), value="na")
    assert not results.campaign_unchanged(campaign)
    score_everything(campaign)
    assert results.campaign_unchanged(campaign)
    assert_rows_are_the_engines(campaign)
