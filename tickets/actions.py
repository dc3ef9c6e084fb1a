"""Every write to tickets: opening one, customer replies, status changes. Views, the API and the admin call these."""

from collections import namedtuple
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.search import analytics
from tickets import fields as field_kinds
from tickets import notifications, secretguard
from tickets.models import Message, Ticket, TicketEvent, hash_token, new_reference, new_tracking_token

REFERENCE_ATTEMPTS = 5
# A form sent again within this time leads to the ticket it made; later, the same form makes a new ticket.
RESUBMIT_WINDOW = timedelta(days=1)
# A reply to these statuses means the customer still needs help: the ticket is worked on again.
REOPENED_BY_REPLY = {Ticket.Status.PENDING, Ticket.Status.SOLVED}

Opened = namedtuple("Opened", "ticket token created")


def _existing(token):
    since = timezone.now() - RESUBMIT_WINDOW
    return Ticket.objects.filter(tracking_token_hash=hash_token(token), created_at__gte=since).first()


@transaction.atomic
def open_ticket(
    *, problem_type, language, email, subject, description, fields, uid="", visit="", submission="", removed=None
):
    """Open a ticket with its first message; returns Opened(ticket, raw tracking token, created).

    1. Pass subject, description and every field value through the secrets guard (whoever the caller is);
       `removed` ({where: kinds}) is what the caller's form already took out.
    2. Derive the tracking token from the form's submission key: a form sent twice (a double click, a retry)
       finds the ticket it made the first time and returns it with created=False.
    3. Create the ticket under a fresh random reference, retrying on the rare collision.
    4. Add the description as the first public customer message, an "opened" event, and a "secret removed"
       event naming the kinds and places (never the secret) when the guard removed anything.
    5. Mark the visit's searches as having ended in a ticket.
    6. Queue the confirmation email (sent after commit by the task worker; a rollback takes it back).
    """
    contexts = {row.name: field_kinds.SECRET_CONTEXT.get(row.kind, "text") for row in problem_type.fields.all()}
    texts, found = secretguard.redact_values({**fields, "subject": subject, "description": description}, contexts)
    subject, description = texts.pop("subject"), texts.pop("description")
    removed = dict(removed or {})
    for where, more in found.items():
        removed[where] = secretguard.ordered([*removed.get(where, []), *more])
    kinds = secretguard.ordered(kind for found in removed.values() for kind in found)
    token = new_tracking_token(submission)
    if submission and (ticket := _existing(token)) is not None:
        return Opened(ticket, token, False)
    for attempt in range(REFERENCE_ATTEMPTS):
        ticket = Ticket(
            reference=new_reference(),
            problem_type=problem_type,
            queue_id=problem_type.queue_id,
            language=language,
            customer_email=email,
            customer_uid=uid or "",
            subject=subject,
            fields=texts,
            secrets_removed=kinds,
            tracking_token_hash=hash_token(token),
        )
        try:
            with transaction.atomic():
                ticket.save(force_insert=True)
            break
        except IntegrityError:
            # The same form sent concurrently: its twin committed first (the unique token hash waited for it).
            if submission and (twin := _existing(token)) is not None:
                return Opened(twin, token, False)
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
            if submission:  # an old form whose ticket is past the window: this is a new submission
                token = new_tracking_token()
                ticket.tracking_token_hash = hash_token(token)
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author=Message.Author.CUSTOMER,
        body=description,
        secrets_removed=removed.get("description", []),
    )
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.OPENED,
        data={"problem_type": problem_type.slug, "queue_id": problem_type.queue_id},
    )
    if removed:
        TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SECRET_REMOVED, data={"removed": removed})
    analytics.record_ticket(visit=visit)
    notifications.ticket_opened(ticket, token)
    return Opened(ticket, token, True)


@transaction.atomic
def add_customer_reply(*, ticket, body, submission="", removed=()):
    """Add the customer's public reply; a pending or solved ticket is open again. Closed tickets refuse replies.

    The reply passes the secrets guard (`removed`: the kinds the caller's form already took out); a reply form sent
    twice (same submission key) adds one message.
    """
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    ticket.status, ticket.secrets_removed = locked.status, locked.secrets_removed
    if not ticket.accepts_replies:
        raise ValidationError(
            _("This ticket is closed and takes no more replies. Please open a new ticket."), code="closed"
        )
    submission_hash = hash_token(submission) if submission else ""
    if submission_hash and (twin := ticket.messages.filter(submission_hash=submission_hash).first()):
        return twin
    result = secretguard.redact(body)
    kinds = secretguard.ordered([*removed, *result.kinds])
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author=Message.Author.CUSTOMER,
        body=result.text,
        secrets_removed=kinds,
        submission_hash=submission_hash,
    )
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.CUSTOMER_REPLIED, data={"message_id": message.pk})
    update = ["updated_at"]
    if kinds:
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.SECRET_REMOVED,
            data={"removed": {"reply": kinds}, "message_id": message.pk},
        )
        ticket.secrets_removed = secretguard.ordered([*ticket.secrets_removed, *kinds])
        update.append("secrets_removed")
    ticket.save(update_fields=update)
    if ticket.status in REOPENED_BY_REPLY:
        change_status(ticket=ticket, status=Ticket.Status.OPEN)
    return message


@transaction.atomic
def change_status(*, ticket, status, actor=None):
    """Move a ticket to `status` if the transition table allows it, with a "status changed" event.

    Returns the ticket; the same status again is no change and no event. A forbidden move is a ValidationError.
    Moving to solved queues the customer's "solved" email.
    """
    ticket.status = Ticket.objects.select_for_update().values_list("status", flat=True).get(pk=ticket.pk)
    if status == ticket.status:
        return ticket
    if not ticket.can_become(status):
        raise ValidationError(
            _("A %(current)s ticket cannot become %(new)s.")
            % {"current": ticket.get_status_display(), "new": Ticket.Status(status).label},
            code="transition",
        )
    previous, ticket.status = ticket.status, status
    ticket.save(update_fields=["status", "updated_at"])
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.STATUS_CHANGED, data={"from": previous, "to": status}, actor=actor
    )
    if status == Ticket.Status.SOLVED:
        notifications.ticket_solved(ticket)
    return ticket


def ticket_for_token(token):
    """The ticket a tracking token opens, or None (the stored hash is the lookup key, so no timing leak to guard)."""
    if not token or len(token) > 100:
        return None
    return Ticket.objects.filter(tracking_token_hash=hash_token(token)).first()
