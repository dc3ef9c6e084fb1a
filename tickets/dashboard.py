"""The supervisors' dashboard: backlog now, and SLA attainment, reply and resolution times, intake and customer
satisfaction over a period.

Every panel is a fixed number of aggregate queries, whatever the number of tickets: the database counts and takes
medians (PostgreSQL's `percentile_cont`; on SQLite window functions pick the middle rows), Python only lays out the
few rows that come back. Periods are whole days in the desk's time zone.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django import forms
from django.db import connections
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tickets import charts
from tickets.models import Metric, Queue, Rating, SLAClock, Ticket
from tickets.models.ratings import SATISFIED, SCORES

DEFAULT_DAYS = 30
MAX_DAYS = 366
OPEN_STATUSES = [status for status in Ticket.Status if status not in Ticket.DONE]
# Medians are of the clocks that ended with the customer answered: the first reply, and the ticket solved.
TIMED = [Metric.FIRST_RESPONSE, Metric.RESOLUTION]


@dataclass(frozen=True)
class Period:
    """Whole days from `first` to `last` (both included) in `zone`."""

    first: date
    last: date
    zone: object

    @property
    def start(self):
        return datetime.combine(self.first, time.min, self.zone)

    @property
    def end(self):
        return datetime.combine(self.last + timedelta(days=1), time.min, self.zone)

    @property
    def days(self):
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @classmethod
    def default(cls, today, zone):
        return cls(today - timedelta(days=DEFAULT_DAYS - 1), today, zone)


class PeriodForm(forms.Form):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD&queue=<id>`: at most MAX_DAYS days; missing ends default to the last 30 days."""

    def __init__(self, data, *, queues, today):
        default = Period.default(today, None)
        super().__init__(data, initial={"from": default.first, "to": default.last})
        self.today = today
        # The parameters are called from and to, which Python cannot declare as class attributes.
        self.fields["from"] = forms.DateField(label=pgettext_lazy("start of a period", "From"), **DATE_FIELD)
        self.fields["to"] = forms.DateField(label=pgettext_lazy("end of a period", "To"), **DATE_FIELD)
        self.fields["queue"] = forms.TypedChoiceField(
            label=_("Queue"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("All queues")), *((queue.pk, queue.name) for queue in queues)],
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        last = data.get("to") or self.today
        first = data.get("from") or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise forms.ValidationError(_("The start date is after the end date."), code="order")
        if (last - first).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("Choose at most %(days)d days."), code="too_long", params={"days": MAX_DAYS})
        data["from"], data["to"] = first, last
        return data

    def period(self, zone):
        """The chosen period, or the last 30 days when the form is empty or has errors (the page shows them)."""
        if self.is_valid():
            return Period(self.cleaned_data["from"], self.cleaned_data["to"], zone)
        return Period.default(self.today, zone)

    def queue_id(self):
        return self.cleaned_data.get("queue") if self.is_valid() else None


DATE_FIELD = {
    "required": False,
    "input_formats": ["%Y-%m-%d"],
    "widget": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
}


# Backlog ------------------------------------------------------------------------------------------------------


@dataclass
class BacklogRow:
    queue: Queue | None  # None: the total
    statuses: dict = field(default_factory=dict)  # status -> open tickets
    at_risk: int = 0
    breached: int = 0

    @property
    def total(self):
        return sum(self.statuses.values())

    @property
    def counts(self):
        return [self.statuses.get(status, 0) for status in OPEN_STATUSES]


