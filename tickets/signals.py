"""Cache invalidation only: an edit to an SLA policy, its targets, rules or calendar starts a new policies version;
an edit to a problem type or its fields a new problem types version (helpdesk.kept)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tickets import clocks, problem_types
from tickets.models import (
    BusinessCalendar,
    EscalationRule,
    Holiday,
    ProblemField,
    ProblemType,
    SLAPolicy,
    SLATarget,
    WorkingHours,
)

SLA_MODELS = (SLAPolicy, SLATarget, EscalationRule, BusinessCalendar, WorkingHours, Holiday)
TYPE_MODELS = (ProblemType, ProblemField)


def sla_settings_changed(sender, **kwargs):
    transaction.on_commit(clocks.policies_changed)


def problem_types_changed(sender, **kwargs):
    transaction.on_commit(problem_types.changed)


for models, receiver in ((SLA_MODELS, sla_settings_changed), (TYPE_MODELS, problem_types_changed)):
    for model in models:
        name = f"{receiver.__name__}-{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"saved-{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"deleted-{name}")
