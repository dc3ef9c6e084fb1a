"""The agent desk's ticket list in the admin: per-queue scoping, columns, filters, search, order, countdowns, bulk
actions and query counts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.tickets.factories import TXID, deposit_values, make_desk_ticket, make_problem_type, open_ticket
from tickets import admin as ticket_admin
from tickets.models import Message, Ticket, TicketEvent
from tickets.templatetags.desk import countdown_words, sla_badge

pytestmark = pytest.mark.django_db

LIST = reverse("admin:tickets_ticket_changelist")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ticket_a(queue_a):
    return make_desk_ticket(queue_a)


@pytest.fixture
def ticket_b(queue_b):
    return make_desk_ticket(queue_b)


def listed(response):
    assert response.status_code == 200
    return [ticket.reference for ticket in response.context["cl"].result_list]


def notes(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def act(client, action, tickets, query="", **data):
    """POST a bulk action from the list, as the action bar does (`apply` for the intermediate page's answer)."""
    payload = {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets], **data}
    if "apply" not in data:
        payload["index"] = 0
    return client.post(LIST + query, payload)


# Scoping


def url_of(name, ticket):
    return reverse(f"admin:tickets_ticket_{name}", args=[ticket.pk])


@pytest.mark.parametrize("name", ["change", "history", "delete"])
def test_an_agent_gets_a_404_for_every_page_of_another_queues_ticket(client, agent_a, ticket_b, name):
    client.force_login(agent_a)
    assert client.get(url_of(name, ticket_b)).status_code == 404
    assert client.post(url_of(name, ticket_b), {"do": "note", "note": "x", "version": 0}).status_code == 404


def test_a_missing_ticket_is_the_same_404_as_another_queues(client, agent_a, ticket_b):
    client.force_login(agent_a)
    foreign = client.get(url_of("change", ticket_b))
    missing = client.get(reverse("admin:tickets_ticket_change", args=[ticket_b.pk + 1000]))
    assert foreign.status_code == missing.status_code == 404


@pytest.mark.parametrize("name", ["change", "history"])
def test_the_agent_of_the_queue_and_a_supervisor_open_the_ticket(client, agent_a, supervisor, ticket_a, name):
    for user in (agent_a, supervisor):
        client.force_login(user)
        assert client.get(url_of(name, ticket_a)).status_code == 200


def test_agents_may_not_delete_even_their_own_queues_tickets(client, agent_a, ticket_a):
    client.force_login(agent_a)
    assert client.get(url_of("delete", ticket_a)).status_code == 403
    assert "delete_selected" not in client.get(LIST).content.decode()


def test_staff_without_desk_rights_and_outsiders_are_sent_to_log_in_or_refused(client, outsider, editor, ticket_a):
    client.force_login(outsider)
    assert client.get(url_of("change", ticket_a)).status_code == 302
    client.force_login(editor)  # staff, no ticket permission
    assert client.get(LIST).status_code == 403


def test_the_list_shows_an_agent_only_their_queues_tickets(client, agent_a, agent_b, supervisor, ticket_a, ticket_b):
    client.force_login(agent_a)
    assert listed(client.get(LIST)) == [ticket_a.reference]
    client.force_login(agent_b)
    assert listed(client.get(LIST)) == [ticket_b.reference]
    client.force_login(supervisor)
    assert sorted(listed(client.get(LIST))) == sorted([ticket_a.reference, ticket_b.reference])


def test_the_queue_filter_lists_only_the_agents_queues(client, agent_a, supervisor, queue_a, queue_b, ticket_a):
    queue_c = queue_b.__class__.objects.create(slug="queue-c", name="Queue C")
    queue_c.members.add(agent_a)
    client.force_login(agent_a)
    html = client.get(LIST).content.decode()
    assert "Queue A" in html and "Queue C" in html and "Queue B" not in html
    assert listed(client.get(LIST + f"?queue__id__exact={queue_b.pk}")) == []
    client.force_login(supervisor)
    assert "Queue B" in client.get(LIST).content.decode()


def test_the_queue_autocomplete_offers_only_the_agents_queues_and_accounts_are_not_listed(
    client, agent_a, queue_a, queue_b
):
    client.force_login(agent_a)
    url = reverse("admin:autocomplete")
    answer = client.get(url, {"app_label": "tickets", "model_name": "ticket", "field_name": "queue", "term": ""})
    assert [row["text"] for row in answer.json()["results"]] == ["Queue A"]
    users = client.get(url, {"app_label": "tickets", "model_name": "ticket", "field_name": "assignee", "term": ""})
    assert users.status_code == 403


