"""``manage.py import_units FILE.xlsx [--dry-run] [--user USERNAME]``: see ``units.exchange.imports``."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from units.exchange.imports import ImportFileError, read_upload, run_import, summarize


class Command(BaseCommand):
    help = (
        "Import residential areas, agencies, enterprises and schools from the “Đơn vị” template "
        "(.xlsx or UTF-8 .csv). Atomic: any bad row → nothing is written and every bad row is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .xlsx or .csv file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, write nothing.")
        parser.add_argument(
            "--user", help="Check the scope as this user (an administrator of a subtree); default: no limit."
        )

    def handle(self, *args, file, dry_run=False, user=None, verbosity=1, **options):
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
            plan = run_import(rows, user=actor, commit=not dry_run)
            if not plan.ok:
                for error in plan.errors:
                    self.stderr.write(
                        _("Row %(row)s: %(message)s") % {"row": error.row, "message": error.message}
                    )
                raise CommandError(
                    _("%(count)s rows have errors; nothing was written.") % {"count": len(plan.error_rows())}
                )
            summary = summarize(plan)
            if dry_run:
                self.stdout.write(_("Checked, nothing written: %(summary)s.") % {"summary": summary})
            else:
                self.stdout.write(self.style.SUCCESS(_("Imported: %(summary)s.") % {"summary": summary}))
