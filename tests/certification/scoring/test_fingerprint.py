"""A run where nothing changed is recognized by the campaign's fingerprint
(certification/scoring/fingerprint.py): no check, no chunk, no summary; and every kind of change
a run reads breaks the match, so the next run scores what changed."""

import datetime

import pytest
from django.apps import apps

from certification.models import Answer, Registration, Result, ScoringRun
from certification.scoring import runs as scoring_runs
from certification.scoring.fingerprint import campaign_fingerprint
from certification.services.scoring import start_scoring_run
from movement.data.catalogue import load_catalogue
from movement.models import ModelType
from movement.services.models import record_model
from tests.builders import change_answers
from units.models import RecognizingAuthority, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(
    campaign, commune, areas, other_area, assess, make_institution, django_capture_on_commit_callbacks
):
    for unit in areas:
        assess(unit)
    assess(other_area)
    assess(commune)
    assess(make_institution("BV-1"))
    with django_capture_on_commit_callbacks(execute=True):
        start_scoring_run(campaign=campaign)
    return campaign


def rows(campaign) -> list[tuple]:
    return list(
        Result.objects.filter(campaign=campaign)
        .order_by("unit_id")
        .values_list("unit_id", "outcome", "unmet_codes", "explanation", "rollup", "input_hash")
    )


def run_once(campaign, capture) -> ScoringRun:
    with capture(execute=True):
        run = start_scoring_run(campaign=campaign)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE
    return run


def forbid(monkeypatch, *names: str) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a run on a verified fingerprint did more than plan")

    for name in names:
        monkeypatch.setattr(scoring_runs, name, refuse)


def test_a_run_from_scratch_records_a_verified_fingerprint_and_the_next_runs_do_nothing_else(
    scored, monkeypatch, django_capture_on_commit_callbacks
):
    first = ScoringRun.objects.get(campaign=scored)
    assert first.fingerprint == campaign_fingerprint(scored).full
    before = rows(scored)
    forbid(monkeypatch, "campaign_unchanged", "score_chunk", "summarize_province")
    for _ in range(2):
        run = run_once(scored, django_capture_on_commit_callbacks)
        assert (run.done, run.chunks_done) == (run.total, run.chunks_total)
        assert run.fingerprint == first.fingerprint
    assert rows(scored) == before


def rename_commune(campaign, commune, **_):
    Unit.objects.filter(pk=commune.pk).update(name="Tân Lập Mới")


def move_an_area_to_the_other_commune(campaign, areas, other_commune, **_):
    RecognizingAuthority.objects.create(unit=areas[0], authority=other_commune, from_year=campaign.year)


def fail_an_answer(campaign, areas, **_):
    change_answers(Answer.objects.filter(assessment__unit=areas[0], criterion__code="KDC-5"), value="not_met")


def shrink_a_registration(campaign, areas, **_):
    Registration.objects.filter(campaign=campaign, unit=areas[1]).update(households_registered=10)


def delete_a_result(campaign, areas, **_):
    Result.objects.filter(campaign=campaign, unit=areas[2]).delete()


def record_a_model(campaign, commune, officer, **_):
    load_catalogue(apps)
    record_model(
        by=officer,
        unit=commune,
        name="Tổ tuần tra",
        model_type=ModelType.objects.get(province=None, code="to-tuan-tra"),
        started_on=datetime.date(campaign.year - 1, 5, 1),
    )


@pytest.mark.parametrize(
    "change",
    [
        rename_commune,
        move_an_area_to_the_other_commune,
        fail_an_answer,
        shrink_a_registration,
        delete_a_result,
        record_a_model,
    ],
)
def test_any_change_a_run_reads_breaks_the_match_and_the_next_run_scores_it(
    change, scored, commune, other_commune, areas, officer, django_capture_on_commit_callbacks
):
    verified = campaign_fingerprint(scored)
    change(campaign=scored, commune=commune, other_commune=other_commune, areas=areas, officer=officer)
    assert campaign_fingerprint(scored) != verified
    run = run_once(scored, django_capture_on_commit_callbacks)
    assert run.fingerprint and run.fingerprint != verified.full
    after = rows(scored)
    # What a full rescoring from scratch gives for the changed data (the engine's word).
    Result.objects.filter(campaign=scored).delete()
    run_once(scored, django_capture_on_commit_callbacks)
    assert rows(scored) == after


def test_a_change_while_the_run_scores_leaves_its_fingerprint_unverified(
    scored, areas, django_capture_on_commit_callbacks
):
    Result.objects.filter(campaign=scored).delete()  # so that the run has chunks to score
    run = ScoringRun.objects.create(campaign=scored)
    planned = scoring_runs.plan_run(run.pk)
    assert planned.todo
    for index in planned.todo:
        scoring_runs.run_chunk(run.pk, index)
    # An officer's save between the run's plan and its end (its own rescoring still queued).
    change_answers(Answer.objects.filter(assessment__unit=areas[0], criterion__code="KDC-5"), value="not_met")
    scoring_runs.finalize_run(run.pk)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE and run.fingerprint == ""
    # So the next run does not trust it: it checks, finds the change and scores it.
    run_once(scored, django_capture_on_commit_callbacks)
    assert Result.objects.get(campaign=scored, unit=areas[0]).outcome == "fail"


def test_a_unit_of_another_province_that_a_commune_recognizes_counts_in_the_fingerprint(
    scored, commune, other_province
):
    far = Unit.objects.create(code="40-CQ1", name="Đơn vị xa", kind=Unit.Kind.AGENCY, parent=other_province)
    RecognizingAuthority.objects.create(unit=far, authority=commune, from_year=scored.year)
    before = campaign_fingerprint(scored)
    Unit.objects.filter(pk=far.pk).update(is_eligible=False)
    assert campaign_fingerprint(scored) != before
