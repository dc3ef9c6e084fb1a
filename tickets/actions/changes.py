"""How an action changes a ticket that exists: the row locked and its version checked (a form that saw an older
version is refused with Conflict, never applied over a change it did not see), the changed fields saved with a new
version, an event left; and the status change that customers' and staff's actions both make.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets import clocks, notifications
from tickets.models import Ticket, TicketEvent

# The ticket columns an action reads fresh under the row lock before changing anything.
LOCKED_FIELDS = (
    "status", "priority", "queue_id", "assignee_id", "escalation_level", "version", "secrets_removed", "solved_at",
    "solved_by_article_id",
)  # fmt: skip


class Conflict(ValidationError):
    """The ticket changed since the form showing it was loaded."""

    def __init__(self):
        super().__init__(
            _(
                "Someone else changed this ticket while you were working on it (a reply, a status or an assignment). "
                "Nothing of yours was saved: review the ticket as it is now and send again."
            ),
            code="conflict",
        )


def lock_ticket(ticket, version=None):
    """Lock the ticket's row and load its current values into `ticket`; Conflict if `version` is not current."""
    current = Ticket.objects.select_for_update().values(*LOCKED_FIELDS).get(pk=ticket.pk)
    if version is not None and int(version) != current["version"]:
        raise Conflict()
    for name, value in current.items():
        setattr(ticket, name, value)
    if "queue" in ticket._state.fields_cache and ticket.queue.pk != ticket.queue_id:
        del ticket._state.fields_cache["queue"]
    if "assignee" in ticket._state.fields_cache and getattr(ticket.assignee, "pk", None) != ticket.assignee_id:
        del ticket._state.fields_cache["assignee"]
    return ticket


def save_ticket(ticket, *fields):
    """Save the changed fields with a new version."""
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def add_event(ticket, kind, actor=None, **data):
    return TicketEvent.objects.create(ticket=ticket, kind=kind, data=data, actor=actor)


@transaction.atomic
def change_status(*, ticket, status, actor=None, version=None, by=""):
    """Move a ticket to `status` if the transition table allows it, with a "status changed" event.

    Returns the ticket; the same status again is no change and no event. A forbidden move is a ValidationError.
    Moving to solved starts the reopen window and queues the customer's "solved" email (with the rating links).
    `by` says who moved it when no staff `actor` did ("customer").
    """
    lock_ticket(ticket, version)
    if status not in Ticket.Status.values:
        raise ValidationError(_("Unknown status."), code="status")
    if status == ticket.status:
        return ticket
    if not ticket.can_become(status):
        raise ValidationError(
            _("A %(current)s ticket cannot become %(new)s.")
            % {"current": ticket.get_status_display(), "new": Ticket.Status(status).label},
            code="transition",
        )
    previous, ticket.status = ticket.status, status
    fields = ["status"]
    if status == Ticket.Status.SOLVED or previous == Ticket.Status.SOLVED and status != Ticket.Status.CLOSED:
        ticket.solved_at = timezone.now() if status == Ticket.Status.SOLVED else None
        fields.append("solved_at")
    if ticket.solved_by_article_id and status not in Ticket.DONE:
        ticket.solved_by_article = None  # reopened: the article did not solve it after all
        fields.append("solved_by_article")
    save_ticket(ticket, *fields)
    data = {"from": previous, "to": status, **({"by": by} if by else {})}
    add_event(ticket, TicketEvent.Kind.STATUS_CHANGED, actor, **data)
    clocks.refresh([ticket])
    if status == Ticket.Status.SOLVED:
        notifications.ticket_solved(ticket)
    return ticket
