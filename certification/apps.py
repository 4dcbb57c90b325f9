from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from antt.accounts.signals import account_changed, two_factor_changed


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification")

    def ready(self) -> None:
        from django.core import checks

        # The audit trail needs the models: only importable once the apps are loaded.
        from certification.audit import Action, log_change
        from certification.documents import signatures

        checks.register(signatures.check_configuration)

        def log_two_factor(sender, *, user, by, old: str, new: str, **kwargs) -> None:
            log_change(user, by=by, action=Action.TWO_FACTOR, field="two_factor", old=old, new=new)

        def log_account(sender, *, user, by, action: str, count: int = 0, **kwargs) -> None:
            # Never the password: only that it changed, or how many sessions ended.
            field = "sessions" if action == Action.SESSIONS_ENDED else "password"
            new = str(count) if action == Action.SESSIONS_ENDED else action
            log_change(user, by=by, action=Action(action), field=field, old="", new=new)

        # weak=False: the receivers are local functions, nothing else keeps them alive.
        two_factor_changed.connect(log_two_factor, weak=False, dispatch_uid="certification.log_two_factor")
        account_changed.connect(log_account, weak=False, dispatch_uid="certification.log_account")
