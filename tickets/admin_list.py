"""What the ticket list is made of besides its columns: the desk's filters, and a paginator that never counts a
million tickets."""

import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from tickets.models import Queue, Ticket


class EstimatedCountPaginator(Paginator):
    """Counts up to CAP rows and no further, so a list of a million tickets is never counted whole.

    Past CAP the count is the PostgreSQL planner's estimate (`estimated`: the page says "about"), elsewhere CAP + 1
    (`capped`: the page says "more than CAP").
    """

    CAP = 10_000
    estimated = capped = False

    @cached_property
    def count(self):
        counted = self.object_list.order_by()[: self.CAP + 1].count()
        if counted <= self.CAP:
            return counted
        self.capped = True
        estimate = self._planner_estimate()
        self.estimated = estimate > counted
        return max(counted, estimate)

    def _planner_estimate(self):
        connection = connections[self.object_list.db]
        if connection.vendor != "postgresql":
            return 0
        sql, params = self.object_list.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("me", _("My tickets")), ("none", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee=None)
        return queryset


class QueueFilter(admin.RelatedFieldListFilter):
    """The queues this person works (every queue for supervisors), not every queue."""

    def field_choices(self, field, request, model_admin):
        return [(queue.pk, str(queue)) for queue in Queue.objects.visible_to(request.user)]


class StatusFilter(admin.SimpleListFilter):
    """Open tickets unless another status (or any) is chosen: the desk's default view is the work to do."""

    title = _("status")
    parameter_name = "status"
    ANY = "any"

    def lookups(self, request, model_admin):
        return [*Ticket.Status.choices, (self.ANY, _("Any status"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset.open()
        if self.value() == self.ANY:
            return queryset
        return queryset.filter(status=self.value())

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open (not solved or closed)"),
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class SLAFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("at_risk", _("At risk")), ("breached", _("Breached")), ("none", _("Paused or no clock"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "at_risk":
            return queryset.at_risk(now)
        if self.value() == "breached":
            return queryset.breached(now)
        if self.value() == "none":
            return queryset.filter(sla_due_at=None)
        return queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalated")
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(escalation_level__gt=0)
        if self.value() == "no":
            return queryset.filter(escalation_level=0)
        return queryset


class VIPFilter(admin.SimpleListFilter):
    title = _("VIP")
    parameter_name = "vip"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(customer_tier=Ticket.Tier.VIP)
        if self.value() == "no":
            return queryset.exclude(customer_tier=Ticket.Tier.VIP)
        return queryset


class SecretExposedFilter(admin.SimpleListFilter):
    title = _("secret exposed")
    parameter_name = "secret_exposed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(secrets_removed=[])
        if self.value() == "no":
            return queryset.filter(secrets_removed=[])
        return queryset
