from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "salesdesk.fulfillment"
    label = "fulfillment"
    verbose_name = _("Fulfillment")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from salesdesk.accounts.models import Department, User

        from .capacity import template_inputs_changed
        from .models import PlanTemplate, PlanTemplateStep

        for model in (PlanTemplate, PlanTemplateStep, Department, User):
            for signal in (post_save, post_delete):
                signal.connect(
                    template_inputs_changed,
                    sender=model,
                    dispatch_uid=f"fulfillment.template_inputs.{model.__name__}.{signal is post_save}",
                )
