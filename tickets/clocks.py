"""A ticket's SLA clocks, recomputed from its events: which policy applies, when each target is due, and why.

`replay` is pure: the ticket's history in, the clocks it implies out, so a policy edit gives a predictable result.
`refresh` runs it for tickets in bulk (a handful of queries per batch, not per ticket) and stores the clock rows,
keeping what the sweep has already applied (warned_at, breached_at, escalated_level) so nothing happens twice.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from helpdesk.kept import Kept
from tickets import sla
from tickets.bulk import bulk_set
from tickets.models import (
    BusinessCalendar,
    EscalationRule,
    Message,
    Metric,
    SLAClock,
    SLAPolicy,
    Ticket,
    TicketEvent,
)

DONE = set(Ticket.DONE)


@dataclass(frozen=True)
class Terms:
    """What a policy says for replay: its calendar, targets in business seconds, pauses and warning point."""

    calendar: sla.Calendar
    targets: dict  # (metric, priority) -> business seconds
    pauses: dict  # metric -> set of statuses
    warn_before: int | None = None  # business seconds before due
    warn_percent: int | None = None
    policy_id: int | None = None
    policy_name: str = ""
    rules: tuple = ()  # EscalationRule rows, by level

    def warn_budget(self, target):
        if self.warn_percent:
            return target * self.warn_percent // 100
        if self.warn_before is not None:
            return max(target - self.warn_before, 0)
        return None


@dataclass
class History:
    """A ticket's history as replay needs it, oldest first: (instant, value) pairs."""

    created_at: object
    statuses: list = field(default_factory=list)  # (at, status) from the opening status on
    priorities: list = field(default_factory=list)  # (at, priority) from the opening priority on
    messages: list = field(default_factory=list)  # (at, "customer" | "agent") public messages only


@dataclass
class Clock:
    metric: str
    cycle: int
    state: str
    started_at: object
    target_seconds: int
    due_at: object = None
    remaining_seconds: int | None = None
    fulfilled_at: object = None
    warn_at: object = None
    explanation: dict = field(default_factory=dict)


def _value_at(pairs, at):
    value = pairs[0][1]
    for when, new in pairs:
        if when > at:
            break
        value = new
    return value


def _segments(history, start, end, pauses):
    """The stretches of [start, end) (end None: still going) when the status pauses nothing and is not done."""
    changes = [(at, status) for at, status in history.statuses if start < at and (end is None or at < end)]
    status = _value_at(history.statuses, start)
    segments, since = [], start
    for at, new in changes:
        if status not in pauses and status not in DONE:
            segments.append((since, at))
        since, status = at, new
    if status not in pauses and status not in DONE:
        segments.append((since, end))
    return [(a, b) for a, b in segments if b is None or b > a]


def _run(calendar, segments, budget):
    """Where a budget of business seconds runs out over the segments: (instant or None, business seconds left).

    None with seconds left means the segments ended (paused or fulfilled) before the budget did.
    """
    left = budget
    for a, b in segments:
        if b is None:
            return sla.add_business_seconds(calendar, a, left), left
        spent = sla.business_seconds_between(calendar, a, b)
        if spent >= left:
            return sla.add_business_seconds(calendar, a, left), 0
        left -= spent
    return None, left


def _clock(terms, history, *, metric, cycle, start, end, end_state, now):
    """One clock from `start` to `end` (None: not ended), with the target of the priority it ended (or runs) at."""
    priority = _value_at(history.priorities, end or now)
    target = terms.targets.get((metric, priority))
    if target is None:
        return None
    pauses = terms.pauses.get(metric, set())
    segments = _segments(history, start, end, pauses)
    due, left = _run(terms.calendar, segments, target)
    paused_seconds = sla.business_seconds_between(terms.calendar, start, end or now) - sum(
        sla.business_seconds_between(terms.calendar, a, b or now) for a, b in segments
    )
    running = end is None and bool(segments) and segments[-1][1] is None
    if end is not None:
        state = end_state
        if due is None:  # ended with time to spare: the due time in force when it ended
            due = sla.add_business_seconds(terms.calendar, end, left) if left else end
    else:
        state = SLAClock.State.RUNNING if running else SLAClock.State.PAUSED
    warn_at = None
    budget = terms.warn_budget(target)
    if budget is not None and state == SLAClock.State.RUNNING:
        warn_at, _left = _run(terms.calendar, segments, budget)
    clock = Clock(
        metric=metric,
        cycle=cycle,
        state=state,
        started_at=start,
        target_seconds=target,
        due_at=due if state != SLAClock.State.PAUSED or left == 0 else None,  # paused: due only if it ran out
        remaining_seconds=left if state == SLAClock.State.PAUSED else None,
        fulfilled_at=end,
        warn_at=warn_at,
    )
    clock.explanation = {
        "policy": terms.policy_name,
        "policy_id": terms.policy_id,
        "calendar": sla.describe(terms.calendar),
        "priority": priority,
        "target_minutes": round(target / 60, 2),
        "started_at": start.isoformat(),
        "paused_minutes": round(max(paused_seconds, 0) / 60, 2),
        "pauses": sorted(pauses),
    }
    return clock


