"""When a customer can expect the first reply: the ticket page and the confirmation email say it in the same words.

The time is the due time of the ticket's running first-response clock (tickets.clocks keeps it), shown in the time
zone of the customer's language (settings.CUSTOMER_TIME_ZONES) with the offset spelled out, and as a rounded
"about 2 hours" from now. Once an agent has replied, or the due time has passed, there is nothing to promise.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from tickets import clocks


@dataclass(frozen=True)
class ExpectedReply:
    due_at: datetime
    text: str  # the whole sentence, in the language it was made for


def customer_zone(language):
    return zoneinfo.ZoneInfo(settings.CUSTOMER_TIME_ZONES.get(language, "UTC"))


def zone_label(moment):
    """The UTC offset of an aware datetime as people write it: UTC, UTC+8, UTC+5:30, UTC-3."""
    minutes = round(moment.utcoffset().total_seconds() / 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def about(delta):
    """A rounded length of time ahead, in words: about 5 minutes, about 2 hours, about 3 days."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 55:
        n = minutes if minutes <= 5 else 5 * round(minutes / 5)
        return ngettext("about %(n)s minute", "about %(n)s minutes", n) % {"n": n}
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext("about %(n)s hour", "about %(n)s hours", hours) % {"n": hours}
    days = round(hours / 24)
    return ngettext("about %(n)s day", "about %(n)s days", days) % {"n": days}


def phrase(due_at, *, language, at):
    """The sentence for a reply due at `due_at`, as seen at `at`, in `language` and its time zone."""
    local = timezone.localtime(due_at, customer_zone(language))
    with translation.override(language):
        text = gettext("We expect to reply by %(time)s (%(zone)s), in %(within)s.") % {
            "time": formats.date_format(local, "DATETIME_FORMAT"),
            "zone": zone_label(local),
            "within": about(due_at - at),
        }
    return ExpectedReply(due_at=due_at, text=text)


def first_reply(ticket, *, language=None, at=None, due_at=None):
    """The expected first reply on `ticket` (ExpectedReply), or None once answered, overdue or without an SLA.

    `due_at`: the running first-response clock's due time where the caller has it (a ticket just opened).
    """
    at = at or timezone.now()
    due_at = due_at or clocks.expected_first_reply(ticket, after=at)
    if due_at is None or due_at <= at:
        return None
    return phrase(due_at, language=language or ticket.language, at=at)
