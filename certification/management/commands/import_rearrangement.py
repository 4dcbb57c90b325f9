"""``manage.py import_rearrangement FILE [--dry-run] [--user USERNAME]``: apply a resolution's annex
(sheet ``Sắp xếp``) re-arranging residential areas, carrying the campaigns across it. See
docs/rearrangement.md."""

from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from certification.audit import SystemActor
from certification.services import rearrangement
from units.exchange.rearrangement import read_upload, validate
from units.management.importing import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Re-arrange residential areas from a resolution's annex (sheet “Sắp xếp”, .xlsx). Atomic: any bad "
        "row → nothing is written and every bad row is listed."
    )

    def handle(self, *args, file, dry_run=False, user=None, **options):
        with translation.override("vi"):
            rows, actor = self.load(file, user, read_upload)
            plan = validate(rows, user=actor)
            self.refuse_if_bad(plan)
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
