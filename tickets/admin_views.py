"""The agent desk's own admin pages: the ticket page (conversation, clocks, audit log and the work form) and the
intermediate pages of the ticket list's bulk actions."""

from datetime import datetime

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_safe

from tickets import actions, attachments, secretguard
from tickets.admin_forms import WorkForm
from tickets.models import (
    Attachment,
    CannedReply,
    EscalationRule,
    Message,
    Metric,
    Queue,
    Rating,
    SLAClock,
    Ticket,
    TicketEvent,
)
from tickets.templatetags.desk import duration_words

Kind = TicketEvent.Kind


class Refused(Exception):
    """An action said no: its ValidationError, and the form field the message belongs to (None: the whole form)."""

    def __init__(self, field, error):
        super().__init__(field, error)
        self.field, self.error = field, error


def _see_other(url):
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def _when(value):
    """An ISO time from an event's data, in the staff member's time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value or "")
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _places(removed, field_labels):
    """{where: [kinds]} from a secret_removed event → "seed phrase (description), password (TxID)"."""
    where_words = {
        "subject": gettext("subject"),
        "description": gettext("description"),
        "reply": gettext("reply"),
        "attachments": gettext("attachments"),
    }
    parts = []
    for where, kinds in (removed or {}).items():
        what = ", ".join(str(secretguard.LABELS.get(kind, kind)) for kind in kinds)
        parts.append(f"{what} ({where_words.get(where) or field_labels.get(where, where)})")
    return "; ".join(parts)


def event_words(event, *, users, queues, field_labels):
    """What an audit-log event says, in words (names of people and queues from `users` and `queues`)."""
    data = event.data or {}

    def user(pk):
        return users.get(pk, gettext("nobody")) if pk else gettext("nobody")

    def queue(pk):
        return queues.get(pk, "?")

    reason = data.get("reason") or ""
    kind = event.kind
    if kind == Kind.OPENED:
        text = gettext("Opened in the %(queue)s queue.") % {"queue": queue(data.get("queue_id"))}
    elif kind == Kind.CUSTOMER_REPLIED:
        text = gettext("The customer replied.")
    elif kind == Kind.AGENT_REPLIED:
        text = gettext("Replied to the customer.")
    elif kind == Kind.NOTE_ADDED:
        text = gettext("Added an internal note.")
    elif kind == Kind.STATUS_CHANGED and data.get("by") == "reopen_window":
        text = gettext("Closed automatically: the reopen window ended.")
    elif kind == Kind.STATUS_CHANGED:
        text = gettext("Status changed from %(from)s to %(to)s.") % {
            "from": _label(Ticket.Status, data.get("from")),
            "to": _label(Ticket.Status, data.get("to")),
        }
    elif kind == Kind.RATED:
        text = gettext("Rated the solution %(score)s out of 5.") % {"score": data.get("score")}
    elif kind == Kind.PRIORITY_CHANGED:
        text = gettext("Priority changed from %(from)s to %(to)s.") % {
            "from": _label(Ticket.Priority, data.get("from")),
            "to": _label(Ticket.Priority, data.get("to")),
        }
    elif kind == Kind.QUEUE_CHANGED:
        text = gettext("Moved from the %(from)s queue to %(to)s.") % {
            "from": queue(data.get("from")),
            "to": queue(data.get("to")),
        }
    elif kind == Kind.ASSIGNED:
        text = gettext("Assignee changed from %(from)s to %(to)s.") % {
            "from": user(data.get("from")),
            "to": user(data.get("to")),
        }
    elif kind == Kind.ESCALATED and data.get("manual"):
        text = gettext("Escalated to level %(level)s.") % {"level": data.get("level")}
    elif kind == Kind.ESCALATED:
        text = gettext("Escalated to level %(level)s by the SLA rules (%(metric)s: %(trigger)s).") % {
            "level": data.get("level"),
            "metric": _label(Metric, data.get("metric")),
            "trigger": _label(EscalationRule.Trigger, data.get("trigger")),
        }
    elif kind == Kind.DE_ESCALATED:
        text = gettext("De-escalated to level %(level)s.") % {"level": data.get("level")}
    elif kind == Kind.SLA_WARNING:
        text = gettext("%(metric)s is at risk: due %(due)s.") % {
            "metric": _label(Metric, data.get("metric")),
            "due": _when(data.get("due_at")),
        }
    elif kind == Kind.SLA_BREACHED:
        text = gettext("%(metric)s target missed: it was due %(due)s.") % {
            "metric": _label(Metric, data.get("metric")),
            "due": _when(data.get("due_at")),
        }
    elif kind == Kind.MERGED and data.get("into"):
        text = gettext("Merged into %(reference)s.") % {"reference": data["into"]}
    elif kind == Kind.MERGED:
        text = gettext("Merged %(references)s into this ticket.") % {"references": ", ".join(data.get("merged", []))}
    elif kind == Kind.SECRET_REMOVED:
        text = gettext("The secrets guard removed: %(what)s.") % {"what": _places(data.get("removed"), field_labels)}
    elif kind == Kind.SOLVED_BY_ARTICLE:
        text = gettext("The customer said the article “%(title)s” (%(slug)s, %(language)s) solved the problem.") % {
            "title": data.get("title", ""),
            "slug": data.get("slug", ""),
            "language": data.get("language", ""),
        }
    else:
        text = event.get_kind_display()
    if reason:
        text = gettext("%(text)s Reason: %(reason)s") % {"text": text, "reason": reason}
    return text


def _actor(event, users):
    if event.actor_id:
        return users.get(event.actor_id) or gettext("a former staff member")
    if event.kind in (Kind.OPENED, Kind.CUSTOMER_REPLIED, Kind.SECRET_REMOVED, Kind.RATED, Kind.SOLVED_BY_ARTICLE):
        return gettext("Customer")
    if (event.data or {}).get("by") == "customer":
        return gettext("Customer")
    return gettext("SLA rules")


def _name(user):
    return user.get_full_name() or user.get_username()


def audit_log(events, field_labels):
    """(event, words, actor) for each event, with every person and queue they name looked up in two queries."""
    user_ids, queue_ids = set(), set()
    for event in events:
        data = event.data or {}
        user_ids.add(event.actor_id)
        if event.kind == Kind.ASSIGNED:
            user_ids.update((data.get("from"), data.get("to")))
        elif event.kind in (Kind.QUEUE_CHANGED, Kind.OPENED):
            queue_ids.update((data.get("from"), data.get("to"), data.get("queue_id")))
    user_ids.discard(None)
    queue_ids.discard(None)
    users = {u.pk: _name(u) for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    queues = dict(Queue.objects.filter(pk__in=queue_ids).values_list("pk", "name")) if queue_ids else {}
    return [
        (event, event_words(event, users=users, queues=queues, field_labels=field_labels), _actor(event, users))
        for event in events
    ]


def _number(value):
    return f"{value:g}" if isinstance(value, (int, float)) else str(value or 0)


def explain(clock):
    """Terms in words: "Payments policy, urgent first response 15 business minutes on 24x7, paused 0 min"."""
    terms = clock.explanation or {}
    if not terms:
        return ""
    return gettext(
        "%(policy)s policy, %(priority)s %(metric)s %(minutes)s business minutes on %(calendar)s, paused %(paused)s min"
    ) % {
        "policy": terms.get("policy") or gettext("no"),
        "priority": _label(Ticket.Priority, terms.get("priority")).lower(),
        "metric": clock.get_metric_display().lower(),
        "minutes": _number(terms.get("target_minutes")),
        "calendar": terms.get("calendar", ""),
        "paused": _number(round(terms.get("paused_minutes") or 0)),
    }


def clock_rows(clocks):
    """(clock, outcome, explanation): what each clock's remaining column says besides a running countdown."""
    rows = []
    for clock in clocks:
        outcome = ""
        if clock.state == SLAClock.State.PAUSED:
            outcome = gettext("%(time)s left when it resumes") % {"time": duration_words(clock.remaining_seconds or 0)}
        elif clock.state == SLAClock.State.FULFILLED and clock.due_at and clock.fulfilled_at:
            late = clock.fulfilled_at > clock.due_at
            outcome = gettext("Met late") if late else gettext("Met in time")
        elif clock.state == SLAClock.State.STOPPED:
            outcome = gettext("Stopped")
        rows.append((clock, outcome, explain(clock)))
    return rows


