"""``manage.py reset_2fa USERNAME``: turn a user's two-step verification off (lost phone).

The user logs in with the password alone afterwards and can turn it on again with a new phone
(a role in ``ANTT_REQUIRE_2FA_FOR`` makes them do so at once). Recorded in the audit trail.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from antt.accounts.signals import two_factor_changed


class Command(BaseCommand):
    help = "Remove a user's authenticator devices (two-step verification off), e.g. after a lost phone."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--by", help="username of the administrator doing it (for the audit trail)")

    def handle(self, *args, username: str, by: str | None = None, **options) -> None:
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No such user: {username}")
        actor = users.filter(username=by).first() if by else None
        if by and actor is None:
            raise CommandError(f"No such user: {by} (--by)")
        with transaction.atomic():
            removed, _ = TOTPDevice.objects.filter(user=user).delete()
            if removed:
                two_factor_changed.send(type(user), user=user, by=actor, old="on", new="off")
        if removed:
            self.stdout.write(self.style.SUCCESS(f"Two-step verification turned off for {username}."))
        else:
            self.stdout.write(f"{username} had no two-step verification: nothing changed.")
