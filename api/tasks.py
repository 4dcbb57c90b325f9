"""Celery tasks of the API app: thin adapters, run by celery beat (``certification/schedule.py``)."""

from celery import shared_task

from api.tokens import sweep_requests


@shared_task
def sweep_api_requests_task() -> int:
    """Delete the API request trail older than ``API_REQUEST_DAYS`` (``manage.py sweep_api_requests``)."""
    return sweep_requests()