def secrets_summary(ticket, events, field_labels):
    """What the secrets guard removed from this ticket and where, in words ("" when nothing)."""
    places = [_places(e.data.get("removed"), field_labels) for e in events if e.kind == Kind.SECRET_REMOVED]
    if places:
        return "; ".join(place for place in places if place)
    return ", ".join(str(secretguard.LABELS.get(kind, kind)) for kind in ticket.secrets_removed)


def _work(ticket, form, agent, do):
    """Carry out the button `do` with the form's values; returns the success message or raises Refused."""
    data = form.cleaned_data
    version = data["version"]

    def call(field, action, **arguments):
        try:
            return action(ticket=ticket, **arguments)
        except ValidationError as error:
            raise Refused(None if isinstance(error, actions.Conflict) else field, error) from error

    if do == "reply":
        call("reply", actions.add_agent_reply, author=agent, body=data["reply"], status=data["reply_status"] or None,
             version=version, attachments=data["reply_files"])  # fmt: skip
        return gettext("Your reply was sent to %(email)s.") % {"email": ticket.customer_email}
    if do == "note":
        call("note", actions.add_note, author=agent, body=data["note"], version=version, attachments=data["note_files"])
        return gettext("Your internal note was added.")
    if do == "update":
        changes = []
        if data["status"] != ticket.status:
            changes.append(("status", actions.change_status, {"status": data["status"], "actor": agent}))
        if data["priority"] != ticket.priority:
            changes.append(("priority", actions.change_priority, {"priority": data["priority"], "actor": agent}))
        if data["assignee"] != ticket.assignee:
            changes.append(("assignee", actions.assign_ticket, {"assignee": data["assignee"], "actor": agent}))
        if not changes:
            raise Refused(None, ValidationError(gettext("Change the status, priority or assignee first.")))
        with transaction.atomic():  # all of them or none
            for number, (field, action, arguments) in enumerate(changes):
                call(field, action, version=version if number == 0 else None, **arguments)
        return gettext("The ticket was updated.")
    if do == "escalate":
        call("escalate_reason", actions.escalate_ticket, actor=agent, reason=data["escalate_reason"],
             queue=data["escalate_queue"], assignee=data["escalate_assignee"], version=version)  # fmt: skip
        return gettext("The ticket was escalated to level %(level)s.") % {"level": ticket.escalation_level}
    if do == "de_escalate":
        call(None, actions.de_escalate_ticket, actor=agent, reason=data["de_escalate_reason"],
             version=version)  # fmt: skip
        return gettext("The ticket was de-escalated to level %(level)s.") % {"level": ticket.escalation_level}
    raise Refused(None, ValidationError(gettext("Choose what to do with one of the buttons.")))


