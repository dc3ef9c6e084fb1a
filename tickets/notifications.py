"""Every email the desk sends is queued and built here; tickets.tasks sends it.

1. `ticket_opened`, `agent_replied`, `ticket_solved`, `lookup_link` and `staff_escalation` write one OutgoingEmail
   row per email and queue the task that sends it, in the caller's transaction: a rollback takes both back, a commit
   makes both durable, and the task's arguments are the row's id only.
2. `compose` builds the message when the task runs: templates/emails/<kind>.txt and .html in the email's language,
   links only to settings.SITE_URL, threading headers per ticket.

The tracking token of a new ticket opens it, so it is never stored readable: the row keeps it sealed (AES-GCM under
a key derived from SECRET_KEY, bound to the ticket's reference) until the email is sent, then forgets it. Later
emails link to the ticket's clean address, which opens in the browser that used the private link. A lookup link's
token is sealed the same way, bound to the address it is sent to.
"""

import base64
from datetime import datetime
from email.utils import formataddr
from urllib.parse import urlsplit

from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from tickets import rating_links, reply_time, secretguard, tasks
from tickets.models import LINK_LIFETIME, Attachment, Message, OutgoingEmail, Ticket
from tickets.models.ratings import SCORE_WORDS
from tickets.models.tickets import reopen_window

Kind = OutgoingEmail.Kind
SEAL_PURPOSE = "tickets.notifications.sealed_token"
NONCE_BYTES, TAG_BYTES = 12, 16


def ticket_opened(ticket, token):
    """Queue the customer's confirmation: reference, private tracking link, when to expect the first reply."""
    return _queue(
        kind=Kind.TICKET_OPENED,
        ticket=ticket,
        to=ticket.customer_email,
        language=ticket.language,
        sealed_token=seal(token, reference=ticket.reference),
    )


def lookup_link(link, token):
    """Queue the email carrying a link to all the tickets of `link.email` (tickets.actions.send_lookup_link)."""
    return _queue(
        kind=Kind.LOOKUP_LINK,
        to=link.email,
        language=link.language,
        data={"expires_at": link.expires_at.isoformat()},
        sealed_token=seal(token, reference=lookup_binding(link.email)),
    )


def lookup_binding(address):
    """What a lookup token is sealed for: its recipient, so a sealed token moved to another row opens nothing."""
    return f"lookup:{address.lower()}"


def agent_replied(message):
    """Queue the email carrying an agent's public reply to the customer; internal notes are never emailed."""
    if message.kind != Message.Kind.PUBLIC or message.author != Message.Author.AGENT:
        return None
    ticket = message.ticket
    return _queue(
        kind=Kind.AGENT_REPLIED, ticket=ticket, message=message, to=ticket.customer_email, language=ticket.language
    )


def ticket_solved(ticket):
    """Queue the customer's notice that the ticket is solved (a reply reopens it), with links to rate this solve."""
    data = {"solved_at": ticket.solved_at.isoformat()} if ticket.solved_at else {}
    return _queue(kind=Kind.TICKET_SOLVED, ticket=ticket, to=ticket.customer_email, language=ticket.language, data=data)


def staff_escalation(*, ticket_ids, level, reason, recipient_ids):
    """Queue one email per active staff recipient listing the escalated tickets of their queues; returns the rows.

    `reason` is shown as given (a rule's description or a person's words). A recipient who can see none of the
    tickets, or has no address, gets nothing.
    """
    emails = []
    users = get_user_model().objects.filter(pk__in=recipient_ids, is_active=True, is_staff=True).exclude(email="")
    for user in users:
        visible = sorted(Ticket.objects.visible_to(user).filter(pk__in=ticket_ids).values_list("pk", flat=True))
        if visible:
            emails.append(
                _queue(
                    kind=Kind.STAFF_ESCALATION,
                    recipient=user,
                    to=user.email,
                    language=settings.LANGUAGE_CODE,
                    data={"ticket_ids": visible, "level": level, "reason": str(reason)},
                )
            )
    return emails


@transaction.atomic(savepoint=False)  # no caller carries on after a failure; a savepoint is two round trips
def _queue(**fields):
    """A new email with its task: the task first, so the email row is written once, with its task's id."""
    return OutgoingEmail.objects.create(**fields, task_id=tasks.send_email.enqueue().id)


