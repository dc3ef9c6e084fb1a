"""Who may open a ticket's page without an account: the session that showed its tracking link.

The tracking link (`/<lang>/tickets/t/<token>/`) is exchanged on each use for a grant to that one ticket in the
visitor's session, and the browser moves on to the ticket's clean URL (`/<lang>/tickets/<reference>/`). So the token
appears in no later request line, log or referrer, and the link keeps working for later visits.
"""

from tickets.models import Ticket

SESSION_KEY = "ticket_grants"
MAX_GRANTS = 50


def grant(request, ticket):
    """Let this session open `ticket` (a fresh session key first, so a planted session cannot ride along)."""
    grants = [pk for pk in request.session.get(SESSION_KEY, []) if pk != ticket.pk]
    if request.session.session_key is not None:  # none yet (or an unknown one): the session is saved under a new key
        request.session.cycle_key()
    request.session[SESSION_KEY] = [*grants, ticket.pk][-MAX_GRANTS:]


def granted(request, reference):
    """The ticket with `reference` if this session holds a grant to it, else None (the same answer either way)."""
    grants = request.session.get(SESSION_KEY, [])
    if not grants:
        return None
    return Ticket.objects.for_page().filter(reference=reference, pk__in=grants).first()
