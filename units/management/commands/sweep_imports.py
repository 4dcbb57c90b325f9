"""``manage.py sweep_imports``: delete the import previews never confirmed.

Unit and assessment imports keep a preview until the user confirms it; one left alone is
deleted after ``IMPORT_PREVIEW_TTL_SECONDS`` (celery beat runs this hourly as
``certification.tasks.housekeeping.sweep_import_previews_task``).
"""

from django.core.management.base import BaseCommand

from units.exchange.previews import sweep_previews


class Command(BaseCommand):
    help = "Delete import previews older than IMPORT_PREVIEW_TTL_SECONDS."

    def handle(self, *args, **options) -> None:
        deleted = sweep_previews()
        self.stdout.write(f"{deleted} import preview(s) deleted.")