def backlog(queues, *, now, queue_id=None):
    """Open tickets per queue and status, and per queue those at risk and breached at `now` (three queries).

    Returns one row per queue (every queue, so an empty one shows as such) and the total row last.
    """
    tickets = Ticket.objects.open().order_by()
    if queue_id is not None:
        tickets = tickets.filter(queue_id=queue_id)
    rows = {queue.pk: BacklogRow(queue) for queue in queues if queue_id in (None, queue.pk)}
    total = BacklogRow(None)
    # A queue added since `queues` was read has no row yet: its tickets count in the total only.
    spare = BacklogRow(None)
    for queue, status, count in tickets.values_list("queue_id", "status").annotate(n=Count("pk")):
        rows.get(queue, spare).statuses[status] = count
        total.statuses[status] = total.statuses.get(status, 0) + count
    for queue, count in tickets.at_risk(now).values_list("queue_id").annotate(n=Count("pk")):
        rows.get(queue, spare).at_risk = count
        total.at_risk += count
    for queue, count in tickets.breached(now).values_list("queue_id").annotate(n=Count("pk")):
        rows.get(queue, spare).breached = count
        total.breached += count
    return [*rows.values(), total]


# SLA attainment -----------------------------------------------------------------------------------------------

# A clock met its target when it was fulfilled by its due time and the sweep never recorded a breach.
ON_TIME = Q(state=SLAClock.State.FULFILLED, breached_at__isnull=True, fulfilled_at__lte=F("due_at"))


def late(now):
    """Clocks that missed: breach recorded, ended after the due time, or still going past it at `now`."""
    return (
        Q(breached_at__isnull=False) | Q(fulfilled_at__gt=F("due_at")) | Q(fulfilled_at__isnull=True, due_at__lte=now)
    )


def in_progress(now):
    return Q(fulfilled_at__isnull=True, breached_at__isnull=True) & (Q(due_at__isnull=True) | Q(due_at__gt=now))


@dataclass
class Score:
    """Clocks of one metric in one group: met, missed, and still going. Stopped in time counts in none of them."""

    on_time: int = 0
    late: int = 0
    running: int = 0

    @property
    def ended(self):
        return self.on_time + self.late

    @property
    def percent(self):
        return 100 * self.on_time / self.ended if self.ended else None

    def add(self, on_time, late, running):
        self.on_time += on_time
        self.late += late
        self.running += running


@dataclass
class AttainmentRow:
    label: str
    queue: Queue | None = None
    scores: dict = field(default_factory=lambda: defaultdict(Score))  # metric -> Score
    cells: list = field(default_factory=list)  # Score or None per metric of the page's columns


@dataclass
class Attainment:
    queues: list
    policies: list
    total: AttainmentRow

    @property
    def metrics(self):
        """The metrics some clock of the period has, in their usual order (a desk may not time next responses)."""
        return [metric for metric in Metric if metric in self.total.scores]


def attainment(queues, period, *, now, queue_id=None):
    """Share of SLA clocks started in the period that met their target, per queue, per policy and in all (one query)."""
    clocks = SLAClock.objects.filter(started_at__gte=period.start, started_at__lt=period.end).order_by()
    if queue_id is not None:
        clocks = clocks.filter(ticket__queue_id=queue_id)
    counts = clocks.values_list("ticket__queue_id", "policy_id", "policy__name", "metric").annotate(
        on_time=Count("pk", filter=ON_TIME),
        late=Count("pk", filter=late(now)),
        running=Count("pk", filter=in_progress(now)),
    )
    by_queue = {queue.pk: AttainmentRow(queue.name, queue) for queue in queues if queue_id in (None, queue.pk)}
    by_policy, total = {}, AttainmentRow(str(_("All queues")))
    for queue, policy_id, policy_name, metric, *numbers in counts:
        policy = by_policy.setdefault(policy_id, AttainmentRow(policy_name or str(_("(deleted policy)"))))
        for row in (by_queue.get(queue), policy, total):
            if row is not None:  # None: a queue added since `queues` was read
                row.scores[metric].add(*numbers)
    result = Attainment(
        queues=list(by_queue.values()), policies=sorted(by_policy.values(), key=lambda row: row.label), total=total
    )
    for row in [*result.queues, *result.policies, total]:
        row.cells = [row.scores.get(metric) for metric in result.metrics]
    return result


# Reply and resolution times -----------------------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's continuous median: the middle value, or halfway between the two middle ones."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    arity = 1


ELAPSED = ExpressionWrapper(F("fulfilled_at") - F("ticket__created_at"), output_field=DurationField())


