"""The SLA sweep: record due warnings and breaches and apply escalation rules, in batches, each exactly once; then
close the solved tickets whose reopen window is over (`actions.close_solved_tickets`).

Clock rows carry `next_check_at` (a partial index covers the rows that have one). A batch claims due rows with
`SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite runs one writer at a time anyway), locks their tickets the
same way, and in one transaction marks the clocks (warned_at, breached_at, escalated_level), changes the tickets,
writes the events and enqueues the emails. Two sweepers take disjoint rows; one that crashes rolls its batch back
whole, so the next sweep applies it once. A ticket an agent is saving right now is left for the next sweep.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tickets import actions, clocks, notifications
from tickets.bulk import bulk_set
from tickets.models import SLAClock, Ticket, TicketEvent

BATCH = 500
RANK = Ticket.PRIORITY_RANK


@dataclass
class Swept:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    recomputed: int = 0
    closed: int = 0

    def __bool__(self):
        return bool(self.warned or self.breached or self.escalated or self.recomputed or self.closed)


def sweep(*, now=None, batch=BATCH):
    """Apply everything due by `now` (default: the current time) in batches; returns the counts as Swept."""
    now = now or timezone.now()
    policies = clocks.Policies()
    _members.clear()
    total = Swept()
    while _recompute_stale(now, batch, policies, total):
        pass
    # A second round takes what the first one's escalations made due (a raised priority brings a warning forward).
    for _round in range(2):
        seen = set()
        while _sweep_batch(now, batch, policies, total, seen):
            pass
    while closed := actions.close_solved_tickets(at=now, batch=batch):
        total.closed += closed
    return total


@transaction.atomic
def _recompute_stale(now, batch, policies, total):
    """Recompute one batch of tickets marked stale by a policy or calendar edit; False when none is left."""
    ids = list(
        Ticket.objects.filter(sla_stale=True)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return False
    clocks.refresh(Ticket.objects.filter(pk__in=ids), now=now, policies=policies)
    Ticket.objects.filter(pk__in=ids).update(sla_stale=False)
    total.recomputed += len(ids)
    return True


@transaction.atomic
def _sweep_batch(now, batch, policies, total, seen):
    """Claim and apply one batch of due clocks not seen before in this sweep; False when none is left."""
    rows = list(
        SLAClock.objects.to_check(now)
        .exclude(pk__in=seen)
        .select_for_update(skip_locked=True)
        .order_by("next_check_at", "pk")[:batch]
    )
    if not rows:
        return False
    tickets = {
        t.pk: t for t in Ticket.objects.filter(pk__in={r.ticket_id for r in rows}).select_for_update(skip_locked=True)
    }
    events, changed, refresh, mail = [], {}, {}, defaultdict(lambda: defaultdict(list))
    seen.update(row.pk for row in rows)
    marked = []
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        if ticket is None:  # an agent is saving it right now: the next sweep takes it
            continue
        marked.append(row)
        fired = _mark(row, now, policies, events, total)
        total.escalated += len(fired)
        for rule in fired:
            _apply(rule, row, ticket, events, changed, refresh, mail)
        row.next_check_at = clocks.next_check(row, policies.rules(row.policy_id))
    bulk_set(SLAClock, marked, ["warned_at", "breached_at", "escalated_level", "next_check_at"])
    for ticket in changed.values():
        ticket.version += 1
        ticket.updated_at = now
    if changed:
        bulk_set(
            Ticket, changed.values(), ["priority", "queue", "assignee", "escalation_level", "version", "updated_at"]
        )
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    if refresh:
        clocks.refresh(refresh.values(), now=now, policies=policies)
    for recipient, by_level in mail.items():
        for (level, reason), ticket_ids in sorted(by_level.items()):
            notifications.staff_escalation(
                ticket_ids=sorted(set(ticket_ids)), level=level, reason=reason, recipient_ids=[recipient]
            )
    return True


def _mark(row, now, policies, events, total):
    """Record the clock's due warning and breach; returns the escalation rules that fire now, by level."""
    data = {"metric": row.metric, "cycle": row.cycle}
    if row.state == SLAClock.State.RUNNING and row.warn_at and row.warned_at is None and row.warn_at <= now:
        row.warned_at = now
        due = row.due_at.isoformat() if row.due_at else None
        events.append(
            TicketEvent(ticket_id=row.ticket_id, kind=TicketEvent.Kind.SLA_WARNING, data={**data, "due_at": due})
        )
        total.warned += 1
    if row.due_at and row.breached_at is None and row.due_at <= now:
        row.breached_at = row.due_at
        events.append(
            TicketEvent(
                ticket_id=row.ticket_id,
                kind=TicketEvent.Kind.SLA_BREACHED,
                data={**data, "due_at": row.due_at.isoformat()},
            )
        )
        total.breached += 1
    if row.state != SLAClock.State.RUNNING:
        return []
    fired = []
    for rule in policies.rules(row.policy_id):
        if rule.level <= row.escalated_level or not rule.applies_to(row.metric):
            continue
        fires = clocks.rule_fires_at(rule, row)
        if fires is not None and fires <= now:
            fired.append(rule)
            row.escalated_level = rule.level
    return fired


