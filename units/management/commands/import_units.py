"""``manage.py import_units FILE.xlsx [--dry-run] [--user USERNAME]``: see ``units.exchange.imports``."""

from django.utils import translation
from django.utils.translation import gettext as _

from units.exchange.imports import read_upload, run_import, summarize
from units.management.importing import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Import residential areas, agencies, enterprises and schools from the “Đơn vị” template "
        "(.xlsx or UTF-8 .csv). Atomic: any bad row → nothing is written and every bad row is listed."
    )

    file_help = "The .xlsx or .csv file."

    def handle(self, *args, file, dry_run=False, user=None, verbosity=1, **options):
        with translation.override("vi"):
            rows, actor = self.load(file, user, read_upload)
            plan = run_import(rows, user=actor, commit=not dry_run)
            self.refuse_if_bad(plan)
            summary = summarize(plan)
            if dry_run:
                self.stdout.write(_("Checked, nothing written: %(summary)s.") % {"summary": summary})
            else:
                self.stdout.write(self.style.SUCCESS(_("Imported: %(summary)s.") % {"summary": summary}))