def medians(clocks, group=None):
    """{(group value or None, metric): (median timedelta, clocks)} over `clocks` by metric, within `group` if given.

    PostgreSQL aggregates with percentile_cont; other databases number each group's rows by elapsed time with window
    functions and return only the one or two middle rows, so either way a few rows per group leave the database.
    """
    if connections[clocks.db].vendor != "postgresql":
        return middle_rows_median(clocks, group)
    if group is None:
        rows = clocks.values_list("metric").annotate(median=Median(ELAPSED), n=Count("pk"))
        return {(None, metric): (median, n) for metric, median, n in rows}
    rows = clocks.values_list(group, "metric").annotate(median=Median(ELAPSED), n=Count("pk"))
    return {(key, metric): (median, n) for key, metric, median, n in rows}


def middle_rows_median(clocks, group=None):
    """The window-function version of `medians` (any database with window functions)."""
    partition = [F(group), F("metric")] if group else [F("metric")]
    numbered = clocks.annotate(
        elapsed=ELAPSED,
        position=Window(RowNumber(), partition_by=partition, order_by=[F("elapsed").asc(), F("pk").asc()]),
        n=Window(Count("pk"), partition_by=partition),
    )
    # Integer division: the middle row of an odd count twice, the two middle rows of an even one.
    middle = numbered.filter(Q(position=(F("n") + 1) / 2) | Q(position=(F("n") + 2) / 2))
    keys = [group, "metric"] if group else ["metric"]
    picked = defaultdict(list)
    for *key, elapsed, n in middle.values_list(*keys, "elapsed", "n"):
        picked[(key[0] if group else None, key[-1], n)].append(elapsed)
    return {(key, metric): (sum(values, timedelta()) / len(values), n) for (key, metric, n), values in picked.items()}


@dataclass
class TimesRow:
    label: str
    queue: Queue | None = None
    first_response: timedelta | None = None
    replied: int = 0
    resolution: timedelta | None = None
    resolved: int = 0

    @property
    def first_response_text(self):
        return duration_text(self.first_response) if self.first_response is not None else ""

    @property
    def resolution_text(self):
        return duration_text(self.resolution) if self.resolution is not None else ""


def times(queues, period, *, queue_id=None):
    """Median real time from opening to the first reply and to the solution, of the period's tickets (two queries).

    Real elapsed time, not business time: what the customer waited. Returns a row per queue and the all-queues row.
    """
    # These clocks start when the ticket is opened: the same period on started_at lets the index on it find them.
    clocks = SLAClock.objects.filter(
        metric__in=TIMED,
        state=SLAClock.State.FULFILLED,
        ticket__created_at__gte=period.start,
        ticket__created_at__lt=period.end,
        started_at__gte=period.start,
        started_at__lt=period.end,
    ).order_by()
    if queue_id is not None:
        clocks = clocks.filter(ticket__queue_id=queue_id)
    per_queue, overall = medians(clocks, "ticket__queue_id"), medians(clocks)
    rows = [TimesRow(queue.name, queue) for queue in queues if queue_id in (None, queue.pk)]
    rows.append(TimesRow(str(_("All queues"))))
    for row in rows:
        found, key = (overall, None) if row.queue is None else (per_queue, row.queue.pk)
        row.first_response, row.replied = found.get((key, Metric.FIRST_RESPONSE), (None, 0))
        row.resolution, row.resolved = found.get((key, Metric.RESOLUTION), (None, 0))
    return rows


# Intake -------------------------------------------------------------------------------------------------------


@dataclass
class Intake:
    queues: list
    days: list  # [(date, [count per queue], total)]

    @property
    def totals(self):
        return [sum(column) for column in zip(*(counts for _day, counts, _total in self.days), strict=True)]

    @property
    def total(self):
        return sum(total for _day, _counts, total in self.days)


