"""Queues, problem types with their field definitions, tickets, their conversation and audit trail."""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import NamedInLanguages, pick
from tickets import fields as field_kinds

# No 0/O, 1/I/L: a reference read out over the phone or copied by hand stays unambiguous.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
REFERENCE_PATTERN = f"HD-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"
# What the desk's search box reads as a reference (or its start), a UID, or a transaction ID.
REFERENCE_START = re.compile(f"HD-[{REFERENCE_ALPHABET}]{{0,{REFERENCE_LENGTH}}}")
DIGITS = re.compile(r"[0-9]{4,20}")
TXID_LIKE = re.compile(r"[0-9A-Za-z]{20,}|0x[0-9A-Fa-f]{20,}")


def new_reference():
    return "HD-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_tracking_token(submission=""):
    """A 192-bit tracking token: random, or derived from the form's submission key so a resent form finds its ticket.

    The submission key is a random value the form carried; only someone who had that form can derive the token.
    """
    if not submission:
        return secrets.token_urlsafe(24)
    digest = hmac.new(settings.SECRET_KEY.encode(), b"tracking:" + submission.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def reopen_window():
    """How long after being solved a ticket can be reopened (and rated) by the customer: TICKET_REOPEN_DAYS."""
    return timedelta(days=settings.TICKET_REOPEN_DAYS)


def sees_all_queues(user):
    """Whether `user` (active staff) sees every queue: superusers and holders of tickets.view_all_queues."""
    return user.is_superuser or user.has_perm("tickets.view_all_queues")


class QueueQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The queues whose tickets `user` sees (see TicketQuerySet.visible_to)."""
        if not (user.is_active and user.is_staff):
            return self.none()
        if sees_all_queues(user):
            return self
        return self.filter(members=user)


class Queue(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(
        _("email address"),
        blank=True,
        help_text=_("Emails about this queue's tickets are sent from this address (the site's default when empty)."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="ticket_queues",
        verbose_name=_("agents"),
        help_text=_("Agents who work this queue's tickets."),
    )
    objects = QueueQuerySet.as_manager()

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
    attachment_required = models.BooleanField(
        _("attachment required"),
        default=False,
        help_text=_("The form refuses a ticket of this type without at least one file."),
    )
    attachment_hints = models.JSONField(
        _("attachment hints"),
        default=dict,
        blank=True,
        help_text=_("Per language: which file the customer should attach, e.g. a screenshot of the rejection notice."),
    )
    objects = ProblemTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("problem type")
        verbose_name_plural = _("problem types")

    def get_absolute_url(self):
        return reverse("tickets:form", args=[self.slug])

    @property
    def attachment_hint(self):
        return pick(self.attachment_hints)

    def clean(self):
        if not any(isinstance(v, str) and v.strip() for v in (self.names or {}).values()):
            raise ValidationError({"names": _("Give the problem type a name in at least one language.")})


class ProblemField(models.Model):
    """One field a problem type's form asks for (TxID, network, amount…), labelled per language."""

    problem_type = models.ForeignKey(ProblemType, models.CASCADE, related_name="fields", verbose_name=_("problem type"))
    name = models.CharField(
        _("name"), max_length=40, help_text=_("Key the value is stored under, e.g. txid (lowercase, digits, _).")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=field_kinds.FieldKind.choices)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    labels = models.JSONField(_("labels"), default=dict, help_text=_("Label per language code."))
    helps = models.JSONField(_("help texts"), default=dict, blank=True)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_('For choice fields: [{"value": …, "label": {…}}].')
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["problem_type", "name"], name="tickets_field_unique_name")]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self):
        return self.name

    @property
    def label(self):
        return pick(self.labels) or self.name

    def clean(self):
        errors = field_kinds.definition_errors(name=self.name, kind=self.kind, labels=self.labels, choices=self.choices)
        if errors:
            raise ValidationError(errors)


class TicketQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("problem_type", "queue", "assignee")

    def open(self):
        return self.exclude(status__in=Ticket.DONE)

    def visible_to(self, user):
        """The tickets `user` may see and work: all for supervisors, their queues' tickets for agents, else none."""
        if not (user.is_active and user.is_staff):
            return self.none()
        if sees_all_queues(user):
            return self
        return self.filter(queue__members=user)

    def breached(self, at):
        return self.filter(sla_due_at__lte=at)

    def at_risk(self, at):
        return self.filter(sla_warn_at__lte=at, sla_due_at__gt=at)

    def on_track(self, at):
        """Tickets with a running SLA clock that is neither breached nor past its warning point at `at`."""
        return self.filter(sla_due_at__gt=at).exclude(sla_warn_at__lte=at)

    def without_sla(self):
        return self.filter(sla_due_at=None)

    def with_priority_rank(self):
        """Annotated with `priority_rank` (low 0 … urgent 3), so priority sorts by urgency rather than by name."""
        return self.annotate(
            priority_rank=models.Case(
                *(models.When(priority=priority, then=rank) for priority, rank in Ticket.PRIORITY_RANK.items()),
                output_field=models.PositiveSmallIntegerField(),
            )
        )

    def past_reopen_window(self, at):
        """Solved tickets whose reopen window ended by `at`: the sweep closes them."""
        return self.filter(status=Ticket.Status.SOLVED, solved_at__lte=at - reopen_window())

    def for_page(self):
        """With the problem type's field rows, for pages that show the ticket's field values."""
        return self.for_list().prefetch_related("problem_type__fields")

    def matching(self, term):
        """The tickets a desk search for `term` finds, each kind of term on its own index.

        A reference or its start ("HD-7K"), an email address (whole, any case), a UID (digits; also subject words),
        a transaction ID (a `txid` field value), else words of the subject.
        """
        term = " ".join(term.split())
        if not term:
            return self
        if REFERENCE_START.fullmatch(term.upper()):
            return self.filter(reference__startswith=term.upper())
        if "@" in term:
            return self.filter(customer_email__iexact=term)
        if DIGITS.fullmatch(term):
            return self.filter(models.Q(customer_uid=term) | models.Q(subject__icontains=term))
        if TXID_LIKE.fullmatch(term):
            return self.filter(fields__txid__in=sorted({term, term.lower()}))
        return self.filter(subject__icontains=term)

    def for_desk(self):
        """Everything the staff view of one ticket shows: field rows, messages and events with their authors, clocks,
        the customer's rating."""
        return (
            self.for_page()
            .select_related("rating")
            .prefetch_related(
                models.Prefetch("messages", Message.objects.select_related("author_user")),
                "messages__attachments",
                models.Prefetch("events", TicketEvent.objects.select_related("actor")),
                "clocks",
            )
        )


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

    class SLAState(models.TextChoices):
        """Where the ticket's next SLA due time stands (see `sla_state`)."""

        AT_RISK = "at_risk", _("At risk (past the warning point)")
        BREACHED = "breached", _("Breached")
        OK = "ok", _("On track")
        NONE = "none", _("No running SLA clock")

    # The customer reads where their ticket stands, not the desk's workflow terms.
    CUSTOMER_STATUS = {
        Status.NEW: _("Received: we will reply soon"),
        Status.OPEN: _("In progress: our team is working on it"),
        Status.PENDING: _("Waiting for your reply"),
        Status.ON_HOLD: _("Waiting on a third party (e.g. the sending platform or network)"),
        Status.SOLVED: _("Solved: reply if you still need help"),
        Status.CLOSED: _("Closed"),
    }

    # A customer may close a ticket as solved by an article only before the desk has worked on it.
    SELF_SERVICE = (Status.NEW, Status.OPEN)
    # Statuses where the desk's work is done: their clocks stop and the sweep leaves them alone.
    DONE = (Status.SOLVED, Status.CLOSED)
    PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}

    # Which status may follow which: nothing returns to new, and closed is final (the customer opens a new ticket).
    TRANSITIONS = {
        Status.NEW: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
        Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
        Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
        Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED},
        Status.SOLVED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: set(),
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
    customer_name = models.CharField(_("customer name"), max_length=100, blank=True)
    customer_uid = models.CharField(_("customer UID"), max_length=20, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    subject = models.CharField(_("subject"), max_length=150)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    secrets_removed = models.JSONField(
        _("secrets removed"),
        default=list,
        blank=True,
        help_text=_("Kinds of secret the customer sent and the guard removed (never the secret itself)."),
    )
    tracking_token_hash = models.CharField(_("tracking token hash"), max_length=64, unique=True, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # The help-center article the customer said solved the problem (self-service); cleared when the ticket reopens.
    solved_by_article = models.ForeignKey(
        "kb.Article",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="solved_tickets",
        verbose_name=_("solved by article"),
        editable=False,
    )
    # The earliest due time and warning time among the ticket's running SLA clocks, kept by tickets.clocks: the desk
    # sorts and filters a million tickets on them without joining clocks.
    sla_due_at = models.DateTimeField(_("next SLA due"), null=True, blank=True, editable=False)
    sla_warn_at = models.DateTimeField(_("next SLA warning"), null=True, blank=True, editable=False)
    # Set when a policy or calendar changed: the sweep recomputes these tickets' clocks in batches.
    sla_stale = models.BooleanField(_("SLA to recompute"), default=False, editable=False)
    # Bumped by every change through tickets.actions: a form that saw an older version is refused, not applied.
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    # When the ticket last became solved (None while it is not solved): starts the reopen and rating window.
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "queue"], name="tickets_status_queue"),
            models.Index(fields=["created_at"], name="tickets_created_at"),
            models.Index(fields=["queue", "sla_due_at"], name="tickets_queue_due"),
            models.Index(fields=["sla_due_at"], name="tickets_due"),
            models.Index(fields=["assignee", "sla_due_at"], name="tickets_assignee_due"),
            models.Index(fields=["id"], name="tickets_sla_stale", condition=models.Q(sla_stale=True)),
            models.Index(fields=["solved_at"], name="tickets_solved", condition=models.Q(status="solved")),
            # The desk's search (TicketQuerySet.matching); subject words use a trigram index on PostgreSQL.
            models.Index(Upper("customer_email"), name="tickets_email_upper"),
            models.Index(fields=["customer_uid"], name="tickets_uid"),
            models.Index(models.F("fields__txid"), name="tickets_txid"),
        ]
        permissions = [
            ("view_all_queues", _("Can see and work the tickets of every queue")),
            ("de_escalate_ticket", _("Can de-escalate tickets")),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def customer_status(self):
        return self.CUSTOMER_STATUS.get(self.status, self.get_status_display())

    @property
    def is_done(self):
        return self.status in self.DONE

    @property
    def accepts_replies(self):
        """Not closed, nor solved past its reopen window (closed by the next sweep, refused already now)."""
        if self.status == self.Status.SOLVED:
            return self.reopenable(timezone.now())
        return self.status != self.Status.CLOSED

    @property
    def reopen_until(self):
        """The end of the reopen and rating window of a solved ticket, else None."""
        if self.status != self.Status.SOLVED or self.solved_at is None:
            return None
        return self.solved_at + reopen_window()

    def reopenable(self, at):
        """Whether the customer may reopen this ticket at `at`: solved, within the window (unknown: a row from
        before solve times were kept)."""
        if self.status != self.Status.SOLVED:
            return False
        return self.solved_at is None or at < self.reopen_until

    def rateable(self, at):
        """Whether the customer may rate the solution at `at`: solved, within the window."""
        return self.solved_at is not None and self.reopenable(at)

    def can_become(self, status):
        return status in self.TRANSITIONS.get(self.status, ())

    def self_service_open(self, public_messages=None):
        """Whether the customer may still mark the ticket solved by an article: new or open, no agent reply yet.

        Once an agent has answered, the desk owns the conversation and its outcome. `public_messages`: the
        ticket's public messages when the caller has them (no query).
        """
        if self.status not in self.SELF_SERVICE:
            return False
        if public_messages is None:
            return not self.messages.public().filter(author=Message.Author.AGENT).exists()
        return not any(message.author == Message.Author.AGENT for message in public_messages)

    def sla_state(self, at):
        """The SLAState at `at`, by the same rule as the QuerySet's breached(), at_risk() and on_track()."""
        if self.sla_due_at is None:
            return self.SLAState.NONE
        if self.sla_due_at <= at:
            return self.SLAState.BREACHED
        if self.sla_warn_at is not None and self.sla_warn_at <= at:
            return self.SLAState.AT_RISK
        return self.SLAState.OK

    @property
    def secret_exposed(self):
        return bool(self.secrets_removed)

    def field_items(self):
        """The submitted field values as (label, text) in the order of the type's fields, choices in words."""
        return [(label, text) for _key, label, _value, text in self.field_entries()]

    def field_entries(self, language=None):
        """The submitted field values as (key, label, stored value, text) in the type's order, labels in `language`."""
        values = dict(self.fields or {})
        entries = []
        for row in self.problem_type.fields.all():
            if row.name in values:
                value = values.pop(row.name)
                label = pick(row.labels, language) or row.name
                entries.append((row.name, label, value, field_kinds.display(row, value)))
        # Fields since removed from the type are still shown, by name.
        entries.extend((key, key, value, value) for key, value in values.items())
        return entries


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
    secrets_removed = models.JSONField(_("secrets removed"), default=list, blank=True)
    # SHA-256 of the reply form's submission key: the same form sent twice adds one message.
    submission_hash = models.CharField(_("submission hash"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "submission_hash"],
                condition=~models.Q(submission_hash=""),
                name="tickets_message_unique_submission",
            )
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.ticket_id} {self.get_author_display()} {self.created_at:%Y-%m-%d %H:%M}"


