"""Scoring runs (eager Celery here; tests/certification/scoring/test_worker.py uses a real worker)."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from certification.models import Result, ScoringChunk, ScoringRun
from certification.scoring import runs as scoring_runs
from certification.services.scoring import start_scoring_run
from certification.tasks.guard import run_guarded
from certification.tasks.scoring import resume_stalled_runs_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_province(campaign, province, commune, other_commune, areas, other_area, assess, make_institution):
    for unit in areas:
        assess(unit)
    assess(other_area, answers={"KDC-5": "not_met"})
    assess(commune)
    assess(make_institution("BV-1", parent=province))
    return campaign


def snapshot(campaign) -> list[tuple]:
    return list(
        Result.objects.filter(campaign=campaign)
        .order_by("unit_id")
        .values_list(
            "unit_id", "outcome", "is_forecast", "unmet_codes", "explanation", "rollup", "input_hash"
        )
    )


def test_a_run_scores_leaves_communes_and_the_province(
    scored_province, province, commune, settings, django_capture_on_commit_callbacks
):
    settings.SCORING_CHUNK_COMMUNES = 1
    with django_capture_on_commit_callbacks(execute=True):
        run = start_scoring_run(campaign=scored_province, trigger="cli")
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE
    assert (run.chunks_total, run.chunks_done) == (
        2,
        2,
    )  # one chunk per commune, province-level units in the first
    assert run.done == run.total == 9  # 5 + 1 residential areas, 1 hospital, 2 communes
    assert Result.objects.get(campaign=scored_province, unit=commune).rollup["recognized"] == 5
    assert (
        Result.objects.get(campaign=scored_province, unit=province).rollup["kinds"]["residential_area"][
            "pass"
        ]
        == 5
    )


def test_a_second_run_gives_identical_rows(scored_province, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_scoring_run(campaign=scored_province)
    first = snapshot(scored_province)
    with django_capture_on_commit_callbacks(execute=True):
        start_scoring_run(campaign=scored_province)
    assert snapshot(scored_province) == first


def test_a_run_with_nothing_changed_records_its_chunks_done_without_scoring_them(
    scored_province, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_scoring_run(campaign=scored_province)
    before = snapshot(scored_province)

    def no_chunk(*args, **kwargs):
        raise AssertionError("an unchanged campaign scored a chunk")

    monkeypatch.setattr(scoring_runs, "score_chunk", no_chunk)
    with django_capture_on_commit_callbacks(execute=True):
        run = start_scoring_run(campaign=scored_province)
    run.refresh_from_db()
    assert (run.status, run.done, run.chunks_done) == ("done", run.total, run.chunks_total)
    assert not run.chunks.filter(done_at__isnull=True).exists()
    assert snapshot(scored_province) == before


def test_a_redelivered_chunk_does_nothing_and_is_not_counted_twice(scored_province):
    run = ScoringRun.objects.create(campaign=scored_province)
    todo = scoring_runs.plan_run(run.pk).todo
    assert scoring_runs.run_chunk(run.pk, todo[0]).scored is True
    assert scoring_runs.run_chunk(run.pk, todo[0]).scored is False
    run.refresh_from_db()
    assert run.chunks_done == 1
    assert run.done == ScoringChunk.objects.get(run=run, index=todo[0]).unit_count


def test_only_the_last_chunk_reports_that_the_run_can_finish(scored_province):
    run = ScoringRun.objects.create(campaign=scored_province, chunk_size=1)  # one chunk per commune
    planned = scoring_runs.plan_run(run.pk)
    assert len(planned.todo) > 1 and not planned.all_done
    reports = [scoring_runs.run_chunk(run.pk, index) for index in planned.todo]
    assert [r.all_done for r in reports] == [False] * (len(reports) - 1) + [True]
    assert scoring_runs.run_chunk(run.pk, planned.todo[0]) == (False, True)  # redelivered: finish again
    scoring_runs.finalize_run(run.pk)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE
    assert scoring_runs.run_chunk(run.pk, planned.todo[0]) == (False, False)  # the run is over


def test_a_run_with_nothing_changed_is_planned_with_nothing_to_send(
    scored_province, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_scoring_run(campaign=scored_province)
    run = ScoringRun.objects.create(campaign=scored_province)
    assert scoring_runs.plan_run(run.pk) == ([], True)


def test_a_new_run_supersedes_an_unfinished_one_whose_chunks_then_do_nothing(scored_province):
    old = ScoringRun.objects.create(campaign=scored_province)
    todo = scoring_runs.plan_run(old.pk).todo
    start_scoring_run(campaign=scored_province)  # on-commit callbacks not run: stays queued
    old.refresh_from_db()
    assert old.status == ScoringRun.Status.FAILED and "#" in old.error
    assert scoring_runs.run_chunk(old.pk, todo[0]).scored is False
    assert not Result.objects.exists()


def test_a_failing_chunk_marks_the_run_failed(scored_province, monkeypatch):
    run = ScoringRun.objects.create(campaign=scored_province)
    todo = scoring_runs.plan_run(run.pk).todo

    def broken(campaign, parent_ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scoring_runs, "score_chunk", broken)
    with pytest.raises(RuntimeError):
        run_guarded(ScoringRun, run.pk, scoring_runs.run_chunk, todo[0])
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED
    assert "disk full" in run.error


def test_a_guarded_step_may_swallow_its_error_and_a_failed_run_keeps_its_first_error(scored_province):
    run = ScoringRun.objects.create(campaign=scored_province)

    def broken(run_id):
        raise RuntimeError("disk full")

    assert run_guarded(ScoringRun, run.pk, broken, reraise=False) is None
    run.refresh_from_db()
    assert (run.status, run.error) == (ScoringRun.Status.FAILED, "RuntimeError: disk full")
    assert run.finished_at is not None
    run_guarded(ScoringRun, run.pk, lambda run_id: 1 / 0, reraise=False)
    run.refresh_from_db()
    assert run.error == "RuntimeError: disk full"


def test_campaigns_whose_period_ended_yesterday_are_scored_once_a_day(scored_province):
    day_after = scored_province.residential_period_end + datetime.timedelta(days=1)
    assert scoring_runs.due_campaigns(day_after) == [scored_province]
    assert scoring_runs.due_campaigns(day_after + datetime.timedelta(days=2)) == []
    assert len(scoring_runs.score_due_campaigns(day_after)) == 1
    assert scoring_runs.score_due_campaigns(day_after) == []


def test_a_run_whose_chunk_message_was_lost_is_completed_by_the_watchdog(
    scored_province, django_capture_on_commit_callbacks
):
    run = ScoringRun.objects.create(campaign=scored_province)
    todo = scoring_runs.plan_run(run.pk).todo
    scoring_runs.run_chunk(run.pk, todo[0])  # the other chunks' messages went down with a worker
    assert scoring_runs.resume_stalled_runs() == []  # progress a moment ago: not stalled yet
    with django_capture_on_commit_callbacks(execute=True):  # eager: the chunks run now
        assert resume_stalled_runs_task(idle_seconds=0) == [run.pk]
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE
    assert run.chunks_done == run.chunks_total == len(todo)
    assert scoring_runs.resume_stalled_runs(idle=datetime.timedelta(0)) == []  # finished runs stay


def test_the_beat_schedule_names_real_tasks():
    from celery import current_app

    from certification.schedule import BEAT_SCHEDULE

    current_app.loader.import_default_modules()  # what a worker imports when it starts
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= set(current_app.tasks)
    assert "certification.tasks.scoring.resume_stalled_runs_task" in {
        e["task"] for e in BEAT_SCHEDULE.values()
    }


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the run is queued on commit
def test_score_campaign_command_waits_and_prints_progress(scored_province, province):
    out = io.StringIO()
    call_command("score_campaign", year=scored_province.year, province=province.code, wait=True, stdout=out)
    assert "9/9 đơn vị (100%)" in out.getvalue()
    assert "Đã chấm xong 1 đợt xét" in out.getvalue()
    assert Result.objects.filter(campaign=scored_province).count() == 10  # and the province


def test_score_campaign_command_explains_an_unknown_campaign(scored_province):
    with pytest.raises(CommandError, match="Không có đợt xét năm 1999"):
        call_command("score_campaign", year=1999)