def test_a_bulk_action_with_another_queues_ticket_changes_nothing_of_it(client, agent_a, ticket_a, ticket_b):
    client.force_login(agent_a)
    response = act(client, "assign_to_me", [ticket_a, ticket_b])
    assert response.status_code == 302
    ticket_a.refresh_from_db()
    ticket_b.refresh_from_db()
    assert ticket_a.assignee == agent_a and ticket_b.assignee is None
    assert not ticket_b.events.filter(kind=TicketEvent.Kind.ASSIGNED).exists()
    for action, data in [
        ("change_status", {"status": "solved"}),
        ("change_priority", {"priority": "urgent", "reason": ""}),
        ("escalate", {"reason": "help"}),
        ("merge", {"keep": ticket_a.pk}),
    ]:
        act(client, action, [ticket_a, ticket_b], apply="1", **data)
    ticket_b.refresh_from_db()
    assert (ticket_b.status, ticket_b.priority, ticket_b.escalation_level) == ("new", "normal", 0)
    assert list(ticket_b.events.values_list("kind", flat=True)) == ["opened"]


def test_the_intermediate_page_lists_only_the_agents_tickets(client, agent_a, ticket_a, ticket_b):
    client.force_login(agent_a)
    page = act(client, "escalate", [ticket_a, ticket_b])
    assert page.status_code == 200
    assert [t.reference for t in page.context["tickets"]] == [ticket_a.reference]
    assert ticket_b.reference not in page.content.decode()


def test_canned_replies_of_another_queue_are_not_listed_for_an_agent(client, agent_a, queue_a, queue_b):
    from tickets.models import CannedReply

    CannedReply.objects.create(title="Shared hello", body="Hi")
    CannedReply.objects.create(title="A only", body="Hi", queue=queue_a)
    other = CannedReply.objects.create(title="B only", body="Hi", queue=queue_b)
    client.force_login(agent_a)
    html = client.get(reverse("admin:tickets_cannedreply_changelist")).content.decode()
    assert "Shared hello" in html and "A only" in html and "B only" not in html
    assert client.get(reverse("admin:tickets_cannedreply_change", args=[other.pk])).status_code == 302  # not found


# Columns, default view, filters, search, order


def test_the_columns_show_the_ticket_its_requester_with_a_vip_badge_and_its_next_due(client, supervisor, queue_a):
    ticket = make_desk_ticket(
        queue_a, customer_tier="vip", priority="urgent", escalation_level=2, assignee=supervisor,
        sla_due_at=NOW + timedelta(hours=1, minutes=20), sla_warn_at=NOW + timedelta(hours=1),
    )  # fmt: skip
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        html = client.get(LIST).content.decode()
    for text in (ticket.reference, ticket.subject, ticket.customer_email, "Queue A", ticket.problem_type.name, "New",
                 "Urgent", "supervisor", "in 1 h 20 m"):  # fmt: skip
        assert text in html
    assert 'class="desk-badge desk-badge-vip"' in html and 'class="desk-badge desk-badge-escalated">2<' in html
    assert f'data-sla-due="{ticket.sla_due_at.isoformat()}"' in html and "desk-sla-ok" in html
    assert 'id="desk-sla-words"' in html and "js/desk-admin" in html


def test_the_default_view_is_the_open_tickets_and_any_status_shows_the_rest(client, supervisor, queue_a):
    open_one = make_desk_ticket(queue_a, status="open")
    solved = make_desk_ticket(queue_a, status="solved")
    closed = make_desk_ticket(queue_a, status="closed")
    client.force_login(supervisor)
    assert listed(client.get(LIST)) == [open_one.reference]
    assert listed(client.get(LIST + "?status=solved")) == [solved.reference]
    assert sorted(listed(client.get(LIST + "?status=any"))) == sorted(
        [open_one.reference, solved.reference, closed.reference]
    )
    assert listed(client.get(LIST + "?status=nonsense")) == []


