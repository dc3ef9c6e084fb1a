"""Every write to tickets: opening, replies and notes, status, priority, queue, assignee, escalation, merging, and
the links that let a customer find their tickets again by email.

Views, the API, the admin and the sweep call these. Each locks the ticket row, bumps its version (a form that saw an
older version is refused with Conflict, never applied over a change it did not see), leaves an event, and recomputes
the ticket's SLA clocks in the same transaction.
"""

from collections import namedtuple
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk import ratelimit
from kb.models import Article
from kb.search import analytics
from tickets import attachments as files
from tickets import clocks, notifications, secretguard, tasks
from tickets import fields as field_kinds
from tickets.models import (
    LINK_LIFETIME,
    IdempotentRequest,
    LookupLink,
    Message,
    Queue,
    Rating,
    Ticket,
    TicketEvent,
    hash_token,
    new_lookup_token,
    new_reference,
    new_tracking_token,
)
from tickets.models.ratings import COMMENT_MAX, SCORES

REFERENCE_ATTEMPTS = 5
# A form sent again within this time leads to the ticket it made; later, the same form makes a new ticket.
RESUBMIT_WINDOW = timedelta(days=1)
# A reply to these statuses means the customer still needs help: the ticket is worked on again.
REOPENED_BY_REPLY = {Ticket.Status.PENDING, Ticket.Status.SOLVED}
# Lookup links one address may be sent an hour, whoever asks: a mailbox is not flooded by strangers.
LOOKUP_ADDRESS_LIMIT, LOOKUP_ADDRESS_PERIOD = 3, 3600

Opened = namedtuple("Opened", "ticket token created first_reply_due", defaults=[None])
# The ticket columns an action reads fresh under the row lock before changing anything.
LOCKED_FIELDS = (
    "status", "priority", "queue_id", "assignee_id", "escalation_level", "version", "secrets_removed", "solved_at",
    "solved_by_article_id",
)  # fmt: skip
CLOSED_MESSAGE = _("This ticket is closed and takes no more replies. Please open a new ticket.")


class KeyReused(ValidationError):
    """An Idempotency-Key already used for another request: nothing of this one is saved."""

    def __init__(self):
        super().__init__(
            _(
                "This Idempotency-Key was already used for a different request. Send the same request again to get "
                "its answer, or use a new key for a new request."
            ),
            code="key_reused",
        )


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


def _lock(ticket, version=None):
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


def _save(ticket, *fields):
    """Save the changed fields with a new version."""
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def _event(ticket, kind, actor=None, **data):
    return TicketEvent.objects.create(ticket=ticket, kind=kind, data=data, actor=actor)


def _existing(token):
    since = timezone.now() - RESUBMIT_WINDOW
    return Ticket.objects.filter(tracking_token_hash=hash_token(token), created_at__gte=since).first()


def open_ticket(
    *,
    problem_type,
    language,
    email,
    subject,
    description,
    fields,
    name="",
    uid="",
    visit="",
    submission="",
    removed=None,
    attachments=(),
    then=None,
):
    """Open a ticket with its first message; returns Opened(ticket, raw tracking token, created, first reply due).

    1. Pass subject, description and every field value through the secrets guard (whoever the caller is);
       `removed` ({where: kinds}) is what the caller's form already took out.
    2. Derive the tracking token from the form's submission key: a form sent twice (a double click, a retry) finds
       the ticket it made the first time and returns it with created=False. The unique token hash finds it: the
       second insert fails (concurrently, after waiting for the first to commit), and nothing of it is kept.
    3. Create the ticket under a fresh random reference in one transaction (`_open`), trying again on the rare
       collision; `then(opened)`, if given, runs last in that transaction.
    """
    contexts = {row.name: field_kinds.SECRET_CONTEXT.get(row.kind, "text") for row in problem_type.fields.all()}
    given = {**fields, "subject": subject, "description": description, "customer_name": name or ""}
    texts, found = secretguard.redact_values(given, contexts)
    subject, description, name = texts.pop("subject"), texts.pop("description"), texts.pop("customer_name")
    removed = dict(removed or {})
    if in_files := files.secrets_in(attachments):
        found = {**found, "attachments": in_files}
    for where, more in found.items():
        removed[where] = secretguard.ordered([*removed.get(where, []), *more])
    ticket = Ticket(
        problem_type=problem_type,
        queue_id=problem_type.queue_id,
        language=language,
        customer_email=email,
        customer_name=name.strip(),
        customer_uid=uid or "",
        subject=subject,
        fields=texts,
        secrets_removed=secretguard.ordered(kind for found in removed.values() for kind in found),
    )
    token = new_tracking_token(submission)
    for attempt in range(REFERENCE_ATTEMPTS):
        ticket.reference, ticket.tracking_token_hash = new_reference(), hash_token(token)
        try:
            return _open(ticket, token, description, removed, attachments=attachments, visit=visit, then=then)
        except IntegrityError:
            if submission and (twin := _existing(token)) is not None:
                return Opened(twin, token, False)
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
            if submission:  # an old form whose ticket is past the window: this is a new submission
                token = new_tracking_token()


