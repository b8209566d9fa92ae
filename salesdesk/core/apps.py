from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import shared_cache  # noqa: F401  # listens on every connection from the first one
        from .db import widen_psycopg_statement_cache

        widen_psycopg_statement_cache()
