"""Query-string filters and ordering for the staff ticket API; a parameter it does not declare is a 400, not ignored."""

from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.settings import api_settings

from kb.filters import StorableIsoDateTimeFilter
from tickets.models import Ticket

MAX_ID = 2**63 - 1  # the largest id a row can have (64-bit keys)
MAX_LEVEL = 32767  # escalation_level is a small integer


def _as_id(value):
    """`value` as a row id if it is one written in ASCII digits, else None."""
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


class AssigneeField(forms.CharField):
    """A user id, `me` or `none`."""

    def to_python(self, value):
        value = super().to_python(value).strip().lower()
        if value in ("", "me", "none") or _as_id(value) is not None:
            return value
        raise forms.ValidationError(_("Give a user id, me or none."), code="assignee")


class AssigneeFilter(django_filters.CharFilter):
    field_class = AssigneeField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: NumberFilter takes decimals, and a level of "1.5" must be refused rather than rounded."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false`; anything else is an error rather than no filter at all."""

    widget = forms.TextInput

    def to_python(self, value):
        value = (value or "").strip().lower()
        if value in ("", "true", "false"):
            return {"true": True, "false": False}.get(value)
        raise forms.ValidationError(_("Give true or false."), code="boolean")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class TicketFilter(django_filters.FilterSet):
    queue = django_filters.CharFilter(method="filter_queue", max_length=50, help_text=_("Queue id or slug."))
    # No join, so no duplicate rows: DISTINCT would only slow the sorted list down.
    status = django_filters.MultipleChoiceFilter(
        choices=Ticket.Status.choices, distinct=False, help_text=_("Repeat to match any of several.")
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Ticket.Priority.choices, distinct=False, help_text=_("Repeat to match any of several.")
    )
    assignee = AssigneeFilter(
        method="filter_assignee", help_text=_("A user id, `me` (the caller) or `none` (unassigned).")
    )
    sla = django_filters.ChoiceFilter(
        choices=Ticket.SLAState.choices,
        method="filter_sla",
        help_text=_("By the next SLA due time now: at_risk (past its warning), breached, ok, or none running."),
    )
    escalation_level = IntegerFilter(min_value=0, max_value=MAX_LEVEL)
    escalation_level_min = IntegerFilter(
        field_name="escalation_level", lookup_expr="gte", min_value=0, max_value=MAX_LEVEL
    )
    created_after = StorableIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("ISO 8601; created at or after.")
    )
    created_before = StorableIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("ISO 8601; created before.")
    )
    updated_after = StorableIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=_("ISO 8601; updated at or after.")
    )
    updated_before = StorableIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="lt", help_text=_("ISO 8601; updated before.")
    )
    vip = StrictBooleanFilter(method="filter_vip", help_text=_("true: VIP customers only; false: the others."))
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, help_text=_("Part of the reference, customer email or customer UID.")
    )

    class Meta:
        model = Ticket
        fields = []

    def filter_queue(self, queryset, name, value):
        pk = _as_id(value)
        return queryset.filter(queue_id=pk) if pk is not None else queryset.filter(queue__slug=value)

    def filter_assignee(self, queryset, name, value):
        if value == "none":
            return queryset.filter(assignee=None)
        if value == "me":
            return queryset.filter(assignee_id=self.request.user.pk)
        return queryset.filter(assignee_id=_as_id(value))

    def filter_sla(self, queryset, name, value):
        now = timezone.now()
        states = {
            Ticket.SLAState.AT_RISK: queryset.at_risk,
            Ticket.SLAState.BREACHED: queryset.breached,
            Ticket.SLAState.OK: queryset.on_track,
        }
        return states[value](now) if value in states else queryset.without_sla()

    def filter_vip(self, queryset, name, value):
        vip = Q(customer_tier=Ticket.Tier.VIP)
        return queryset.filter(vip) if value else queryset.exclude(vip)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(customer_email__icontains=value) | Q(customer_uid__icontains=value)
        )


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing query parameters nothing declares: a typo or a probe must not silently widen a list."""

    def known_parameters(self, queryset, view):
        known = {api_settings.URL_FORMAT_OVERRIDE}
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        for backend in view.filter_backends:
            known.add(getattr(backend, "ordering_param", None))
        paginator = getattr(view, "paginator", None)
        known |= set(getattr(paginator, "query_parameters", ()))
        return known - {None}

    def filter_queryset(self, request, queryset, view):
        known = self.known_parameters(queryset, view)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            message = _("Unknown parameter. Use only: %(known)s.") % {"known": ", ".join(sorted(known))}
            raise serializers.ValidationError({name: [message] for name in unknown})
        return super().filter_queryset(request, queryset, view)


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering; nullable columns put their empty values last in either direction."""

    column: str
    descending: bool = False
    nullable: bool = False

    def expression(self, *, backwards=False):
        """The ORDER BY term; `backwards` walks the same order from the other end (for the previous page)."""
        descending = self.descending != backwards
        column = F(self.column)
        if not self.nullable:
            return column.desc() if descending else column.asc()
        if backwards:
            return column.desc(nulls_first=True) if descending else column.asc(nulls_first=True)
        return column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)

    def past(self, value, *, backwards=False):
        """Rows that come after `value` in this column, walking forwards (or backwards); None when there are none."""
        lookup = "lt" if self.descending != backwards else "gt"
        if value is None:
            return Q(**{f"{self.column}__isnull": False}) if backwards else None
        after = Q(**{f"{self.column}__{lookup}": value})
        if self.nullable and not backwards:
            after |= Q(**{f"{self.column}__isnull": True})
        return after

    def same(self, value):
        return Q(**{f"{self.column}__isnull": True}) if value is None else Q(**{self.column: value})