@pytest.mark.parametrize(
    "query,expected",
    [
        ("?assignee=me", ["mine"]),
        ("?assignee=none", ["at_risk", "breached", "paused", "vip", "secret", "escalated"]),
        ("?sla=at_risk", ["at_risk"]),
        ("?sla=breached", ["breached"]),
        ("?sla=none", ["paused"]),
        ("?escalated=yes", ["escalated"]),
        ("?vip=yes", ["vip"]),
        ("?secret_exposed=yes", ["secret"]),
        ("?priority__exact=high", ["mine"]),
    ],
)
def test_each_filter_keeps_the_tickets_it_names(client, supervisor, queue_a, query, expected):
    later = NOW + timedelta(hours=3)
    tickets = {
        "mine": make_desk_ticket(queue_a, assignee=supervisor, priority="high", sla_due_at=later),
        "at_risk": make_desk_ticket(queue_a, sla_warn_at=NOW - timedelta(minutes=1), sla_due_at=NOW + timedelta(1)),
        "breached": make_desk_ticket(queue_a, sla_due_at=NOW - timedelta(minutes=12)),
        "paused": make_desk_ticket(queue_a, sla_due_at=None),
        "vip": make_desk_ticket(queue_a, customer_tier="vip", sla_due_at=later),
        "secret": make_desk_ticket(queue_a, secrets_removed=["seed_phrase"], sla_due_at=later),
        "escalated": make_desk_ticket(queue_a, escalation_level=1, sla_due_at=later),
    }
    names = {ticket.reference: name for name, ticket in tickets.items()}
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        found = [names[reference] for reference in listed(client.get(LIST + query))]
    assert sorted(found) == sorted(expected)


def test_search_finds_a_reference_by_its_start_an_email_in_any_case_a_uid_a_txid_and_subject_words(
    client, supervisor, queue_a
):
    kinds = make_problem_type(queue=queue_a)
    target, _token = open_ticket(kinds, email="Carol@Example.com", uid="778899", subject="Withdrawal stuck on chain")
    other, _token = open_ticket(kinds, fields=deposit_values(txid="cd" * 32), subject="Something else")
    client.force_login(supervisor)
    for term in (target.reference[:6].lower(), target.reference, "carol@example.COM", "778899", TXID,
                 TXID.upper(), "stuck on", "WITHDRAWAL"):  # fmt: skip
        assert listed(client.get(LIST, {"q": term})) == [target.reference], term
    assert listed(client.get(LIST, {"q": "cd" * 32})) == [other.reference]
    assert listed(client.get(LIST, {"q": "carol@example"})) == []  # an email address is matched whole
    assert listed(client.get(LIST, {"q": "   "})) != []


def test_the_list_is_ordered_by_the_next_due_time_with_tickets_without_one_last(client, supervisor, queue_a):
    none = make_desk_ticket(queue_a, sla_due_at=None)
    late = make_desk_ticket(queue_a, sla_due_at=NOW + timedelta(hours=5))
    soon = make_desk_ticket(queue_a, sla_due_at=NOW + timedelta(minutes=5))
    overdue = make_desk_ticket(queue_a, sla_due_at=NOW - timedelta(hours=1))
    client.force_login(supervisor)
    assert listed(client.get(LIST)) == [overdue.reference, soon.reference, late.reference, none.reference]
    column = ticket_admin.TicketAdmin.list_display.index("sla_due") + 1  # after the action checkbox
    assert listed(client.get(LIST + f"?o=-{column}")) == [none.reference, late.reference, soon.reference,
                                                         overdue.reference]  # fmt: skip


# Countdown badges


@pytest.mark.parametrize(
    "due,warn,state,text",
    [
        (NOW + timedelta(hours=1, minutes=20), NOW + timedelta(hours=1), "ok", "in 1 h 20 m"),
        (NOW + timedelta(minutes=8), NOW - timedelta(minutes=2), "risk", "in 8 m"),
        (NOW - timedelta(minutes=12), NOW - timedelta(minutes=30), "breached", "12 m overdue"),
        (NOW + timedelta(days=2, hours=3, seconds=1), None, "ok", "in 2 d 3 h"),
        (NOW + timedelta(seconds=20), None, "ok", "in 1 m"),
        (NOW, None, "breached", "0 m overdue"),
    ],
)
def test_the_countdown_badge_is_green_amber_when_at_risk_and_red_when_breached(due, warn, state, text):
    html = sla_badge(due, warn, now=NOW)
    assert f'class="desk-sla desk-sla-{state}"' in html
    assert f">{text}</time>" in html
    assert f'data-sla-due="{due.isoformat()}"' in html


