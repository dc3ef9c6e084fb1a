"""Who may open a ticket's page without an account: the session that showed its tracking link, or that used a lookup
link sent to the ticket's email address.

The tracking link (`/<lang>/tickets/t/<token>/`) is exchanged on each use for a grant to that one ticket in the
visitor's session, and the browser moves on to the ticket's clean URL (`/<lang>/tickets/<reference>/`). So the token
appears in no later request line, log or referrer, and the link keeps working for later visits.

A lookup link (`/<lang>/tickets/l/<token>/`) is held in the session as its token's hash until the customer presses
the button on the clean page it leads to; using it grants the session every ticket of that address for a while.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from tickets.models import Ticket, hash_token

SESSION_KEY = "ticket_grants"
MAX_GRANTS = 50
EMAIL_KEY, HELD_KEY = "ticket_lookup", "ticket_lookup_held"
# How long a used lookup link lets the session list and open the address's tickets.
EMAIL_GRANT = timedelta(hours=2)


def grant(request, ticket):
    """Let this session open `ticket` (a fresh session key first, so a planted session cannot ride along)."""
    grants = [pk for pk in request.session.get(SESSION_KEY, []) if pk != ticket.pk]
    if request.session.session_key is not None:  # none yet (or an unknown one): the session is saved under a new key
        request.session.cycle_key()
    request.session[SESSION_KEY] = [*grants, ticket.pk][-MAX_GRANTS:]


def grant_email(request, email, *, at=None):
    """Let this session open every ticket of `email` for EMAIL_GRANT (a fresh session key first, as `grant`)."""
    at = at or timezone.now()
    request.session.pop(HELD_KEY, None)
    request.session.cycle_key()
    request.session[EMAIL_KEY] = {"email": email, "until": (at + EMAIL_GRANT).timestamp()}


def granted_email(request, *, at=None):
    """The address whose tickets this session may open, or None (never granted, or the grant ran out)."""
    value = request.session.get(EMAIL_KEY)
    if not isinstance(value, dict):
        return None
    at = at or timezone.now()
    if value.get("until", 0) <= at.timestamp():
        return None
    return value.get("email") or None


def granted(request, reference):
    """The ticket with `reference` if this session holds a grant to it, else None (the same answer either way)."""
    grants = request.session.get(SESSION_KEY, [])
    email = granted_email(request)
    if not grants and email is None:
        return None
    allowed = Q(pk__in=grants)
    if email is not None:
        allowed |= Q(customer_email__iexact=email)
    return Ticket.objects.for_page().filter(allowed, reference=reference).first()


def hold_lookup(request, token_hash):
    """Keep a lookup link's token hash in this session until its button is pressed (see `held_lookup`)."""
    request.session[HELD_KEY] = token_hash


def held_lookup(request):
    return request.session.get(HELD_KEY) or None


def by_token(reference, token):
    """The ticket with `reference` if `token` is its tracking token, else None (the same answer either way).

    The API's way in (the token in a header, never in the URL). The stored hash is the lookup key, so no timing leak.
    """
    if not token or len(token) > 100 or not reference:
        return None
    return Ticket.objects.for_page().filter(reference=reference, tracking_token_hash=hash_token(token)).first()
