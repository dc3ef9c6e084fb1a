"""Ticket factories: `make_x(**overrides)` returns a saved row with sensible defaults."""

import itertools
from datetime import time

from django.utils import timezone

from tickets import actions
from tickets.models import (
    BusinessCalendar,
    EscalationRule,
    Holiday,
    Message,
    Metric,
    ProblemField,
    ProblemType,
    Queue,
    SLAClock,
    SLAPolicy,
    SLATarget,
    Ticket,
    WorkingHours,
)

_seq = itertools.count(1)

TXID = "ab" * 32  # a Tron transaction ID: 64 hex digits
ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # a real Tron address (base58check, version 0x41)

DEPOSIT_FIELDS = [
    {"name": "coin", "kind": "coin", "required": True, "labels": {"zh-hans": "币种", "en": "Coin"}},
    {"name": "network", "kind": "network", "required": True, "labels": {"zh-hans": "网络", "en": "Network"}},
    {"name": "txid", "kind": "txid", "required": True, "labels": {"zh-hans": "交易哈希", "en": "TxID"}},
    {"name": "amount", "kind": "amount", "required": True, "labels": {"zh-hans": "数量", "en": "Amount"}},
    {"name": "address", "kind": "address", "required": True, "labels": {"zh-hans": "充币地址", "en": "Address"}},
    {"name": "memo", "kind": "memo", "required": False, "labels": {"zh-hans": "备注标签", "en": "Memo"}},
    {"name": "note", "kind": "textarea", "required": False, "labels": {"zh-hans": "备注", "en": "Note"}},
]


def make_queue(**overrides):
    n = next(_seq)
    fields = {"slug": f"queue-{n}", "name": f"Queue {n}"}
    fields.update(overrides)
    return Queue.objects.create(**fields)


def make_problem_type(fields=DEPOSIT_FIELDS, **overrides):
    """A problem type with field rows made from `fields` (dicts of ProblemField attributes, in order)."""
    n = next(_seq)
    values = {
        "slug": f"type-{n}",
        "names": {"zh-hans": f"问题类型{n}", "en": f"Problem type {n}"},
        "descriptions": {"zh-hans": f"说明{n}", "en": f"Description {n}"},
        "position": n,
    }
    values.update(overrides)
    if "queue" not in values:
        values["queue"] = make_queue()
    problem_type = ProblemType.objects.create(**values)
    ProblemField.objects.bulk_create(
        ProblemField(problem_type=problem_type, position=position, **row) for position, row in enumerate(fields, 1)
    )
    return problem_type


def deposit_values(**overrides):
    values = {"coin": "USDT", "network": "TRC20", "txid": TXID, "amount": "12.5", "address": ADDRESS}
    values.update(overrides)
    return values


def open_ticket(problem_type=None, **overrides):
    """Open a ticket through the action; returns (ticket, token)."""
    n = next(_seq)
    arguments = {
        "problem_type": problem_type or make_problem_type(),
        "language": "zh-hans",
        "email": f"customer{n}@example.com",
        "subject": f"充值未到账 {n}",
        "description": f"我的 USDT 还没到账 {n}",
        "fields": deposit_values(),
    }
    arguments.update(overrides)
    opened = actions.open_ticket(**arguments)
    return opened.ticket, opened.token


def make_ticket(queue=None, **overrides):
    """A ticket opened through the action; `queue`: of a fresh problem type routed to that queue."""
    if queue is not None:
        overrides.setdefault("problem_type", make_problem_type(queue=queue))
    return open_ticket(**overrides)[0]


def add_message(ticket, **overrides):
    fields = {"ticket": ticket, "kind": Message.Kind.PUBLIC, "author": Message.Author.AGENT, "body": "回复"}
    fields.update(overrides)
    return Message.objects.create(**fields)


def follow_link(client, token, language="en"):
    """Open a tracking link the way a customer does; returns the ticket page's response (after the redirect)."""
    return client.get(f"/{language}/tickets/t/{token}/", follow=True)


def make_calendar(time_zone="UTC", hours=(), holidays=(), **overrides):
    """A business calendar: `hours` as (weekday, "09:00", "18:00"), `holidays` as dates or (date, yearly)."""
    n = next(_seq)
    calendar = BusinessCalendar.objects.create(name=overrides.pop("name", f"Calendar {n}"), time_zone=time_zone)
    for weekday, start, end in hours:
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, start=time.fromisoformat(start), end=time.fromisoformat(end)
        )
    for holiday in holidays:
        day, yearly = holiday if isinstance(holiday, tuple) else (holiday, False)
        Holiday.objects.create(calendar=calendar, date=day, yearly=yearly)
    return calendar


def make_policy(targets, *, rules=(), only=True, **overrides):
    """An SLA policy with `targets` {(metric, priority): minutes} and `rules` (EscalationRule fields as dicts).

    `only`: the other policies (the starter ones) are switched off, so this one decides.
    """
    n = next(_seq)
    values = {"name": f"Policy {n}", "position": 0}
    values.update(overrides)
    policy = SLAPolicy.objects.create(**values)
    SLATarget.objects.bulk_create(
        SLATarget(policy=policy, metric=metric, priority=priority, minutes=minutes)
        for (metric, priority), minutes in targets.items()
    )
    for rule in rules:
        EscalationRule.objects.create(policy=policy, **rule)
    if only:
        SLAPolicy.objects.exclude(pk=policy.pk).update(active=False)
    return policy


def every_priority(minutes, metric="first_response"):
    return {(metric, priority): minutes for priority in ("low", "normal", "high", "urgent")}


def make_clock(ticket, **overrides):
    """The ticket's first-response clock set running with these values (e.g. due_at), whatever its policy said."""
    fields = {"state": "running", "target_seconds": 7200, "started_at": timezone.now(), "fulfilled_at": None}
    fields.update(overrides)
    clock, _created = SLAClock.objects.update_or_create(
        ticket=ticket, metric=Metric.FIRST_RESPONSE, cycle=0, defaults=fields
    )
    return clock


def make_desk_ticket(queue, problem_type=None, **attributes):
    """A ticket opened in `queue` through the action, then given `attributes` as stored values (status, tier, SLA
    due times…) for tests of what the desk shows."""
    ticket = make_ticket(problem_type=problem_type or make_problem_type(queue=queue))
    if attributes:
        Ticket.objects.filter(pk=ticket.pk).update(**attributes)
        ticket.refresh_from_db()
    return ticket
