"""SLA clocks on real tickets: which policy applies, when each target is due, pauses, recomputes, and why."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tickets.factories import every_priority, make_calendar, make_policy, make_problem_type, open_ticket
from tickets import actions, clocks, sla
from tickets.models import Metric, SLAClock, Ticket
from tickets.sweep import sweep

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = [(day, "09:00", "18:00") for day in range(5)]  # Monday to Friday
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def clock(ticket, metric=Metric.FIRST_RESPONSE, cycle=0):
    return SLAClock.objects.get(ticket=ticket, metric=metric, cycle=cycle)


def at(traveller, moment):
    traveller.move_to(moment)
    return moment


def test_a_ticket_created_friday_1755_with_a_one_hour_business_target_is_due_monday_0955():
    calendar = make_calendar("Asia/Shanghai", OFFICE)
    make_policy(every_priority(60), calendar=calendar)
    with time_machine.travel(datetime(2026, 3, 6, 17, 55, tzinfo=SHANGHAI), tick=False):
        ticket, _token = open_ticket()
    due = clock(ticket).due_at.astimezone(SHANGHAI)
    assert due == datetime(2026, 3, 9, 9, 55, tzinfo=SHANGHAI)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == due and clocks.expected_first_reply(ticket) == due


def test_a_holiday_in_the_middle_moves_the_due_time_past_it_and_yearly_holidays_recur():
    calendar = make_calendar("Asia/Shanghai", OFFICE, holidays=[date(2026, 3, 9), (date(2020, 3, 10), True)])
    make_policy(every_priority(60), calendar=calendar)
    with time_machine.travel(datetime(2026, 3, 6, 17, 55, tzinfo=SHANGHAI), tick=False):
        ticket, _token = open_ticket()
    assert clock(ticket).due_at.astimezone(SHANGHAI) == datetime(2026, 3, 11, 9, 55, tzinfo=SHANGHAI)


def test_a_dst_changeover_night_counts_real_hours_on_a_24x7_calendar():
    make_policy(every_priority(180), calendar=make_calendar("Europe/Berlin"))  # no hours: 24x7
    berlin = ZoneInfo("Europe/Berlin")
    with time_machine.travel(datetime(2026, 3, 29, 1, 0, tzinfo=berlin), tick=False):
        ticket, _token = open_ticket()
    # 01:00 CET + 3 real hours = 05:00 CEST: the wall clock skipped 02:00–03:00.
    assert clock(ticket).due_at.astimezone(berlin) == datetime(2026, 3, 29, 5, 0, tzinfo=berlin)


def test_pending_for_three_days_then_reopened_keeps_the_resolution_time_left(agent_a, queue_a):
    make_policy({**every_priority(60), **every_priority(8 * 60, "resolution")})
    with time_machine.travel(T0, tick=False) as traveller:
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        at(traveller, T0 + timedelta(hours=2))
        actions.add_agent_reply(ticket=ticket, author=agent_a, body="Please send a screenshot.", status="pending")
        resolution = clock(ticket, Metric.RESOLUTION)
        assert resolution.state == SLAClock.State.PAUSED and resolution.remaining_seconds == 6 * 3600
        assert resolution.due_at is None and resolution.next_check_at is None
        reopened = at(traveller, T0 + timedelta(days=3, hours=2))
        actions.add_customer_reply(ticket=ticket, body="Here it is.")
    resolution = clock(ticket, Metric.RESOLUTION)
    assert ticket.status == Ticket.Status.OPEN and resolution.state == SLAClock.State.RUNNING
    assert resolution.due_at == reopened + timedelta(hours=6)
    assert resolution.explanation["paused_minutes"] == 3 * 24 * 60
    assert clock(ticket).state == SLAClock.State.FULFILLED and clock(ticket).fulfilled_at == T0 + timedelta(hours=2)


def test_a_policy_edited_while_a_clock_is_paused_is_applied_when_the_sweep_recomputes(agent_a, queue_a):
    policy = make_policy({**every_priority(60), **every_priority(8 * 60, "resolution")})
    with time_machine.travel(T0, tick=False) as traveller:
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        at(traveller, T0 + timedelta(hours=2))
        actions.change_status(ticket=ticket, status="on_hold", actor=agent_a)
        policy.targets.filter(metric="resolution").update(minutes=10 * 60)
        assert actions.mark_sla_stale() == 1
        assert sweep().recomputed == 1
        assert clock(ticket, Metric.RESOLUTION).remaining_seconds == 8 * 3600
        reopened = at(traveller, T0 + timedelta(days=1))
        actions.change_status(ticket=ticket, status="open", actor=agent_a)
    assert clock(ticket, Metric.RESOLUTION).due_at == reopened + timedelta(hours=8)
    ticket.refresh_from_db()
    assert ticket.sla_stale is False


def test_priority_raised_midway_takes_the_new_target_from_the_original_start(agent_a, queue_a):
    make_policy({("first_response", "normal"): 240, ("first_response", "urgent"): 60})
    with time_machine.travel(T0, tick=False) as traveller:
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        assert clock(ticket).due_at == T0 + timedelta(hours=4)
        at(traveller, T0 + timedelta(minutes=30))
        actions.change_priority(ticket=ticket, priority="urgent", actor=agent_a)
        assert clock(ticket).due_at == T0 + timedelta(hours=1)
        assert clock(ticket).explanation["priority"] == "urgent"
        at(traveller, T0 + timedelta(hours=2))
        result = sweep()
    assert result.breached == 1 and clock(ticket).breached_at == T0 + timedelta(hours=1)


def test_every_status_path_leaves_the_clocks_in_the_state_it_implies(agent_a, queue_a):
    make_policy({**every_priority(60), **every_priority(60, "next_response"), **every_priority(600, "resolution")})
    with time_machine.travel(T0, tick=False) as traveller:
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        states = lambda: {(c.metric, c.cycle): c.state for c in ticket.clocks.all()}  # noqa: E731
        assert states() == {("first_response", 0): "running", ("resolution", 0): "running"}
        at(traveller, T0 + timedelta(minutes=10))
        actions.add_agent_reply(ticket=ticket, author=agent_a, body="Looking into it.")
        assert states() == {("first_response", 0): "fulfilled", ("resolution", 0): "running"}
        at(traveller, T0 + timedelta(minutes=20))
        actions.add_customer_reply(ticket=ticket, body="Any news?")
        assert states()[("next_response", 1)] == "running"
        assert clock(ticket, Metric.NEXT_RESPONSE, 1).due_at == T0 + timedelta(minutes=80)
        at(traveller, T0 + timedelta(minutes=30))
        actions.add_agent_reply(ticket=ticket, author=agent_a, body="Waiting for the network.", status="on_hold")
        assert states() == {
            ("first_response", 0): "fulfilled",
            ("next_response", 1): "fulfilled",
            ("resolution", 0): "paused",
        }
        at(traveller, T0 + timedelta(minutes=90))
        actions.change_status(ticket=ticket, status="solved", actor=agent_a)
        assert states()[("resolution", 0)] == "fulfilled"
        at(traveller, T0 + timedelta(minutes=100))
        actions.add_customer_reply(ticket=ticket, body="It is still missing.")
        assert ticket.status == "open"
        assert states()[("resolution", 0)] == "running" and states()[("next_response", 2)] == "running"
        at(traveller, T0 + timedelta(minutes=110))
        actions.change_status(ticket=ticket, status="closed", actor=agent_a)
    assert states() == {
        ("first_response", 0): "fulfilled",
        ("next_response", 1): "fulfilled",
        ("next_response", 2): "stopped",
        ("resolution", 0): "fulfilled",
    }
    # Open time: 30 minutes, then 10 between solve and close after the reopen (hold and solved time do not count).
    resolution = clock(ticket, Metric.RESOLUTION)
    assert resolution.due_at == T0 + timedelta(minutes=110) + timedelta(minutes=600 - 30 - 10)
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None and ticket.sla_warn_at is None


def test_a_ticket_solved_before_any_reply_stops_the_first_response_clock(agent_a, queue_a):
    make_policy(every_priority(60))
    with time_machine.travel(T0, tick=False):
        ticket, _token = open_ticket(make_problem_type(queue=queue_a))
        actions.change_status(ticket=ticket, status="solved", actor=agent_a)
    assert clock(ticket).state == SLAClock.State.STOPPED and clock(ticket).next_check_at is None


def test_no_matching_policy_means_no_clocks_and_first_match_wins_in_order(queue_a, queue_b):
    make_policy(every_priority(30), customer_tier="vip", position=0)
    make_policy(every_priority(90), queue=queue_a, position=5, only=False)
    with time_machine.travel(T0, tick=False):
        in_a, _token = open_ticket(make_problem_type(queue=queue_a))
        in_b, _token = open_ticket(make_problem_type(queue=queue_b))
        Ticket.objects.filter(pk=in_a.pk).update(customer_tier="vip")
        in_a.refresh_from_db()
        clocks.refresh([in_a])
    assert clock(in_a).due_at == T0 + timedelta(minutes=30)
    assert not in_b.clocks.exists() and in_b.sla_due_at is None


def test_the_explanation_says_which_policy_calendar_priority_and_target_made_the_due_time():
    calendar = make_calendar("Asia/Shanghai", OFFICE, name="Office hours")
    make_policy(every_priority(60), calendar=calendar, name="Payments VIP")
    with time_machine.travel(datetime(2026, 3, 6, 17, 55, tzinfo=SHANGHAI), tick=False):
        ticket, _token = open_ticket()
    explanation = clock(ticket).explanation
    assert explanation["policy"] == "Payments VIP" and explanation["priority"] == "normal"
    assert explanation["target_minutes"] == 60 and "Asia/Shanghai" in explanation["calendar"]


def test_a_warning_point_is_kept_per_clock_as_percent_or_minutes_before():
    make_policy(every_priority(100), warn_at_percent=75)
    with time_machine.travel(T0, tick=False):
        ticket, _token = open_ticket()
    assert clock(ticket).warn_at == T0 + timedelta(minutes=75)
    make_policy(every_priority(100), warn_before_minutes=10)
    with time_machine.travel(T0, tick=False):
        other, _token = open_ticket()
    assert clock(other).warn_at == T0 + timedelta(minutes=90)
    other.refresh_from_db()
    assert other.sla_warn_at == T0 + timedelta(minutes=90) and other.sla_due_at == T0 + timedelta(minutes=100)


def test_refresh_of_many_tickets_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    make_policy({**every_priority(60), **every_priority(600, "resolution")})
    with time_machine.travel(T0, tick=False):
        tickets = [open_ticket()[0] for _ in range(3)]
        with django_assert_max_num_queries(12) as few:
            clocks.refresh(tickets)
        more = tickets + [open_ticket()[0] for _ in range(20)]
        with django_assert_max_num_queries(len(few.captured_queries)):
            clocks.refresh(more)


# Replay as a pure function ---------------------------------------------------------------------------------------

STATUSES = ["open", "pending", "on_hold", "solved", "open", "closed"]


def terms(minutes=600, calendar=None):
    targets = {(m, p): minutes * 60 for m in Metric.values for p in Ticket.Priority.values}
    pauses = {"resolution": {"pending", "on_hold"}, "next_response": set(), "first_response": set()}
    return clocks.Terms(calendar=calendar or sla.Calendar.always(), targets=targets, pauses=pauses)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 600), st.sampled_from(STATUSES[:-1])), max_size=8))
def test_a_running_resolution_clock_is_due_at_its_start_plus_target_plus_the_time_it_spent_paused(steps):
    history = clocks.History(created_at=T0, statuses=[(T0, "new")], priorities=[(T0, "normal")])
    moment = T0
    for minutes, status in steps:
        moment += timedelta(minutes=minutes)
        history.statuses.append((moment, status))
    now = moment + timedelta(minutes=1)
    resolution = next(c for c in clocks.replay(terms(), history, now=now) if c.metric == Metric.RESOLUTION)
    stopped = 0  # minutes in pause statuses or solved, up to now
    for (start, status), (end, _next) in zip(history.statuses, [*history.statuses[1:], (now, None)], strict=True):
        if status in ("pending", "on_hold", "solved"):
            stopped += (end - start).total_seconds() / 60
    if history.statuses[-1][1] in ("pending", "on_hold"):
        spent = (now - T0).total_seconds() / 60 - stopped
        assert resolution.state == "paused"
        assert resolution.remaining_seconds == max(600 * 60 - round(spent * 60), 0)
    elif history.statuses[-1][1] == "solved":
        assert resolution.state == "fulfilled" and resolution.fulfilled_at == history.statuses[-1][0]
    else:
        # Independently: walk the history and find the moment 600 working minutes have passed.
        left, due = 600.0, None
        for (start, status), (end, _next) in zip(history.statuses, [*history.statuses[1:], (None, None)], strict=True):
            if status in ("pending", "on_hold", "solved"):
                continue
            span = (end - start).total_seconds() / 60 if end else float("inf")
            if span >= left:
                due = start + timedelta(minutes=left)
                break
            left -= span
        assert resolution.state == "running" and resolution.due_at == due
        if due > history.statuses[-1][0]:
            assert due == T0 + timedelta(minutes=600 + stopped)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3000), st.sampled_from(["customer", "agent"])), max_size=10))
def test_next_response_cycles_pair_each_waiting_customer_with_the_next_agent_reply(messages):
    history = clocks.History(created_at=T0, statuses=[(T0, "new")], priorities=[(T0, "normal")])
    moment = T0
    history.messages.append((T0, "customer"))
    for minutes, author in messages:
        moment += timedelta(minutes=minutes)
        history.messages.append((moment, author))
    found = clocks.replay(terms(60), history, now=moment + timedelta(minutes=1))
    cycles = [c for c in found if c.metric == Metric.NEXT_RESPONSE]
    authors = [a for _at, a in history.messages]
    if "agent" not in authors:
        assert cycles == []
        return
    after_first = authors[authors.index("agent") :]
    waits = sum(1 for a, b in zip(after_first, after_first[1:], strict=False) if (a, b) == ("agent", "customer"))
    assert [c.cycle for c in cycles] == list(range(1, waits + 1))
    assert all(c.state == "fulfilled" for c in cycles[:-1])
    for cycle in cycles:
        assert cycle.started_at < (cycle.fulfilled_at or moment + timedelta(minutes=1))
