"""What customers do: open a ticket (the form and the API, with its idempotency key), reply, close it with an
article that solved it, reopen it, and rate the solve.
"""

from collections import namedtuple
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.models import Article
from kb.search import analytics
from tickets import attachments as files
from tickets import clocks, notifications, secretguard
from tickets import fields as field_kinds
from tickets.actions.changes import add_event, change_status, lock_ticket, save_ticket
from tickets.models import (
    IdempotentRequest,
    Message,
    Rating,
    Ticket,
    TicketEvent,
    hash_token,
    new_reference,
    new_tracking_token,
)
from tickets.models.ratings import COMMENT_MAX, SCORES

REFERENCE_ATTEMPTS = 5

# A form sent again within this time leads to the ticket it made; later, the same form makes a new ticket.
RESUBMIT_WINDOW = timedelta(days=1)

# A reply to these statuses means the customer still needs help: the ticket is worked on again.
REOPENED_BY_REPLY = {Ticket.Status.PENDING, Ticket.Status.SOLVED}


Opened = namedtuple("Opened", "ticket token created first_reply_due", defaults=[None])

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
    lock_ticket(ticket)
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
    save_ticket(ticket, *update)
    if ticket.status in REOPENED_BY_REPLY:
        change_status(ticket=ticket, status=Ticket.Status.OPEN, by="customer")
    else:
        clocks.refresh([ticket])
    return message


@transaction.atomic
def solve_by_self_service(*, ticket, article):
    """The customer says a help-center article solved the problem: the ticket is solved, naming the article.

    1. Only while `Ticket.self_service_open` (new or open, no agent reply yet), and only with a published article;
       else a ValidationError. The same article again on a ticket it already solved is no change (a double click).
    2. A "solved by article" event naming the article, then the status goes to solved through `change_status`
       (clocks stop, the customer's "solved" email is queued). A reply reopens the ticket and forgets the article.
    """
    lock_ticket(ticket)
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
    save_ticket(ticket, "solved_by_article")
    add_event(
        ticket,
        TicketEvent.Kind.SOLVED_BY_ARTICLE,
        article_id=article.pk,
        slug=article.slug,
        language=article.language,
        title=article.title,
    )
    return change_status(ticket=ticket, status=Ticket.Status.SOLVED, by="customer")


@transaction.atomic
def reopen_ticket(*, ticket):
    """The customer reopens their solved ticket within the reopen window; after it, the ticket takes no more."""
    lock_ticket(ticket)
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
    lock_ticket(ticket)
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
    add_event(ticket, TicketEvent.Kind.RATED, score=score, changed=not created)
    if kinds:
        add_event(ticket, TicketEvent.Kind.SECRET_REMOVED, removed={"rating": kinds})
        ticket.secrets_removed = secretguard.ordered([*ticket.secrets_removed, *kinds])
        save_ticket(ticket, "secrets_removed")
    return rating
