"""The SLA sweep: warnings, breaches and escalation rules applied once, in batches, by one or many sweepers."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from tests.concurrency import at_once
from tests.tickets.factories import every_priority, make_policy, make_problem_type, make_queue, open_ticket
from tickets import actions, sweep
from tickets.models import Metric, SLAClock, Ticket, TicketEvent

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TARGETS = {**every_priority(60), **every_priority(600, "resolution")}


@pytest.fixture
def mails(monkeypatch):
    sent = []
    monkeypatch.setattr(sweep.notifications, "staff_escalation", lambda **kwargs: sent.append(kwargs))
    return sent


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def first_response(ticket):
    return SLAClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)


@pytest.mark.django_db
def test_a_warning_then_a_breach_are_each_recorded_once_however_often_the_sweep_runs(mails):
    make_policy(TARGETS, warn_at_percent=50)
    with time_machine.travel(T0, tick=False) as traveller:
        ticket, _token = open_ticket()
        assert not sweep.sweep()
        traveller.move_to(T0 + timedelta(minutes=31))
        assert sweep.sweep().warned == 1 and sweep.sweep().warned == 0
        traveller.move_to(T0 + timedelta(minutes=61))
        first = sweep.sweep()
        again = sweep.sweep(now=T0 + timedelta(minutes=90))
    assert (first.warned, first.breached) == (0, 1) and not again
    assert kinds(ticket).count("sla_warning") == 1 and kinds(ticket).count("sla_breached") == 1
    clock = first_response(ticket)
    assert clock.breached_at == T0 + timedelta(hours=1) and clock.next_check_at is None
    assert clock.warned_at == T0 + timedelta(minutes=31)


@pytest.mark.django_db
def test_escalation_levels_fire_in_order_with_their_actions_and_each_only_once(mails, agent_a, queue_a, supervisor):
    elsewhere = make_queue(slug="escalations", name="Escalations")
    elsewhere.members.add(agent_a)
    supervisors = Group.objects.get(name="Supervisor")
    make_policy(
        TARGETS,
        warn_at_percent=50,
        rules=[
            {"level": 1, "trigger": "warning", "notify_assignee": True},
            {"level": 2, "trigger": "breach", "raise_priority_to": "urgent", "notify_group": supervisors},
            {"level": 3, "trigger": "after_breach", "delay_minutes": 30, "move_to_queue": elsewhere},
            {"level": 4, "trigger": "breach", "metric": "resolution", "notify_assignee": True},
        ],
    )
    with time_machine.travel(T0, tick=False):
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        actions.assign_ticket(ticket=ticket, assignee=agent_a, actor=agent_a)
    assert sweep.sweep(now=T0 + timedelta(minutes=30)).escalated == 1
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and mails == [
        {
            "ticket_ids": [ticket.pk],
            "level": 1,
            "reason": "First response: At the warning",
            "recipient_ids": [agent_a.pk],
        }
    ]
    assert sweep.sweep(now=T0 + timedelta(minutes=60)).escalated == 1
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.priority) == (2, "urgent")
    assert mails[-1]["recipient_ids"] == [supervisor.pk] and mails[-1]["level"] == 2
    # The urgent targets apply from the start; the breach already recorded is not recorded again.
    assert sweep.sweep(now=T0 + timedelta(minutes=89)).escalated == 0
    result = sweep.sweep(now=T0 + timedelta(minutes=91))
    assert result.escalated == 1 and not result.breached
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.queue_id, ticket.assignee_id) == (3, elsewhere.pk, agent_a.pk)
    # Rules without a metric watch every clock: the resolution clock runs levels 1 to 3 again, then its own level 4.
    later = sweep.sweep(now=T0 + timedelta(days=1))
    assert (later.warned, later.breached, later.escalated) == (1, 1, 4)
    assert not sweep.sweep(now=T0 + timedelta(days=2))
    ticket.refresh_from_db()
    assert ticket.escalation_level == 4
    escalated = ticket.events.filter(kind="escalated").order_by("id")
    assert [(e.data["metric"], e.data["level"]) for e in escalated][:3] == [("first_response", n) for n in (1, 2, 3)]
    assert [e.data["actions"] for e in escalated][:3] == [["notify"], ["priority", "notify"], ["queue"]]
    assert ticket.events.filter(kind="priority_changed").get().data["to"] == "urgent"
    assert ticket.events.filter(kind="queue_changed").get().data["to"] == elsewhere.pk


@pytest.mark.django_db
def test_a_breach_on_a_paused_clock_that_ran_out_before_the_pause_is_still_recorded(agent_a, queue_a, mails):
    make_policy({**every_priority(60, "resolution"), **every_priority(600)})
    with time_machine.travel(T0, tick=False) as traveller:
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        traveller.move_to(T0 + timedelta(minutes=70))
        actions.change_status(ticket=ticket, status="pending", actor=agent_a)
        assert sweep.sweep().breached == 1
    clock = SLAClock.objects.get(ticket=ticket, metric="resolution")
    assert clock.state == "paused" and clock.breached_at == T0 + timedelta(hours=1) and clock.next_check_at is None


@pytest.mark.django_db
def test_a_sweep_queries_per_batch_not_per_clock(django_assert_max_num_queries, mails):
    make_policy(TARGETS, rules=[{"level": 1, "trigger": "breach", "raise_priority_to": "high"}])
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            open_ticket()
    later = T0 + timedelta(hours=2)
    with django_assert_max_num_queries(40) as few:
        assert sweep.sweep(now=later).breached == 3
    with time_machine.travel(T0, tick=False):
        for _ in range(30):
            open_ticket()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert sweep.sweep(now=later).breached == 30


@pytest.mark.django_db
def test_a_crash_halfway_rolls_the_batch_back_whole_and_the_next_sweep_applies_it_once(monkeypatch):
    supervisors = Group.objects.get(name="Supervisor")
    make_policy(TARGETS, rules=[{"level": 1, "trigger": "breach", "notify_group": supervisors}])
    with time_machine.travel(T0, tick=False):
        tickets = [open_ticket()[0] for _ in range(4)]
    sent = []

    def fail_on_second_batch(**kwargs):
        if len(sent) >= 1:
            raise ConnectionError("the database went away")
        sent.append(kwargs)

    monkeypatch.setattr(sweep.notifications, "staff_escalation", fail_on_second_batch)
    Group.objects.get(name="Supervisor").user_set.create(username="boss", is_staff=True)
    later = T0 + timedelta(hours=2)
    with pytest.raises(ConnectionError):
        sweep.sweep(now=later, batch=2)

    def breached():
        return sorted(TicketEvent.objects.filter(kind="sla_breached").values_list("ticket_id", flat=True))

    assert len(breached()) == 2 and len(sent) == 1
    monkeypatch.setattr(sweep.notifications, "staff_escalation", lambda **kwargs: sent.append(kwargs))
    assert sweep.sweep(now=later, batch=2).breached == 2
    assert breached() == sorted(t.pk for t in tickets) and len(sent) == 2
    assert Ticket.objects.filter(escalation_level=1).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_ticket_an_agent_is_saving_is_left_for_the_next_sweep(mails):
    if connection.vendor == "sqlite":
        # No row locks: every write transaction starts IMMEDIATE, so a sweep and an agent's save run one after the
        # other and never see each other half done.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    make_policy(TARGETS)
    with time_machine.travel(T0, tick=False):
        busy, _token = open_ticket()
        free, _token = open_ticket()
    later = T0 + timedelta(hours=2)
    holding, release = threading.Event(), threading.Event()

    def agent_saving():
        from django.db import connection as own
        from django.db import transaction

        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=busy.pk)
            holding.set()
            release.wait(10)
        own.close()

    thread = threading.Thread(target=agent_saving)
    thread.start()
    holding.wait(10)
    try:
        assert sweep.sweep(now=later).breached == 1
    finally:
        release.set()
        thread.join()
    assert list(TicketEvent.objects.filter(kind="sla_breached").values_list("ticket_id", flat=True)) == [free.pk]
    assert sweep.sweep(now=later).breached == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_apply_every_breach_and_escalation_exactly_once(mails):
    make_policy(TARGETS, rules=[{"level": 1, "trigger": "breach", "raise_priority_to": "high"}])
    with time_machine.travel(T0, tick=False):
        for _ in range(60):
            open_ticket()
    later = T0 + timedelta(hours=2)
    results = at_once(lambda _number: sweep.sweep(now=later, batch=7), 2)
    assert sum(r.breached for r in results) == 60 and sum(r.escalated for r in results) == 60
    assert TicketEvent.objects.filter(kind="sla_breached").count() == 60
    assert TicketEvent.objects.filter(kind="escalated").count() == 60
    assert TicketEvent.objects.filter(kind="priority_changed").count() == 60
    assert Ticket.objects.filter(priority="high", escalation_level=1).count() == 60


@pytest.mark.django_db
def test_the_command_sweeps_once_and_refuses_bad_arguments(capsys, mails):
    make_policy(TARGETS)
    with time_machine.travel(T0, tick=False):
        open_ticket()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        call_command("sla_sweep")
    assert "breached 1" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--loop"):
        call_command("sla_sweep", "--loop", "0")
    with pytest.raises(CommandError, match="--batch"):
        call_command("sla_sweep", "--batch", "0")