def test_a_ticket_without_a_running_clock_says_so_instead_of_a_countdown():
    assert "no running clock" in sla_badge(None)


def test_the_countdown_follows_the_frozen_clock_in_the_list(client, supervisor, queue_a):
    make_desk_ticket(queue_a, sla_due_at=NOW + timedelta(minutes=30), sla_warn_at=NOW + timedelta(minutes=20))
    client.force_login(supervisor)
    for moment, state, text in [
        (NOW, "ok", "in 30 m"),
        (NOW + timedelta(minutes=25), "risk", "in 5 m"),
        (NOW + timedelta(minutes=42), "breached", "12 m overdue"),
    ]:
        with time_machine.travel(moment, tick=False):
            html = client.get(LIST).content.decode()
        assert f"desk-sla-{state}" in html and f">{text}<" in html


def test_the_countdown_words_are_translated(settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert countdown_words(80 * 60) != "in 1 h 20 m"


# Bulk actions


def test_assign_to_me_assigns_through_the_action_with_an_event(client, agent_a, queue_a):
    tickets = [make_desk_ticket(queue_a) for _ in range(2)]
    client.force_login(agent_a)
    response = act(client, "assign_to_me", tickets)
    assert "2 tickets are now yours." in notes(response)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == agent_a and ticket.version == 1
        assert ticket.events.get(kind=TicketEvent.Kind.ASSIGNED).actor == agent_a


def test_assign_to_offers_only_people_who_can_work_the_queue_then_assigns(
    client, agent_a, agent_b, supervisor, queue_a, django_user_model
):
    colleague = django_user_model.objects.create_user("colleague", is_staff=True)
    queue_a.members.add(colleague)
    ticket = make_desk_ticket(queue_a)
    client.force_login(agent_a)
    page = act(client, "assign_to", [ticket])
    assert page.status_code == 200
    offered = {user.username for user in page.context["form"].fields["assignee"].queryset}
    assert offered == {"agent-a", "colleague", "supervisor"}
    response = act(client, "assign_to", [ticket], apply="1", assignee=colleague.pk)
    assert response.status_code == 302 and "1 ticket was assigned." in notes(response)
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    refused = act(client, "assign_to", [ticket], apply="1", assignee=agent_b.pk)
    assert refused.status_code == 200  # not offered: the page again with the error
    assert "Select a valid choice" in refused.content.decode()


def test_assigning_tickets_of_two_queues_reports_the_one_the_person_cannot_work(
    client, supervisor, queue_a, queue_b, agent_a
):
    in_a, in_b = make_desk_ticket(queue_a), make_desk_ticket(queue_b)
    client.force_login(supervisor)
    response = act(client, "assign_to", [in_a, in_b], query="?status=any", apply="1", assignee=agent_a.pk)
    messages = notes(response)
    assert f"{in_b.reference}: agent-a does not work the Queue B queue." in messages
    assert "1 ticket was assigned." in messages
    in_a.refresh_from_db()
    in_b.refresh_from_db()
    assert in_a.assignee == agent_a and in_b.assignee is None


def test_change_status_reports_a_forbidden_transition_per_ticket_and_moves_the_others(client, agent_a, queue_a):
    open_one = make_desk_ticket(queue_a, status="open")
    closed = make_desk_ticket(queue_a, status="closed")
    client.force_login(agent_a)
    page = act(client, "change_status", [open_one, closed], query="?status=any")
    assert page.status_code == 200 and closed.reference in page.content.decode()
    response = act(client, "change_status", [open_one, closed], query="?status=any", apply="1", status="pending")
    assert response.status_code == 302
    messages = notes(response)
    assert f"{closed.reference}: A Closed ticket cannot become Pending (waiting on customer)." in messages
    assert "1 ticket was updated." in messages
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert (open_one.status, closed.status) == ("pending", "closed")
    assert open_one.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED, actor=agent_a).exists()


def test_change_priority_records_the_reason(client, agent_a, queue_a):
    ticket = make_desk_ticket(queue_a)
    client.force_login(agent_a)
    act(client, "change_priority", [ticket], apply="1", priority="high", reason="Large amount")
    event = ticket.events.get(kind=TicketEvent.Kind.PRIORITY_CHANGED)
    assert event.data == {"from": "normal", "to": "high", "reason": "Large amount"}


