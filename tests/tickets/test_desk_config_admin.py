"""SLA configuration and canned replies in the admin: supervisors edit them with their rows inline, agents read
them, and every saved change makes the sweep recompute the open tickets' clocks."""

import pytest
from django.urls import reverse

from tests.tickets.factories import every_priority, make_calendar, make_desk_ticket, make_policy
from tickets.models import BusinessCalendar, CannedReply, SLAPolicy, Ticket

pytestmark = pytest.mark.django_db


def management(prefix, total=0, initial=0):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial, f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000}  # fmt: skip


def policy_data(**overrides):
    data = {
        "name": "Payments", "position": 1, "active": "on", "queue": "", "problem_type": "", "priority": "",
        "customer_tier": "", "calendar": "", "resolution_pauses": ["pending", "on_hold"], "warn_before_minutes": 10,
        "warn_at_percent": "",
        **management("targets", 1), "targets-0-metric": "first_response", "targets-0-priority": "urgent",
        "targets-0-minutes": 15,
        **management("rules", 1), "rules-0-level": 1, "rules-0-trigger": "breach", "rules-0-metric": "",
        "rules-0-delay_minutes": 0, "rules-0-raise_priority_to": "urgent",
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def open_and_solved(queue_a):
    return make_desk_ticket(queue_a), make_desk_ticket(queue_a, status="solved")


def test_a_supervisor_adds_a_policy_with_its_targets_and_rules_inline_and_the_clocks_are_marked_stale(
    client, supervisor, open_and_solved
):
    client.force_login(supervisor)
    page = client.get(reverse("admin:tickets_slapolicy_add")).content.decode()
    assert 'type="checkbox" name="resolution_pauses" value="pending"' in page
    assert 'value="solved"' not in page.split('name="resolution_pauses"', 1)[1].split("</div>", 1)[0]
    response = client.post(reverse("admin:tickets_slapolicy_add"), policy_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = SLAPolicy.objects.get(name="Payments")
    assert policy.resolution_pauses == ["pending", "on_hold"] and policy.next_response_pauses == []
    assert [(t.metric, t.priority, t.minutes) for t in policy.targets.all()] == [("first_response", "urgent", 15)]
    assert policy.rules.get().raise_priority_to == "urgent"
    still_open, solved = (Ticket.objects.get(pk=t.pk) for t in open_and_solved)
    assert still_open.sla_stale and not solved.sla_stale


def test_a_pause_status_that_is_not_open_is_refused(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("admin:tickets_slapolicy_add"), policy_data(resolution_pauses=["solved"]))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not SLAPolicy.objects.filter(name="Payments").exists()


def test_editing_only_a_target_inline_marks_the_clocks_stale(client, supervisor, open_and_solved):
    policy = make_policy(every_priority(60), name="Edit me")
    Ticket.objects.update(sla_stale=False)
    targets = list(policy.targets.all())
    data = policy_data(name="Edit me", **management("targets", len(targets), len(targets)), **management("rules"))
    for number, target in enumerate(targets):
        data.update({f"targets-{number}-id": target.pk, f"targets-{number}-policy": policy.pk,
                     f"targets-{number}-metric": target.metric, f"targets-{number}-priority": target.priority,
                     f"targets-{number}-minutes": 30 if number == 0 else target.minutes})  # fmt: skip
    client.force_login(supervisor)
    response = client.post(reverse("admin:tickets_slapolicy_change", args=[policy.pk]), data)
    assert response.status_code == 302
    assert policy.targets.get(pk=targets[0].pk).minutes == 30
    assert Ticket.objects.get(pk=open_and_solved[0].pk).sla_stale


def test_a_calendar_is_edited_with_working_hours_and_holidays_inline_and_marks_the_clocks_stale(
    client, supervisor, open_and_solved
):
    client.force_login(supervisor)
    data = {
        "name": "Shanghai office", "time_zone": "Asia/Shanghai",
        **management("hours", 1), "hours-0-weekday": 0, "hours-0-start": "09:00", "hours-0-end": "18:00",
        **management("holidays", 1), "holidays-0-date": "2026-10-01", "holidays-0-yearly": "on",
        "holidays-0-name": "National Day",
    }  # fmt: skip
    response = client.post(reverse("admin:tickets_businesscalendar_add"), data)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Shanghai office")
    assert calendar.hours.get().start_minute == 540 and calendar.holidays.get().yearly
    assert Ticket.objects.get(pk=open_and_solved[0].pk).sla_stale


def test_deleting_a_policy_marks_the_clocks_stale(client, supervisor, open_and_solved):
    policy = make_policy(every_priority(60), name="Old", only=False)
    Ticket.objects.update(sla_stale=False)
    client.force_login(supervisor)
    client.post(reverse("admin:tickets_slapolicy_delete", args=[policy.pk]), {"post": "yes"})
    assert not SLAPolicy.objects.filter(pk=policy.pk).exists()
    assert Ticket.objects.get(pk=open_and_solved[0].pk).sla_stale


def test_agents_read_policies_and_calendars_with_their_rows_but_cannot_change_them(client, agent_a):
    policy = SLAPolicy.objects.get(name="Standard")
    calendar = make_calendar(hours=[(0, "09:00", "18:00")], name="Office")
    client.force_login(agent_a)
    page = client.get(reverse("admin:tickets_slapolicy_change", args=[policy.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "First response" in html and "At the breach" in html  # targets and rules, read-only
    assert 'name="_save"' not in html and 'name="name"' not in html
    assert client.post(reverse("admin:tickets_slapolicy_change", args=[policy.pk]), policy_data()).status_code == 403
    assert client.get(reverse("admin:tickets_slapolicy_add")).status_code == 403
    calendar_page = client.get(reverse("admin:tickets_businesscalendar_change", args=[calendar.pk])).content.decode()
    assert "Monday" in calendar_page and 'name="_save"' not in calendar_page


def test_the_canned_reply_form_lists_the_placeholders_and_only_supervisors_add_replies(
    client, supervisor, agent_a, queue_a
):
    client.force_login(supervisor)
    html = client.get(reverse("admin:tickets_cannedreply_add")).content.decode()
    for name in ("{reference}", "{customer_name}", "{subject}", "{agent_name}", "{queue}"):
        assert f"<code>{name}</code>" in html
    data = {"title": "Hello", "queue": queue_a.pk, "language": "en", "body": "Hi {customer_name}, {unknown}"}
    refused = client.post(reverse("admin:tickets_cannedreply_add"), data)
    assert "Unknown placeholder unknown" in refused.content.decode()
    data["body"] = "Hi {customer_name}"
    assert client.post(reverse("admin:tickets_cannedreply_add"), data).status_code == 302
    assert CannedReply.objects.get().queue == queue_a
    client.force_login(agent_a)
    assert client.get(reverse("admin:tickets_cannedreply_add")).status_code == 403


@pytest.mark.parametrize(
    "changelist",
    ["tickets_slapolicy_changelist", "tickets_businesscalendar_changelist", "tickets_cannedreply_changelist"],
)
def test_configuration_lists_run_a_constant_number_of_queries(
    changelist, client, supervisor, queue_a, django_assert_num_queries
):
    from tests.tickets.test_desk_admin import _count

    client.force_login(supervisor)
    url = reverse(f"admin:{changelist}")
    few = _count(client, url)
    for number in range(5):
        make_policy(every_priority(60), only=False, queue=queue_a, calendar=make_calendar())
        CannedReply.objects.create(title=f"Reply {number}", queue=queue_a, body="Hi")
    with django_assert_num_queries(few):
        client.get(url)
