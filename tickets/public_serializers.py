"""Public ticket API representations: ticket types with their fields, a customer's ticket, what opening one answers.

Request bodies are validated by the ticket forms (tickets.forms), not here: the request serializers below describe
them for the OpenAPI schema only.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from helpdesk.i18n import pick
from tickets import attachments, reply_time, secretguard
from tickets import fields as field_kinds
from tickets.serializers import MessageAuthorField, TicketStatusField, enum_field

FieldKindField = enum_field("TicketFieldKind", field_kinds.FieldKind.choices)
SecretKindField = enum_field("SecretKind", [(kind, kind) for kind in secretguard.KINDS])


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class TypeFieldSerializer(serializers.Serializer):
    """One field of a ticket type, as the form shows it in the requested language."""

    key = serializers.CharField(help_text=_("Send the value as `fields.<key>`."))
    type = FieldKindField()
    required = serializers.BooleanField()
    label = serializers.CharField()
    help_text = serializers.CharField(allow_blank=True)
    choices = ChoiceSerializer(many=True, allow_null=True, help_text=_("The accepted values; null: free input."))


class AttachmentRulesSerializer(serializers.Serializer):
    """What a ticket of the type takes in files (the same rules as the form), sent as multipart `attachments`."""

    required = serializers.BooleanField(help_text=_("Whether a ticket of this type is refused without a file."))
    hint = serializers.CharField(allow_blank=True, help_text=_("What to attach, in the language asked."))
    max_files = serializers.IntegerField()
    max_file_bytes = serializers.IntegerField()
    max_total_bytes = serializers.IntegerField()
    max_text_bytes = serializers.IntegerField(help_text=_("The largest plain text file."))
    types = serializers.ListField(
        child=serializers.CharField(), help_text=_("Accepted content types, decided by the content, not the name.")
    )


def attachment_rules(problem_type, language):
    return {
        "required": problem_type.attachment_required,
        "hint": pick(problem_type.attachment_hints, language),
        "max_files": attachments.MAX_FILES,
        "max_file_bytes": attachments.MAX_FILE_SIZE,
        "max_total_bytes": attachments.MAX_TOTAL_SIZE,
        "max_text_bytes": attachments.MAX_TEXT_SIZE,
        "types": list(attachments.ACCEPTED_TYPES),
    }


class TicketTypeSerializer(serializers.Serializer):
    """A problem type (`slug`, name in the requested language), the fields its tickets ask for and the files."""

    slug = serializers.SlugField()
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    # Not get_fields: that name is the serializer's own.
    fields = serializers.SerializerMethodField(method_name="type_fields")
    attachments = serializers.SerializerMethodField()

    def get_name(self, problem_type) -> str:
        return pick(problem_type.names, self.context["language"])

    def get_description(self, problem_type) -> str:
        return pick(problem_type.descriptions, self.context["language"])

    @extend_schema_field(TypeFieldSerializer(many=True))
    def type_fields(self, problem_type):
        language = self.context["language"]
        return [type_field(row, language) for row in problem_type.fields.all()]

    @extend_schema_field(AttachmentRulesSerializer)
    def get_attachments(self, problem_type):
        return attachment_rules(problem_type, self.context["language"])


def type_field(row, language):
    """A field row as the form builds it (tickets.fields.build_field): the one table of labels and choices."""
    field = field_kinds.build_field(row, language)
    choices = getattr(field, "choices", None)
    return {
        "key": row.name,
        "type": row.kind,
        "required": field.required,
        "label": str(field.label),
        "help_text": str(field.help_text or ""),
        "choices": [{"value": value, "label": str(label)} for value, label in choices if value] if choices else None,
    }


class CustomerStatusSerializer(serializers.Serializer):
    """Where the ticket stands: `code` for programs, `text` for the customer (the words of the tracking page)."""

    code = TicketStatusField()
    text = serializers.CharField()


def status_of(ticket):
    return {"code": ticket.status, "text": str(ticket.customer_status)}


class ExpectedReplySerializer(serializers.Serializer):
    """When the first reply is expected; null once answered, overdue, or without a service level."""

    due_at = serializers.DateTimeField()
    text = serializers.CharField()


def expected_reply(ticket, language, *, due_at=None):
    expected = reply_time.first_reply(ticket, language=language, due_at=due_at)
    if expected is None:
        return None
    return {"due_at": serializers.DateTimeField().to_representation(expected.due_at), "text": expected.text}


class SecretAdviceSerializer(serializers.Serializer):
    kind = SecretKindField()
    label = serializers.CharField()
    advice = serializers.CharField()


def secrets_advice(kinds):
    """What to tell the customer about each kind of secret removed (the same words as the pages)."""
    return [
        {"kind": kind, "label": str(secretguard.LABELS[kind]), "advice": str(secretguard.ADVICE[kind])}
        for kind in kinds
    ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A deposit that has not arrived",
            value={
                "reference": "HD-7KQ2M9XA",
                "token": "p1Ew9bW2e0Yq3sJ3m8o7RkqvB0Zl8m4F",
                "status": {"code": "new", "text": "Received: we will reply soon"},
                "expected_reply": {
                    "due_at": "2026-12-03T16:00:00+08:00",
                    "text": "We expect to reply by Dec. 3, 2026, 4 p.m. (UTC+8), in about 2 hours.",
                },
                "url": "https://help.example.com/api/v1/tickets/HD-7KQ2M9XA/",
                "secrets_removed": [],
                "secrets_advice": [],
            },
            response_only=True,
        )
    ]
)
class TicketOpenedSerializer(serializers.Serializer):
    """What opening a ticket answers; the token is shown this once: keep it to read and answer the ticket."""

    reference = serializers.CharField()
    token = serializers.CharField(help_text=_("Send it as the X-Ticket-Token header; it is shown only here."))
    status = CustomerStatusSerializer()
    expected_reply = ExpectedReplySerializer(allow_null=True)
    url = serializers.URLField(help_text=_("The ticket resource."))
    secrets_removed = serializers.ListField(
        child=SecretKindField(), help_text=_("Kinds of secret removed from the text before it was filed.")
    )
    secrets_advice = SecretAdviceSerializer(many=True)


class FieldValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(help_text=_("As stored: codes for coins, networks and choices."))
    text = serializers.CharField(help_text=_("As the customer reads it: choices, coins and networks in words."))


class PublicAttachmentSerializer(serializers.Serializer):
    """A file on a public message, as stored: images re-encoded without metadata, text with secrets removed."""

    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text=_("In bytes, as stored."))
    url = serializers.URLField(help_text=_("Download it with the X-Ticket-Token header."))
    secrets_removed = serializers.ListField(child=SecretKindField())


def attachment_url(request, reference, attachment):
    """The file's API address: absolute when the request is known."""
    url = reverse("public-ticket-attachment", args=[reference, attachment.public_id])
    return request.build_absolute_uri(url) if request is not None else url


