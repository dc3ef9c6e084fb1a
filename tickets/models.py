"""Ticket intake: queues, problem types with their field definitions, tickets, their conversation and audit trail."""

import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.i18n import NamedInLanguages, pick
from tickets.forms import FIELD_TYPES, RESERVED_NAMES

# No 0/O, 1/I/L: a reference read out over the phone or copied by hand stays unambiguous.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def new_reference():
    return "HD-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_tracking_token():
    return secrets.token_urlsafe(24)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Queue(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self):
        return self.name


class ProblemTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class ProblemType(NamedInLanguages):
    """What the customer needs help with: routes the ticket to a queue and decides which fields the form asks for."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    queue = models.ForeignKey(Queue, models.PROTECT, related_name="problem_types", verbose_name=_("queue"))
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    fields = models.JSONField(
        _("fields"),
        default=list,
        blank=True,
        help_text=_(
            'A list of field definitions: {"name": "txid", "type": "txid", "required": true, '
            '"label": {"zh-hans": "…", "en": "…"}, "help": {…}, "choices": [{"value": "TRC20", "label": {…}}]}. '
            "Types: text, textarea, choice, amount, txid, address, uid, email."
        ),
    )

    objects = ProblemTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("problem type")
        verbose_name_plural = _("problem types")

    def get_absolute_url(self):
        return reverse("tickets:form", args=[self.slug])

    def clean(self):
        errors = {"names": _names_errors(self.names), "fields": field_definition_errors(self.fields)}
        if errors := {key: messages for key, messages in errors.items() if messages}:
            raise ValidationError(errors)


def _names_errors(names):
    if not isinstance(names, dict) or not any(isinstance(v, str) and v.strip() for v in names.values()):
        return [_('Give at least one name, e.g. {"zh-hans": "充值未到账", "en": "Deposit not credited"}.')]
    return []


def _is_text_map(value):
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def field_definition_errors(definitions):
    """Everything wrong with a list of field definitions, as messages (empty when it is usable)."""
    if not isinstance(definitions, list):
        return [_("Fields must be a list of definitions.")]
    errors, seen = [], set()
    for number, definition in enumerate(definitions, 1):
        if not isinstance(definition, dict):
            errors.append(_("Field %(n)s: a definition must be an object.") % {"n": number})
            continue
        name, kind = definition.get("name"), definition.get("type")
        where = {"n": number, "name": name}
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            errors.append(_("Field %(n)s: the name must be lowercase letters, digits and _ (max. 40).") % where)
        elif name in RESERVED_NAMES and (name, kind) != ("uid", "uid"):
            errors.append(_("Field %(n)s: “%(name)s” is used by every form; choose another name.") % where)
        elif name in seen:
            errors.append(_("Field %(n)s: the name “%(name)s” is used twice.") % where)
        seen.add(name)
        if kind not in FIELD_TYPES:
            errors.append(
                _("Field %(n)s: unknown type “%(type)s” (known: %(known)s).")
                % {**where, "type": kind, "known": ", ".join(FIELD_TYPES)}
            )
        if not isinstance(definition.get("required", False), bool):
            errors.append(_("Field %(n)s: “required” must be true or false.") % where)
        for key in ("label", "help"):
            if key in definition and not _is_text_map(definition[key]):
                errors.append(_("Field %(n)s: “%(key)s” must map language codes to text.") % {**where, "key": key})
        choices = definition.get("choices")
        if kind == "choice":
            values = [c.get("value") for c in choices] if isinstance(choices, list) and choices else []
            if not values or not all(isinstance(c, dict) for c in choices):
                errors.append(_("Field %(n)s: a choice field needs a non-empty list of choices.") % where)
            elif not all(isinstance(v, str) and v for v in values) or len(set(values)) != len(values):
                errors.append(_("Field %(n)s: every choice needs its own non-empty “value”.") % where)
            elif not all(_is_text_map(c.get("label", {})) for c in choices):
                errors.append(_("Field %(n)s: a choice “label” must map language codes to text.") % where)
        elif choices is not None:
            errors.append(_("Field %(n)s: only choice fields take choices.") % where)
    return errors


class TicketQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("problem_type", "queue")


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending (waiting on customer)")
        ON_HOLD = "on_hold", _("On hold (waiting on a third party)")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        VIP = "vip", _("VIP")

    # The customer reads where their ticket stands, not the desk's workflow terms.
    CUSTOMER_STATUS = {
        Status.NEW: _("Received: we will reply soon"),
        Status.OPEN: _("In progress: our team is working on it"),
        Status.PENDING: _("Waiting for your reply"),
        Status.ON_HOLD: _("Waiting on a third party (e.g. the sending platform or network)"),
        Status.SOLVED: _("Solved: reply if you still need help"),
        Status.CLOSED: _("Closed"),
    }

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    problem_type = models.ForeignKey(
        ProblemType, models.PROTECT, related_name="tickets", verbose_name=_("problem type")
    )
    queue = models.ForeignKey(Queue, models.PROTECT, related_name="tickets", verbose_name=_("queue"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    customer_email = models.EmailField(_("customer email"))
    customer_uid = models.CharField(_("customer UID"), max_length=20, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    subject = models.CharField(_("subject"), max_length=150)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    tracking_token_hash = models.CharField(_("tracking token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "queue"], name="tickets_status_queue"),
            models.Index(fields=["created_at"], name="tickets_created_at"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def customer_status(self):
        return self.CUSTOMER_STATUS.get(self.status, self.get_status_display())

    @property
    def accepts_replies(self):
        return self.status != self.Status.CLOSED

    def field_items(self):
        """The submitted field values as (label, text) in the order of the type's definitions, choices in words."""
        values = dict(self.fields or {})
        items = []
        for definition in self.problem_type.fields or []:
            name = definition.get("name")
            if name not in values:
                continue
            value = values.pop(name)
            if definition.get("type") == "choice":
                labels = {c.get("value"): pick(c.get("label") or {}) for c in definition.get("choices") or []}
                value = labels.get(value) or value
            items.append((pick(definition.get("label") or {}) or name, value))
        items.extend(values.items())  # fields since removed from the definition are still shown, by name
        return items


class MessageQuerySet(models.QuerySet):
    def public(self):
        return self.filter(kind=Message.Kind.PUBLIC)


class Message(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    class Author(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="messages", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    author = models.CharField(_("author"), max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author account"),
    )
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.ticket_id} {self.get_author_display()} {self.created_at:%Y-%m-%d %H:%M}"


class TicketEvent(models.Model):
    """One entry of a ticket's audit trail: what changed, with the details in `data`."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=40)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"
