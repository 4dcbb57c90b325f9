"""``manage.py verify_audit``: walk the audit hash chain; exit 1 naming the first bad event."""

from django.core.management.base import BaseCommand, CommandError

from certification.audit import verify_chain
from certification.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exit status 1 at the first changed or missing event."

    def handle(self, *args, **options) -> None:
        ok, bad_id = verify_chain()
        total = AuditEvent.objects.count()
        if ok:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} events."))
            return
        event = AuditEvent.objects.filter(pk=bad_id).first()
        detail = f" ({event.at:%Y-%m-%d %H:%M:%S} {event.action} {event.object_repr})" if event else ""
        raise CommandError(
            f"Audit chain broken at event #{bad_id}{detail}: it or the event before it was changed or deleted.",
            returncode=1,
        )
