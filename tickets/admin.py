"""Staff side of tickets: the agent desk (the ticket list and its bulk actions; its filters are in admin_list.py, the
ticket page in admin_views.py), SLA configuration, canned replies, queues and problem types with their fields as rows.

Every ticket page and action goes through `TicketAdmin.get_queryset`, scoped to the queues the staff member works:
another queue's ticket is a 404, and a bulk action never reaches it.
"""

import functools

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import Http404, HttpResponseBadRequest
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from helpdesk.i18n import language_fields
from tickets import actions, admin_views, notifications
from tickets.admin_forms import (
    BulkAssignForm,
    BulkEscalateForm,
    BulkPriorityForm,
    BulkStatusForm,
    MergeForm,
    ProblemFieldForm,
    ProblemFieldFormSet,
    ProblemTypeForm,
    SLAPolicyForm,
)
from tickets.admin_list import (
    AssigneeFilter,
    EscalatedFilter,
    EstimatedCountPaginator,
    QueueFilter,
    SecretExposedFilter,
    SLAFilter,
    StatusFilter,
    VIPFilter,
)
from tickets.models import (
    BusinessCalendar,
    CannedReply,
    EscalationRule,
    Holiday,
    OutgoingEmail,
    ProblemField,
    ProblemType,
    Queue,
    SLAPolicy,
    SLATarget,
    Ticket,
    WorkingHours,
)
from tickets.templatetags.desk import sla_badge

# A bulk action works on at most this many tickets at once: each one goes through its action, row by row.
BULK_LIMIT = 200


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        # Also what the admin's autocomplete offers for a ticket's queue: only the queues this person works.
        return Queue.objects.visible_to(request.user)


class ProblemFieldInline(admin.StackedInline):
    model = ProblemField
    form = ProblemFieldForm
    formset = ProblemFieldFormSet
    extra = 0
    ordering = ["position", "id"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("position", "name", "kind", "required"),
                    tuple(language_fields("label")),
                    tuple(language_fields("help")),
                    "choice_lines",
                ]
            },
        )
    ]


@admin.register(ProblemType)
class ProblemTypeAdmin(admin.ModelAdmin):
    form = ProblemTypeForm
    list_display = ["slug", "name_en", "name_zh", "queue", "attachment_required", "active", "position"]
    list_editable = ["active", "position"]
    list_filter = ["active", "queue"]
    list_select_related = ["queue"]
    search_fields = ["slug"]
    inlines = [ProblemFieldInline]

    @admin.display(description=_("English name"))
    def name_en(self, obj):
        return obj.names.get("en", "")

    @admin.display(description=_("Chinese name"))
    def name_zh(self, obj):
        return obj.names.get("zh-hans", "")


# The ticket list


