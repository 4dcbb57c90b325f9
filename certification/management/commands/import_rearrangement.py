"""``manage.py import_rearrangement FILE [--dry-run] [--user USERNAME]``: apply a resolution's annex
(sheet ``Sắp xếp``) re-arranging residential areas, carrying the campaigns across it. See
docs/rearrangement.md."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import SystemActor
from certification.services import rearrangement
from units.exchange.imports import ImportFileError
from units.exchange.rearrangement import read_upload, validate


class Command(BaseCommand):
    help = (
        "Re-arrange residential areas from a resolution's annex (sheet “Sắp xếp”, .xlsx). Atomic: any bad "
        "row → nothing is written and every bad row is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, write nothing.")
        parser.add_argument(
            "--user", help="Check the scope as this user (an administrator of a subtree); default: no limit."
        )

    def handle(self, *args, file, dry_run=False, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No such user: {user}") from None
        with translation.override("vi"):
            try:
                rows = read_upload(path.name, path.read_bytes())
            except ImportFileError as e:
                raise CommandError(str(e)) from None
            plan = validate(rows, user=actor)
            if not plan.ok:
                for error in plan.errors:
                    self.stderr.write(
                        _("Row %(row)s: %(message)s") % {"row": error.row, "message": error.message}
                    )
                raise CommandError(
                    _("%(count)s rows have errors; nothing was written.") % {"count": len(plan.error_rows())}
                )
            if dry_run:
                self.stdout.write(_("Checked, nothing written: %(summary)s.") % {"summary": plan.summary()})
                return
            try:
                outcome = rearrangement.apply(rows=plan.rows, by=actor or SystemActor())
            except WorkflowError as e:
                raise CommandError(str(e)) from None
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Applied: %(summary)s; %(registrations)s registrations and %(assessments)s assessments carried over, %(reentry)s answers to enter again."
                    )
                    % {
                        "summary": plan.summary(),
                        "registrations": outcome.registrations,
                        "assessments": outcome.assessments,
                        "reentry": outcome.reentry,
                    }
                )
            )