class TicketOrdering(BaseFilterBackend):
    """`ordering=field,-field` over the declared fields only, then `id`: equal values keep one order across pages."""

    ordering_param = "ordering"
    default = "-created_at"
    # Public name → (column, nullable); priority sorts by urgency through the `priority_rank` annotation.
    fields = {
        "sla_due_at": ("sla_due_at", True),
        "created_at": ("created_at", False),
        "updated_at": ("updated_at", False),
        "priority": ("priority_rank", False),
        "escalation_level": ("escalation_level", False),
        "reference": ("reference", False),
    }

    def requested(self, request):
        """The ordering as asked for (normalised), or the default; an unknown field is a 400."""
        raw = request.query_params.get(self.ordering_param, "")
        names = [part.strip() for part in raw.split(",") if part.strip()]
        if not names:
            return self.default
        unknown = [name for name in names if name.removeprefix("-") not in self.fields]
        if unknown or len(names) > len(self.fields):
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        _("Order by %(fields)s (a leading - reverses), separated by commas.")
                        % {"fields": ", ".join(self.fields)}
                    ]
                }
            )
        return ",".join(names)

    def sort_keys(self, request):
        keys = []
        for name in self.requested(request).split(","):
            column, nullable = self.fields[name.removeprefix("-")]
            keys.append(SortKey(column, descending=name.startswith("-"), nullable=nullable))
        return [*keys, SortKey("id", descending=keys[-1].descending)]

    def filter_queryset(self, request, queryset, view):
        keys = self.sort_keys(request)
        if any(key.column == "priority_rank" for key in keys):
            queryset = queryset.with_priority_rank()
        return queryset.order_by(*(key.expression() for key in keys))

    def get_schema_operation_parameters(self, view):
        description = _(
            "Comma-separated fields among %(fields)s; a leading - reverses. Default: %(default)s. "
            "Tickets without a running SLA clock come last when ordering by sla_due_at."
        ) % {"fields": ", ".join(self.fields), "default": self.default}
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(description),
                "schema": {"type": "string"},
            }
        ]
