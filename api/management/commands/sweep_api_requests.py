"""``manage.py sweep_api_requests``: delete the API request trail older than API_REQUEST_DAYS
(celery beat runs the same sweep daily: ``api.tasks.sweep_api_requests_task``)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from api.tokens import sweep_requests


class Command(BaseCommand):
    help = "Delete the API request trail older than API_REQUEST_DAYS (the writes stay in the audit chain)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = sweep_requests()
        self.stdout.write(f"{deleted} API requests older than {settings.API_REQUEST_DAYS} days deleted.")
