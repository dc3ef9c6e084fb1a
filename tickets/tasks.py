"""Background tasks (django.tasks, run by `manage.py db_worker`): sending the desk's emails, and looking up a
customer's tickets by email away from the request that asked (so its answer cannot tell whether there are any).

django-tasks-db runs a task once and does not retry it, so `send_email` retries itself: a failed send records the
error and queues a new task to run after a doubling wait (1, 2, 4… minutes, at most EMAIL_RETRY_MAX_MINUTES), and
after EMAIL_MAX_ATTEMPTS attempts, or at once when the server refuses the message for good (5xx), the email is
given up: status "failed", shown in the admin, where staff can send it again.

Delivery is at least once, and once in all but one case: the OutgoingEmail row is claimed with a conditional
UPDATE before sending (so two workers, or an old and a new task, never both send it) and marked sent right after
the server accepts it. A worker that dies between those two moments leaves the email "sending"; it is queued again
once stalled (notifications.requeue_stalled) and the customer may get it twice, with the same Message-ID.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail.handler import DEFAULT_MAILER_ALIAS
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from tickets import actions, notifications
from tickets.models import OutgoingEmail

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status


def retry_delay(attempts):
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, 8… minutes up to the configured cap."""
    return timedelta(minutes=min(2 ** (attempts - 1), settings.EMAIL_RETRY_MAX_MINUTES))


def permanent(error):
    """Whether the server refused this message for good (5xx for the recipient or the content): trying again won't
    help. Authentication and sender refusals are our configuration, which staff can fix, so those are retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def describe(error):
    """The error as it is recorded: its kind and the server's answer, without the message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
        return f"{type(error).__name__}: {answers}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def schedule(email, *, run_after=None, fields=(), at=None):
    """Queue a new task for `email` (in the caller's transaction) and make it the email's current task."""
    send = send_email if run_after is None else send_email.using(run_after=run_after)
    email.task_id = send.enqueue().id
    email.updated_at = at or timezone.now()
    email.save(update_fields=[*fields, "task_id", "updated_at"])


@task
def send_lookup_link(email, language):
    """Email `email` a link to its tickets if it has any (tickets.actions.send_lookup_link); returns whether sent."""
    return actions.send_lookup_link(email=email, language=language) is not None


@task(takes_context=True)
def send_email(context, email_id=None):
    """Send the OutgoingEmail whose current task this is: claim, send, record (see the module's text).

    The email is the one holding this task's id (tasks queued before that named it by `email_id` too). Returns
    "sent", "retrying" or "skipped"; raises once the email is given up, so the task shows as failed too.
    """
    now = timezone.now()
    mine = OutgoingEmail.objects.filter(task_id=context.task_result.id)
    if email_id is not None:
        mine = mine.filter(pk=email_id)
    claimed = mine.filter(status__in=[Status.QUEUED, Status.RETRYING]).update(
        status=Status.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return "skipped"  # sent already, given up, or superseded by a newer task
    email = mine.select_related("ticket__queue", "ticket__problem_type", "message", "recipient").get()
    try:
        message = notifications.compose(email, at=now)
        message.send(using=DEFAULT_MAILER_ALIAS)
    except (smtplib.SMTPException, OSError) as error:
        if permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            _give_up(email, error)
            raise
        _retry_later(email, error, now)
        return "retrying"
    except Exception as error:  # a bug in building the message: no attempt will do better until it is fixed
        _give_up(email, error)
        raise
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.SENT, sent_at=timezone.now(), updated_at=timezone.now(), sealed_token="", next_attempt_at=None
    )
    return "sent"


def _give_up(email, error):
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.FAILED, last_error=describe(error), next_attempt_at=None, updated_at=timezone.now()
    )


@transaction.atomic
def _retry_later(email, error, now):
    email.status, email.last_error = Status.RETRYING, describe(error)
    email.next_attempt_at = now + retry_delay(email.attempts)
    schedule(email, run_after=email.next_attempt_at, fields=["status", "last_error", "next_attempt_at"], at=now)
    # The server's answer may quote the address: the admin shows it, the log names only the kind of failure.
    logger.warning(
        "Email %s (%s) failed on attempt %s with %s; next attempt at %s",
        email.pk,
        email.kind,
        email.attempts,
        type(error).__name__,
        email.next_attempt_at.isoformat(),
    )