@transaction.atomic
def send_again(email_ids, *, at=None):
    """Queue given-up, retrying or stalled emails for an attempt now with a fresh count; returns how many.

    Sent emails, and emails a worker is sending right now, are left alone: nothing is sent twice on purpose. The
    rows are locked first, so a worker's claim on one waits, then finds it has a new task and leaves it.
    """
    at = at or timezone.now()
    emails = list(OutgoingEmail.objects.select_for_update().filter(pk__in=email_ids))
    stalled = set(OutgoingEmail.objects.stalled(at).filter(pk__in=email_ids).values_list("pk", flat=True))
    count = 0
    for email in emails:
        if email.status in (OutgoingEmail.Status.FAILED, OutgoingEmail.Status.RETRYING) or email.pk in stalled:
            email.status, email.attempts, email.next_attempt_at = OutgoingEmail.Status.QUEUED, 0, None
            tasks.schedule(email, fields=["status", "attempts", "next_attempt_at"])
            count += 1
    return count


@transaction.atomic
def requeue_stalled(*, at=None):
    """Queue again the emails whose worker died before finishing (OutgoingEmail.stalled); returns how many.

    Safe on several machines at once: the rows are locked (SKIP LOCKED), and a task only sends an email while it is
    the email's current task. A worker that died after the server accepted the message but before recording it
    leaves the one case where the customer may get it twice.
    """
    at = at or timezone.now()
    count = 0
    for email in OutgoingEmail.objects.stalled(at).select_for_update(skip_locked=True):
        email.status = OutgoingEmail.Status.QUEUED
        tasks.schedule(email, fields=["status"])
        count += 1
    return count


def _key(secret):
    return salted_hmac(SEAL_PURPOSE, "", secret=secret, algorithm="sha256").digest()


