"""What staff do: replies and internal notes, priority, assignment, moving between queues, escalation, merging; and
the sweep's set-based writes (closing solved tickets past their reopen window, marking clocks stale).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tickets import attachments as files
from tickets import clocks, notifications, secretguard
from tickets.actions.changes import add_event, change_status, lock_ticket, save_ticket
from tickets.models import Message, Queue, Ticket, TicketEvent


def _staff_message(ticket, author, body, kind, event, attachments=()):
    """A reply or note by staff, through the secrets guard (an agent quoting a customer's key must not store it).

    `attachments` (Uploads from `tickets.attachments.accept`, which guarded text files too) are stored on it. Files
    alone make a message: a screenshot of the steps may say it all.
    """
    body = (body or "").strip()
    if not body and not attachments:
        raise ValidationError(_("Write something first."), code="empty")
    guarded = secretguard.redact(body)
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author=Message.Author.AGENT,
        author_user=author,
        body=guarded.text,
        secrets_removed=list(guarded.kinds),
    )
    files.store(ticket=ticket, message=message, uploads=attachments)
    add_event(ticket, event, author, message_id=message.pk)
    save_ticket(ticket)
    return message


@files.files_follow_transaction
@transaction.atomic
def add_agent_reply(*, ticket, author, body, status=None, version=None, attachments=()):
    """Send the customer a public reply (emailed to them, its files listed), optionally moving the ticket to `status`.

    A new ticket becomes open when answered unless another status is given. The customer downloads the reply's
    `attachments` from the ticket's page and the API, as their own.
    """
    lock_ticket(ticket, version)
    if not ticket.accepts_replies:
        raise ValidationError(_("This ticket is closed: it takes no more replies."), code="closed")
    message = _staff_message(
        ticket, author, body, Message.Kind.PUBLIC, TicketEvent.Kind.AGENT_REPLIED, attachments=attachments
    )
    notifications.agent_replied(message)
    status = status or (Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else None)
    if status and status != ticket.status:
        change_status(ticket=ticket, status=status, actor=author)
    else:
        clocks.refresh([ticket])
    return message


@files.files_follow_transaction
@transaction.atomic
def add_note(*, ticket, author, body, version=None, attachments=()):
    """Add an internal note: staff only, never emailed, stops no clock; its files are never the customer's."""
    lock_ticket(ticket, version)
    return _staff_message(
        ticket, author, body, Message.Kind.INTERNAL, TicketEvent.Kind.NOTE_ADDED, attachments=attachments
    )


@transaction.atomic
def change_priority(*, ticket, priority, actor=None, version=None, reason=""):
    """Set the priority; the clocks take the new priority's targets, measured from when they started."""
    lock_ticket(ticket, version)
    if priority not in Ticket.Priority.values:
        raise ValidationError(_("Unknown priority."), code="priority")
    if priority == ticket.priority:
        return ticket
    previous, ticket.priority = ticket.priority, priority
    save_ticket(ticket, "priority")
    add_event(ticket, TicketEvent.Kind.PRIORITY_CHANGED, actor, reason=reason, **{"from": previous, "to": priority})
    clocks.refresh([ticket])
    return ticket


def can_work(user, queue_id):
    """Whether `user` may be given or work tickets of the queue: active staff, member or supervisor."""
    if user is None or not (user.is_active and user.is_staff):
        return False
    if user.is_superuser or user.has_perm("tickets.view_all_queues"):
        return True
    return Queue.members.through.objects.filter(queue_id=queue_id, user_id=user.pk).exists()


def workers(queue_ids):
    """The accounts `can_work` accepts for at least one of the queues, by username (for pickers of assignees)."""
    every_queue = Permission.objects.filter(content_type__app_label="tickets", codename="view_all_queues")
    User = get_user_model()
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(pk__in=Queue.members.through.objects.filter(queue_id__in=queue_ids).values("user_id"))
            | Q(pk__in=User.user_permissions.through.objects.filter(permission__in=every_queue).values("user_id"))
            | Q(pk__in=User.groups.through.objects.filter(group__permissions__in=every_queue).values("user_id"))
        )
        .order_by(User.USERNAME_FIELD)
    )


@transaction.atomic
def assign_ticket(*, ticket, assignee, actor=None, version=None):
    """Give the ticket to `assignee` (None: unassign); they must be able to work its queue."""
    lock_ticket(ticket, version)
    if assignee is not None and not can_work(assignee, ticket.queue_id):
        raise ValidationError(
            _("%(name)s does not work the %(queue)s queue.")
            % {"name": assignee.get_username(), "queue": Queue.objects.get(pk=ticket.queue_id).name},
            code="assignee",
        )
    new_id = assignee.pk if assignee else None
    if new_id == ticket.assignee_id:
        return ticket
    previous, ticket.assignee = ticket.assignee_id, assignee
    save_ticket(ticket, "assignee")
    add_event(ticket, TicketEvent.Kind.ASSIGNED, actor, **{"from": previous, "to": new_id})
    return ticket


