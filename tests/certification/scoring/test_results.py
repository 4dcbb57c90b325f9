"""Scoring on the database: set-based gathering, idempotent writes, XA-4 and summaries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certification.models import Answer, Assessment, Result
from certification.scoring import inputs as results_io
from certification.scoring import results
from certification.services.scoring import schedule_rescore
from tests.builders import change_answers, make_commune, make_unit
from tests.certification.scoring.conftest import YEAR
from units.models import RecognizingAuthority, Unit

pytestmark = pytest.mark.django_db


def result(campaign, unit) -> Result:
    return Result.objects.get(campaign=campaign, unit=unit)


def test_a_unit_meeting_every_criterion_gets_a_passing_forecast(campaign, area, assess):
    assessment = assess(area)
    results.score_campaign_units(campaign, [area.pk])
    row = result(campaign, area)
    assert (row.outcome, row.is_forecast, row.unmet_codes) == ("pass", True, [])
    assert row.assessment_id == assessment.pk
    assert row.explanation.startswith("Đạt: đáp ứng đủ 14 tiêu chí")


def test_the_appraised_answer_wins_over_the_self_assessment(campaign, areas, assess):
    assess(areas[0], appraised={"KDC-3a": "not_met"})
    assess(areas[1], answers={"KDC-2": "not_met"}, appraised={"KDC-2": "met"})
    results.score_campaign_units(campaign, [areas[0].pk, areas[1].pk])
    assert result(campaign, areas[0]).unmet_codes == ["KDC-3a"]
    assert result(campaign, areas[1]).outcome == "pass"


def test_unanswered_criteria_leave_the_unit_pending_with_their_codes(campaign, area, assess):
    assess(area, answers={"KDC-2": None, "KDC-5": ""})
    results.score_campaign_units(campaign, [area.pk])
    row = result(campaign, area)
    assert (row.outcome, row.missing_codes) == ("pending", ["KDC-2", "KDC-5"])


def test_kdc1_uses_the_registered_households(campaign, area, assess):
    assess(area, households=(120, 119))
    results.score_campaign_units(campaign, [area.pk])
    row = result(campaign, area)
    assert row.unmet_codes == ["KDC-1"]
    assert "119/120 hộ gia đình đăng ký" in row.explanation


def test_kdc4a_compares_with_last_years_assessment(province, campaign, area, assess):
    from certification.services.campaigns import open_campaign

    last = open_campaign(year=YEAR - 1, province=province)
    assess(area, target=last, figures=(2, 1, 3), status="recognized")
    assess(area, answers={"KDC-4a": None}, figures=(4, 1, 3))
    results.score_campaign_units(campaign, [area.pk])
    row = result(campaign, area)
    assert row.unmet_codes == ["KDC-4a"]
    assert "tội phạm 4 (năm trước 2, tăng)" in row.explanation


def test_an_ineligible_institution_is_not_covered(campaign, make_institution, assess):
    small = make_institution("DN-1", Unit.Kind.ENTERPRISE, enterprise_size=Unit.EnterpriseSize.SMALL)
    results.score_campaign_units(campaign, [small.pk])
    row = result(campaign, small)
    assert (row.outcome, row.is_forecast) == ("not_eligible", False)


def test_a_unit_without_assessment_is_pending(campaign, area):
    results.score_campaign_units(campaign, [area.pk])
    assert result(campaign, area).outcome == "pending"


def test_a_rerun_with_identical_inputs_rewrites_nothing(campaign, areas, assess):
    for unit in areas:
        assess(unit)
    first = results.score_campaign_units(campaign, [u.pk for u in areas])
    before = list(Result.objects.order_by("pk").values())
    again = results.score_campaign_units(campaign, [u.pk for u in areas])
    assert (first.written, again.written) == (5, 0)
    assert list(Result.objects.order_by("pk").values()) == before


def test_a_changed_answer_rewrites_only_that_units_row(campaign, areas, assess):
    assessments = [assess(unit) for unit in areas]
    results.score_campaign_units(campaign, [u.pk for u in areas])
    change_answers(Answer.objects.filter(assessment=assessments[2], criterion__code="KDC-5"), value="not_met")
    report = results.score_campaign_units(campaign, [u.pk for u in areas])
    assert report.written == 1
    assert result(campaign, areas[2]).unmet_codes == ["KDC-5"]


def test_gathering_does_not_query_per_unit(campaign, commune, assess, make_institution):
    def scored_queries(units) -> int:
        results_io._SET_CACHE.clear()  # both measurements read the criteria sets
        with CaptureQueriesContext(connection) as queries:
            results.score_campaign_units(campaign, [u.pk for u in units])
        return len(queries)

    def area(code: str) -> Unit:
        return Unit.objects.create(code=code, name=f"Thôn {code}", kind="residential_area", parent=commune)

    few = [area("A0"), make_institution("S0", Unit.Kind.SCHOOL, school_level="lower_secondary")]
    many = [area(f"B{i}") for i in range(30)] + [
        make_institution(f"C{i}", Unit.Kind.SCHOOL, school_level="lower_secondary") for i in range(10)
    ]
    for unit in few + many:
        assess(unit)
    assert scored_queries(many) == scored_queries(few)


def test_scoring_forty_units_stays_within_a_fixed_number_of_queries(
    campaign, commune, assess, django_assert_max_num_queries
):
    units = [
        Unit.objects.create(code=f"B{i}", name=f"Thôn {i}", kind="residential_area", parent=commune)
        for i in range(40)
    ]
    for unit in units:
        assess(unit)
    with django_assert_max_num_queries(40):  # constant: the same for 4 or 4,000 units
        results.score_chunk(campaign, [commune.pk])


# --- XA-4 ---------------------------------------------------------------------------------------


def _score_commune(campaign, commune, units):
    results.score_campaign_units(campaign, [u.pk for u in units])
    results.score_communes(campaign, [commune.pk])
    return result(campaign, commune)


def test_xa4_is_a_forecast_from_computed_results_before_decisions(campaign, commune, areas, assess):
    assess(commune)
    for unit in areas[:4]:
        assess(unit)
    assess(areas[4], answers={"KDC-2": "not_met"})
    row = _score_commune(campaign, commune, areas)
    assert row.rollup["recognized"] == 4 and row.rollup["total"] == 5
    assert row.rollup["is_forecast"]
    assert row.outcome == "pass"
    assert "XA-4: 4/5 đơn vị thuộc thẩm quyền được công nhận (80%) ≥ 70% — đạt" in row.explanation


def test_xa4_after_decisions_counts_the_decisions(campaign, commune, areas, assess):
    assess(commune)
    for unit in areas[:3]:
        assess(unit, status="recognized")
    for unit in areas[3:]:
        assess(unit, status="not_recognized")
    row = _score_commune(campaign, commune, areas)
    assert (row.rollup["recognized"], row.rollup["is_forecast"]) == (3, False)
    assert row.unmet_codes == ["XA-4"]
    assert "XA-4: 3/5 đơn vị thuộc thẩm quyền được công nhận (60%) < 70% — chưa đạt" in row.explanation


def test_xa4_fails_when_a_managed_unit_did_not_register(campaign, commune, areas, assess):
    assess(commune)
    for unit in areas[:4]:
        assess(unit, status="recognized")
    row = _score_commune(campaign, commune, areas)
    assert (row.rollup["registered"], row.rollup["met"]) == (4, False)


def test_xa4_ignores_ineligible_units_and_counts_institutions(
    campaign, commune, areas, assess, make_institution
):
    assess(commune)
    for unit in areas:
        assess(unit, status="recognized")
    make_institution("DN-S", Unit.Kind.ENTERPRISE, enterprise_size="micro")
    school = make_institution("TH-1", Unit.Kind.SCHOOL, school_level="upper_secondary")
    assess(school, answers={"CSGD-4": "not_met"})
    row = _score_commune(campaign, commune, Unit.objects.filter(parent=commune))
    assert (row.rollup["total"], row.rollup["recognized"]) == (6, 5)
    assert row.rollup["by_kind"]["school"] == {"total": 1, "registered": 1, "recognized": 0, "undecided": 1}


def test_xa4_on_residential_base_counts_residential_areas_only(
    campaign, commune, areas, assess, make_institution
):
    commune_assessment = assess(commune)
    commune_assessment.criteria_set.__class__.objects.filter(pk=commune_assessment.criteria_set_id).update(
        rollup_base="residential"
    )
    for unit in areas:
        assess(unit, status="recognized")
    for i in range(4):
        make_institution(f"CQ-{i}")
    row = _score_commune(campaign, commune, Unit.objects.filter(parent=commune))
    assert (row.rollup["total"], row.rollup["met"]) == (5, True)


def test_a_delegated_institution_counts_for_the_commune_it_was_delegated_to(
    province, campaign, commune, other_commune, assess, make_institution
):
    hospital = make_institution("BV-1", parent=province)
    RecognizingAuthority.objects.create(unit=hospital, authority=commune, from_year=YEAR, is_delegation=True)
    moved = make_institution("CQ-MOVED", parent=commune)
    RecognizingAuthority.objects.create(unit=moved, authority=other_commune, from_year=YEAR)
    managed = results.managed_units(campaign, [commune.pk, other_commune.pk])
    assert [uid for uid, _k, _e in managed[commune.pk]] == [hospital.pk]
    assert [uid for uid, _k, _e in managed[other_commune.pk]] == [moved.pk]


def test_a_chunk_scores_units_delegated_from_elsewhere_before_the_commune(
    province, campaign, commune, assess, make_institution
):
    hospital = make_institution("BV-1", parent=province)
    RecognizingAuthority.objects.create(unit=hospital, authority=commune, from_year=YEAR, is_delegation=True)
    assess(hospital)
    results.score_chunk(campaign, [commune.pk])
    assert result(campaign, hospital).outcome == "pass"
    assert result(campaign, commune).rollup["recognized"] == 1


# --- province summary and rescoring ------------------------------------------------------------


def test_the_province_summary_has_rates_per_kind_and_per_commune(
    province, campaign, commune, other_commune, areas, assess
):
    for unit in areas[:4]:
        assess(unit)
    assess(areas[4], answers={"KDC-2": "not_met"})
    results.score_chunk(campaign, [commune.pk, other_commune.pk])
    row = results.summarize_province(campaign)
    kinds = row.rollup["kinds"]
    assert kinds["residential_area"]["pass"] == 4
    assert kinds["residential_area"]["fail"] == 1
    assert kinds["residential_area"]["registered"] == 5
    assert [c["code"] for c in row.rollup["communes"]] == [commune.code, other_commune.code]
    assert "Khu dân cư: 4/5 đạt (80%)" in row.explanation


def test_the_summary_lines_are_the_communes_filed_under_the_province_with_a_row(
    province, other_province, campaign, commune, other_commune, areas, assess
):
    """Issue 23, round 9: the lines are read through the province's communes, in tree order,
    with each one's figures as its row has them; a commune without a row has no line, and a
    commune that has left the province is no longer a line of it (nor counted by kind)."""
    leaving = make_commune(province, "17200")
    for unit in areas:
        assess(unit)
    assess(commune)
    results.score_chunk(campaign, [commune.pk, other_commune.pk, leaving.pk])
    unscored = make_unit("18900", "Kỳ Tân", Unit.Kind.COMMUNE, province, label="Xã")
    leaving.parent = other_province
    leaving.save()
    row = results.summarize_province(campaign)
    expected = [
        (r.unit_id, r.outcome, r.is_forecast, r.rollup["met"])
        for r in Result.objects.filter(campaign=campaign, unit__in=[commune, other_commune]).order_by(
            "unit__path"
        )
    ]
    lines = row.rollup["communes"]
    assert [(c["id"], c["outcome"], c["is_forecast"], c["xa4"]["met"]) for c in lines] == expected
    assert [c["name"] for c in lines] == [commune.full_name, other_commune.full_name]
    assert unscored.pk not in {c["id"] for c in lines}
    assert Result.objects.filter(campaign=campaign, unit=leaving).exists()
    assert row.rollup["kinds"]["commune"]["units"] == 3  # the two lines' and the unscored commune


def test_rescoring_one_unit_updates_its_commune_and_the_province(campaign, province, commune, areas, assess):
    assessments = [assess(unit) for unit in areas]
    assess(commune)
    results.score_chunk(campaign, [commune.pk])
    results.summarize_province(campaign)
    for assessment in assessments[:2]:
        change_answers(Answer.objects.filter(assessment=assessment, criterion__code="KDC-2"), value="not_met")
        results.rescore_unit(assessment.unit_id, campaign.pk)
    assert result(campaign, areas[0]).outcome == "fail"
    assert result(campaign, commune).rollup["recognized"] == 3
    assert result(campaign, province).rollup["kinds"]["residential_area"]["fail"] == 2


def test_on_a_worker_the_province_summary_is_debounced_not_recomputed_after_every_save(
    campaign, province, commune, areas, assess, settings, monkeypatch
):
    """200 officers saving at the deadline must not ask for 200 identical province summaries."""
    from django.core.cache import cache

    from certification.tasks.scoring import rescore_unit_task, summarize_province_task

    for unit in areas:
        assess(unit)
    results.score_chunk(campaign, [commune.pk])
    results.summarize_province(campaign)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SCORING_SUMMARY_DELAY = 5
    cache.clear()
    queued = []
    monkeypatch.setattr(  # the broker is the edge here: record what would be sent
        summarize_province_task, "apply_async", lambda args, countdown: queued.append((args, countdown))
    )
    for area in areas[:3]:
        change_answers(Answer.objects.filter(assessment__unit=area, criterion__code="KDC-2"), value="not_met")
        rescore_unit_task(area.pk, campaign.pk)  # what the worker runs
    assert result(campaign, areas[0]).outcome == "fail"  # the unit and its commune: at once
    assert result(campaign, commune).rollup["recognized"] == 2
    assert result(campaign, province).rollup["kinds"]["residential_area"]["fail"] == 0  # not yet
    assert queued == [((campaign.pk,), 5)]  # one summary for the three saves

    summarize_province_task(campaign.pk)  # what the queued task does
    assert result(campaign, province).rollup["kinds"]["residential_area"]["fail"] == 3
    rescore_unit_task(areas[3].pk, campaign.pk)
    assert len(queued) == 2  # a save after the summary ran queues the next one


def test_schedule_rescore_runs_once_per_unit_after_commit(
    campaign, area, assess, django_capture_on_commit_callbacks
):
    assess(area)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        schedule_rescore(unit_id=area.pk, campaign_id=campaign.pk)
        schedule_rescore(unit_id=area.pk, campaign_id=campaign.pk)
    assert len(callbacks) == 1
    assert result(campaign, area).outcome == "pass"


def test_a_recognition_is_reflected_as_a_decided_result(campaign, area, assess):
    assessment = assess(area)
    results.rescore_unit(area.pk, campaign.pk)
    assert result(campaign, area).is_forecast
    Assessment.objects.filter(pk=assessment.pk).update(status="recognized")
    results.rescore_unit(area.pk, campaign.pk)
    row = result(campaign, area)
    assert (row.outcome, row.is_forecast) == ("pass", False)
    assert row.explanation.startswith("Đã có quyết định công nhận")


def test_an_answer_to_a_criterion_of_another_set_is_ignored(campaign, area, assess, make_institution):
    assessment = assess(area)
    school = make_institution("TH-1", Unit.Kind.SCHOOL, school_level="upper_secondary")
    other = assess(school)
    stray = Answer.objects.filter(assessment=other).order_by("criterion__order").first().criterion
    Answer.objects.create(assessment=assessment, criterion=stray, value="not_met")
    results.score_campaign_units(campaign, [area.pk, school.pk])
    assert result(campaign, area).outcome == "pass"


def test_an_officers_saved_answer_rescores_the_unit_and_its_commune_after_commit(
    province, campaign, commune, area, officer, assess, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from certification.services.campaigns import open_campaign
    from certification.services.entry import save_answers

    current = open_campaign(year=timezone.localdate().year + 1, province=province)  # entry still open
    assessment = assess(area, target=current, status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        save_answers(
            assessment=assessment,
            by=officer,
            expected_version=assessment.version,
            changes={"KDC-2": {"value": "not_met"}},
        )
    assert result(current, area).unmet_codes == ["KDC-2"]
    assert result(current, commune).rollup["recognized"] == 0
    assert result(current, province).rollup["kinds"]["residential_area"]["fail"] == 1


def test_answers_changed_through_the_services_are_seen_by_the_next_run(
    province, campaign, area, officer, appraiser, assess
):
    """Scoring knows an assessment's answers by its id and version (docs/scoring.md): every
    service that changes an answer bumps the version, so the next run rescores the unit."""
    from django.utils import timezone

    from certification.services.campaigns import open_campaign
    from certification.services.entry import save_answers
    from certification.services.transitions import appraise_assessment

    current = open_campaign(year=timezone.localdate().year + 1, province=province)  # entry still open
    assessment = assess(area, target=current, status="draft")
    results.score_campaign_units(current, [area.pk])
    assert result(current, area).outcome == "pass"

    save_answers(
        assessment=assessment,
        by=officer,
        expected_version=assessment.version,
        changes={"KDC-2": {"value": "not_met"}},
    )
    assert results.score_campaign_units(current, [area.pk]).written == 1
    assert result(current, area).unmet_codes == ["KDC-2"]

    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    appraise_assessment(
        assessment=Assessment.objects.get(pk=assessment.pk),
        by=appraiser,
        values={"KDC-2": {"appraised_value": "met"}, "KDC-5": {"appraised_value": "not_met"}},
    )
    assert results.score_campaign_units(current, [area.pk]).written == 1
    assert result(current, area).unmet_codes == ["KDC-5"]
    assert results.score_campaign_units(current, [area.pk]).written == 0


def test_a_change_to_the_draft_set_a_unit_is_assessed_on_rescores_it(campaign, area, assess):
    from certification.services.criteria import new_version

    assessment = assess(area, answers={"KDC-5": "na"})
    draft = new_version(assessment.criteria_set)
    by_code = dict(draft.criteria.values_list("code", "pk"))
    for answer in Answer.objects.filter(assessment=assessment).select_related("criterion"):
        Answer.objects.filter(pk=answer.pk).update(criterion_id=by_code[answer.criterion.code])
    Assessment.objects.filter(pk=assessment.pk).update(criteria_set=draft)
    results.score_campaign_units(campaign, [area.pk])
    assert result(campaign, area).unmet_codes == ["KDC-5"]  # N/A on a mandatory criterion

    draft.criteria.filter(code="KDC-5").update(na_allowed=True)  # answers unchanged
    report = results.score_campaign_units(campaign, [area.pk])
    assert report.written == 1
    assert (result(campaign, area).outcome, result(campaign, area).unmet_codes) == ("pass", [])
