"""Every write to tickets: opening one, customer replies. Views, the API and the admin all come through here."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from kb.search import analytics
from tickets.models import Message, Ticket, TicketEvent, hash_token, new_reference, new_tracking_token

REFERENCE_ATTEMPTS = 5
# A reply to these statuses means the customer still needs help: the ticket is worked on again.
REOPENED_BY_REPLY = {Ticket.Status.PENDING, Ticket.Status.SOLVED}


@transaction.atomic
def open_ticket(*, problem_type, language, email, subject, description, fields, uid="", visit=""):
    """Open a ticket with its first message; returns (ticket, raw tracking token), the token being shown once.

    1. Create the ticket under a fresh random reference and token hash, retrying on the rare collision.
    2. Add the description as the first public customer message and an "opened" event.
    3. Mark the visit's searches as having ended in a ticket.
    """
    for attempt in range(REFERENCE_ATTEMPTS):
        token = new_tracking_token()
        ticket = Ticket(
            reference=new_reference(),
            problem_type=problem_type,
            queue_id=problem_type.queue_id,
            language=language,
            customer_email=email,
            customer_uid=uid or "",
            subject=subject,
            fields=dict(fields),
            tracking_token_hash=hash_token(token),
        )
        try:
            with transaction.atomic():
                ticket.save(force_insert=True)
            break
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    Message.objects.create(ticket=ticket, kind=Message.Kind.PUBLIC, author=Message.Author.CUSTOMER, body=description)
    TicketEvent.objects.create(
        ticket=ticket, kind="opened", data={"problem_type": problem_type.slug, "queue_id": problem_type.queue_id}
    )
    analytics.record_ticket(visit=visit)
    return ticket, token


@transaction.atomic
def add_customer_reply(*, ticket, body):
    """Add the customer's public reply; a pending or solved ticket is open again. Closed tickets refuse replies."""
    ticket.status = Ticket.objects.select_for_update().values_list("status", flat=True).get(pk=ticket.pk)
    if not ticket.accepts_replies:
        raise ValidationError(
            _("This ticket is closed and takes no more replies. Please open a new ticket."), code="closed"
        )
    message = Message.objects.create(ticket=ticket, kind=Message.Kind.PUBLIC, author=Message.Author.CUSTOMER, body=body)
    TicketEvent.objects.create(ticket=ticket, kind="customer_replied", data={"message_id": message.pk})
    if ticket.status in REOPENED_BY_REPLY:
        _change_status(ticket, Ticket.Status.OPEN)
    else:
        ticket.save(update_fields=["updated_at"])
    return message


def _change_status(ticket, status, actor=None):
    previous, ticket.status = ticket.status, status
    ticket.save(update_fields=["status", "updated_at"])
    TicketEvent.objects.create(ticket=ticket, kind="status_changed", data={"from": previous, "to": status}, actor=actor)


def ticket_for_token(token):
    """The ticket a tracking token opens, or None (the stored hash is the lookup key, so no timing leak to guard)."""
    if not token or len(token) > 100:
        return None
    return Ticket.objects.for_list().filter(tracking_token_hash=hash_token(token)).first()