@files.files_follow_transaction
@transaction.atomic
def _open(ticket, token, description, removed, *, attachments, visit, then):
    """Insert the ticket (it goes first: a taken token or reference fails before anything else is written).

    1. Its clocks are computed first, so the insert carries its due times.
    2. The description as the first public customer message, with the `attachments` (Uploads from
       `tickets.attachments.accept`) stored on it; an "opened" event, and a "secret removed" event naming the kinds
       and places (never the secret) when the guard removed anything, from a text attachment too.
    3. Mark the visit's searches as having ended in a ticket.
    4. Queue the confirmation email (sent after commit by the task worker; a rollback takes it back).
    """
    started = clocks.opening(ticket)
    ticket.save(force_insert=True)
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author=Message.Author.CUSTOMER,
        body=description,
        secrets_removed=removed.get("description", []),
    )
    files.store(ticket=ticket, message=message, uploads=attachments)
    problem_type = ticket.problem_type
    events = [
        TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.OPENED,
            data={"problem_type": problem_type.slug, "queue_id": problem_type.queue_id},
        )
    ]
    if removed:
        events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.SECRET_REMOVED, data={"removed": removed}))
    TicketEvent.objects.bulk_create(events)
    analytics.record_ticket(visit=visit)
    clocks.start(ticket, started)
    notifications.ticket_opened(ticket, token)
    opened = Opened(ticket, token, True, clocks.first_reply_due(started))
    if then is not None:
        then(opened)
    return opened


def _remembered(scope, key, request_hash, ticket, *, message=None, response=None):
    """(record, created): the request recorded under `key`, recorded now if new; KeyReused if it asked otherwise."""
    record, created = IdempotentRequest.objects.get_or_create(
        key_hash=IdempotentRequest.hash_key(scope, key),
        defaults={
            "scope": scope,
            "request_hash": request_hash,
            "ticket": ticket,
            "message": message,
            "response": response() if response else {},
        },
    )
    if record.request_hash != request_hash:
        raise KeyReused()
    return record, created


def open_ticket_for_request(*, idempotency_key, request_hash, answer, **arguments):
    """Open a ticket for an API request carrying an Idempotency-Key; returns (IdempotentRequest, created).

    1. The tracking token derives from the key as a form's from its submission key: every request with the key
       finds the one ticket, concurrent ones too (the unique token hash makes them wait for the first).
    2. A new ticket records the request's fingerprint with `answer(opened)`, the response body without the token,
       in the ticket's own transaction.
    3. A ticket of the key made earlier: its record; KeyReused if that request had another fingerprint (this one
       saves nothing).
    """
    scope = IdempotentRequest.Scope.OPEN
    recorded = []

    def record(opened):
        recorded.append(
            IdempotentRequest.objects.create(
                key_hash=IdempotentRequest.hash_key(scope, idempotency_key),
                scope=scope,
                request_hash=request_hash,
                ticket=opened.ticket,
                response=answer(opened),
            )
        )

    opened = open_ticket(**arguments, submission=IdempotentRequest.submission(idempotency_key), then=record)
    if recorded:
        return recorded[0], True
    return _remembered(scope, idempotency_key, request_hash, opened.ticket, response=lambda: answer(opened))


@files.files_follow_transaction
@transaction.atomic
def add_customer_reply_for_request(*, ticket, body, idempotency_key, request_hash, removed=(), attachments=()):
    """Add the customer's reply for an API request carrying an Idempotency-Key; returns (IdempotentRequest, created).

    The key works as a reply form's submission key (one message per ticket and key); the same key sent with another
    request, to this ticket or another, is KeyReused and saves nothing.
    """
    message = add_customer_reply(
        ticket=ticket,
        body=body,
        submission=IdempotentRequest.submission(idempotency_key),
        removed=removed,
        attachments=attachments,
    )
    return _remembered(IdempotentRequest.Scope.REPLY, idempotency_key, request_hash, ticket, message=message)


