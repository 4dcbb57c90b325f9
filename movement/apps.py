from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MovementConfig(AppConfig):
    name = "movement"
    verbose_name = _("Movement: self-management models and security teams")

    def ready(self) -> None:
        # Fill certification's extension points (certification.extensions): certification never
        # imports movement, so the facts, the panel beside XA-1/CQDN-1/CSGD-1 and the summary's
        # tables arrive this way.
        from certification import extensions
        from movement.selectors import facts

        extensions.register_model_facts(facts.effective_models)
        extensions.register_model_facts_stamp(facts.facts_stamp)
        extensions.register_model_facts_in_use(facts.register_in_use)
        extensions.register_criterion_panel(facts.criterion_panel)
        extensions.register_summary_tables(facts.summary_tables)
