from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from tickets import (
            checks,  # noqa: F401  (registers the checks)
            signals,  # noqa: F401  (cache invalidation only)
        )
