"""Customer ticket pages: choose a type, fill its form, follow the ticket through the private tracking link, and find
one's tickets again by email.

None of them goes through the page cache: they carry CSRF tokens, form values, or a ticket's private content. The
tracking link only grants the session access and redirects (see `tickets.access`); the ticket page has a clean URL.

Looking up tickets by email answers every address alike (the search runs in a task, see `actions.request_lookup`).
The emailed link is used up by a POST, not by opening it: mail filters that fetch links to scan them would otherwise
spend it before the customer clicks. Opening it only holds its hash in the session and moves to a clean page whose
button uses it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk import ratelimit
from kb.models import Article
from kb.search import analytics, related
from tickets import access, actions, attachments, problem_types, rating_links, reply_time, secretguard
from tickets.forms import LookupForm, RatingForm, ReplyForm, SolvedForm, TicketForm
from tickets.models import LINK_LIFETIME, Attachment, LookupLink, Message, Rating, Ticket, hash_token
from tickets.models.ratings import SCORE_WORDS
from tickets.models.tickets import reopen_window

OPEN_LIMIT, OPEN_PERIOD = 10, 3600
REPLY_LIMIT, REPLY_PERIOD = 30, 3600
RATE_LIMIT, RATE_PERIOD = 30, 3600
LOOKUP_LIMIT, LOOKUP_PERIOD = 10, 3600
# What the next ticket page shows once: the raw tracking link of a new ticket, the kinds of secret just removed, a
# confirmation (rated, reopened).
FLASH_LINK, FLASH_REMOVED, FLASH_NOTICE = "ticket_new_link", "ticket_removed", "ticket_notice"
# The address the lookup page was just sent, shown once on the page that follows.
FLASH_LOOKUP = "ticket_lookup_sent"


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


def open_limit(request):
    """None when the client may open another ticket, else the seconds to wait (the form and the API share it)."""
    return _limited("ticket-open", request, OPEN_LIMIT, OPEN_PERIOD)


def reply_limit(request):
    """None when the client may send another reply, else the seconds to wait (the page and the API share it)."""
    return _limited("ticket-reply", request, REPLY_LIMIT, REPLY_PERIOD)


def _flash(request, key, ticket, value):
    notes = request.session.get(key, {})
    notes[str(ticket.pk)] = value
    request.session[key] = notes


def _granted(request, reference):
    """The ticket this session holds a grant to, else the one 404 (for a missing ticket and a stranger's alike)."""
    ticket = access.granted(request, reference)
    if ticket is None:
        raise Http404(_("No such ticket."))
    return ticket


def _take(request, key, ticket):
    notes = request.session.get(key, {})
    value = notes.pop(str(ticket.pk), None)
    if value is not None:
        request.session[key] = notes
    return value


@require_GET
def choose_type(request):
    return render(request, "tickets/choose_type.html", {"problem_types": problem_types.active()})


@sensitive_variables()
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def new_ticket(request, slug):
    problem_type = problem_types.active_type(slug)
    if problem_type is None:
        raise Http404()
    language = get_language()
    posted = request.method == "POST"
    form = TicketForm(
        problem_type, language, data=request.POST if posted else None, files=request.FILES if posted else None
    )
    status, throttled = 200, False
    if form.is_valid():
        retry_after = open_limit(request)
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
    ticket = _granted(request, reference)
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None, files=request.FILES if posted else None)
    status, retry_after = 200, None
    if form.is_valid():
        retry_after = reply_limit(request)
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
            status = 429
    return _track(request, ticket, form=form, status=status, retry_after=retry_after)


@require_POST
def solve_ticket(request, reference):
    """ "This solved my problem": the ticket is solved by the article the customer chose (self-service)."""
    ticket = _granted(request, reference)
    form = SolvedForm(request.POST)
    if form.is_valid():
        try:
            actions.solve_by_self_service(ticket=ticket, article=form.cleaned_data["article"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "#solved"))
    return _track(request, ticket, status=400, solve_form=form)