class TicketEvent(models.Model):
    """One entry of a ticket's audit trail: what changed, with the details in `data`."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
        AGENT_REPLIED = "agent_replied", _("Agent replied")
        NOTE_ADDED = "note_added", _("Internal note added")
        STATUS_CHANGED = "status_changed", _("Status changed")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        QUEUE_CHANGED = "queue_changed", _("Queue changed")
        ASSIGNED = "assigned", _("Assignee changed")
        ESCALATED = "escalated", _("Escalated")
        DE_ESCALATED = "de_escalated", _("De-escalated")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SLA_RECOMPUTED = "sla_recomputed", _("SLA due times recomputed")
        MERGED = "merged", _("Merged")
        SECRET_REMOVED = "secret_removed", _("Secret removed")
        RATED = "rated", _("Rated by the customer")
        SOLVED_BY_ARTICLE = "solved_by_article", _("Solved by a help-center article")

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
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


PLACEHOLDER = re.compile(r"\{(\w+)\}")


class CannedReplyQuerySet(models.QuerySet):
    def for_ticket(self, ticket):
        """The replies usable on `ticket`: its queue's and the shared ones, in its language or any language."""
        return self.filter(models.Q(queue=None) | models.Q(queue_id=ticket.queue_id)).filter(
            models.Q(language="") | models.Q(language=ticket.language)
        )


