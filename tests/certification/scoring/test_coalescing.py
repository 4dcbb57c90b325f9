"""Rescoring after saves, coalesced per campaign on a worker (issue 23): a deadline burst of
saves queues a few drains, not one task per save, and the results after the burst include the
last change. Redis is real (the broker's pending set); the broker edge (``apply_async``) is
recorded instead of sent, and the test runs what the worker would run."""

import pytest

from certification.models import Answer, Result
from certification.scoring import results
from certification.services.scoring import schedule_rescore
from certification.tasks import scoring as tasks
from tests.builders import change_answers

pytestmark = pytest.mark.django_db


def outcome(campaign, unit) -> str:
    return Result.objects.get(campaign=campaign, unit=unit).outcome


@pytest.fixture
def worker_mode(settings, redis_url, monkeypatch):
    """Tasks go to a (recorded) broker; the pending set lives in a Redis of this test."""
    from django.core.cache import cache

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    settings.SCORING_RESCORE_DELAY = 2
    settings.SCORING_SUMMARY_DELAY = 5
    cache.clear()
    sent: dict[str, list] = {"drain": [], "summary": [], "single": []}
    monkeypatch.setattr(
        tasks.rescore_pending_task,
        "apply_async",
        lambda args, countdown: sent["drain"].append((args, countdown)),
    )
    monkeypatch.setattr(
        tasks.summarize_province_task, "apply_async", lambda args, countdown: sent["summary"].append(args)
    )
    monkeypatch.setattr(tasks.rescore_unit_task, "delay", lambda *args: sent["single"].append(args))
    return sent


def save(unit, value: str, campaign) -> None:
    """What a save does once it has committed: the answer changed, its unit asked for."""
    change_answers(Answer.objects.filter(assessment__unit=unit, criterion__code="KDC-2"), value=value)
    tasks.request_rescore(unit.pk, campaign.pk)  # what schedule_rescore's on-commit callback runs


def test_a_burst_of_saves_queues_one_drain_that_scores_every_saved_unit_and_their_commune(
    campaign, province, commune, areas, assess, worker_mode, django_capture_on_commit_callbacks
):
    for unit in areas:
        assess(unit)
    results.score_chunk(campaign, [commune.pk])
    with django_capture_on_commit_callbacks(execute=True):  # through the service's hook once
        change_answers(
            Answer.objects.filter(assessment__unit=areas[0], criterion__code="KDC-2"), value="not_met"
        )
        schedule_rescore(unit_id=areas[0].pk, campaign_id=campaign.pk)
    for _ in range(3):  # each officer saves several times during the burst
        for area in areas[:3]:
            save(area, "not_met", campaign)
    assert worker_mode["drain"] == [((campaign.pk,), 2)]  # ten saves, one drain
    assert worker_mode["single"] == []
    assert outcome(campaign, areas[0]) == "pass"  # not yet: the drain has not run

    assert tasks.rescore_pending_task(campaign.pk) == 3  # what the worker runs, 2 s later
    assert [outcome(campaign, a) for a in areas] == ["fail", "fail", "fail", "pass", "pass"]
    assert Result.objects.get(campaign=campaign, unit=commune).rollup["recognized"] == 2
    assert worker_mode["summary"] == [(campaign.pk,)]  # the province summary, debounced as before


def test_a_save_after_the_drain_started_is_scored_by_the_next_drain(
    campaign, commune, areas, assess, worker_mode
):
    for unit in areas[:2]:
        assess(unit)
    results.score_chunk(campaign, [commune.pk])
    save(areas[0], "not_met", campaign)
    assert tasks.rescore_pending_task(campaign.pk) == 1
    assert outcome(campaign, areas[0]) == "fail"

    # The last change of the burst, committed once the drain had cleared its flag: a new drain.
    save(areas[0], "met", campaign)
    assert len(worker_mode["drain"]) == 2
    assert tasks.rescore_pending_task(campaign.pk) == 1
    assert outcome(campaign, areas[0]) == "pass"
    assert tasks.rescore_pending_task(campaign.pk) == 0  # nothing left: a late duplicate is a no-op


def test_a_drain_that_fails_puts_its_units_back_and_queues_another(
    campaign, commune, areas, assess, worker_mode, monkeypatch
):
    for unit in areas[:2]:
        assess(unit)
    results.score_chunk(campaign, [commune.pk])
    save(areas[1], "not_met", campaign)

    def broken(*args, **kwargs):
        raise RuntimeError("database restarted")

    real = results.rescore_units
    monkeypatch.setattr(results, "rescore_units", broken)
    with pytest.raises(RuntimeError):
        tasks.rescore_pending_task(campaign.pk)
    assert len(worker_mode["drain"]) == 2  # queued again
    monkeypatch.setattr(results, "rescore_units", real)
    assert tasks.rescore_pending_task(campaign.pk) == 1
    assert outcome(campaign, areas[1]) == "fail"


def test_without_a_broker_a_save_is_rescored_at_once(
    campaign, commune, areas, assess, django_capture_on_commit_callbacks
):
    """Tasks in-process (no CELERY_BROKER_URL, as in development): nothing waits."""
    assess(areas[0])
    results.score_chunk(campaign, [commune.pk])
    with django_capture_on_commit_callbacks(execute=True):
        change_answers(
            Answer.objects.filter(assessment__unit=areas[0], criterion__code="KDC-2"), value="not_met"
        )
        schedule_rescore(unit_id=areas[0].pk, campaign_id=campaign.pk)
    assert outcome(campaign, areas[0]) == "fail"


def test_rescoring_many_units_at_once_gives_the_same_results_as_one_by_one(campaign, commune, areas, assess):
    for i, unit in enumerate(areas):
        assess(unit, answers={"KDC-2": "not_met"} if i % 2 else None)
    results.rescore_units([a.pk for a in areas], campaign.pk, summarize=False)
    together = sorted(
        Result.objects.filter(campaign=campaign).values_list("unit_id", "outcome", "input_hash")
    )
    Result.objects.filter(campaign=campaign).delete()
    for unit in areas:
        results.rescore_unit(unit.pk, campaign.pk, summarize=False)
    assert (
        sorted(Result.objects.filter(campaign=campaign).values_list("unit_id", "outcome", "input_hash"))
        == together
    )


def test_units_a_killed_drain_had_taken_are_scored_by_the_next_one(
    campaign, commune, areas, assess, worker_mode, redis_url
):
    """A worker killed in the middle of a drain (the task is delivered again: acks_late) leaves
    the units it had taken where the next drain finds them."""
    import redis

    for unit in areas[:2]:
        assess(unit)
    results.score_chunk(campaign, [commune.pk])
    change_answers(Answer.objects.filter(assessment__unit=areas[0], criterion__code="KDC-2"), value="not_met")
    redis.Redis.from_url(redis_url).sadd(
        f"antt:rescore-taken:{campaign.pk}", areas[0].pk
    )  # taken, then killed
    save(areas[1], "not_met", campaign)

    assert tasks.rescore_pending_task(campaign.pk) == 2
    assert [outcome(campaign, a) for a in areas[:2]] == ["fail", "fail"]
    assert tasks.rescore_pending_task(campaign.pk) == 0  # nothing taken and left behind
