"""Search analytics without personal data: what people searched, what they found, what they clicked next."""

import hashlib
import hmac
import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, FloatField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from kb.models import SearchLog
from kb.search.tokenize import normalize
from tickets import secretguard

# Customers paste identifiers and secrets into search boxes: keep the shape of the query, never the value. Secrets
# go first, through the secrets guard; a seed phrase keeps the mask its logs always had.
SECRET_MASKS = {
    "seed_phrase": "<phrase>",
    "private_key": "<key>",
    "keystore": "<keystore>",
    "api_secret": "<secret>",
    "password": "<password>",
    "one_time_code": "<code>",
    "possible_key": "<hash>",
}
SCRUBBERS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b(0x)?[0-9a-f]{24,}\b"), "<hash>"),
    (re.compile(r"\b[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b|\bT[1-9A-HJ-NP-Za-km-z]{33}\b"), "<address>"),
    (re.compile(r"\b[A-Za-z0-9]{32,}\b"), "<secret>"),
    (re.compile(r"\+?\d[\d -]{5,}\d"), "<number>"),
]
VISIT_COOKIE = "hd_visit"
LOW_CLICK_RATE = 0.3


def secrets_in(query):
    """The kinds of secret a search query carries; such a query is neither searched nor logged nor shown again.

    A bare 64-hex string stays searchable (it is most often a TxID); the log masks it all the same.
    """
    return tuple(kind for kind in secretguard.redact(query or "", field="query").kinds if kind != "possible_key")


def secrets_message(kinds):
    """What the searcher is told: what was in the query, what to do now, and that staff never ask for it."""
    labels = ", ".join(str(secretguard.LABELS[kind]) for kind in kinds)
    advice = " ".join(str(secretguard.ADVICE[kind]) for kind in kinds)
    return _("Your search contained a %(what)s, so it was not searched or stored. %(advice)s %(reminder)s") % {
        "what": labels,
        "advice": advice,
        "reminder": secretguard.REMINDER,
    }


def scrub(query):
    """The query as it may be stored: case-folded, with secrets, emails, hashes, addresses and numbers masked."""
    text = secretguard.redact(query, field="query", masks=SECRET_MASKS).text
    text = " ".join(normalize(text).split())
    for pattern, mask in SCRUBBERS:
        text = pattern.sub(mask, text)
    return text[:200]


def visit_key(raw):
    return hmac.new(settings.SECRET_KEY.encode(), b"visit:" + raw.encode(), hashlib.sha256).hexdigest() if raw else ""


def log_search(*, query, language, results, corrected_query="", visit=""):
    return SearchLog.objects.create(
        query=scrub(query),
        language=language,
        results=results,
        corrected_query=scrub(corrected_query) if corrected_query else "",
        visit=visit,
    )


def record_click(*, log_id, visit, article_id, rank):
    """Remember which result a search led to (only from the same visit, within a day); True if recorded."""
    since = timezone.now() - timedelta(days=1)
    updated = SearchLog.objects.filter(pk=log_id, visit=visit, created_at__gte=since).exclude(visit="")
    return bool(updated.update(clicked_article_id=article_id, clicked_rank=rank))


def record_ticket(*, visit, within=timedelta(hours=2)):
    """Mark a visit's recent searches as having ended in a ticket (called when a ticket is submitted)."""
    if not visit:
        return 0
    since = timezone.now() - within
    return SearchLog.objects.filter(visit=visit, created_at__gte=since).update(ticket_submitted=True)


def solved_by_article(start, end, *, language=None, limit=20):
    """Per article, the tickets opened between `start` and `end` that the customer closed with it (one query).

    A ticket reopened since no longer counts: its article did not solve it after all.
    """
    from tickets.models import Ticket  # tickets depends on kb; this report is the one way back

    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, solved_by_article__isnull=False)
    if language:
        tickets = tickets.filter(solved_by_article__language=language)
    rows = (
        tickets.order_by()
        .values("solved_by_article", "solved_by_article__title", "solved_by_article__language")
        .annotate(tickets=Count("pk"))
        .order_by("-tickets", "solved_by_article")[:limit]
    )
    return [
        {"article_id": row["solved_by_article"], "title": row["solved_by_article__title"],
         "language": row["solved_by_article__language"], "tickets": row["tickets"]}
        for row in rows
    ]  # fmt: skip


def report(start, end, *, language=None, limit=20):
    """Top, zero-result, low-click and ticket-ending queries between `start` and `end`, and the articles that solved
    tickets."""
    logs = SearchLog.objects.between(start, end)
    if language:
        logs = logs.filter(language=language)
    grouped = logs.values("query", "language").annotate(
        searches=Count("id"),
        clicks=Count("id", filter=Q(clicked_article__isnull=False)),
        tickets=Count("id", filter=Q(ticket_submitted=True)),
        zero=Count("id", filter=Q(results=0)),
    )
    with_rate = grouped.annotate(click_rate=Cast(F("clicks"), FloatField()) / Cast(F("searches"), FloatField()))
    return {
        "total": logs.count(),
        "top": list(grouped.order_by("-searches", "query")[:limit]),
        "zero": list(grouped.filter(zero__gt=0).order_by("-zero", "query")[:limit]),
        "low_click": list(
            with_rate.filter(zero=0, searches__gte=2, click_rate__lt=LOW_CLICK_RATE).order_by(
                "click_rate", "-searches"
            )[:limit]
        ),
        "tickets": list(grouped.filter(tickets__gt=0).order_by("-tickets", "query")[:limit]),
        "solved": solved_by_article(start, end, language=language, limit=limit),
    }
