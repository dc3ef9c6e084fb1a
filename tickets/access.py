"""Who may open a ticket's page without an account: the session that showed its tracking link.

The tracking link (`/<lang>/tickets/t/<token>/`) is exchanged on each use for a grant to that one ticket in the
visitor's session, and the browser moves on to the ticket's clean URL (`/<lang>/tickets/<reference>/`). So the token
appears in no later request line, log or referrer, and the link keeps working for later visits.
"""

from tickets.models import Ticket, hash_token

SESSION_KEY = "ticket_grants"
MAX_GRANTS = 50


def grant(request, ticket):
    """Let this session open `ticket` (a fresh session key first, so a planted session cannot ride along)."""
    grants = [pk for pk in request.session.get(SESSION_KEY, []) if pk != ticket.pk]
    request.session.cycle_key()
    request.session[SESSION_KEY] = [*grants, ticket.pk][-MAX_GRANTS:]


def granted(request, reference):
    """The ticket with `reference` if this session holds a grant to it, else None (the same answer either way)."""
    grants = request.session.get(SESSION_KEY, [])
    if not grants:
        return None
    return Ticket.objects.for_page().filter(reference=reference, pk__in=grants).first()


def by_token(reference, token):
    """The ticket with `reference` if `token` is its tracking token, else None (the same answer either way).

    The API's way in (the token in a header, never in the URL). The stored hash is the lookup key, so no timing leak.
    """
    if not token or len(token) > 100 or not reference:
        return None
    return Ticket.objects.for_page().filter(reference=reference, tracking_token_hash=hash_token(token)).first()
