"""``manage.py import_assessments --year YEAR FILE.xlsx [--user USERNAME]``: offline entry.

The file follows the contract of ``certification.exchange.assessment_excel``. The import is atomic:
every bad cell is listed with its row and column and nothing is written. Without ``--user``
the import acts for the whole country and the audit trail records "system" as the author.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from certification.audit import SystemActor
from certification.exchange.assessment_excel import import_workbook


class Command(BaseCommand):
    help = "Import assessment answers and registrations from an Excel workbook (sheet “Đánh giá”)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--user", help="act as this user (their scope and name in the audit trail)")
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    def handle(self, *args, file: Path, year: int, user: str | None, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        actor = SystemActor()
        if user:
            try:
                actor = get_user_model().objects.get(username=user, is_active=True)
            except get_user_model().DoesNotExist:
                raise CommandError(f"Unknown or inactive user: {user}") from None
        with file.open("rb") as fh:
            report = import_workbook(fh, year=year, user=actor, dry_run=dry_run)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(report.errors)} error(s); nothing was imported.", returncode=1)
        verb = "Checked" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}: {len(report.changed_plans)} unit(s) changed, {report.answer_count} answer(s), "
                f"{report.registration_count} registration(s)."
            )
        )