def _badge(text, kind):
    return format_html('<span class="desk-badge desk-badge-{}">{}</span>', kind, text)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    # The countdown comes right after the reference: on a narrow screen it is what must stay in view.
    list_display = [
        "reference",
        "sla_due",
        "subject",
        "requester",
        "priority_badge",
        "status",
        "queue",
        "problem_type",
        "assignee_name",
        "escalation",
    ]
    list_display_links = ["reference"]
    list_filter = [
        AssigneeFilter,
        ("queue", QueueFilter),
        StatusFilter,
        "priority",
        SLAFilter,
        EscalatedFilter,
        VIPFilter,
        SecretExposedFilter,
    ]
    list_select_related = ["problem_type", "queue", "assignee"]
    list_per_page = 50
    search_fields = ["reference", "customer_email", "customer_uid", "subject"]  # see get_search_results
    search_help_text = _("A reference (HD-…), an email address, a UID, a TxID, or words of the subject.")
    ordering = [F("sla_due_at").asc(nulls_last=True), "id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = ["assign_to_me", "assign_to", "change_status", "change_priority", "escalate", "merge"]

    class Media:
        css = {"all": ["css/desk-admin.css"]}
        js = ["js/desk-admin.js"]

    def get_queryset(self, request):
        return Ticket.objects.visible_to(request.user).for_list()

    def get_object(self, request, object_id, from_field=None):
        """The ticket if this person may see it; else a 404, the same whether it is another queue's or none."""
        ticket = super().get_object(request, object_id, from_field)
        if ticket is None:
            raise Http404(gettext("No such ticket."))
        return ticket

    def get_search_results(self, request, queryset, search_term):
        return queryset.matching(search_term), False

    def response_action(self, request, queryset, **kwargs):
        # A selection that is not ticket ids (a tampered form) is a 400, not the ORM's ValueError.
        if not all(value.isdigit() for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            return HttpResponseBadRequest(gettext("The selection is not a list of tickets."))
        return super().response_action(request, queryset, **kwargs)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        found = super().get_actions(request, action_location=action_location)
        found.pop("delete_selected", None)  # tickets are closed or merged, with an event, not deleted in bulk
        return found

    # Tickets are opened by customers (actions.open_ticket); the ticket page changes them through the actions.
    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return admin_views.ticket_page(request, self, object_id)

    def get_urls(self):
        download = self.admin_site.admin_view(functools.partial(admin_views.download, model_admin=self))
        return [
            path("<int:ticket_id>/files/<str:public_id>/", download, name="tickets_ticket_file"),
            *super().get_urls(),
        ]

    # Columns

    @admin.display(description=_("requester"), ordering="customer_email")
    def requester(self, obj):
        if obj.customer_tier == Ticket.Tier.VIP:
            return format_html("{} {}", obj.customer_email, _badge(gettext("VIP"), "vip"))
        return obj.customer_email

    @admin.display(description=_("priority"), ordering="priority")
    def priority_badge(self, obj):
        return _badge(obj.get_priority_display(), f"priority-{obj.priority}")

    @admin.display(description=_("assignee"), ordering="assignee")
    def assignee_name(self, obj):
        if obj.assignee is None:
            return "—"
        return obj.assignee.get_full_name() or obj.assignee.get_username()

    @admin.display(description=_("escalation"), ordering="escalation_level")
    def escalation(self, obj):
        return _badge(obj.escalation_level, "escalated") if obj.escalation_level else "—"

    @admin.display(description=_("next SLA due"), ordering=F("sla_due_at").asc(nulls_last=True))
    def sla_due(self, obj):
        return sla_badge(obj.sla_due_at, obj.sla_warn_at)

    # Bulk actions: each ticket through its action; what one ticket refuses is a message, the others go on.

    def _chosen(self, request, queryset):
        tickets = list(queryset[: BULK_LIMIT + 1])
        if len(tickets) > BULK_LIMIT:
            self.message_user(
                request, gettext("Choose at most %(limit)d tickets at a time.") % {"limit": BULK_LIMIT}, messages.ERROR
            )
            return None
        return tickets

    def _each(self, request, tickets, work, done):
        count = 0
        for ticket in tickets:
            try:
                work(ticket)
            except ValidationError as error:
                self.message_user(
                    request,
                    gettext("%(reference)s: %(error)s")
                    % {"reference": ticket.reference, "error": " ".join(error.messages)},
                    messages.ERROR,
                )
            else:
                count += 1
        if count:
            self.message_user(request, done(count), messages.SUCCESS)

    def _form(self, request, form_class, **arguments):
        return form_class(request.POST if "apply" in request.POST else None, **arguments)

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        if (tickets := self._chosen(request, queryset)) is None:
            return
        me = request.user
        self._each(
            request,
            tickets,
            lambda ticket: actions.assign_ticket(ticket=ticket, assignee=me, actor=me),
            lambda n: ngettext("%(count)d ticket is now yours.", "%(count)d tickets are now yours.", n) % {"count": n},
        )

    @admin.action(description=_("Assign to…"), permissions=["change"])
    def assign_to(self, request, queryset):
        if (tickets := self._chosen(request, queryset)) is None:
            return None
        form = self._form(request, BulkAssignForm, queue_ids={ticket.queue_id for ticket in tickets})
        if not form.is_valid():
            return admin_views.action_page(self, request, tickets, action="assign_to", title=gettext("Assign tickets"),
                                           form=form)  # fmt: skip
        assignee = form.cleaned_data["assignee"]
        self._each(
            request,
            tickets,
            lambda ticket: actions.assign_ticket(ticket=ticket, assignee=assignee, actor=request.user),
            lambda n: ngettext("%(count)d ticket was assigned.", "%(count)d tickets were assigned.", n) % {"count": n},
        )
        return None

    @admin.action(description=_("Change status…"), permissions=["change"])
    def change_status(self, request, queryset):
        if (tickets := self._chosen(request, queryset)) is None:
            return None
        form = self._form(request, BulkStatusForm)
        if not form.is_valid():
            return admin_views.action_page(self, request, tickets, action="change_status",
                                           title=gettext("Change the status"), form=form)  # fmt: skip
        status = form.cleaned_data["status"]
        self._each(
            request,
            tickets,
            lambda ticket: actions.change_status(ticket=ticket, status=status, actor=request.user),
            lambda n: ngettext("%(count)d ticket was updated.", "%(count)d tickets were updated.", n) % {"count": n},
        )
        return None

    @admin.action(description=_("Change priority…"), permissions=["change"])
    def change_priority(self, request, queryset):
        if (tickets := self._chosen(request, queryset)) is None:
            return None
        form = self._form(request, BulkPriorityForm)
        if not form.is_valid():
            return admin_views.action_page(self, request, tickets, action="change_priority",
                                           title=gettext("Change the priority"), form=form)  # fmt: skip
        data = form.cleaned_data
        self._each(
            request,
            tickets,
            lambda ticket: actions.change_priority(
                ticket=ticket, priority=data["priority"], actor=request.user, reason=data["reason"]
            ),
            lambda n: ngettext("%(count)d ticket was updated.", "%(count)d tickets were updated.", n) % {"count": n},
        )
        return None

    @admin.action(description=_("Escalate…"), permissions=["change"])
    def escalate(self, request, queryset):
        if (tickets := self._chosen(request, queryset)) is None:
            return None
        form = self._form(request, BulkEscalateForm)
        if not form.is_valid():
            return admin_views.action_page(self, request, tickets, action="escalate",
                                           title=gettext("Escalate tickets"), form=form)  # fmt: skip
        data = form.cleaned_data
        self._each(
            request,
            tickets,
            lambda ticket: actions.escalate_ticket(
                ticket=ticket, actor=request.user, reason=data["reason"], queue=data["queue"]
            ),
            lambda n: (
                ngettext("%(count)d ticket was escalated.", "%(count)d tickets were escalated.", n) % {"count": n}
            ),
        )
        return None

    @admin.action(description=_("Merge duplicates…"), permissions=["change"])
    def merge(self, request, queryset):
        if (tickets := self._chosen(request, queryset)) is None:
            return None
        if len(tickets) < 2:
            self.message_user(request, gettext("Choose at least two tickets to merge."), messages.ERROR)
            return None
        form = self._form(request, MergeForm, tickets=tickets)
        if not form.is_valid():
            return admin_views.action_page(
                self,
                request,
                tickets,
                action="merge",
                title=gettext("Merge duplicate tickets"),
                form=form,
                intro=gettext(
                    "The conversations of the others move to the ticket you keep; each of them is closed with a "
                    "note pointing to it."
                ),
            )
        keep = next(ticket for ticket in tickets if ticket.pk == form.cleaned_data["keep"])
        self._each(
            request,
            [ticket for ticket in tickets if ticket.pk != keep.pk],
            lambda ticket: actions.merge_tickets(into=keep, duplicates=[ticket], actor=request.user),
            lambda n: (
                ngettext(
                    "%(count)d ticket was merged into %(reference)s.",
                    "%(count)d tickets were merged into %(reference)s.",
                    n,
                )
                % {"count": n, "reference": keep.reference}
            ),
        )
        return None


# SLA configuration: supervisors edit it (by permission), agents read it. Any save makes the sweep recompute.


class MarksSLAStale:
    """Saving or deleting the row asks the sweep to recompute the open tickets' clocks."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        actions.mark_sla_stale()
        self.message_user(
            request, gettext("The open tickets' SLA clocks will be recomputed by the next sweep."), messages.INFO
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        actions.mark_sla_stale()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        actions.mark_sla_stale()


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(MarksSLAStale, admin.ModelAdmin):
    list_display = ["name", "time_zone", "updated_at"]
    search_fields = ["name"]
    inlines = [WorkingHoursInline, HolidayInline]


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


class EscalationRuleInline(admin.StackedInline):
    model = EscalationRule
    extra = 0
    fields = [
        ("level", "trigger", "metric", "delay_minutes"),
        ("raise_priority_to", "move_to_queue", "assign_to"),
        ("notify_assignee", "notify_group"),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assign_to":
            kwargs["queryset"] = actions.workers(Queue.objects.values("pk"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(MarksSLAStale, admin.ModelAdmin):
    form = SLAPolicyForm
    list_display = ["name", "position", "active", "queue", "problem_type", "priority", "customer_tier", "calendar"]
    list_filter = ["active"]
    list_select_related = ["queue", "problem_type", "calendar"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "position", "active"]}),
        (_("Tickets it applies to"), {"fields": [("queue", "problem_type"), ("priority", "customer_tier")]}),
        (
            _("Time"),
            {
                "fields": [
                    "calendar",
                    "resolution_pauses",
                    "next_response_pauses",
                    "warn_before_minutes",
                    "warn_at_percent",
                ]
            },
        ),
    ]
    inlines = [SLATargetInline, EscalationRuleInline]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "queue", "language"]
    list_filter = ["queue", "language"]
    list_select_related = ["queue"]
    search_fields = ["title", "body"]
    fields = ["title", "queue", "language", "body"]

    def get_queryset(self, request):
        return CannedReply.objects.filter(Q(queue=None) | Q(queue__in=Queue.objects.visible_to(request.user)))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            field.help_text = format_html(
                '{}<ul class="desk-placeholders">{}</ul>',
                gettext("Placeholders, filled in from the ticket when an agent inserts the reply:"),
                format_html_join("", "<li><code>{{{}}}</code> {}</li>", CannedReply.PLACEHOLDERS.items()),
            )
        elif db_field.name == "queue":
            field.queryset = Queue.objects.visible_to(request.user)
        return field


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """What the desk emailed and what failed: given-up emails (status "Given up") are the dead letters."""

    list_display = ["created_at", "kind", "ticket", "to", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind", "language"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "to"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "status",
        "ticket",
        "message",
        "recipient",
        "to",
        "language",
        "data",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def get_queryset(self, request):
        emails = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.has_perm("tickets.view_all_queues"):
            return emails
        return emails.filter(Q(ticket__in=Ticket.objects.visible_to(user)) | Q(ticket=None, recipient=user))

    @admin.action(description=_("Send again now"), permissions=["resend"])
    def send_again(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        count = notifications.send_again(chosen)
        if count:
            self.message_user(
                request,
                ngettext("%(count)d email queued to be sent again.", "%(count)d emails queued to be sent again.", count)
                % {"count": count},
                messages.SUCCESS,
            )
        if count < len(chosen):
            self.message_user(
                request,
                _("Emails already sent, or being sent right now, were left alone."),
                messages.WARNING,
            )

    def has_resend_permission(self, request):
        return request.user.has_perm("tickets.resend_outgoingemail")

    # Rows are written by tickets.notifications and tickets.tasks only: staff read them and send them again.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class StaffTokenAdmin(TokenAdmin):
    """API tokens for the staff ticket API: only active staff accounts are offered (the API refuses anyone else)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True, is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