@files.files_follow_transaction
@transaction.atomic
def add_customer_reply(*, ticket, body, submission="", removed=(), attachments=()):
    """Add the customer's public reply; a pending or solved ticket is open again. Closed tickets refuse replies.

    The reply passes the secrets guard (`removed`: the kinds the caller's form already took out), and so did its
    `attachments` (Uploads from `tickets.attachments.accept`, stored on the message); a reply form sent twice (same
    submission key) adds one message.
    """
    _lock(ticket)
    if not ticket.accepts_replies:
        raise ValidationError(CLOSED_MESSAGE, code="closed")
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
    files.store(ticket=ticket, message=message, uploads=attachments)
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.CUSTOMER_REPLIED, data={"message_id": message.pk})
    update = []
    places = {where: found for where, found in (("reply", kinds), ("attachments", files.secrets_in(attachments)))
              if found}  # fmt: skip
    if places:
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.SECRET_REMOVED,
            data={"removed": places, "message_id": message.pk},
        )
        ticket.secrets_removed = secretguard.ordered([*ticket.secrets_removed, *kinds, *places.get("attachments", [])])
        update.append("secrets_removed")
    _save(ticket, *update)
    if ticket.status in REOPENED_BY_REPLY:
        change_status(ticket=ticket, status=Ticket.Status.OPEN, by="customer")
    else:
        clocks.refresh([ticket])
    return message


@transaction.atomic
def change_status(*, ticket, status, actor=None, version=None, by=""):
    """Move a ticket to `status` if the transition table allows it, with a "status changed" event.

    Returns the ticket; the same status again is no change and no event. A forbidden move is a ValidationError.
    Moving to solved starts the reopen window and queues the customer's "solved" email (with the rating links).
    `by` says who moved it when no staff `actor` did ("customer").
    """
    _lock(ticket, version)
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
    _save(ticket, *fields)
    data = {"from": previous, "to": status, **({"by": by} if by else {})}
    _event(ticket, TicketEvent.Kind.STATUS_CHANGED, actor, **data)
    clocks.refresh([ticket])
    if status == Ticket.Status.SOLVED:
        notifications.ticket_solved(ticket)
    return ticket


@transaction.atomic
def solve_by_self_service(*, ticket, article):
    """The customer says a help-center article solved the problem: the ticket is solved, naming the article.

    1. Only while `Ticket.self_service_open` (new or open, no agent reply yet), and only with a published article;
       else a ValidationError. The same article again on a ticket it already solved is no change (a double click).
    2. A "solved by article" event naming the article, then the status goes to solved through `change_status`
       (clocks stop, the customer's "solved" email is queued). A reply reopens the ticket and forgets the article.
    """
    _lock(ticket)
    if ticket.status == Ticket.Status.SOLVED and ticket.solved_by_article_id == article.pk:
        return ticket
    if not ticket.self_service_open():
        raise ValidationError(
            _("Our team is already working on this ticket, so it can no longer be closed this way. Reply instead."),
            code="not_self_service",
        )
    if not Article.objects.published().filter(pk=article.pk).exists():
        raise ValidationError(_("That article is not available. Choose one of the articles shown."), code="article")
    ticket.solved_by_article = article
    _save(ticket, "solved_by_article")
    _event(
        ticket,
        TicketEvent.Kind.SOLVED_BY_ARTICLE,
        article_id=article.pk,
        slug=article.slug,
        language=article.language,
        title=article.title,
    )
    return change_status(ticket=ticket, status=Ticket.Status.SOLVED, by="customer")


def _staff_message(ticket, author, body, kind, event):
    """A reply or note by staff, through the secrets guard (an agent quoting a customer's key must not store it)."""
    body = (body or "").strip()
    if not body:
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
    _event(ticket, event, author, message_id=message.pk)
    _save(ticket)
    return message


