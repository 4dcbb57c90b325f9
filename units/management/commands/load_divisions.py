"""``manage.py load_divisions [--province CODE] [--legacy] [--by USERNAME]``: see
``units.data.divisions``. Every unit created or changed is audited, as ``--by`` or the system."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from units.data.divisions import load_divisions


class Command(BaseCommand):
    help = (
        "Load the 34 provinces and 3,321 communes in force since 1/7/2025 from vietnam-provinces; "
        "with --legacy also the 63 provinces, 696 districts and 10,051 communes of before, linked "
        "to today's units. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", help="GSO code of one current province, e.g. 42 (Hà Tĩnh).")
        parser.add_argument(
            "--legacy", action="store_true", help="Also load the divisions of before 1/7/2025."
        )
        parser.add_argument("--by", help="username of the operator (for the audit trail); default: system")

    def handle(self, *args, province=None, legacy=False, by=None, verbosity=1, **options):
        actor = None
        if by:
            actor = get_user_model().objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"No such user: {by} (--by)")
        number = None
        if province:
            from vietnam_provinces import Province

            try:
                number = int(str(province).strip())
                Province.from_code(number)
            except ValueError:
                raise CommandError(f"Unknown province code: {province}") from None
        started = time.monotonic()
        report = load_divisions(province=number, legacy=legacy, by=actor)
        elapsed = time.monotonic() - started
        if verbosity:
            for key in report.created:
                self.stdout.write(f"{key}: {report.created[key]} created, {report.updated[key]} updated")
            if legacy:
                self.stdout.write(f"links to today's units: {report.links_created} created")
            self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s."))
