"""The rating links of the solved email: signed values naming one ticket and one solve of it.

The link opens a page with the score chosen and records nothing until its button is pressed (mail filters follow
links). It works without the tracking link's session grant and does not contain the tracking token: it can only rate
that ticket's latest solve, within the reopen window. Tampering, or another ticket's value, is a plain 404.
"""

from datetime import UTC, datetime, timedelta

from django.core import signing

from tickets.models.tickets import reopen_window

SALT = "tickets.rating_link"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class Expired(Exception):
    """A genuine link past its window."""


def _instant(moment):
    """A time as whole microseconds since the epoch (exact, unlike a float timestamp)."""
    return (moment - EPOCH) // MICROSECOND


def make(ticket_id, solved_at):
    return signing.dumps({"t": ticket_id, "s": _instant(solved_at)}, salt=SALT)


def read(value):
    """(ticket id, solve time) from a link value; None when forged or malformed; raises Expired when too old."""
    try:
        data = signing.loads(value, salt=SALT, max_age=reopen_window())
    except signing.SignatureExpired:
        raise Expired() from None
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("s"), int):
        return None
    try:
        return data["t"], EPOCH + data["s"] * MICROSECOND
    except OverflowError:
        return None
