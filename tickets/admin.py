"""Minimal staff view of tickets and their configuration; the agent desk comes later."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tickets.models import Message, ProblemType, Queue, Ticket


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(ProblemType)
class ProblemTypeAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_zh", "queue", "active", "position"]
    list_editable = ["active", "position"]
    list_filter = ["active", "queue"]
    list_select_related = ["queue"]
    search_fields = ["slug"]
    fields = ["slug", "names", "descriptions", "queue", "position", "active", "fields"]

    @admin.display(description=_("English name"))
    def name_en(self, obj):
        return obj.names.get("en", "")

    @admin.display(description=_("Chinese name"))
    def name_zh(self, obj):
        return obj.names.get("zh-hans", "")


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "kind", "author", "author_user", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
        "created_at",
    ]
    list_filter = ["status", "priority", "queue", "problem_type", "language"]
    list_select_related = ["problem_type", "queue"]
    search_fields = ["reference", "subject", "customer_email", "customer_uid"]
    date_hierarchy = "created_at"
    readonly_fields = ["reference", "tracking_token_hash", "created_at", "updated_at"]
    inlines = [MessageInline]

    # Tickets are opened by customers through actions.open_ticket, and every change must leave an event: until the
    # agent desk brings its actions, staff read tickets here and change nothing.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
