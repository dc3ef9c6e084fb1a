"""The agent desk's template helpers: SLA countdown badges and the secrets guard's markers made visible."""

import math

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from tickets import secretguard

register = template.Library()


def duration_words(seconds):
    """A span in whole minutes, rounded up: "2 d 3 h", "1 h 20 m", "12 m" (static/js/desk-admin.js says the same)."""
    minutes = math.ceil(abs(seconds) / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d m") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d m") % {"minutes": minutes}


def countdown_words(seconds):
    """Time left until a due time ("in 1 h 20 m"), or past it ("12 m overdue") when `seconds` is not positive."""
    if seconds > 0:
        return gettext("in %(time)s") % {"time": duration_words(seconds)}
    return gettext("%(time)s overdue") % {"time": duration_words(seconds)}


def sla_state(due, warn, now):
    """ "breached", "risk" (the warning time has passed) or "ok"; "none" without a due time."""
    if due is None:
        return "none"
    if due <= now:
        return "breached"
    if warn is not None and warn <= now:
        return "risk"
    return "ok"


@register.simple_tag
def sla_badge(due, warn=None, now=None):
    """The countdown badge: green, amber when at risk, red when breached; the script keeps its text current."""
    if due is None:
        return format_html('<span class="desk-sla desk-sla-none">{}</span>', gettext("no running clock"))
    now = now or timezone.now()
    return format_html(
        '<time class="desk-sla desk-sla-{state}" datetime="{due}" data-sla-due="{due}" data-sla-warn="{warn}" '
        'title="{title}">{text}</time>',
        state=sla_state(due, warn, now),
        due=due.isoformat(),
        warn=warn.isoformat() if warn else "",
        title=gettext("Due %(when)s") % {"when": date_format(timezone.localtime(due), "DATETIME_FORMAT")},
        text=countdown_words((due - now).total_seconds()),
    )


@register.inclusion_tag("admin/tickets/_sla_words.html")
def sla_words():
    """The words the countdown script needs, in the page's language."""
    return {
        "words": {
            "in": gettext("in %(time)s"),
            "overdue": gettext("%(time)s overdue"),
            "days": gettext("%(days)d d %(hours)d h"),
            "hours": gettext("%(hours)d h %(minutes)d m"),
            "minutes": gettext("%(minutes)d m"),
        }
    }


@register.filter
def redacted(text):
    """The text escaped with its line breaks, each marker the secrets guard left in a secret's place highlighted."""
    text = "" if text is None else str(text)
    parts, last = [], 0
    for match in secretguard.marker_pattern().finditer(text):
        parts += [escape(text[last : match.start()]), format_html('<mark class="desk-redacted">{}</mark>', match[0])]
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts).replace("\r\n", "\n").replace("\n", "<br>"))