def replay(terms, history, *, now):
    """The clocks a ticket's history implies under `terms` (pure; `now` only decides the running priority).

    1. First response: from opening to the first public agent reply; solving or closing first stops it.
    2. Resolution: from opening until the ticket is solved or closed; the policy's pause statuses stop it, and a
       reopened ticket resumes with the time it had left.
    3. Next response: each customer message that follows an agent reply starts a cycle, fulfilled by the next
       public agent reply and stopped when the ticket is done first.
    """
    created = history.created_at
    done_at = [at for at, status in history.statuses if status in DONE]
    final_done = history.statuses[-1][1] in DONE if history.statuses else False
    agent_replies = [at for at, author in history.messages if author == "agent"]
    clocks = []

    first_end, first_state = None, SLAClock.State.FULFILLED
    if agent_replies:
        first_end = agent_replies[0]
    if done_at and (first_end is None or done_at[0] < first_end):
        first_end, first_state = done_at[0], SLAClock.State.STOPPED
    clocks.append(
        _clock(
            terms,
            history,
            metric=Metric.FIRST_RESPONSE,
            cycle=0,
            start=created,
            end=first_end,
            end_state=first_state,
            now=now,
        )
    )

    resolution_end = done_at[-1] if final_done else None
    clocks.append(
        _clock(
            terms,
            history,
            metric=Metric.RESOLUTION,
            cycle=0,
            start=created,
            end=resolution_end,
            end_state=SLAClock.State.FULFILLED,
            now=now,
        )
    )

    if agent_replies:
        cycle, waiting_since, last_author = 0, None, None
        for at, author in history.messages:
            if at <= agent_replies[0] and author == "customer":
                last_author = author
                continue
            if author == "customer" and last_author == "agent" and waiting_since is None:
                waiting_since = at
            elif author == "agent" and waiting_since is not None:
                cycle += 1
                clocks.append(_next_response(terms, history, cycle, waiting_since, at, now=now))
                waiting_since = None
            last_author = author
        if waiting_since is not None:
            cycle += 1
            stopped = next((at for at in done_at if at > waiting_since), None) if final_done else None
            clocks.append(_next_response(terms, history, cycle, waiting_since, stopped, now=now, stopped=True))
    return [clock for clock in clocks if clock is not None]


def _next_response(terms, history, cycle, start, end, *, now, stopped=False):
    state = SLAClock.State.STOPPED if stopped else SLAClock.State.FULFILLED
    return _clock(
        terms, history, metric=Metric.NEXT_RESPONSE, cycle=cycle, start=start, end=end, end_state=state, now=now
    )


def next_check(clock_row, rules):
    """When the sweep must next look at a clock: its warning, its breach or its next escalation rule, else None."""
    times = []
    if clock_row.state == SLAClock.State.PAUSED and clock_row.due_at and clock_row.breached_at is None:
        return clock_row.due_at  # it ran out before the pause: the breach is still to record
    if clock_row.state != SLAClock.State.RUNNING:
        return None
    if clock_row.warn_at and clock_row.warned_at is None:
        times.append(clock_row.warn_at)
    if clock_row.due_at and clock_row.breached_at is None:
        times.append(clock_row.due_at)
    for rule in rules:
        if rule.level > clock_row.escalated_level and rule.applies_to(clock_row.metric):
            fires = rule_fires_at(rule, clock_row)
            if fires is not None:
                times.append(fires)
    return min(times) if times else None


def rule_fires_at(rule, clock_row):
    """When an escalation rule fires for a clock (None: it cannot, e.g. a warning rule without a warning point)."""
    if rule.trigger == EscalationRule.Trigger.WARNING:
        return clock_row.warn_at
    breach = clock_row.breached_at or clock_row.due_at
    if breach is None:
        return None
    if rule.trigger == EscalationRule.Trigger.BREACH:
        return breach
    return breach + timedelta(minutes=rule.delay_minutes)


# Storing ------------------------------------------------------------------------------------------------------

ALWAYS = sla.Calendar.always()


