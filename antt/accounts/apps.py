from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Passwords, sessions, login throttling and two-step verification: below both apps."""

    name = "antt.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the deploy checks (``check --deploy``) of the project's security settings.
        from antt import security  # noqa: F401
        from antt.accounts import identity  # noqa: F401  (its signal receivers)
