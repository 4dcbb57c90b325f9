"""The campaign across a re-arrangement of residential areas (docs/rearrangement.md): carried
registrations and answers, summed figures, XA-4 at the period's end, last year unchanged."""

import datetime

import pytest
from django.db.models import Q
from django.utils import translation

from certification.audit import Action, SystemActor
from certification.models import Answer, Assessment, AuditEvent, Registration, Result
from certification.scoring import inputs, results
from certification.scoring.results import campaign_units
from certification.services import rearrangement
from certification.services.campaigns import open_campaign
from tests.certification.scoring.conftest import YEAR
from tests.units.conftest import xlsx
from units.exchange.rearrangement import COLUMNS, SHEET_NAME, read_upload, validate

pytestmark = pytest.mark.django_db

REF = f"Nghị quyết số 45/NQ-HĐND ngày 20/5/{YEAR}"
DAY = f"01/07/{YEAR}"


def row(name, form, old, households=""):
    return ["18823", name, "Tổ dân phố", form, old, households, DAY, REF]


def keep(*numbers):
    return [row(f"Tổ dân phố {i}", "Giữ nguyên", f"18823-TDP0{i}") for i in numbers]


def apply(rows):
    with translation.override("vi"):
        plan = validate(
            read_upload("nq.xlsx", xlsx(rows, header=COLUMNS, sheet=SHEET_NAME)),
            today=datetime.date(YEAR, 1, 1),
        )
        assert plan.ok, plan.errors
        return rearrangement.apply(rows=plan.rows, by=SystemActor())


def test_a_merger_carries_the_registration_the_answers_and_sums_the_figures(campaign, areas, assess):
    assess(areas[0], households=(101, 100), figures=(1, 0, 2), status="draft")
    assess(areas[1], households=(102, 102), figures=(2, 1, 0), answers={"KDC-2": "not_met"}, status="draft")
    outcome = apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    new = outcome.created[2]
    registration = Registration.objects.get(campaign=campaign, unit=new)
    assert (registration.households_total, registration.households_registered) == (203, 202)
    assessment = Assessment.objects.get(campaign=campaign, unit=new)
    assert assessment.status == Assessment.Status.DRAFT
    assert (assessment.crime_count, assessment.social_evil_count, assessment.violation_count) == (3, 1, 2)
    answers = {a.criterion.code: a for a in assessment.answers.select_related("criterion")}
    assert answers["KDC-3a"].value == "met"
    # answered differently: to be entered again, with both old answers shown
    assert answers["KDC-2"].value == ""
    assert "Tổ dân phố 1: Đạt" in answers["KDC-2"].note
    assert "Tổ dân phố 2: Không đạt" in answers["KDC-2"].note
    assert outcome.reentry == 1
    assert AuditEvent.objects.filter(action=Action.CARRIED_OVER).count() == 2


def test_a_split_shares_the_registered_households(campaign, areas, assess):
    assess(areas[2], households=(103, 100), status="draft")
    outcome = apply(
        [
            row("Tổ dân phố 3A", "Chia tách", "18823-TDP03", "50"),
            row("Tổ dân phố 3B", "Chia tách", "18823-TDP03", "53"),
            *keep(1, 2, 4, 5),
        ]
    )
    parts = [Registration.objects.get(campaign=campaign, unit=outcome.created[n]) for n in (2, 3)]
    assert [(r.households_total, r.households_registered) for r in parts] == [(50, 48), (53, 51)]
    carried = Assessment.objects.get(campaign=campaign, unit=outcome.created[2])
    assert carried.crime_count is None  # a part's share of the incidents is unknown: entered again


def test_xa4_counts_the_areas_at_the_periods_end_and_says_how_many_were_merged(
    campaign, commune, areas, assess
):
    assess(commune)
    for unit in areas:
        assess(unit)
    outcome = apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    units = list(campaign_units(campaign))
    assert outcome.created[2] in units and areas[0] not in units
    results.score_campaign_units(campaign, [u.pk for u in units if u.parent_id == commune.pk])
    results.score_communes(campaign, [commune.pk])
    row_ = Result.objects.get(campaign=campaign, unit=commune)
    assert row_.rollup["total"] == 4
    assert "4 tổ dân phố sau sắp xếp (trước: 5)" in row_.explanation


def test_last_years_campaign_keeps_the_old_units(province, campaign, areas):
    last = open_campaign(year=YEAR - 1, province=province)
    before = set(campaign_units(last).values_list("pk", flat=True))
    apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    assert set(campaign_units(last).values_list("pk", flat=True)) == before
    assert not Registration.objects.filter(campaign=last).exists()


def test_the_merged_unit_is_compared_with_its_predecessors_last_year(province, campaign, areas, assess):
    last = open_campaign(year=YEAR - 1, province=province)
    assess(areas[0], target=last, figures=(2, 1, 3), status="recognized")
    assess(areas[1], target=last, figures=(3, 0, 1), status="recognized")
    assess(areas[0], figures=(1, 0, 1), status="draft")
    assess(areas[1], figures=(1, 0, 1), status="draft")
    new = apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)]).created[
        2
    ]
    gathered = inputs.gather_units(campaign, Q(pk=new.pk))
    figures = gathered.last_year[new.pk]
    assert (figures.crime, figures.social_evil, figures.violation) == (5, 1, 4)


def test_undo_removes_what_was_carried(campaign, areas, assess):
    assess(areas[0], status="draft")
    outcome = apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    rearrangement.undo(reference=REF, by=SystemActor(), today=datetime.date(YEAR, 6, 30))
    assert not Assessment.objects.filter(unit_id=outcome.created[2].pk).exists()
    assert Assessment.objects.filter(unit=areas[0]).count() == 1
    assert not Answer.objects.filter(assessment__unit_id=outcome.created[2].pk).exists()


def test_undo_is_refused_once_the_new_units_assessment_was_worked_on(campaign, areas, assess):
    from antt.errors import WorkflowError
    from certification.audit import log_change

    assess(areas[0], status="draft")
    outcome = apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)])
    carried = Assessment.objects.get(unit=outcome.created[2])
    log_change(
        carried, by=SystemActor(), action=Action.ANSWER, field="KDC-2", old="", new="met", assessment=carried
    )
    with pytest.raises(WorkflowError):
        rearrangement.undo(reference=REF, by=SystemActor(), today=datetime.date(YEAR, 6, 30))
    assert Assessment.objects.filter(unit=outcome.created[2]).exists()


def test_the_verify_page_of_an_old_certificate_says_what_the_unit_is_now(areas):
    from certification.selectors.rearrangement import unit_now

    new = apply([row("Tổ dân phố Hải Đông", "Sáp nhập", "18823-TDP01; 18823-TDP02"), *keep(3, 4, 5)]).created[
        2
    ]
    areas[0].refresh_from_db()
    assert unit_now(areas[0], today=datetime.date(YEAR, 8, 1)) == [new]
    assert unit_now(areas[2], today=datetime.date(YEAR, 8, 1)) == []