def _track(request, ticket, *, form=None, rating_form=None, solve_form=None, status=200, retry_after=None, notice=""):
    """Render the tracking page: the conversation and the reply form; on the confirmation (`?new=1`) the tracking
    link once and the articles that may solve the ticket; for a solved ticket rating and reopening."""
    form = form or ReplyForm()
    now = timezone.now()
    rating = Rating.objects.filter(ticket=ticket).first() if ticket.status in Ticket.DONE else None
    rateable = ticket.rateable(now)
    if rateable and rating_form is None:
        current = rating if rating and rating.solved_at == ticket.solved_at else None
        rating_form = RatingForm(initial={"score": current.score, "comment": current.comment} if current else None)
    new = request.GET.get("new") == "1"
    token = _take(request, FLASH_LINK, ticket) if new else None
    removed = _take(request, FLASH_REMOVED, ticket) or (form.secrets_removed if form.is_bound else ())
    if rating_form is not None and rating_form.is_bound and not removed:
        removed = rating_form.secrets_removed
    messages_list = list(ticket.messages.public().prefetch_related("attachments"))
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
            "rating": rating,
            "rating_form": rating_form if rateable else None,
            "reopenable": ticket.reopenable(now),
            "notice": notice or _take(request, FLASH_NOTICE, ticket) or "",
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