class Policies:
    """The active policies with their targets, calendars and rules, loaded once per refresh or sweep."""

    def __init__(self):
        self.policies = list(
            SLAPolicy.objects.active()
            .prefetch_related(
                "targets",
                Prefetch("rules", queryset=EscalationRule.objects.select_related("assign_to").order_by("level", "id")),
                Prefetch(
                    "calendar",
                    queryset=BusinessCalendar.objects.prefetch_related("hours", "holidays"),
                ),
            )
            .order_by("position", "id")
        )
        self.by_id = {policy.pk: policy for policy in self.policies}
        self._terms = {}

    def match(self, ticket):
        """The first active policy whose conditions the ticket meets, or None."""
        for policy in self.policies:
            if (
                policy.queue_id in (None, ticket.queue_id)
                and policy.problem_type_id in (None, ticket.problem_type_id)
                and policy.priority in ("", ticket.priority)
                and policy.customer_tier in ("", ticket.customer_tier)
            ):
                return policy
        return None

    def terms(self, policy):
        if policy.pk not in self._terms:
            self._terms[policy.pk] = Terms(
                calendar=policy.calendar.schedule() if policy.calendar else ALWAYS,
                targets={(t.metric, t.priority): t.minutes * 60 for t in policy.targets.all()},
                pauses={metric: policy.pauses(metric) for metric in Metric.values},
                warn_before=policy.warn_before_minutes * 60 if policy.warn_before_minutes is not None else None,
                warn_percent=policy.warn_at_percent,
                policy_id=policy.pk,
                policy_name=policy.name,
                rules=tuple(policy.rules.all()),
            )
        return self._terms[policy.pk]

    def rules(self, policy_id):
        """The escalation rules of an active policy by id (none for a policy since switched off)."""
        policy = self.by_id.get(policy_id)
        return self.terms(policy).rules if policy else ()


# The active policies, built once per process and again after an SLA setting changes (tickets.signals).
POLICIES = Kept("sla-policies", Policies)


current_policies = POLICIES.get
policies_changed = POLICIES.changed  # after a bulk write to SLA settings (which sends no signals)


def opening_history(ticket):
    """The history of a ticket just opened, as `histories` would read it: its opening status and priority."""
    return History(
        created_at=ticket.created_at,
        statuses=[(ticket.created_at, Ticket.Status.NEW)],
        priorities=[(ticket.created_at, ticket.priority)],
        messages=[(ticket.created_at, "customer")],
    )


def histories(tickets):
    """{ticket id: History} for the tickets, from their events and public messages (two queries)."""
    result = {
        t.pk: History(
            created_at=t.created_at, statuses=[(t.created_at, Ticket.Status.NEW)], priorities=[(t.created_at, None)]
        )
        for t in tickets
    }
    current = {t.pk: t for t in tickets}
    events = TicketEvent.objects.filter(
        ticket_id__in=result, kind__in=[TicketEvent.Kind.STATUS_CHANGED, TicketEvent.Kind.PRIORITY_CHANGED]
    ).order_by("created_at", "id")
    first_priority = {}
    for event in events.values_list("ticket_id", "kind", "data", "created_at"):
        ticket_id, kind, data, at = event
        history = result[ticket_id]
        if kind == TicketEvent.Kind.STATUS_CHANGED:
            history.statuses.append((at, data.get("to")))
        else:
            first_priority.setdefault(ticket_id, data.get("from"))
            history.priorities.append((at, data.get("to")))
    for ticket_id, history in result.items():
        opening = first_priority.get(ticket_id, current[ticket_id].priority)
        history.priorities[0] = (history.created_at, opening)
    messages = (
        Message.objects.public()
        .filter(ticket_id__in=result)
        .exclude(author=Message.Author.SYSTEM)
        .order_by("created_at", "id")
        .values_list("ticket_id", "author", "created_at")
    )
    for ticket_id, author, at in messages:
        result[ticket_id].messages.append((at, "agent" if author == Message.Author.AGENT else "customer"))
    return result


KEPT = ("warned_at", "breached_at", "escalated_level")
STORED = (
    "policy_id",
    "state",
    "target_seconds",
    "started_at",
    "due_at",
    "remaining_seconds",
    "fulfilled_at",
    "warn_at",
    "next_check_at",
    "explanation",
)


def opening(ticket, *, now=None, policies=None):
    """The clocks of `ticket`, about to be opened and not saved yet: unsaved SLAClock rows, with the ticket's
    sla_due_at and sla_warn_at set from them, so its insert carries its due times. `start` saves the rows.

    A ticket just opened has no status or priority change, no agent message and no clock yet: the rows are what
    `refresh` would compute for it, without its queries.
    """
    now = now or timezone.now()
    policies = policies or current_policies()
    policy = policies.match(ticket)
    rows = []
    if policy is not None:
        terms = policies.terms(policy)
        for clock in replay(terms, opening_history(ticket), now=now):
            rows.append(_apply(SLAClock(metric=clock.metric, cycle=clock.cycle), clock, policy, terms))
    ticket.sla_due_at, ticket.sla_warn_at = _next_due(rows)
    return rows


