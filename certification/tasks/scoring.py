"""Scoring tasks: ids in, one step of ``certification.scoring.runs`` or ``certification.scoring.results``,
safe to run twice (acks_late + reject_on_worker_lost come from settings)."""

from celery import shared_task

from certification.scoring import results
from certification.scoring import runs as scoring_runs

__all__ = [
    "finalize_run_task",
    "rescore_unit_task",
    "resume_stalled_runs_task",
    "score_campaign_task",
    "score_chunk_task",
    "score_due_campaigns_task",
    "summarize_province_task",
]


@shared_task(acks_late=True)
def score_campaign_task(run_id: int) -> int:
    """Plan the run and fan out one task per chunk of communes."""
    todo = scoring_runs.guarded(run_id, scoring_runs.plan_run)
    for index in todo:
        score_chunk_task.delay(run_id, index)
    return len(todo)


@shared_task(acks_late=True)
def score_chunk_task(run_id: int, index: int) -> bool:
    return scoring_runs.guarded(run_id, scoring_runs.run_chunk, index)


@shared_task(acks_late=True)
def finalize_run_task(run_id: int) -> None:
    scoring_runs.guarded(run_id, scoring_runs.finalize_run)


@shared_task(acks_late=True)
def rescore_unit_task(unit_id: int, campaign_id: int) -> None:
    results.rescore_unit(unit_id, campaign_id, debounce_summary=True)


@shared_task(acks_late=True)
def summarize_province_task(campaign_id: int) -> None:
    results.run_province_summary(campaign_id)


@shared_task(acks_late=True)
def score_due_campaigns_task() -> list[int]:
    return [run.pk for run in scoring_runs.score_due_campaigns()]


@shared_task
def resume_stalled_runs_task() -> list[int]:
    return scoring_runs.resume_stalled_runs()
