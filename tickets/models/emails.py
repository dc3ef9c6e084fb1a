"""Emails the desk sends: one row each, the record of what was queued, tried, sent or given up.

tickets.notifications writes the rows (and queues their task in the same transaction); tickets.tasks sends them.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from tickets.models.tickets import Message, Ticket

# A send takes seconds (the SMTP timeout is 10 s): an email still waiting this long after its last change, with no
# task ready to run it, lost its worker to a crash.
STALLED_AFTER = timedelta(minutes=15)


class EmailQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(status__in=OutgoingEmail.WAITING)

    def stalled(self, at):
        """Unsent emails that no task will pick up: their worker died while it held the task (see STALLED_AFTER)."""
        ready = DBTaskResult.objects.filter(pk=OuterRef("task_id"), status=TaskResultStatus.READY)
        return self.unsent().filter(updated_at__lt=at - STALLED_AFTER).exclude(Exists(ready))


class OutgoingEmail(models.Model):
    class Kind(models.TextChoices):
        TICKET_OPENED = "ticket_opened", _("Ticket received")
        AGENT_REPLIED = "agent_replied", _("Agent replied")
        TICKET_SOLVED = "ticket_solved", _("Ticket solved")
        STAFF_ESCALATION = "staff_escalation", _("Escalation to staff")
        LOOKUP_LINK = "lookup_link", _("Link to the customer's tickets")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will try again")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Given up")

    WAITING = (Status.QUEUED, Status.SENDING, Status.RETRYING)

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    ticket = models.ForeignKey(
        Ticket, models.CASCADE, null=True, blank=True, related_name="emails", verbose_name=_("ticket")
    )
    message = models.ForeignKey(
        Message, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff recipient"),
    )
    to = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The new ticket's tracking token (or a lookup link's token), AES-GCM encrypted under a key derived from
    # SECRET_KEY (tickets.notifications); emptied once the email is sent. The token opens tickets, so it is never
    # stored readable.
    sealed_token = models.TextField(_("sealed tracking token"), blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The task that will send it now; an older task for the same email finds a different id here and does nothing.
    task_id = models.UUIDField(_("task"), null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = EmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="tickets_email_unsent",
                condition=models.Q(status__in=["queued", "sending", "retrying"]),
            ),
            models.Index(fields=["status", "created_at"], name="tickets_email_status"),
        ]
        permissions = [("resend_outgoingemail", _("Can send an email again"))]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")

    def __str__(self):
        return f"{self.get_kind_display()} → {self.to}"
