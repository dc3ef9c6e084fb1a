"""Customer ticket pages: choose a type, fill its form, follow the ticket through the private tracking link.

None of them goes through the page cache: they carry CSRF tokens, form values, or a ticket's private content.
"""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk import ratelimit
from kb.search import analytics
from tickets import actions
from tickets.forms import ReplyForm, TicketForm
from tickets.models import ProblemType

OPEN_LIMIT, OPEN_PERIOD = 10, 3600
REPLY_LIMIT, REPLY_PERIOD = 30, 3600


def _see_other(url):
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _private(response):
    """The tracking link is the key to the ticket: keep its pages out of shared caches, referrers and indexes."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _limited(scope, request, limit, period):
    """None when allowed, else the seconds until the client may try again."""
    allowed, retry_after = ratelimit.hit(scope, ratelimit.client_ip(request), limit=limit, period=period)
    return None if allowed else retry_after


@require_GET
def choose_type(request):
    return render(request, "tickets/choose_type.html", {"problem_types": ProblemType.objects.active()})


@require_http_methods(["GET", "HEAD", "POST"])
def new_ticket(request, slug):
    problem_type = get_object_or_404(ProblemType.objects.active(), slug=slug)
    language = get_language()
    form = TicketForm(problem_type, language, data=request.POST if request.method == "POST" else None)
    status, throttled = 200, False
    if form.is_valid():
        retry_after = _limited("ticket-open", request, OPEN_LIMIT, OPEN_PERIOD)
        if retry_after is None:
            ticket, token = actions.open_ticket(
                problem_type=problem_type,
                language=language,
                email=form.cleaned_data["email"],
                uid=form.cleaned_data["uid"],
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
                fields=form.type_values(),
                visit=analytics.visit_key(request.COOKIES.get(analytics.VISIT_COOKIE, "")),
            )
            return _private(_see_other(reverse("tickets:track", args=[token]) + "?new=1"))
        status, throttled = 429, True
    response = render(
        request,
        "tickets/new_ticket.html",
        {"problem_type": problem_type, "form": form, "throttled": throttled},
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def track(request, token):
    ticket = actions.ticket_for_token(token)
    if ticket is None:
        raise Http404(_("No such ticket."))
    form = ReplyForm(request.POST if request.method == "POST" else None)
    status, throttled = 200, False
    if form.is_valid():
        retry_after = _limited("ticket-reply", request, REPLY_LIMIT, REPLY_PERIOD)
        if retry_after is None:
            try:
                actions.add_customer_reply(ticket=ticket, body=form.cleaned_data["body"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _private(_see_other(reverse("tickets:track", args=[token]) + "#latest"))
        else:
            status, throttled = 429, True
    response = render(
        request,
        "tickets/track.html",
        {
            "ticket": ticket,
            "messages_list": ticket.messages.public(),
            "form": form,
            "new": request.GET.get("new") == "1",
            "tracking_url": request.build_absolute_uri(request.path),
            "throttled": throttled,
        },
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(retry_after)
    return _private(response)
