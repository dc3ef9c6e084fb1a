"""Staff view of tickets and their configuration: queues, problem types with their fields as rows."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.i18n import language_fields
from tickets import notifications
from tickets.admin_forms import ProblemFieldForm, ProblemFieldFormSet, ProblemTypeForm
from tickets.models import Message, OutgoingEmail, ProblemField, ProblemType, Queue, Ticket


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["members"]


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
    list_display = ["slug", "name_en", "name_zh", "queue", "active", "position"]
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


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "kind", "author", "author_user", "body", "secrets_removed"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "subject",
        "problem_type",
        "status",
        "priority",
        "queue",
        "customer_email",
        "secret_flag",
        "created_at",
    ]
    list_filter = ["status", "priority", SecretExposedFilter, "queue", "problem_type", "language"]
    list_select_related = ["problem_type", "queue"]
    search_fields = ["reference", "subject", "customer_email", "customer_uid"]
    date_hierarchy = "created_at"
    readonly_fields = ["reference", "secrets_removed", "created_at", "updated_at"]
    exclude = ["tracking_token_hash"]
    inlines = [MessageInline]

    @admin.display(description=_("secret exposed"), boolean=True, ordering="secrets_removed")
    def secret_flag(self, obj):
        return obj.secret_exposed

    # Tickets are opened by customers through actions.open_ticket, and every change must leave an event: until the
    # agent desk brings its actions, staff read tickets here and change nothing.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
