"""Cache invalidation only: an edit to an SLA policy, its targets, rules or calendar starts a new policies version."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tickets import clocks
from tickets.models import BusinessCalendar, EscalationRule, Holiday, SLAPolicy, SLATarget, WorkingHours

SLA_MODELS = (SLAPolicy, SLATarget, EscalationRule, BusinessCalendar, WorkingHours, Holiday)


def sla_settings_changed(sender, **kwargs):
    transaction.on_commit(clocks.policies_changed)


for model in SLA_MODELS:
    post_save.connect(sla_settings_changed, sender=model, dispatch_uid=f"sla-settings-saved-{model.__name__}")
    post_delete.connect(sla_settings_changed, sender=model, dispatch_uid=f"sla-settings-deleted-{model.__name__}")