class CannedReply(models.Model):
    """A prepared answer agents insert into a reply; placeholders are filled from the ticket (see PLACEHOLDERS)."""

    PLACEHOLDERS = {
        "reference": _("the ticket's reference"),
        "customer_name": _("the customer's name (or their email address)"),
        "subject": _("the ticket's subject"),
        "agent_name": _("the replying agent's name"),
        "queue": _("the queue's name"),
    }

    title = models.CharField(_("title"), max_length=120)
    queue = models.ForeignKey(
        Queue,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("queue"),
        help_text=_("Empty: offered in every queue."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, help_text=_("Empty: any language.")
    )
    body = models.TextField(
        _("body"), help_text=_("Placeholders: {reference}, {customer_name}, {subject}, {agent_name}, {queue}.")
    )
    objects = CannedReplyQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self):
        return self.title

    def clean(self):
        unknown = sorted(set(PLACEHOLDER.findall(self.body or "")) - set(self.PLACEHOLDERS))
        if unknown:
            raise ValidationError(
                {"body": _("Unknown placeholder %(names)s: use only the ones listed.") % {"names": ", ".join(unknown)}}
            )

    def render(self, *, ticket, agent):
        """The body with the ticket's values in place of the placeholders (plain substitution, no format language)."""
        values = {
            "reference": ticket.reference,
            "customer_name": ticket.customer_name or ticket.customer_email,
            "subject": ticket.subject,
            "agent_name": (agent.get_full_name() or agent.get_username()) if agent else "",
            "queue": ticket.queue.name,
        }
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group()), self.body)
