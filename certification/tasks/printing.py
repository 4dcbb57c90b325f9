"""Bulk printing tasks: ids in, one step of ``certification.documents.printing``, safe to run twice."""

from celery import shared_task

from certification.documents import printing as print_jobs

__all__ = ["build_zip_task", "finish_job_task", "print_job_task", "render_chunk_task"]


@shared_task(acks_late=True)
def print_job_task(job_id: int) -> None:
    print_jobs.guarded(job_id, print_jobs.run_job)


@shared_task(acks_late=True)
def render_chunk_task(job_id: int, index: int) -> None:
    print_jobs.guarded(job_id, print_jobs.render_chunk, index)


@shared_task(acks_late=True)
def finish_job_task(job_id: int) -> None:
    print_jobs.guarded(job_id, print_jobs.finish_job)


@shared_task(acks_late=True)
def build_zip_task(job_id: int) -> None:
    print_jobs.build_zip(job_id)  # a failure is recorded on the job, which stays done