@transaction.atomic
def add_agent_reply(*, ticket, author, body, status=None, version=None):
    """Send the customer a public reply (emailed to them), optionally moving the ticket to `status` with it.

    A new ticket becomes open when answered unless another status is given.
    """
    _lock(ticket, version)
    if not ticket.accepts_replies:
        raise ValidationError(_("This ticket is closed: it takes no more replies."), code="closed")
    message = _staff_message(ticket, author, body, Message.Kind.PUBLIC, TicketEvent.Kind.AGENT_REPLIED)
    notifications.agent_replied(message)
    status = status or (Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else None)
    if status and status != ticket.status:
        change_status(ticket=ticket, status=status, actor=author)
    else:
        clocks.refresh([ticket])
    return message


@transaction.atomic
def add_note(*, ticket, author, body, version=None):
    """Add an internal note: staff only, never emailed, stops no clock."""
    _lock(ticket, version)
    return _staff_message(ticket, author, body, Message.Kind.INTERNAL, TicketEvent.Kind.NOTE_ADDED)


@transaction.atomic
def change_priority(*, ticket, priority, actor=None, version=None, reason=""):
    """Set the priority; the clocks take the new priority's targets, measured from when they started."""
    _lock(ticket, version)
    if priority not in Ticket.Priority.values:
        raise ValidationError(_("Unknown priority."), code="priority")
    if priority == ticket.priority:
        return ticket
    previous, ticket.priority = ticket.priority, priority
    _save(ticket, "priority")
    _event(ticket, TicketEvent.Kind.PRIORITY_CHANGED, actor, reason=reason, **{"from": previous, "to": priority})
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
    _lock(ticket, version)
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
    _save(ticket, "assignee")
    _event(ticket, TicketEvent.Kind.ASSIGNED, actor, **{"from": previous, "to": new_id})
    return ticket


@transaction.atomic
def move_ticket(*, ticket, queue, actor=None, version=None, reason=""):
    """Move the ticket to another queue; an assignee who does not work that queue lets it go."""
    _lock(ticket, version)
    if queue.pk == ticket.queue_id:
        return ticket
    previous, ticket.queue = ticket.queue_id, queue
    fields = ["queue"]
    if ticket.assignee_id and not can_work(ticket.assignee, queue.pk):
        _event(ticket, TicketEvent.Kind.ASSIGNED, actor, **{"from": ticket.assignee_id, "to": None})
        ticket.assignee = None
        fields.append("assignee")
    _save(ticket, *fields)
    _event(ticket, TicketEvent.Kind.QUEUE_CHANGED, actor, reason=reason, **{"from": previous, "to": queue.pk})
    clocks.refresh([ticket])
    return ticket


