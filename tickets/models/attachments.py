"""Files customers attach to their messages: stored under random names, served only through authorised views."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.tickets import Message, Ticket


def new_public_id():
    return secrets.token_urlsafe(16)


class AttachmentQuerySet(models.QuerySet):
    def of_customer(self, ticket):
        """The files the ticket's customer may download: those on its public messages, never on an internal note."""
        return self.filter(ticket=ticket, message__kind=Message.Kind.PUBLIC)


class Attachment(models.Model):
    """One file on one message; the row and the stored file are created together by `tickets.attachments.store`."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    message = models.ForeignKey(Message, models.CASCADE, related_name="attachments", verbose_name=_("message"))
    # In URLs instead of the sequential id, so one file's address says nothing about the others.
    public_id = models.CharField(_("public id"), max_length=32, unique=True, default=new_public_id, editable=False)
    stored_name = models.CharField(_("stored file name"), max_length=100, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    secrets_removed = models.JSONField(
        _("secrets removed"),
        default=list,
        blank=True,
        help_text=_("Kinds of secret the guard removed from a text file (never the secret itself)."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")
