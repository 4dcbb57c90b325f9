import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from api.models import ApiRequest


class Command(BaseCommand):
    help = "Delete the API request trail older than API_REQUEST_DAYS (the writes stay in the audit chain)."

    def handle(self, *args, **options) -> None:
        before = timezone.now() - datetime.timedelta(days=settings.API_REQUEST_DAYS)
        deleted, _ = ApiRequest.objects.filter(at__lt=before).delete()
        self.stdout.write(f"{deleted} API requests older than {settings.API_REQUEST_DAYS} days deleted.")