@transaction.atomic
def escalate_ticket(*, ticket, actor, reason, queue=None, assignee=None, version=None):
    """Raise the ticket's escalation level by hand, with a reason, optionally to another queue or person."""
    _lock(ticket, version)
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
    _save(ticket, "escalation_level")
    _event(
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
    _lock(ticket, version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the ticket is de-escalated."), code="reason")
    if ticket.escalation_level == 0:
        raise ValidationError(_("The ticket is not escalated."), code="level")
    ticket.escalation_level -= 1
    _save(ticket, "escalation_level")
    _event(ticket, TicketEvent.Kind.DE_ESCALATED, actor, level=ticket.escalation_level, reason=reason)
    return ticket


@transaction.atomic
def merge_tickets(*, into, duplicates, actor):
    """Merge duplicate tickets into one: their messages move over, each is closed with a note pointing to `into`."""
    _lock(into)
    merged = []
    for duplicate in sorted(duplicates, key=lambda t: t.pk):
        if duplicate.pk == into.pk:
            continue
        _lock(duplicate)
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
        _event(duplicate, TicketEvent.Kind.MERGED, actor, into=into.reference)
        _save(duplicate)
        change_status(ticket=duplicate, status=Ticket.Status.CLOSED, actor=actor)
        merged.append(duplicate.reference)
    if merged:
        _event(into, TicketEvent.Kind.MERGED, actor, merged=merged)
        _save(into)
        clocks.refresh([into])
    return into


@transaction.atomic
def reopen_ticket(*, ticket):
    """The customer reopens their solved ticket within the reopen window; after it, the ticket takes no more."""
    _lock(ticket)
    if not ticket.reopenable(timezone.now()):
        if ticket.status == Ticket.Status.SOLVED or not ticket.accepts_replies:
            raise ValidationError(CLOSED_MESSAGE, code="closed")
        raise ValidationError(_("This ticket is already open: our team is working on it."), code="open")
    return change_status(ticket=ticket, status=Ticket.Status.OPEN, by="customer")


@transaction.atomic
def rate_ticket(*, ticket, score, comment="", solve=None, removed=()):
    """Record the customer's rating of the solution (1-5, optional comment); rating again replaces it.

    1. Only a solved ticket within its reopen window takes a rating; `solve` (the solve time a rating link names)
       must be the ticket's current one, so a link from before a reopen rates nothing.
    2. The comment passes the secrets guard (`removed`: the kinds the caller's form already took out); a secret
       flags the ticket for agents as a reply's would.
    3. The rating keeps the ticket's queue and assignee of now, and the ticket gets a "rated" event (the score only).
    """
    _lock(ticket)
    now = timezone.now()
    if not ticket.rateable(now) or (solve is not None and solve != ticket.solved_at):
        raise ValidationError(_("This ticket can no longer be rated."), code="closed")
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score not in SCORES:
        raise ValidationError(_("Choose a score from 1 to 5."), code="score")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(_("Keep the comment to %(max)d characters.") % {"max": COMMENT_MAX}, code="comment")
    guarded = secretguard.redact(comment)
    kinds = secretguard.ordered([*removed, *guarded.kinds])
    rating, created = Rating.objects.update_or_create(
        ticket=ticket,
        defaults={
            "score": score,
            "comment": guarded.text,
            "secrets_removed": kinds,
            "solved_at": ticket.solved_at,
            "queue_id": ticket.queue_id,
            "assignee_id": ticket.assignee_id,
            "rated_at": now,
        },
    )
    _event(ticket, TicketEvent.Kind.RATED, score=score, changed=not created)
    if kinds:
        _event(ticket, TicketEvent.Kind.SECRET_REMOVED, removed={"rating": kinds})
        ticket.secrets_removed = secretguard.ordered([*ticket.secrets_removed, *kinds])
        _save(ticket, "secrets_removed")
    return rating


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


def ticket_for_token(token):
    """The ticket a tracking token opens, or None (the stored hash is the lookup key, so no timing leak to guard)."""
    if not token or len(token) > 100:
        return None
    return Ticket.objects.filter(tracking_token_hash=hash_token(token)).first()


@transaction.atomic
def request_lookup(*, email, language):
    """Queue the search for `email`'s tickets: the same one task whether or not it has any (see send_lookup_link).

    Whoever asks sees only this: the answer, its time and its queries never depend on the address's tickets.
    """
    return tasks.send_lookup_link.enqueue(email, language)


@transaction.atomic
def send_lookup_link(*, email, language, at=None):
    """Email `email` a link to its tickets; returns the LookupLink, or None when nothing was sent.

    1. Count the request against the address's hourly limit (whether or not it has tickets); over it, stop.
    2. Find the address's latest ticket, case-insensitively; none, stop.
    3. Store a new link (the token's hash only) and queue the email carrying the token, sealed, to the address as
       that ticket spells it. Links that ran out a day ago go: they open nothing and say nothing worth keeping.
    """
    at = at or timezone.now()
    address = email.strip().lower()
    allowed, _retry = ratelimit.hit(
        "lookup-address", hash_token(address), limit=LOOKUP_ADDRESS_LIMIT, period=LOOKUP_ADDRESS_PERIOD
    )
    if not allowed:
        return None
    latest = Ticket.objects.filter(customer_email__iexact=address).order_by("-created_at").only("customer_email")
    latest = latest.first()
    if latest is None:
        return None
    LookupLink.objects.filter(expires_at__lt=at - timedelta(days=1)).delete()
    token = new_lookup_token()
    link = LookupLink.objects.create(
        email=latest.customer_email,
        token_hash=hash_token(token),
        language=language,
        created_at=at,
        expires_at=at + LINK_LIFETIME,
    )
    notifications.lookup_link(link, token)
    return link


@transaction.atomic
def use_lookup_link(*, token_hash, at=None):
    """Use up the link with this token hash if it is still usable; returns it, or None (used, expired or unknown).

    A conditional UPDATE: of two requests at once, exactly one finds the link unused.
    """
    at = at or timezone.now()
    if not LookupLink.objects.usable(at).filter(token_hash=token_hash).update(used_at=at):
        return None
    return LookupLink.objects.get(token_hash=token_hash)
