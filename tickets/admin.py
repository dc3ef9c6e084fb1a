"""Staff view of tickets and their configuration: queues, problem types with their fields as rows."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from helpdesk.i18n import language_fields
from tickets.admin_forms import ProblemFieldForm, ProblemFieldFormSet, ProblemTypeForm
from tickets.models import Message, ProblemField, ProblemType, Queue, Ticket


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


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class StaffTokenAdmin(TokenAdmin):
    """API tokens for the staff ticket API: only active staff accounts are offered (the API refuses anyone else)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_active=True, is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
