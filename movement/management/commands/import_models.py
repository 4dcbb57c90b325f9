"""``manage.py import_models FILE.xlsx [--dry-run] [--user USERNAME]``: see ``movement.exchange.models_excel``."""

from django.utils import translation
from django.utils.translation import gettext as _

from movement.exchange.models_excel import read_upload, run_import
from units.management.importing import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Import self-management models from the “Mô hình” template (.xlsx). Atomic: any bad row → "
        "nothing is written and every bad row is listed."
    )

    def handle(self, *args, file, dry_run=False, user=None, verbosity=1, **options):
        with translation.override("vi"):
            rows, actor = self.load(file, user, read_upload)
            plan = run_import(rows, user=actor, commit=not dry_run)
            self.refuse_if_bad(plan)
            if dry_run:
                self.stdout.write(
                    _("Checked, nothing written: %(count)s models.") % {"count": len(plan.rows)}
                )
            else:
                self.stdout.write(
                    self.style.SUCCESS(_("Imported: %(count)s models.") % {"count": len(plan.created)})
                )
