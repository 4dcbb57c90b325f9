"""E-mail tasks: the daily digest of what waits for each user (``certification.services.digests``)."""

from celery import shared_task

from certification.services import digests as emails

__all__ = ["send_worklist_digests_task"]


@shared_task
def send_worklist_digests_task() -> int:
    return emails.send_worklist_digests()