def intake(queues, period, *, queue_id=None):
    """Tickets created per day of the period and per queue, days in the desk's time zone (one query)."""
    tickets = Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end).order_by()
    if queue_id is not None:
        tickets = tickets.filter(queue_id=queue_id)
    counts = (
        tickets.annotate(day=TruncDate("created_at", tzinfo=period.zone))
        .values_list("day", "queue_id")
        .annotate(n=Count("pk"))
    )
    shown = [queue for queue in queues if queue_id in (None, queue.pk)]
    column = {queue.pk: n for n, queue in enumerate(shown)}
    per_day = {day: [0] * len(shown) for day in period.days}
    for day, queue, n in counts:
        if queue in column:  # not a queue added since `queues` was read
            per_day[day][column[queue]] = n
    return Intake(queues=shown, days=[(day, counts, sum(counts)) for day, counts in per_day.items()])


# Satisfaction -------------------------------------------------------------------------------------------------

LATEST_COMMENTS = 10


@dataclass
class SatisfactionRow:
    label: str
    queue: Queue | None = None
    counts: list = field(default_factory=lambda: [0] * len(SCORES))  # ratings per score, 1 to 5

    @property
    def total(self):
        return sum(self.counts)

    @property
    def average(self):
        return sum(score * n for score, n in zip(SCORES, self.counts, strict=True)) / self.total if self.total else None

    @property
    def csat(self):
        """Share of the ratings that are 4 or 5, in percent."""
        satisfied = sum(n for score, n in zip(SCORES, self.counts, strict=True) if score >= SATISFIED)
        return 100 * satisfied / self.total if self.total else None

    def add(self, score, n):
        if score in SCORES:
            self.counts[score - SCORES.start] += n


@dataclass
class Satisfaction:
    queues: list
    agents: list
    total: SatisfactionRow
    comments: list


def _agent_name(username, first, last):
    return " ".join(part for part in (first, last) if part) or username


def satisfaction(queues, period, *, queue_id=None):
    """Ratings given in the period: count, average, CSAT and spread per queue, per agent and in all; the latest
    comments (three queries).

    A ticket rated again counts once, with its latest score; the queue and agent are those of when it was rated.
    """
    ratings = Rating.objects.given_between(period.start, period.end).order_by()
    if queue_id is not None:
        ratings = ratings.filter(queue_id=queue_id)
    by_queue = {queue.pk: SatisfactionRow(queue.name, queue) for queue in queues if queue_id in (None, queue.pk)}
    total = SatisfactionRow(str(_("All queues")))
    for queue, score, n in ratings.values_list("queue_id", "score").annotate(n=Count("pk")):
        total.add(score, n)
        if queue in by_queue:  # not a queue added since `queues` was read, or deleted since the rating
            by_queue[queue].add(score, n)
    by_agent = {}
    fields = ("assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name", "score")
    for agent, username, first, last, score, n in ratings.values_list(*fields).annotate(n=Count("pk")):
        label = _agent_name(username, first, last) if agent else str(_("Unassigned"))
        by_agent.setdefault(agent, SatisfactionRow(label)).add(score, n)
    comments = list(
        ratings.exclude(comment="")
        .select_related("ticket", "queue", "assignee")
        .order_by("-rated_at", "-pk")[:LATEST_COMMENTS]
    )
    agents = sorted(by_agent.values(), key=lambda row: (row.label == str(_("Unassigned")), row.label.lower()))
    return Satisfaction(queues=list(by_queue.values()), agents=agents, total=total, comments=comments)


def self_service(period, *, queue_id=None):
    """Tickets created in the period that the customer closed with a help-center article and did not reopen
    (one query)."""
    tickets = Ticket.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end, solved_by_article__isnull=False
    )
    if queue_id is not None:
        tickets = tickets.filter(queue_id=queue_id)
    return tickets.count()


# Display, charts and CSV --------------------------------------------------------------------------------------


