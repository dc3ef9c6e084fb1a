"""Staff ticket API representations (list rows, the full ticket) and the bodies its actions accept."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.i18n import pick
from tickets import attachments
from tickets.models import Message, Metric, Queue, SLAClock, Ticket, TicketEvent

MAX_ID = 2**63 - 1


def enum_field(component, choices):
    """A text field the schema describes as the enum `component`; the action, not the field, refuses other values.

    One home per rule: an unknown status or priority gets the action's message, as in the admin.
    """

    @extend_schema_field({"type": "string", "enum": [value for value, _label in choices]}, component_name=component)
    class EnumField(serializers.CharField):
        def __init__(self, **kwargs):
            kwargs.setdefault("max_length", 40)
            super().__init__(**kwargs)

    EnumField.__name__ = EnumField.__qualname__ = f"{component}Field"
    return EnumField


TicketStatusField = enum_field("TicketStatus", Ticket.Status.choices)
TicketPriorityField = enum_field("TicketPriority", Ticket.Priority.choices)
CustomerTierField = enum_field("CustomerTier", Ticket.Tier.choices)
SLAStateField = enum_field("TicketSLAState", Ticket.SLAState.choices)
MessageKindField = enum_field("MessageKind", Message.Kind.choices)
MessageAuthorField = enum_field("MessageAuthor", Message.Author.choices)
EventKindField = enum_field("TicketEventKind", TicketEvent.Kind.choices)
ClockStateField = enum_field("SLAClockState", SLAClock.State.choices)
MetricField = enum_field("SLAMetric", Metric.choices)


class UserRefSerializer(serializers.Serializer):
    """A staff member as the desk names them."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class QueueRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class ProblemTypeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.SerializerMethodField()

    def get_name(self, problem_type) -> str:
        return pick(problem_type.names)


class TicketListSerializer(serializers.ModelSerializer):
    """A ticket as a row of the desk's list: who, what, where it stands, and its next SLA due time."""

    url = serializers.HyperlinkedIdentityField(view_name="staff-ticket-detail")
    status = TicketStatusField()
    priority = TicketPriorityField()
    customer_tier = CustomerTierField()
    queue = QueueRefSerializer()
    problem_type = ProblemTypeRefSerializer()
    assignee = UserRefSerializer(allow_null=True)
    sla_state = serializers.SerializerMethodField()
    secret_exposed = serializers.BooleanField(help_text=_("The customer sent a secret that the guard removed."))
    version = serializers.IntegerField(help_text=_("Send it back with an action to refuse changes made meanwhile."))

    class Meta:
        model = Ticket
        fields = [
            "id", "reference", "url", "subject", "status", "priority", "queue", "problem_type", "assignee",
            "language", "customer_email", "customer_name", "customer_uid", "customer_tier", "escalation_level",
            "sla_state", "sla_due_at", "sla_warn_at", "secret_exposed", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SLAStateField())
    def get_sla_state(self, ticket):
        return ticket.sla_state(self.context["now"])


class FieldItemSerializer(serializers.Serializer):
    """A submitted field value as agents read it (choices, coins and networks in words)."""

    label = serializers.CharField()
    value = serializers.CharField()


class StaffAttachmentSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text=_("Bytes."))
    secrets_removed = serializers.ListField(child=serializers.CharField(), help_text=_("Removed from a text file."))
    url = serializers.SerializerMethodField(help_text=_("Download it here with the same credentials."))

    def get_url(self, attachment) -> str:
        url = reverse("staff-ticket-attachment", args=[attachment.ticket_id, attachment.public_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MessageSerializer(serializers.ModelSerializer):
    kind = MessageKindField()
    internal = serializers.SerializerMethodField()
    author = MessageAuthorField()
    author_user = UserRefSerializer(allow_null=True)
    secrets_removed = serializers.ListField(child=serializers.CharField())
    attachments = StaffAttachmentSerializer(many=True, help_text=_("Screenshots and files can hold secrets too."))

    class Meta:
        model = Message
        fields = [
            "id", "kind", "internal", "author", "author_user", "body", "secrets_removed", "attachments", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_internal(self, message) -> bool:
        """An internal note: staff only, never shown or sent to the customer."""
        return message.kind == Message.Kind.INTERNAL


class EventSerializer(serializers.ModelSerializer):
    kind = EventKindField()
    data = serializers.DictField(help_text=_('What changed, e.g. {"from": "new", "to": "open"}.'))
    actor = UserRefSerializer(allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "data", "actor", "created_at"]
        read_only_fields = fields


class ClockExplanationSerializer(serializers.Serializer):
    """How the due time was reached: the policy, calendar, priority and target that apply, and the time paused."""

    policy = serializers.CharField(read_only=True)
    policy_id = serializers.IntegerField(read_only=True)
    calendar = serializers.CharField(read_only=True)
    priority = TicketPriorityField(read_only=True)
    target_minutes = serializers.FloatField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True)
    paused_minutes = serializers.FloatField(read_only=True)
    pauses = serializers.ListField(child=serializers.CharField(), read_only=True)


class ClockSerializer(serializers.ModelSerializer):
    metric = MetricField()
    state = ClockStateField()
    breached = serializers.SerializerMethodField()
    explanation = ClockExplanationSerializer()

    class Meta:
        model = SLAClock
        fields = [
            "metric", "cycle", "state", "started_at", "due_at", "warn_at", "remaining_seconds", "fulfilled_at",
            "breached", "breached_at", "escalated_level", "explanation",
        ]  # fmt: skip
        read_only_fields = fields

    def get_breached(self, clock) -> bool:
        return clock.is_breached_at(self.context["now"])


class RatingSerializer(serializers.Serializer):
    """The customer's rating of the latest solve: score 1-5, comment with secrets removed, who and when."""

    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField()
    secrets_removed = serializers.ListField(child=serializers.CharField())
    queue_id = serializers.IntegerField(allow_null=True)
    assignee_id = serializers.IntegerField(allow_null=True)
    solved_at = serializers.DateTimeField()
    rated_at = serializers.DateTimeField()


class TicketDetailSerializer(TicketListSerializer):
    """One ticket in full: field values, the conversation with internal notes marked, SLA clocks, the audit trail."""

    field_values = serializers.DictField(source="fields", help_text=_("The submitted values by field name, as stored."))
    secrets_removed = serializers.ListField(child=serializers.CharField())
    field_items = serializers.SerializerMethodField()
    messages = MessageSerializer(many=True)
    clocks = ClockSerializer(many=True)
    events = EventSerializer(many=True)
    rating = serializers.SerializerMethodField()

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "secrets_removed",
            "field_values",
            "field_items",
            "messages",
            "clocks",
            "events",
            "rating",
        ]
        read_only_fields = fields

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, ticket):
        rating = getattr(ticket, "rating", None)  # None: not rated (a missing reverse one-to-one)
        return RatingSerializer(rating).data if rating is not None else None

    @extend_schema_field(FieldItemSerializer(many=True))
    def get_field_items(self, ticket):
        return [{"label": str(label), "value": str(value)} for label, value in ticket.field_items()]