def start(ticket, rows):
    """Save the clock rows `opening` computed, once `ticket` is inserted."""
    for row in rows:
        row.ticket = ticket
    return SLAClock.objects.bulk_create(rows)


# No savepoint of its own: no caller carries on after a failed refresh, and each savepoint is two round trips.
@transaction.atomic(savepoint=False)
def refresh(tickets, *, now=None, policies=None):
    """Recompute and store the clocks of `tickets` (saved Ticket rows, current values) and their next due times.

    1. Match each ticket's policy and replay its history (no policy: its clocks are removed).
    2. Lock the existing clock rows, keep what the sweep applied to them, update changed rows, add new ones and
       delete the ones the history no longer implies.
    3. Store each ticket's earliest running due and warning time, for the desk's sorting and filters.
    Returns {ticket id: [SLAClock]}.
    """
    now = now or timezone.now()
    tickets = list(tickets)
    if not tickets:
        return {}
    policies = policies or current_policies()
    existing = {}
    by_ticket = histories(tickets)
    for row in SLAClock.objects.select_for_update().filter(ticket_id__in=by_ticket).order_by("id"):
        existing[(row.ticket_id, row.metric, row.cycle)] = row
    to_create, to_update, keep, result = [], [], set(), {}
    for ticket in tickets:
        policy = policies.match(ticket)
        rows = result.setdefault(ticket.pk, [])
        if policy is None:
            continue
        terms = policies.terms(policy)
        for clock in replay(terms, by_ticket[ticket.pk], now=now):
            key = (ticket.pk, clock.metric, clock.cycle)
            row = existing.get(key)
            ended = row is not None and row.state in (SLAClock.State.FULFILLED, SLAClock.State.STOPPED)
            if ended and clock.state == row.state and clock.fulfilled_at == row.fulfilled_at:
                keep.add(row.pk)  # ended clocks keep the terms they ended under
                rows.append(row)
                continue
            fresh = row or SLAClock(ticket_id=ticket.pk, metric=clock.metric, cycle=clock.cycle)
            before = [getattr(fresh, name) for name in STORED]
            _apply(fresh, clock, policy, terms)
            if row is None:
                to_create.append(fresh)
            else:
                keep.add(row.pk)
                if [getattr(fresh, name) for name in STORED] != before:
                    to_update.append(fresh)
            rows.append(fresh)
    stale = [row.pk for row in existing.values() if row.pk not in keep]
    if stale:
        SLAClock.objects.filter(pk__in=stale).delete()
    if to_update:
        bulk_set(SLAClock, to_update, STORED)
    if to_create:
        SLAClock.objects.bulk_create(to_create, batch_size=500)
    changed = []
    for ticket in tickets:
        due = _next_due(result.get(ticket.pk, []))
        if (ticket.sla_due_at, ticket.sla_warn_at) != due:
            ticket.sla_due_at, ticket.sla_warn_at = due
            changed.append(ticket)
    if changed:
        bulk_set(Ticket, changed, ["sla_due_at", "sla_warn_at"])
    return result


def _apply(row, clock, policy, terms):
    """Set a clock row from what `replay` computed under `policy`; returns the row."""
    row.policy_id = policy.pk
    for name in ("state", "target_seconds", "started_at", "due_at", "remaining_seconds", "fulfilled_at"):
        setattr(row, name, getattr(clock, name))
    row.warn_at, row.explanation = clock.warn_at, clock.explanation
    row.next_check_at = next_check(row, terms.rules)
    return row


def _next_due(rows):
    """(due, warn): the earliest due and warning time of the running clocks among `rows`, or None each."""
    running = [row for row in rows if row.state == SLAClock.State.RUNNING]
    due = min((row.due_at for row in running if row.due_at), default=None)
    warn = min((row.warn_at for row in running if row.warn_at), default=None)
    return due, warn


def first_reply_due(rows):
    """The due time of the running first-response clock among clock rows (see `expected_first_reply`), or None."""
    running = (row for row in rows if row.metric == Metric.FIRST_RESPONSE and row.state == SLAClock.State.RUNNING)
    return next((row.due_at for row in running), None)


def expected_first_reply(ticket, *, after=None):
    """When the customer can expect the first reply (the running first-response clock's due time), or None.

    With `after`, a due time already past it counts as none (nothing is promised once overdue).
    """
    running = SLAClock.objects.filter(ticket=ticket, metric=Metric.FIRST_RESPONSE, state=SLAClock.State.RUNNING)
    if after is not None:
        running = running.filter(due_at__gt=after)
    return running.values_list("due_at", flat=True).first()
