from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = _("Help center")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kb import signals  # noqa: F401  (cache invalidation only)
        from kb.search.schema import ensure_index

        post_migrate.connect(ensure_index, sender=self)