def _lookup_form_page(request, form, *, status=200, throttled=False, retry_after=None, problem=None):
    response = render(
        request,
        "tickets/lookup.html",
        {"form": form, "throttled": throttled, "problem": problem, "minutes": _link_minutes()},
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(retry_after)
    return _private(response)


def _link_minutes():
    return int(LINK_LIFETIME.total_seconds() // 60)


@sensitive_variables()
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    """Ask for a link to one's tickets: every valid address gets the same answer, whether it has tickets or not."""
    form = LookupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        retry_after = _limited("ticket-lookup", request, LOOKUP_LIMIT, LOOKUP_PERIOD)
        if retry_after is not None:
            return _lookup_form_page(request, form, status=429, throttled=True, retry_after=retry_after)
        actions.request_lookup(email=form.cleaned_data["email"], language=get_language())
        request.session[FLASH_LOOKUP] = form.cleaned_data["email"]
        return _private(_see_other(reverse("tickets:lookup_sent")))
    return _lookup_form_page(request, form)


@require_GET
def lookup_sent(request):
    email = request.session.pop(FLASH_LOOKUP, "")
    return _private(render(request, "tickets/lookup_sent.html", {"email": email, "minutes": _link_minutes()}))


@require_http_methods(["GET", "HEAD"])
def lookup_link(request, token):
    """The emailed link: hold its hash in this session and move to the clean page that asks to use it."""
    access.hold_lookup(request, hash_token(token))
    response = _private(_see_other(reverse("tickets:lookup_open")))
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def lookup_open(request):
    """Show the button that uses the held link (GET), use it and list the tickets (POST); a dead link says why."""
    held = access.held_lookup(request)
    if held is None and access.granted_email(request) is not None:
        return _private(_see_other(reverse("tickets:mine")))  # back to the button after using it: the list again
    link = LookupLink.objects.filter(token_hash=held).first() if held else None
    now = timezone.now()
    state = link.state(now) if link is not None else None
    if request.method == "POST" and state == LookupLink.State.USABLE:
        used = actions.use_lookup_link(token_hash=held, at=now)
        if used is not None:
            access.grant_email(request, used.email, at=now)
            return _private(_see_other(reverse("tickets:mine")))
        state = LookupLink.State.USED  # another request used it a moment ago
    if state == LookupLink.State.USABLE:
        return _private(render(request, "tickets/lookup_open.html", {"expires_at": link.expires_at}))
    return _lookup_form_page(request, LookupForm(), status=404 if state is None else 410, problem=state or "unknown")


@require_GET
def my_tickets(request):
    """Every ticket of the address this session used a lookup link for, latest activity first."""
    email = access.granted_email(request)
    if email is None:
        return _private(_see_other(reverse("tickets:lookup")))
    tickets = Ticket.objects.filter(customer_email__iexact=email).order_by("-updated_at", "-id")
    return _private(render(request, "tickets/my_tickets.html", {"email": email, "tickets": tickets}))


def _rated(rating):
    return _("Thank you: your rating of %(score)d out of 5 was recorded. You can change it until %(until)s.") % {
        "score": rating.score,
        "until": formats.date_format(timezone.localtime(rating.solved_at + reopen_window()), "Y-m-d H:i"),
    }


def _rate(request, ticket, form, solve=None):
    """Record a valid rating form (rate limited per client); returns the rating, or None with the form's error."""
    retry_after = _limited("ticket-rate", request, RATE_LIMIT, RATE_PERIOD)
    if retry_after is not None:
        form.add_error(None, _("Too many ratings were sent from your network. Please try again later."))
        return None
    try:
        return actions.rate_ticket(
            ticket=ticket,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            solve=solve,
            removed=form.secrets_removed,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None


@sensitive_post_parameters()
@require_POST
def rate_ticket(request, reference):
    """The rating form of the tracking page (the session's grant to the ticket, like the page itself)."""
    ticket = _granted(request, reference)
    form = RatingForm(request.POST)
    if form.is_valid() and (rating := _rate(request, ticket, form)) is not None:
        _flash(request, FLASH_NOTICE, ticket, _rated(rating))
        if rating.secrets_removed:
            _flash(request, FLASH_REMOVED, ticket, rating.secrets_removed)
        return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "#rating"))
    return _track(request, ticket, rating_form=form)


@require_POST
def reopen_ticket(request, reference):
    """The "Reopen" button of a solved ticket's page, within the reopen window."""
    ticket = _granted(request, reference)
    try:
        actions.reopen_ticket(ticket=ticket)
    except ValidationError as error:
        return _track(request, ticket, notice=" ".join(error.messages))
    _flash(
        request,
        FLASH_NOTICE,
        ticket,
        _("Your ticket is open again: our team will look at it. Add a reply to say what is still wrong."),
    )
    return _private(_see_other(reverse("tickets:ticket", args=[ticket.reference]) + "#reply"))


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def rate_link(request, token):
    """The solved email's rating link: GET shows the form with the linked score chosen; only its button records.

    Mail filters open links, so a GET never records anything. A forged value, or one for a ticket that is gone, is
    a 404; a genuine link past its window, or from before the ticket was reopened, says that rating is closed.
    """
    closed = {"closed": True, "reopen_days": settings.TICKET_REOPEN_DAYS}
    try:
        found = rating_links.read(token)
    except rating_links.Expired:
        return _private(render(request, "tickets/rate.html", closed, status=410))
    ticket = Ticket.objects.filter(pk=found[0]).first() if found else None
    if ticket is None:
        raise Http404(_("No such ticket."))
    solve = found[1]
    if not ticket.rateable(timezone.now()) or solve != ticket.solved_at:
        closed |= {"ticket": ticket, "reopened": not ticket.is_done}
        return _private(render(request, "tickets/rate.html", closed, status=410))
    context = {"ticket": ticket}
    rating = Rating.objects.filter(ticket=ticket, solved_at=solve).first()
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid() and _rate(request, ticket, form, solve) is not None:
            return _private(_see_other(request.path + "?rated=1"))
    else:
        score = request.GET.get("score", "")
        initial = {"score": rating.score, "comment": rating.comment} if rating else {}
        if score in {str(n) for n in SCORE_WORDS}:
            initial["score"] = int(score)
        form = RatingForm(initial=initial)
    rated = request.GET.get("rated") == "1" and rating is not None
    context |= {
        "form": form,
        "rating": rating,
        "thanks": _rated(rating) if rated else "",
        "removed": secretguard.notice(
            rating.secrets_removed if rated else form.secrets_removed if form.is_bound else ()
        ),
    }
    return _private(render(request, "tickets/rate.html", context))


@require_http_methods(["GET", "HEAD"])
def download(request, reference, public_id):
    """A file of the customer's own ticket; another ticket's, a wrong id and a missing file are the same 404."""
    ticket = access.granted(request, reference)
    attachment = (
        Attachment.objects.of_customer(ticket).filter(public_id=public_id).first() if ticket is not None else None
    )
    if attachment is None:
        raise Http404(_("No such file."))
    return attachments.download_response(attachment)
