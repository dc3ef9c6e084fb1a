"""Links that let a customer find their tickets again by email: short-lived, single use, stored only as a hash."""

import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A link is meant to be followed as soon as it arrives; the mailbox may be read by others later.
LINK_LIFETIME = timedelta(minutes=30)


def new_lookup_token():
    """A 192-bit random token, URL-safe."""
    return secrets.token_urlsafe(24)


class LookupLinkQuerySet(models.QuerySet):
    def usable(self, at):
        return self.filter(used_at=None, expires_at__gt=at)


class LookupLink(models.Model):
    class State(models.TextChoices):
        USABLE = "usable", _("Usable")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")

    # The address as the customer's latest ticket spells it; tickets match it case-insensitively.
    email = models.EmailField(_("email"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    objects = LookupLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["expires_at"], name="tickets_lookup_expires")]
        verbose_name = _("ticket lookup link")
        verbose_name_plural = _("ticket lookup links")

    def __str__(self):
        return f"{self.email} {self.created_at:%Y-%m-%d %H:%M}"

    def state(self, at):
        if self.used_at is not None:
            return self.State.USED
        if self.expires_at <= at:
            return self.State.EXPIRED
        return self.State.USABLE