@transaction.atomic
def move_ticket(*, ticket, queue, actor=None, version=None, reason=""):
    """Move the ticket to another queue; an assignee who does not work that queue lets it go."""
    lock_ticket(ticket, version)
    if queue.pk == ticket.queue_id:
        return ticket
    previous, ticket.queue = ticket.queue_id, queue
    fields = ["queue"]
    if ticket.assignee_id and not can_work(ticket.assignee, queue.pk):
        add_event(ticket, TicketEvent.Kind.ASSIGNED, actor, **{"from": ticket.assignee_id, "to": None})
        ticket.assignee = None
        fields.append("assignee")
    save_ticket(ticket, *fields)
    add_event(ticket, TicketEvent.Kind.QUEUE_CHANGED, actor, reason=reason, **{"from": previous, "to": queue.pk})
    clocks.refresh([ticket])
    return ticket


@transaction.atomic
def escalate_ticket(*, ticket, actor, reason, queue=None, assignee=None, version=None):
    """Raise the ticket's escalation level by hand, with a reason, optionally to another queue or person."""
    lock_ticket(ticket, version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the ticket is escalated."), code="reason")
    if ticket.is_done:
        raise ValidationError(_("A solved or closed ticket cannot be escalated."), code="done")
    if queue is not None:
        move_ticket(ticket=ticket, queue=queue, actor=actor, reason=reason)
    if assignee is not None:
        assign_ticket(ticket=ticket, assignee=assignee, actor=actor)
    ticket.escalation_level += 1
    save_ticket(ticket, "escalation_level")
    add_event(
        ticket,
        TicketEvent.Kind.ESCALATED,
        actor,
        level=ticket.escalation_level,
        reason=reason,
        manual=True,
        queue=queue.pk if queue else None,
        assignee=assignee.pk if assignee else None,
    )
    if ticket.assignee_id and ticket.assignee_id != getattr(actor, "pk", None):
        notifications.staff_escalation(
            ticket_ids=[ticket.pk], level=ticket.escalation_level, reason=reason, recipient_ids=[ticket.assignee_id]
        )
    return ticket


@transaction.atomic
def de_escalate_ticket(*, ticket, actor, reason, version=None):
    """Lower the escalation level by one (supervisors only), with a reason."""
    if not actor.has_perm("tickets.de_escalate_ticket"):
        raise ValidationError(_("Only supervisors de-escalate tickets."), code="permission")
    lock_ticket(ticket, version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the ticket is de-escalated."), code="reason")
    if ticket.escalation_level == 0:
        raise ValidationError(_("The ticket is not escalated."), code="level")
    ticket.escalation_level -= 1
    save_ticket(ticket, "escalation_level")
    add_event(ticket, TicketEvent.Kind.DE_ESCALATED, actor, level=ticket.escalation_level, reason=reason)
    return ticket


@transaction.atomic
def merge_tickets(*, into, duplicates, actor):
    """Merge duplicate tickets into one: their messages move over, each is closed with a note pointing to `into`."""
    lock_ticket(into)
    merged = []
    for duplicate in sorted(duplicates, key=lambda t: t.pk):
        if duplicate.pk == into.pk:
            continue
        lock_ticket(duplicate)
        if duplicate.status == Ticket.Status.CLOSED:
            raise ValidationError(
                _("%(reference)s is closed and cannot be merged.") % {"reference": duplicate.reference}, code="closed"
            )
        Message.objects.filter(ticket=duplicate).update(ticket=into)
        Message.objects.create(
            ticket=duplicate,
            kind=Message.Kind.INTERNAL,
            author=Message.Author.SYSTEM,
            author_user=actor,
            body=_("Merged into %(reference)s.") % {"reference": into.reference},
        )
        add_event(duplicate, TicketEvent.Kind.MERGED, actor, into=into.reference)
        save_ticket(duplicate)
        change_status(ticket=duplicate, status=Ticket.Status.CLOSED, actor=actor)
        merged.append(duplicate.reference)
    if merged:
        add_event(into, TicketEvent.Kind.MERGED, actor, merged=merged)
        save_ticket(into)
        clocks.refresh([into])
    return into


@transaction.atomic
def close_solved_tickets(*, at, batch):
    """Close one batch of solved tickets whose reopen window ended by `at`, with an event each; returns how many.

    Set-based and safe on several machines: the rows are claimed with SKIP LOCKED and updated with the same
    condition, so each ticket is closed once; no email is sent (the solved email said when the window ends).
    """
    ids = list(
        Ticket.objects.past_reopen_window(at)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return 0
    Ticket.objects.filter(pk__in=ids).past_reopen_window(at).update(
        status=Ticket.Status.CLOSED, version=F("version") + 1, updated_at=at
    )
    data = {"from": Ticket.Status.SOLVED, "to": Ticket.Status.CLOSED, "by": "reopen_window"}
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket_id=pk, kind=TicketEvent.Kind.STATUS_CHANGED, data=data, created_at=at) for pk in ids
    )
    return len(ids)


def mark_sla_stale():
    """After a policy or calendar edit: every open ticket's clocks are recomputed by the next sweeps."""
    return Ticket.objects.open().filter(sla_stale=False).update(sla_stale=True)