def _with_canned_reply(form, data, work_form):
    """The form again with the chosen canned reply added to the reply box (inserting one without the script)."""
    text = form.canned_text()
    if text is None:
        form.add_error("canned", gettext("Choose a canned reply first."))
        return form
    data = data.copy()
    typed = data.get("reply", "")
    data["reply"] = f"{typed.rstrip()}\n\n{text}" if typed.strip() else text
    return work_form(data)


@sensitive_post_parameters()
def ticket_page(request, model_admin, object_id):
    """The ticket page: GET shows it; POST does what one button says, then 303 back (or the form again, kept).

    1. The ticket comes through the admin's scoped queryset: another queue's ticket is a 404.
    2. Each button calls its action with the form's `version`. A refusal shows the form again with the agent's text
       and the message; after a Conflict the page shows the ticket as it is now and the form carries its new version,
       so sending again is a decision made on what the agent now sees.
    3. After success, back to the page, or to the list when the ticket has left the agent's queues.
    """
    ticket = model_admin.get_object(request, unquote(object_id))  # Http404 when not visible
    if not model_admin.has_view_or_change_permission(request, ticket):
        raise PermissionDenied
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    can_change = model_admin.has_change_permission(request, ticket)
    canned = list(CannedReply.objects.for_ticket(ticket))

    def work_form(data=None, files=None):
        form = WorkForm(data, files, ticket=ticket, agent=request.user, canned_replies=canned)
        if data is not None:
            form.is_valid()
        return form

    if request.method != "POST":
        return _render(request, model_admin, ticket, work_form(), can_change)
    if not can_change:
        raise PermissionDenied
    do = request.POST.get("do", "")
    form = work_form(request.POST, request.FILES)
    if form.is_valid() and do == "insert":
        form = _with_canned_reply(form, request.POST, work_form)
    elif form.is_valid():
        try:
            done = _work(ticket, form, request.user, do)
        except Refused as refused:
            # What the refused action left in memory is not what is stored: show the stored ticket.
            ticket = model_admin.get_object(request, unquote(object_id))
            data = request.POST.copy()
            data["version"] = ticket.version
            form = work_form(data)
            form.add_error(refused.field, refused.error)
        else:
            model_admin.message_user(request, done, messages.SUCCESS)
            if model_admin.get_queryset(request).filter(pk=ticket.pk).exists():
                return _see_other(request.get_full_path())
            model_admin.message_user(
                request,
                gettext("%(reference)s is no longer in your queues.") % {"reference": ticket.reference},
                messages.INFO,
            )
            return _see_other(reverse("admin:tickets_ticket_changelist"))
    return _render(request, model_admin, ticket, form, can_change)


