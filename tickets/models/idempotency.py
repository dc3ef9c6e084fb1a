"""API requests sent with an Idempotency-Key: what each asked (a keyed fingerprint) and what it answered.

A client that retries a request with the same key gets the first answer again and nothing is made twice. Neither the
key nor the ticket's token is stored: the key only as its hash, the token not at all (it derives from the key).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.tickets import Message, Ticket


def request_fingerprint(scope, payload):
    """A keyed SHA-256 of the request's parsed body: key order and spacing do not count, every value does.

    Keyed with the secret key, so the stored fingerprint cannot be tested against guesses of what was sent.
    """
    text = json.dumps([scope, payload], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(settings.SECRET_KEY.encode(), b"request:" + text.encode(), hashlib.sha256).hexdigest()


class IdempotentRequestQuerySet(models.QuerySet):
    def for_key(self, scope, key):
        return self.filter(key_hash=IdempotentRequest.hash_key(scope, key)).first()


class IdempotentRequest(models.Model):
    class Scope(models.TextChoices):
        OPEN = "open", _("Open a ticket")
        REPLY = "reply", _("Reply to a ticket")

    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    request_hash = models.CharField(_("request fingerprint"), max_length=64, editable=False)
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="+", verbose_name=_("ticket"))
    message = models.ForeignKey(
        Message, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    # The first answer's body without the token (a reply's answer is read from its message instead).
    response = models.JSONField(_("response"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = IdempotentRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("idempotent API request")
        verbose_name_plural = _("idempotent API requests")

    def __str__(self):
        return f"{self.scope} {self.ticket_id}"

    @staticmethod
    def hash_key(scope, key):
        return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()

    @staticmethod
    def submission(key):
        """The submission key the actions derive the token (or reply hash) from; "api:" keeps forms' keys apart."""
        return f"api:{key}"