class ActionSerializer(serializers.Serializer):
    """The body of an action on a ticket: only the declared keys, and an optional `version` (409 when stale)."""

    # The browsable API's HTML forms carry this key; it is checked by the CSRF middleware, not here.
    IGNORED = {"csrfmiddlewaretoken"}

    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=MAX_ID,
        help_text=_("The ticket's version as you saw it: a newer one refuses the action with 409."),
    )

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields) - self.IGNORED)
            if unknown:
                names = [name for name in self.fields if name != "version"] + ["version"]
                message = _("Unknown field. Send only: %(fields)s.") % {"fields": ", ".join(names)}
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)


def _text(**kwargs):
    """Free text left to the action to judge, so an empty one gets the action's message."""
    return serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False, **kwargs)


class StaffField(serializers.PrimaryKeyRelatedField):
    """An active staff member by id (the action decides whether they may work the ticket's queue)."""

    default_error_messages = {"does_not_exist": _("No active staff member has this id.")}

    def __init__(self, **kwargs):
        super().__init__(queryset=get_user_model().objects.filter(is_active=True, is_staff=True), **kwargs)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class QueueField(serializers.Field):
    """A queue by id or slug."""

    default_error_messages = {"does_not_exist": _("No queue has this id or slug.")}

    def to_internal_value(self, data):
        text = str(data).strip()
        if isinstance(data, bool) or not text or len(text) > 50:
            self.fail("does_not_exist")
        by = {"pk": int(text)} if text.isascii() and text.isdigit() and int(text) <= MAX_ID else {"slug": text}
        queue = Queue.objects.filter(**by).first()
        if queue is None:
            self.fail("does_not_exist")
        return queue

    def to_representation(self, queue):
        return queue.pk


class FilesField(serializers.ListField):
    """Files sent as multipart `attachments`, checked and cleaned by `tickets.attachments.accept` (as a customer's)."""

    child = serializers.FileField(allow_empty_file=True, use_url=False)

    def __init__(self, **kwargs):
        super().__init__(required=False, default=list, **kwargs)

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        try:
            return attachments.accept(files) if files else []
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class ReplySerializer(ActionSerializer):
    body = _text(help_text=_("The reply; it is emailed to the customer. May be empty when files are sent."))
    status = TicketStatusField(required=False, allow_null=True, default=None, help_text=_("Status to set with it."))
    attachments = FilesField(help_text=_("Files for the customer (multipart); the same checks as theirs."))


class NoteSerializer(ActionSerializer):
    body = _text(help_text=_("The internal note; the customer never sees it. May be empty when files are sent."))
    attachments = FilesField(help_text=_("Files for staff only (multipart); the same checks as a customer's."))


class AssignSerializer(ActionSerializer):
    assignee = StaffField(allow_null=True, help_text=_("Staff member's id, or null to unassign."))


class StatusSerializer(ActionSerializer):
    status = TicketStatusField()


class PrioritySerializer(ActionSerializer):
    priority = TicketPriorityField()
    reason = _text()


class EscalateSerializer(ActionSerializer):
    reason = _text(help_text=_("Why the ticket is escalated (required)."))
    queue = QueueField(required=False, allow_null=True, default=None, help_text=_("Move it to this queue too."))
    assignee = StaffField(
        required=False, allow_null=True, default=None, help_text=_("Give it to this staff member too.")
    )


class DeEscalateSerializer(ActionSerializer):
    reason = _text(help_text=_("Why the ticket is de-escalated (required)."))


class MoveSerializer(ActionSerializer):
    queue = QueueField()
    reason = _text()


class ErrorSerializer(serializers.Serializer):
    """An error: what went wrong and what to do."""

    detail = serializers.CharField()