def _render(request, model_admin, ticket, form, can_change):
    prefetch_related_objects([ticket], "problem_type__fields")
    field_labels = {row.name: row.label for row in ticket.problem_type.fields.all()}
    events = list(ticket.events.all())
    conversation = list(ticket.messages.select_related("author_user").prefetch_related("attachments"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": ticket.reference,
        "subtitle": ticket.subject,
        "original": ticket,
        "ticket": ticket,
        "media": model_admin.media + form.media,
        "form": form,
        "can_change": can_change,
        "can_de_escalate": request.user.has_perm("tickets.de_escalate_ticket"),
        "field_items": ticket.field_items(),
        "conversation": conversation,
        "has_files": any(message.attachments.all() for message in conversation),
        "internal": Message.Kind.INTERNAL,
        "audit_log": audit_log(events, field_labels),
        "clocks": clock_rows(ticket.clocks.order_by("metric", "cycle")),
        "secrets": secrets_summary(ticket, events, field_labels) if ticket.secret_exposed else "",
        "rating": Rating.objects.filter(ticket=ticket).first() if ticket.is_done else None,
        "now": timezone.now(),
    }
    return TemplateResponse(request, "admin/tickets/ticket/ticket.html", context)


@require_safe
def download(request, *, model_admin, ticket_id, public_id):
    """A ticket's file for staff who can see the ticket; another queue's ticket or a wrong id is the same 404."""
    visible = model_admin.get_queryset(request).filter(pk=ticket_id)
    attachment = Attachment.objects.filter(ticket__in=visible, public_id=public_id).first()
    if attachment is None or not model_admin.has_view_or_change_permission(request, attachment.ticket):
        raise Http404(gettext("No such file."))
    return attachments.download_response(attachment)


def action_page(model_admin, request, tickets, *, action, title, form, intro=""):
    """The intermediate page of a bulk action: the chosen tickets, the action's form, apply or cancel."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "intro": intro,
        "tickets": tickets,
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
        "count": ngettext("%(count)d ticket", "%(count)d tickets", len(tickets)) % {"count": len(tickets)},
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/tickets/ticket/action.html", context)