def test_escalate_asks_for_a_reason_then_escalates_each_ticket(client, agent_a, queue_a):
    tickets = [make_desk_ticket(queue_a), make_desk_ticket(queue_a, status="solved")]
    client.force_login(agent_a)
    missing = act(client, "escalate", tickets, query="?status=any", apply="1", reason="  ")
    assert missing.status_code == 200 and "This field is required." in missing.content.decode()
    response = act(client, "escalate", tickets, query="?status=any", apply="1", reason="Chain team needed")
    messages = notes(response)
    assert f"{tickets[1].reference}: A solved or closed ticket cannot be escalated." in messages
    assert "1 ticket was escalated." in messages
    tickets[0].refresh_from_db()
    assert tickets[0].escalation_level == 1
    assert tickets[0].events.get(kind=TicketEvent.Kind.ESCALATED).data["reason"] == "Chain team needed"


def test_merge_asks_which_ticket_to_keep_moves_the_conversations_and_closes_the_duplicates(client, agent_a, queue_a):
    keep, duplicate, closed = make_desk_ticket(queue_a), make_desk_ticket(queue_a), make_desk_ticket(queue_a)
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    client.force_login(agent_a)
    page = act(client, "merge", [keep, duplicate, closed], query="?status=any")
    assert page.status_code == 200
    assert {choice[0] for choice in page.context["form"].fields["keep"].choices} == {keep.pk, duplicate.pk, closed.pk}
    response = act(client, "merge", [keep, duplicate, closed], query="?status=any", apply="1", keep=keep.pk)
    messages = notes(response)
    assert f"{closed.reference}: {closed.reference} is closed and cannot be merged." in messages
    assert f"1 ticket was merged into {keep.reference}." in messages
    duplicate.refresh_from_db()
    assert duplicate.status == "closed"
    assert keep.messages.filter(author=Message.Author.CUSTOMER).count() == 2
    assert duplicate.messages.get().body == f"Merged into {keep.reference}."


def test_merge_needs_two_tickets(client, agent_a, ticket_a):
    client.force_login(agent_a)
    assert "Choose at least two tickets to merge." in notes(act(client, "merge", [ticket_a]))


def test_a_bulk_action_refuses_more_tickets_than_its_limit(client, agent_a, queue_a, monkeypatch):
    monkeypatch.setattr(ticket_admin, "BULK_LIMIT", 2)
    tickets = [make_desk_ticket(queue_a) for _ in range(3)]
    client.force_login(agent_a)
    assert "Choose at most 2 tickets at a time." in notes(act(client, "assign_to_me", tickets))
    assert not Ticket.objects.exclude(assignee=None).exists()


def test_a_tampered_selection_is_not_a_server_error(client, agent_a, ticket_a):
    client.force_login(agent_a)
    response = client.post(LIST, {"action": "assign_to_me", "index": 0, ACTION_CHECKBOX_NAME: ["x1"]})
    assert response.status_code == 400
    ticket_a.refresh_from_db()
    assert ticket_a.assignee is None


# Speed at scale


def test_the_list_never_counts_the_whole_table(client, supervisor, queue_a, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(ticket_admin.EstimatedCountPaginator, "CAP", 3)
    for _ in range(5):
        make_desk_ticket(queue_a)
    client.force_login(supervisor)
    response = client.get(LIST)
    cl = response.context["cl"]
    assert cl.full_result_count is None and cl.paginator.capped
    html = response.content.decode()
    if connection.vendor == "postgresql":  # the planner's estimate, whatever it is, said as one
        assert cl.paginator.estimated == (cl.result_count > 4)
        assert f"about {cl.result_count} tickets" in html or "more than 3 tickets" in html
    else:
        assert cl.result_count == 4 and "more than 3 tickets" in html


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


@pytest.mark.parametrize("who", ["agent_a", "supervisor"])
def test_the_list_runs_as_many_queries_for_50_tickets_as_for_5(
    client, request, queue_a, who, django_assert_num_queries
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    people = [request.getfixturevalue("supervisor"), request.getfixturevalue("agent_a")]
    for number in range(5):
        make_desk_ticket(queue_a, assignee=people[number % 2], customer_tier="vip", sla_due_at=NOW)
    url = LIST + "?sla=breached"
    five = _count(client, url)
    assert len(client.get(url).context["cl"].result_list) == 5
    for number in range(45):
        make_desk_ticket(queue_a, assignee=people[number % 2], escalation_level=1, sla_due_at=NOW)
    with django_assert_num_queries(five):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 50