def seal(token, *, reference):
    """`token` encrypted and authenticated for the ticket `reference` (text: nonce, tag, ciphertext in base64)."""
    nonce = get_random_bytes(NONCE_BYTES)
    cipher = AES.new(_key(settings.SECRET_KEY), AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    cipher.update(reference.encode())
    ciphertext, tag = cipher.encrypt_and_digest(token.encode())
    return base64.urlsafe_b64encode(nonce + tag + ciphertext).decode()


def unseal(sealed, *, reference):
    """The token `seal` sealed for `reference`, or None (empty, tampered, or sealed under a key since dropped)."""
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
    except ValueError:
        return None
    nonce, rest = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    tag, ciphertext = rest[:TAG_BYTES], rest[TAG_BYTES:]
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        cipher = AES.new(_key(secret), AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
        cipher.update(reference.encode())
        try:
            return cipher.decrypt_and_verify(ciphertext, tag).decode()
        except ValueError:
            continue
    return None


def site_link(path):
    return settings.SITE_URL + path


def _one_line(text):
    return " ".join(str(text).split())


def _customer_context(email):
    ticket = email.ticket
    return {
        "ticket": ticket,
        "subject": _one_line(ticket.subject),
        "greeting_name": ticket.customer_name,
        "ticket_url": site_link(reverse("tickets:ticket", args=[ticket.reference])),
        "new_ticket_url": site_link(reverse("tickets:new")),
    }


def _opened(email, at):
    context = _customer_context(email)
    token = unseal(email.sealed_token, reference=email.ticket.reference)
    context["tracking_url"] = site_link(reverse("tickets:link", args=[token])) if token else ""
    context["expected"] = reply_time.first_reply(email.ticket, language=email.language, at=at)
    context["removed"] = secretguard.notice(email.ticket.secrets_removed)
    first = Message.objects.filter(ticket=email.ticket).order_by("pk").values("pk")[:1]
    context["files"] = _files(Attachment.objects.filter(message__in=first))
    subject = gettext("[%(reference)s] We received your request: %(subject)s")
    return subject, context


def _replied(email, at):
    context = _customer_context(email)
    context["message"] = email.message
    context["files"] = _files(Attachment.objects.filter(message=email.message))
    return gettext("[%(reference)s] New reply: %(subject)s"), context


def _files(attachments):
    """The name and size of each file, to list in the email: the files stay behind the ticket's page, never attached."""
    return list(attachments.order_by("pk").values("original_name", "size"))


def _solved(email, at):
    context = _customer_context(email)
    solved_at = email.data.get("solved_at")
    context["rating_links"] = []
    if solved_at:
        solved_at = datetime.fromisoformat(solved_at)
        value = rating_links.make(email.ticket_id, solved_at)
        url = site_link(reverse("tickets:rate_link", args=[value]))
        context["rating_links"] = [(score, label, f"{url}?score={score}") for score, label in SCORE_WORDS.items()]
        context["reopen_until"] = solved_at + reopen_window()
    return gettext("[%(reference)s] Solved: %(subject)s"), context


def _lookup(email, at):
    token = unseal(email.sealed_token, reference=lookup_binding(email.to))
    context = {
        "link_url": site_link(reverse("tickets:lookup_link", args=[token])) if token else "",
        "lookup_url": site_link(reverse("tickets:lookup")),
        "expires": _local_time(datetime.fromisoformat(email.data["expires_at"])),
        "minutes": int(LINK_LIFETIME.total_seconds() // 60),
    }
    return gettext("Your link to your tickets"), context


def _local_time(moment):
    """A moment as the reader's clock shows it, with its offset: "2026-12-03 21:30 UTC+8"."""
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {reply_time.zone_label(local)}"


def _escalation(email, at):
    ids = email.data.get("ticket_ids", [])
    tickets = list(Ticket.objects.for_list().filter(pk__in=ids).order_by("sla_due_at", "pk"))
    if email.recipient is not None:  # their queues may have changed since: list only what they may still see
        visible = set(Ticket.objects.visible_to(email.recipient).filter(pk__in=ids).values_list("pk", flat=True))
        tickets = [ticket for ticket in tickets if ticket.pk in visible]
    rows = [
        {
            "ticket": ticket,
            "subject": _one_line(ticket.subject),
            "overdue": ticket.sla_due_at is not None and ticket.sla_due_at <= at,
            "admin_url": site_link(reverse("admin:tickets_ticket_change", args=[ticket.pk])),
        }
        for ticket in tickets
    ]
    context = {"rows": rows, "level": email.data.get("level"), "reason": email.data.get("reason", "")}
    subject = gettext("Escalation level %(level)s: %(count)s ticket(s) need attention") % {
        "level": context["level"],
        "count": len(rows),
    }
    return subject, context


BUILDERS = {
    Kind.TICKET_OPENED: ("ticket_opened", _opened),
    Kind.AGENT_REPLIED: ("agent_replied", _replied),
    Kind.TICKET_SOLVED: ("ticket_solved", _solved),
    Kind.STAFF_ESCALATION: ("staff_escalation", _escalation),
    Kind.LOOKUP_LINK: ("lookup_link", _lookup),
}


def thread_id(ticket):
    """The Message-ID of a ticket's first email, which every later one refers to, so mail clients thread them."""
    return f"<{ticket.reference.lower()}@{urlsplit(settings.SITE_URL).hostname}>"


def _headers(email):
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    domain = urlsplit(settings.SITE_URL).hostname
    ticket = email.ticket
    if ticket is None:
        headers["Message-ID"] = f"<{email.kind.replace('_', '-')}.{email.pk}@{domain}>"
    elif email.kind == Kind.TICKET_OPENED:
        headers["Message-ID"] = thread_id(ticket)
    else:
        # The same id on every attempt: a receiving server can drop the copy of a message sent twice.
        headers["Message-ID"] = f"<{ticket.reference.lower()}.{email.pk}@{domain}>"
        headers["In-Reply-To"] = headers["References"] = thread_id(ticket)
    return headers


def compose(email, *, at):
    """The message for an OutgoingEmail row: plain text and HTML, in its language and that language's time zone."""
    template, build = BUILDERS[email.kind]
    staff = email.kind == Kind.STAFF_ESCALATION
    zone = settings.TIME_ZONE if staff else reply_time.customer_zone(email.language)
    with translation.override(email.language), timezone.override(zone):
        subject, context = build(email, at)
        if email.ticket is not None:
            subject %= {"reference": email.ticket.reference, "subject": context["subject"]}
        context |= {
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
            "language": email.language,
            "staff": staff,
        }
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
        sender = formataddr((str(settings.SITE_NAME), _sender(email)))
    message = EmailMultiAlternatives(
        subject=_one_line(subject), body=text, from_email=sender, to=[email.to], headers=_headers(email)
    )
    message.attach_alternative(html, "text/html")
    return message


def _sender(email):
    queue = email.ticket.queue if email.ticket is not None else None
    return (queue.email if queue is not None else "") or settings.DEFAULT_FROM_EMAIL
