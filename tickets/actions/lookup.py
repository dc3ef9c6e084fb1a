"""Finding a ticket again: the tracking token that opens one ticket, and the lookup links emailed to an address
that list all of its tickets.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from helpdesk import ratelimit
from tickets import notifications, tasks
from tickets.models import LINK_LIFETIME, LookupLink, Ticket, hash_token, new_lookup_token

# Lookup links one address may be sent an hour, whoever asks: a mailbox is not flooded by strangers.
LOOKUP_ADDRESS_LIMIT, LOOKUP_ADDRESS_PERIOD = 3, 3600


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