def minutes(delta):
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def duration_text(delta):
    """A waiting time as people read it: 45 min, 3 h 20 min, 2 d 4 h."""
    total = round(delta.total_seconds() / 60)
    if total < 60:
        return _("%(minutes)s min") % {"minutes": f"{minutes(delta):g}"}
    if total < 48 * 60:
        return _("%(hours)d h %(minutes)d min") % {"hours": total // 60, "minutes": total % 60}
    return _("%(days)d d %(hours)d h") % {"days": total // 1440, "hours": total % 1440 // 60}


def backlog_chart(rows):
    return charts.stacked_rows(
        [(row.queue.name, row.counts) for row in rows if row.queue is not None],
        [str(Ticket.Status(status).label) for status in OPEN_STATUSES],
    )


def attainment_chart(result):
    metrics = result.metrics
    return charts.grouped_percent_rows(
        [(row.label, [row.scores[m].percent if m in row.scores else None for m in metrics]) for row in result.queues],
        [str(Metric(metric).label) for metric in metrics],
    )


def intake_chart(result):
    return charts.stacked_columns(
        [(day.strftime("%m-%d"), counts) for day, counts, _total in result.days],
        [queue.name for queue in result.queues],
    )


def satisfaction_chart(result):
    return charts.stacked_rows(
        [(row.label, row.counts) for row in result.queues if row.total],
        [str(score) for score in SCORES],
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A cell a spreadsheet shows as written: text that would start a formula (= + - @) gets a quote before it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


def csv_text(header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [header, *rows]:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()


def backlog_table(rows):
    header = [_("Queue"), *(Ticket.Status(status).label for status in OPEN_STATUSES), _("Open tickets")]
    return [str(h) for h in [*header, _("At risk"), _("Breached")]], [
        [row.queue.name if row.queue else str(_("All queues")), *row.counts, row.total, row.at_risk, row.breached]
        for row in rows
    ]


def attainment_table(result):
    header = [_("Grouped by"), _("Name"), _("Metric"), _("On time"), _("Breached"), _("In progress"), _("Attained %")]
    groups = [(_("Queue"), result.queues), (_("SLA policy"), result.policies), (_("All queues"), [result.total])]
    rows = []
    for group, members in groups:
        for row in members:
            for metric in result.metrics:
                score = row.scores.get(metric) or Score()
                counts = [score.on_time, score.late, score.running, score.percent]
                rows.append([str(group), row.label, str(Metric(metric).label), *counts])
    return [str(h) for h in header], rows


def times_table(rows):
    header = [
        _("Queue"),
        _("Median minutes to first reply"),
        _("Tickets replied"),
        _("Median minutes to resolution"),
        _("Tickets resolved"),
    ]
    return [str(h) for h in header], [
        [row.label, minutes(row.first_response), row.replied, minutes(row.resolution), row.resolved] for row in rows
    ]


def daily_table(result):
    header = [str(_("Date")), *(queue.name for queue in result.queues), str(_("Total"))]
    return header, [[day.isoformat(), *counts, total] for day, counts, total in result.days]


def satisfaction_table(result):
    header = [_("Grouped by"), _("Name"), _("Ratings"), _("Average"), _("CSAT %"), *(str(n) for n in SCORES)]
    groups = [(_("Queue"), result.queues), (_("Agent"), result.agents), (_("All queues"), [result.total])]
    rows = [
        [str(group), row.label, row.total, row.average, row.csat, *row.counts]
        for group, members in groups
        for row in members
    ]
    return [str(h) for h in header], rows


TABLES = ("backlog", "attainment", "times", "daily", "satisfaction")


def table(name, queues, period, *, now, queue_id=None):
    """(header, rows) of the page's table `name` (one of TABLES), for CSV export; its own queries only."""
    if name == "backlog":
        return backlog_table(backlog(queues, now=now, queue_id=queue_id))
    if name == "attainment":
        return attainment_table(attainment(queues, period, now=now, queue_id=queue_id))
    if name == "times":
        return times_table(times(queues, period, queue_id=queue_id))
    if name == "satisfaction":
        return satisfaction_table(satisfaction(queues, period, queue_id=queue_id))
    return daily_table(intake(queues, period, queue_id=queue_id))
