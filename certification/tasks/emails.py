"""E-mail tasks: the daily digest of what waits for each user (``certification.emails``)."""

from celery import shared_task

from certification import emails

__all__ = ["send_worklist_digests_task"]


@shared_task
def send_worklist_digests_task() -> int:
    return emails.send_worklist_digests()