def _apply(rule, row, ticket, events, changed, refresh, mail):
    """Carry out one escalation rule on a ticket (in memory; the batch writes them together)."""

    def record(kind, **data):
        events.append(TicketEvent(ticket=ticket, kind=kind, data=data))

    done, why = [], f"escalation level {rule.level}"
    if rule.raise_priority_to and RANK[rule.raise_priority_to] > RANK[ticket.priority]:
        record(TicketEvent.Kind.PRIORITY_CHANGED, reason=why, **{"from": ticket.priority, "to": rule.raise_priority_to})
        ticket.priority = rule.raise_priority_to
        done.append("priority")
        refresh[ticket.pk] = ticket
    if rule.move_to_queue_id and rule.move_to_queue_id != ticket.queue_id:
        record(TicketEvent.Kind.QUEUE_CHANGED, reason=why, **{"from": ticket.queue_id, "to": rule.move_to_queue_id})
        ticket.queue_id = rule.move_to_queue_id
        if ticket.assignee_id and not actions.can_work(ticket.assignee, ticket.queue_id):
            record(TicketEvent.Kind.ASSIGNED, **{"from": ticket.assignee_id, "to": None})
            ticket.assignee_id = None
        done.append("queue")
        refresh[ticket.pk] = ticket
    assign = rule.assign_to_id and rule.assign_to_id != ticket.assignee_id
    if assign and actions.can_work(rule.assign_to, ticket.queue_id):
        record(TicketEvent.Kind.ASSIGNED, **{"from": ticket.assignee_id, "to": rule.assign_to_id})
        ticket.assignee_id = rule.assign_to_id
        done.append("assignee")
    ticket.escalation_level = max(ticket.escalation_level, rule.level)
    changed[ticket.pk] = ticket
    reason = f"{row.get_metric_display()}: {rule.get_trigger_display()}"
    recipients = set(_group_members(rule.notify_group_id)) if rule.notify_group_id else set()
    if rule.notify_assignee and ticket.assignee_id:
        recipients.add(ticket.assignee_id)
    for recipient in recipients:
        mail[recipient][(rule.level, reason)].append(ticket.pk)
    if recipients:
        done.append("notify")
    record(
        TicketEvent.Kind.ESCALATED,
        level=rule.level,
        rule_id=rule.pk,
        metric=row.metric,
        cycle=row.cycle,
        trigger=rule.trigger,
        actions=done,
        manual=False,
    )


_members = {}


def _group_members(group_id):
    """Active staff of a group (cached for one sweep: asked once per group, not per ticket)."""
    if group_id not in _members:
        _members[group_id] = list(
            get_user_model().objects.filter(groups=group_id, is_active=True, is_staff=True).values_list("pk", flat=True)
        )
    return _members[group_id]
