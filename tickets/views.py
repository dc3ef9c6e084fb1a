"""Customer ticket pages: choose a type, fill its form, follow the ticket through the private tracking link.

None of them goes through the page cache: they carry CSRF tokens, form values, or a ticket's private content. The
tracking link only grants the session access and redirects (see `tickets.access`); the ticket page has a clean URL.
"""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk import ratelimit
from kb.search import analytics
from tickets import access, actions, attachments, reply_time, secretguard
from tickets.forms import ReplyForm, TicketForm
from tickets.models import Attachment, Message, ProblemType

OPEN_LIMIT, OPEN_PERIOD = 10, 3600
REPLY_LIMIT, REPLY_PERIOD = 30, 3600
# What the next ticket page shows once: the raw tracking link of a new ticket, the kinds of secret just removed.
FLASH_LINK, FLASH_REMOVED = "ticket_new_link", "ticket_removed"


def _see_other(url):
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _private(response):
    """Ticket pages are the customer's own: keep them out of shared caches and search indexes."""
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response


def _limited(scope, request, limit, period):
    """None when allowed, else the seconds until the client may try again."""
    allowed, retry_after = ratelimit.hit(scope, ratelimit.client_ip(request), limit=limit, period=period)
    return None if allowed else retry_after


def _flash(request, key, ticket, value):
    notes = request.session.get(key, {})
    notes[str(ticket.pk)] = value
    request.session[key] = notes


def _take(request, key, ticket):
    notes = request.session.get(key, {})
    value = notes.pop(str(ticket.pk), None)
    if value is not None:
        request.session[key] = notes
    return value


@require_GET
def choose_type(request):
    return render(request, "tickets/choose_type.html", {"problem_types": ProblemType.objects.active()})


@sensitive_variables()
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def new_ticket(request, slug):
    problem_type = get_object_or_404(ProblemType.objects.active().prefetch_related("fields"), slug=slug)
    language = get_language()
    posted = request.method == "POST"
    form = TicketForm(
        problem_type, language, data=request.POST if posted else None, files=request.FILES if posted else None
    )
    status, throttled = 200, False
    if form.is_valid():
        retry_after = _limited("ticket-open", request, OPEN_LIMIT, OPEN_PERIOD)
        if retry_after is None:
            opened = actions.open_ticket(
                problem_type=problem_type,
                language=language,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                uid=form.cleaned_data["uid"],
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
                fields=form.type_values(),
                visit=analytics.visit_key(request.COOKIES.get(analytics.VISIT_COOKIE, "")),
                submission=form.cleaned_data["submission"],
                removed=form.removed,
                attachments=form.uploads(),
            )
            ticket = opened.ticket
            access.grant(request, ticket)
            _flash(request, FLASH_LINK, ticket, opened.token)
            if ticket.secrets_removed:
                _flash(request, FLASH_REMOVED, ticket, ticket.secrets_removed)
            return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "?new=1"))
        status, throttled = 429, True
    response = render(
        request,
        "tickets/new_ticket.html",
        {
            "problem_type": problem_type,
            "form": form,
            "throttled": throttled,
            "removed": secretguard.notice(form.secrets_removed if form.is_bound else ()),
        },
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(retry_after)
    return _private(response)


@require_http_methods(["GET", "HEAD"])
def follow_link(request, token):
    """The private tracking link: grant this session the ticket, then move to its clean URL."""
    ticket = actions.ticket_for_token(token)
    if ticket is None:
        raise Http404(_("No such ticket."))
    access.grant(request, ticket)
    response = _private(_see_other(reverse("tickets:ticket", args=[ticket.reference])))
    response["Referrer-Policy"] = "no-referrer"
    return response


@sensitive_variables()
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_page(request, reference):
    ticket = access.granted(request, reference)
    if ticket is None:
        raise Http404(_("No such ticket."))
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None, files=request.FILES if posted else None)
    status, throttled = 200, False
    if form.is_valid():
        retry_after = _limited("ticket-reply", request, REPLY_LIMIT, REPLY_PERIOD)
        if retry_after is None:
            try:
                message = actions.add_customer_reply(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    submission=form.cleaned_data["submission"],
                    removed=form.secrets_removed,
                    attachments=form.uploads(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if kinds := secretguard.ordered([*message.secrets_removed, *attachments.secrets_in(form.uploads())]):
                    _flash(request, FLASH_REMOVED, ticket, kinds)
                return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "#latest"))
        else:
            status, throttled = 429, True
    new = request.GET.get("new") == "1"
    token = _take(request, FLASH_LINK, ticket) if new else None
    removed = _take(request, FLASH_REMOVED, ticket) or (form.secrets_removed if form.is_bound else ())
    response = render(
        request,
        "tickets/track.html",
        {
            "ticket": ticket,
            "messages_list": ticket.messages.public().prefetch_related("attachments"),
            "expected": reply_time.first_reply(ticket, language=get_language()),
            "form": form,
            "new": new,
            "tracking_url": request.build_absolute_uri(reverse("tickets:link", args=[token])) if token else "",
            "throttled": throttled,
            "removed": secretguard.notice(removed),
        },
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(retry_after)
    return _private(response)


@require_http_methods(["GET", "HEAD"])
def download(request, reference, public_id):
    """A file of the customer's own ticket; another ticket's, a wrong id and a missing file are the same 404."""
    ticket = access.granted(request, reference)
    attachment = (
        Attachment.objects.filter(ticket=ticket, public_id=public_id, message__kind=Message.Kind.PUBLIC).first()
        if ticket is not None
        else None
    )
    if attachment is None:
        raise Http404(_("No such file."))
    return attachments.download_response(attachment)