class PublicMessageSerializer(serializers.Serializer):
    """A public message of the conversation: the customer's or the support team's (never an internal note)."""

    author = MessageAuthorField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    secrets_removed = serializers.ListField(
        child=SecretKindField(), help_text=_("Kinds of secret removed from the message or its files.")
    )
    attachments = PublicAttachmentSerializer(many=True)

    def to_representation(self, message):
        request = self.context.get("request")
        files = list(message.attachments.all())
        reference = message.ticket.reference
        return {
            "author": message.author,
            "body": message.body,
            "created_at": serializers.DateTimeField().to_representation(message.created_at),
            "secrets_removed": secretguard.ordered([*message.secrets_removed, *secrets_in_files(files)]),
            "attachments": [
                {
                    "name": file.original_name,
                    "content_type": file.content_type,
                    "size": file.size,
                    "url": attachment_url(request, reference, file),
                    "secrets_removed": list(file.secrets_removed),
                }
                for file in files
            ],
        }


def secrets_in_files(files):
    return [kind for file in files for kind in file.secrets_removed]


class ReplyAddedSerializer(PublicMessageSerializer):
    """The reply as filed (secrets removed), with what to tell the customer about them."""

    secrets_advice = SecretAdviceSerializer(many=True)

    def to_representation(self, message):
        data = super().to_representation(message)
        return {**data, "secrets_advice": secrets_advice(data["secrets_removed"])}


class TicketTypeRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CustomerTicketSerializer(serializers.Serializer):
    """A ticket as its customer sees it: no internal notes, no queue, assignee, priority or SLA internals."""

    reference = serializers.CharField()
    status = CustomerStatusSerializer()
    type = TicketTypeRefSerializer()
    subject = serializers.CharField()
    created_at = serializers.DateTimeField()
    accepts_replies = serializers.BooleanField()
    fields = FieldValueSerializer(many=True)
    messages = PublicMessageSerializer(many=True)
    expected_reply = ExpectedReplySerializer(allow_null=True)

    def to_representation(self, ticket):
        language = self.context["language"]
        problem_type = ticket.problem_type
        return {
            "reference": ticket.reference,
            "status": status_of(ticket),
            "type": {"slug": problem_type.slug, "name": pick(problem_type.names, language)},
            "subject": ticket.subject,
            "created_at": serializers.DateTimeField().to_representation(ticket.created_at),
            "accepts_replies": ticket.accepts_replies,
            "fields": [
                {"key": key, "label": label, "value": value, "text": text}
                for key, label, value, text in ticket.field_entries(language)
            ],
            "messages": [
                PublicMessageSerializer(message, context=self.context).data
                for message in ticket.messages.public().prefetch_related("attachments")
            ],
            "expected_reply": expected_reply(ticket, language),
        }


# Request bodies, for the schema ----------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A deposit that has not arrived",
            value={
                "type": "deposit-not-credited",
                "email": "alice@example.com",
                "subject": "USDT deposit not credited after 2 hours",
                "description": "I sent 250 USDT on TRC20 two hours ago; the explorer shows it confirmed.",
                "fields": {
                    "coin": "USDT",
                    "network": "TRC20",
                    "txid": "ab" * 32,
                    "amount": "250",
                    "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                },
            },
            request_only=True,
        )
    ]
)
class TicketOpenSerializer(serializers.Serializer):
    """Open a ticket. Every value is a string; any other key is refused (status, priority, queue… are the desk's)."""

    type = serializers.SlugField(help_text=_("The ticket type's slug (GET /api/v1/ticket-types/)."))
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Language of the ticket and its emails; default: Accept-Language."),
    )
    email = serializers.EmailField()
    name = serializers.CharField(required=False, max_length=100)
    uid = serializers.CharField(required=False, max_length=20, help_text=_("The numeric account UID (5–20 digits)."))
    subject = serializers.CharField(max_length=150)
    description = serializers.CharField(max_length=10_000)
    fields = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text=_(
            "The type's own fields by key. In multipart or form-encoded bodies send each as a field named fields.<key>."
        ),
    )


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of a multipart body (shown as binary: the schema's requests and responses share components)."""


FILES_HELP = format_lazy(
    _("Up to {count} files (PNG, JPEG, WebP or GIF images, PDF, or plain text), each a part named attachments."),
    count=attachments.MAX_FILES,
)


class TicketOpenFilesSerializer(TicketOpenSerializer):
    """Open a ticket with files: the same keys as form fields (the type's as fields.<key>), and the files."""

    attachments = serializers.ListField(
        child=UploadField(),
        required=False,
        help_text=format_lazy(
            "{} {}", FILES_HELP, _("Some ticket types require one: see `attachments` in GET /api/v1/ticket-types/.")
        ),
    )


class ReplyBodySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10_000)


class ReplyFilesSerializer(ReplyBodySerializer):
    """A reply with files, each a part named attachments."""

    attachments = serializers.ListField(
        child=UploadField(),
        required=False,
        help_text=FILES_HELP,
    )


class FieldErrorsSerializer(serializers.Serializer):
    """A 400: each refused key with its messages (the type's own fields under `fields`), or `detail`."""

    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
