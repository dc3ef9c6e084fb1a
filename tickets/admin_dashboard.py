"""The supervisors' dashboard page (`/admin/tickets/dashboard/`).

Wrapped in `admin.site.admin_view` in helpdesk/urls.py, so staff log in as for any admin page; the dashboard then
asks for `tickets.view_all_queues` (the Supervisor group, and superusers): it shows every queue.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from tickets import dashboard as panels
from tickets.models import Queue, Ticket


def dashboard(request):
    """Backlog now; attainment, times, intake and satisfaction over the period; `?format=csv&table=…`: one table."""
    if not request.user.has_perm("tickets.view_all_queues"):
        raise PermissionDenied
    now = timezone.now()
    zone = timezone.get_current_timezone()
    queues = list(Queue.objects.order_by("name", "pk"))
    form = panels.PeriodForm(request.GET or None, queues=queues, today=timezone.localdate(now))
    period, queue_id = form.period(zone), form.queue_id()
    if request.GET.get("format") == "csv":
        return _csv(request, form, queues, period, now=now, queue_id=queue_id)
    backlog = panels.backlog(queues, now=now, queue_id=queue_id)
    attainment = panels.attainment(queues, period, now=now, queue_id=queue_id)
    intake = panels.intake(queues, period, queue_id=queue_id)
    satisfaction = panels.satisfaction(queues, period, queue_id=queue_id)
    shown = {"from": period.first.isoformat(), "to": period.last.isoformat(), "format": "csv"}
    if queue_id is not None:
        shown["queue"] = queue_id
    context = {
        **admin.site.each_context(request),
        "title": _("Supervisors' dashboard"),
        "form": form,
        "period": period,
        "queue": next((queue for queue in queues if queue.pk == queue_id), None),
        "now": now,
        "statuses": [Ticket.Status(status).label for status in panels.OPEN_STATUSES],
        "backlog": backlog,
        "backlog_chart": panels.backlog_chart(backlog),
        "attainment": attainment,
        "attainment_chart": panels.attainment_chart(attainment),
        "attainment_groups": [(_("Queues"), attainment.queues), (_("SLA policies"), attainment.policies)],
        "times": panels.times(queues, period, queue_id=queue_id),
        "intake": intake,
        "intake_chart": panels.intake_chart(intake),
        "satisfaction": satisfaction,
        "satisfaction_chart": panels.satisfaction_chart(satisfaction),
        "satisfaction_groups": [(_("Queues"), satisfaction.queues), (_("Agents"), satisfaction.agents)],
        "scores": list(panels.SCORES),
        "self_service": panels.self_service(period, queue_id=queue_id),
        "csv_query": urlencode(shown),
    }
    return TemplateResponse(request, "admin/tickets/dashboard.html", context)


def _csv(request, form, queues, period, *, now, queue_id):
    if form.is_bound and not form.is_valid():
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponseBadRequest(" ".join(errors), content_type="text/plain; charset=utf-8")
    name = request.GET.get("table", "")
    if name not in panels.TABLES:
        message = _("Choose a table: %(tables)s.") % {"tables": ", ".join(panels.TABLES)}
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    header, rows = panels.table(name, queues, period, now=now, queue_id=queue_id)
    # The byte order mark makes spreadsheet programs read the file as UTF-8 (queue names in Chinese).
    response = HttpResponse("\ufeff" + panels.csv_text(header, rows), content_type="text/csv; charset=utf-8")
    filename = f"dashboard-{name}-{period.first:%Y-%m-%d}-{period.last:%Y-%m-%d}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
