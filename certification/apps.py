from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from antt.accounts.signals import two_factor_changed


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification")

    def ready(self) -> None:
        # The audit trail needs the models: only importable once the apps are loaded.
        from certification.audit import Action, log_change

        def log_two_factor(sender, *, user, by, old: str, new: str, **kwargs) -> None:
            log_change(user, by=by, action=Action.TWO_FACTOR, field="two_factor", old=old, new=new)

        # weak=False: the receiver is a local function, nothing else keeps it alive.
        two_factor_changed.connect(log_two_factor, weak=False, dispatch_uid="certification.log_two_factor")
