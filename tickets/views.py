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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk import ratelimit
from kb.models import Article
from kb.search import analytics, related
from tickets import access, actions, reply_time, secretguard
from tickets.forms import ReplyForm, SolvedForm, TicketForm
from tickets.models import Message, ProblemType, Ticket

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
    form = TicketForm(problem_type, language, data=request.POST if request.method == "POST" else None)
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
    form = ReplyForm(request.POST if request.method == "POST" else None)
    status, retry_after = 200, None
    if form.is_valid():
        retry_after = _limited("ticket-reply", request, REPLY_LIMIT, REPLY_PERIOD)
        if retry_after is None:
            try:
                message = actions.add_customer_reply(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    submission=form.cleaned_data["submission"],
                    removed=form.secrets_removed,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if message.secrets_removed:
                    _flash(request, FLASH_REMOVED, ticket, message.secrets_removed)
                return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "#latest"))
        else:
            status = 429
    removed = form.secrets_removed if form.is_bound else ()
    return _track(request, ticket, form=form, status=status, retry_after=retry_after, removed=removed)


@require_POST
def solve_ticket(request, reference):
    """ "This solved my problem": the ticket is solved by the article the customer chose (self-service)."""
    ticket = access.granted(request, reference)
    if ticket is None:
        raise Http404(_("No such ticket."))
    form = SolvedForm(request.POST)
    if form.is_valid():
        try:
            actions.solve_by_self_service(ticket=ticket, article=form.cleaned_data["article"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "#solved"))
    return _track(request, ticket, form=ReplyForm(), status=400, solve_form=form)


def _track(request, ticket, *, form, status=200, retry_after=None, removed=(), solve_form=None):
    """The ticket page; on the confirmation (`?new=1`) with the tracking link once and the articles that may solve
    the ticket while the customer may still close it that way."""
    new = request.GET.get("new") == "1"
    token = _take(request, FLASH_LINK, ticket) if new else None
    removed = _take(request, FLASH_REMOVED, ticket) or removed
    messages_list = list(ticket.messages.public())
    answers = []
    if (new or solve_form is not None) and ticket.self_service_open(messages_list):
        description = next((m.body for m in messages_list if m.author == Message.Author.CUSTOMER), "")
        answers = related.for_ticket(ticket.subject, description, language=ticket.language)
    solved_by = None
    if ticket.solved_by_article_id and ticket.status == Ticket.Status.SOLVED:
        solved_by = Article.objects.only(*related.FIELDS).filter(pk=ticket.solved_by_article_id).first()
    response = render(
        request,
        "tickets/track.html",
        {
            "ticket": ticket,
            "messages_list": messages_list,
            "expected": reply_time.first_reply(ticket, language=get_language()),
            "form": form,
            "new": new,
            "tracking_url": request.build_absolute_uri(reverse("tickets:link", args=[token])) if token else "",
            "throttled": retry_after is not None,
            "removed": secretguard.notice(removed),
            "answers": answers,
            "solve_errors": solve_form.errors.get("__all__", []) + solve_form.errors.get("article", [])
            if solve_form is not None
            else [],
            "solved_by": solved_by,
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return _private(response)
