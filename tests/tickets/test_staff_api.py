"""The staff ticket API: who gets in, what they see, every filter and ordering, cursor pages, and the actions."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.tickets.factories import make_queue, make_ticket
from tickets import actions
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/staff/tickets/"
NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
CONFLICT = "Someone else changed this ticket while you were working on it"
# A ticket's detail: the token, permissions (2), the ticket, its type's fields, messages, their files, events, clocks.
DETAIL_QUERIES = 9


def api(user=None, *, token=False, csrf=False):
    """A client that is anonymous, logged in to the admin session as `user`, or sending `user`'s API token."""
    client = APIClient(headers={"accept-language": "en"}, enforce_csrf_checks=csrf)
    if user is not None and token:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    elif user is not None:
        client.force_login(user)
    return client


def ticket_in(queue, **columns):
    """A ticket opened in `queue`, then with `columns` set directly (states the test needs, without their history)."""
    ticket = make_ticket(queue=queue, language="en")
    if columns:
        Ticket.objects.filter(pk=ticket.pk).update(**columns)
    ticket.refresh_from_db()
    return ticket


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def detail(ticket):
    return f"{TICKETS}{ticket.pk}/"


def post(client, ticket, endpoint, body):
    return client.post(f"{detail(ticket)}{endpoint}/", body, format="json")


# Authentication


def test_anonymous_callers_get_401_with_a_message_and_the_token_scheme(queue_a):
    ticket = ticket_in(queue_a)
    for response in (api().get(TICKETS), api().get(detail(ticket)), post(api(), ticket, "note", {"body": "x"})):
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == "Token"
    assert ticket.messages.count() == 1


def test_accounts_that_are_not_desk_staff_get_403_and_see_nothing(outsider, kb_editor, queue_a):
    ticket = ticket_in(queue_a)
    queue_a.members.add(outsider, kb_editor)
    for client in (api(outsider), api(outsider, token=True)):
        for response in (client.get(TICKETS), client.get(detail(ticket)), post(client, ticket, "note", {"body": "x"})):
            assert response.status_code == 403
            assert response.json() == {"detail": "The ticket API is for desk staff only."}
    response = api(kb_editor, token=True).get(TICKETS)
    assert response.status_code == 403
    assert response.json() == {"detail": "Your account may not work tickets."}
    assert ticket.messages.count() == 1


def test_a_token_authenticates_reads_and_writes_without_a_csrf_token(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a, token=True, csrf=True)
    assert ids(client.get(TICKETS)) == [ticket.pk]
    response = post(client, ticket, "note", {"body": "Checked the chain."})
    assert response.status_code == 200
    assert response.json()["messages"][-1]["author_user"]["username"] == "agent-a"


def test_a_wrong_token_or_one_of_an_inactive_account_is_401(agent_a, queue_a):
    ticket_in(queue_a)
    wrong = APIClient(headers={"accept-language": "en"})
    wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert wrong.get(TICKETS).status_code == 401
    client = api(agent_a, token=True)
    agent_a.is_active = False
    agent_a.save()
    response = client.get(TICKETS)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_session_writes_need_the_csrf_token_and_reads_do_not(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a, csrf=True)
    assert ids(client.get(TICKETS)) == [ticket.pk]
    refused = post(client, ticket, "note", {"body": "x"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.cookies["csrftoken"] = "a" * 32
    accepted = client.post(f"{detail(ticket)}note/", {"body": "x"}, format="json", headers={"x-csrftoken": "a" * 32})
    assert accepted.status_code == 200
    assert ticket.messages.filter(kind=Message.Kind.INTERNAL).count() == 1


def test_an_inactive_staff_session_is_anonymous(agent_a, queue_a):
    ticket_in(queue_a)
    client = api(agent_a)
    agent_a.is_active = False
    agent_a.save()
    assert client.get(TICKETS).status_code == 401


def test_tokens_are_made_in_the_admin_for_active_staff_only(superuser, agent_a, outsider):
    client = api(superuser)
    page = client.get(reverse("admin:authtoken_tokenproxy_add")).content.decode()
    assert f'value="{agent_a.pk}"' in page
    assert f'value="{outsider.pk}"' not in page
    response = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": agent_a.pk})
    assert response.status_code == 302
    assert Token.objects.filter(user=agent_a).exists()
    client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": outsider.pk})
    assert not Token.objects.filter(user=outsider).exists()


# Scoping


def test_agents_list_only_their_queues_and_supervisors_every_queue(
    agent_a, agent_b, supervisor, superuser, queue_a, queue_b
):
    a, b = ticket_in(queue_a), ticket_in(queue_b)
    assert ids(api(agent_a, token=True).get(TICKETS)) == [a.pk]
    assert ids(api(agent_b).get(TICKETS)) == [b.pk]
    assert sorted(ids(api(supervisor).get(TICKETS))) == [a.pk, b.pk]
    assert sorted(ids(api(superuser, token=True).get(TICKETS))) == [a.pk, b.pk]


# Valid bodies for every action, for the tests that must not fail on the body (scoping, unknown keys, versions).
ACTIONS = {
    "reply": {"body": "We are checking."},
    "note": {"body": "Asked the wallet team."},
    "assign": {"assignee": None},
    "status": {"status": "pending"},
    "priority": {"priority": "high"},
    "escalate": {"reason": "Large amount."},
    "de-escalate": {"reason": "Handled."},
    "move": {"queue": "queue-a"},
}


def test_another_queues_ticket_is_404_on_detail_and_on_every_action(agent_a, supervisor, queue_a, queue_b):
    other = ticket_in(queue_b, escalation_level=1)
    client = api(agent_a, token=True)
    assert client.get(detail(other)).status_code == 404
    for endpoint, body in ACTIONS.items():
        response = post(client, other, endpoint, body)
        assert response.status_code == 404, endpoint
        assert response.json() == {"detail": "No Ticket matches the given query."}
    other.refresh_from_db()
    assert other.version == 0 and other.queue == queue_b
    assert api(supervisor).get(detail(other)).status_code == 200


@pytest.mark.parametrize("number", [str(2**63), "99999999999999999999", "-1", "abc"])
def test_ids_that_are_no_ticket_are_404(agent_a, queue_a, number):
    ticket_in(queue_a)
    client = api(agent_a)
    assert client.get(f"{TICKETS}{number}/").status_code == 404
    assert client.post(f"{TICKETS}{number}/note/", {"body": "x"}, format="json").status_code == 404


# Filters


@pytest.fixture
def desk(queue_a, queue_b, agent_a, supervisor):
    """Tickets in both queues in different states; the supervisor sees them all."""
    other = make_queue(slug="desk-other", name="Other desk")
    return {
        "a_new": ticket_in(queue_a),
        "a_open": ticket_in(queue_a, status="open", priority="high", assignee=agent_a),
        "b_pending": ticket_in(queue_b, status="pending", priority="urgent", assignee=supervisor),
        "b_vip": ticket_in(queue_b, customer_tier="vip", escalation_level=2),
        "payments": ticket_in(other, escalation_level=1, customer_uid="880011", customer_email="Mia@Example.com"),
    }


def listed(client, desk, **params):
    names = {ticket.pk: name for name, ticket in desk.items()}
    return sorted(names[pk] for pk in ids(client.get(TICKETS, params)))


def test_queue_filter_takes_an_id_or_a_slug(supervisor, desk, queue_b):
    client = api(supervisor)
    assert listed(client, desk, queue=queue_b.pk) == ["b_pending", "b_vip"]
    assert listed(client, desk, queue="desk-other") == ["payments"]
    assert listed(client, desk, queue="nowhere") == []
    assert listed(client, desk, queue="99999999999999999999") == []


def test_agents_filtering_by_another_queue_still_see_nothing_of_it(agent_a, desk, queue_b):
    assert listed(api(agent_a), desk, queue=queue_b.pk) == []


def test_status_and_priority_filters_match_any_of_several_values(supervisor, desk):
    client = api(supervisor)
    assert listed(client, desk, status=["open", "pending"]) == ["a_open", "b_pending"]
    assert listed(client, desk, status="new") == ["a_new", "b_vip", "payments"]
    assert listed(client, desk, priority=["high", "urgent"]) == ["a_open", "b_pending"]
    assert listed(client, desk, priority="normal", status="new") == ["a_new", "b_vip", "payments"]


def test_assignee_filter_takes_an_id_me_or_none(supervisor, agent_a, desk):
    client = api(supervisor)
    assert listed(client, desk, assignee=agent_a.pk) == ["a_open"]
    assert listed(client, desk, assignee="me") == ["b_pending"]
    assert listed(api(agent_a), desk, assignee="me") == ["a_open"]
    assert listed(client, desk, assignee="none") == ["a_new", "b_vip", "payments"]


def test_escalation_level_filters_exactly_or_from_a_minimum(supervisor, desk):
    client = api(supervisor)
    assert listed(client, desk, escalation_level=1) == ["payments"]
    assert listed(client, desk, escalation_level_min=1) == ["b_vip", "payments"]
    assert listed(client, desk, escalation_level=0) == ["a_new", "a_open", "b_pending"]


def test_vip_filter_keeps_or_leaves_out_vip_customers(supervisor, desk):
    client = api(supervisor)
    assert listed(client, desk, vip="true") == ["b_vip"]
    assert listed(client, desk, vip="false") == ["a_new", "a_open", "b_pending", "payments"]


def test_search_matches_part_of_the_reference_email_or_uid(supervisor, desk):
    client = api(supervisor)
    reference = desk["a_open"].reference
    assert listed(client, desk, q=reference) == ["a_open"]
    assert listed(client, desk, q=reference[3:].lower()) == ["a_open"]
    assert listed(client, desk, q="mia@example") == ["payments"]
    assert listed(client, desk, q="0011") == ["payments"]
    assert listed(client, desk, q="nobody-at-all") == []


def test_created_and_updated_ranges_include_the_start_and_exclude_the_end(supervisor, desk):
    for offset, name in enumerate(desk.values()):
        Ticket.objects.filter(pk=name.pk).update(
            created_at=NOW + timedelta(days=offset), updated_at=NOW + timedelta(days=10 - offset)
        )
    client = api(supervisor)
    day = timedelta(days=1)
    assert listed(client, desk, created_after=(NOW + day).isoformat()) == ["a_open", "b_pending", "b_vip", "payments"]
    assert listed(client, desk, created_before=(NOW + day).isoformat()) == ["a_new"]
    both = {"created_after": (NOW + day).isoformat(), "created_before": (NOW + 3 * day).isoformat()}
    assert listed(client, desk, **both) == ["a_open", "b_pending"]
    assert listed(client, desk, updated_after=(NOW + 9 * day).isoformat()) == ["a_new", "a_open"]
    assert listed(client, desk, updated_before=(NOW + 7 * day).isoformat()) == ["payments"]


def test_sla_filter_sorts_tickets_by_where_their_next_due_time_stands(supervisor, queue_a):
    hour = timedelta(hours=1)
    tickets = {
        "breached": ticket_in(queue_a, sla_warn_at=NOW - 2 * hour, sla_due_at=NOW - hour),
        "due_now": ticket_in(queue_a, sla_warn_at=NOW - hour, sla_due_at=NOW),
        "at_risk": ticket_in(queue_a, sla_warn_at=NOW - hour, sla_due_at=NOW + hour),
        "warned_now": ticket_in(queue_a, sla_warn_at=NOW, sla_due_at=NOW + hour),
        "ok": ticket_in(queue_a, sla_warn_at=NOW + hour, sla_due_at=NOW + 2 * hour),
        "ok_unwarned": ticket_in(queue_a, sla_warn_at=None, sla_due_at=NOW + hour),
        "none": ticket_in(queue_a, sla_warn_at=None, sla_due_at=None),
    }
    client = api(supervisor)
    with time_machine.travel(NOW, tick=False):
        assert listed(client, tickets, sla="breached") == ["breached", "due_now"]
        assert listed(client, tickets, sla="at_risk") == ["at_risk", "warned_now"]
        assert listed(client, tickets, sla="ok") == ["ok", "ok_unwarned"]
        assert listed(client, tickets, sla="none") == ["none"]
        states = {row["id"]: row["sla_state"] for row in client.get(TICKETS).json()["results"]}
    same_as = {"due_now": "breached", "warned_now": "at_risk", "ok_unwarned": "ok"}
    for name, ticket in tickets.items():
        assert states[ticket.pk] == same_as.get(name, name)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "deleted"},
        {"priority": "whenever"},
        {"assignee": "bob"},
        {"assignee": "99999999999999999999"},
        {"sla": "late"},
        {"escalation_level": "1.5"},
        {"escalation_level_min": "-1"},
        {"escalation_level": "99999999"},
        {"created_after": "yesterday"},
        {"updated_before": "9999-12-31T23:59:59-14:00"},
        {"vip": "maybe"},
        {"q": "x" * 201},
        {"queue": "q" * 51},
    ],
)
def test_malformed_filter_values_are_400_naming_the_parameter(supervisor, desk, params):
    response = api(supervisor).get(TICKETS, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)
    assert response.json()[next(iter(params))][0]


@pytest.mark.parametrize(
    "params",
    [
        {"assignee__password__startswith": "x"},
        {"queue__members__username": "agent-a"},
        {"customer_email": "a@example.com"},
        {"page": "2"},
        {"search": "x"},
    ],
)
def test_undeclared_filters_are_400_not_ignored(supervisor, desk, params):
    response = api(supervisor).get(TICKETS, params)
    assert response.status_code == 400
    name = next(iter(params))
    assert response.json()[name][0].startswith("Unknown parameter. Use only: assignee, created_after")


@pytest.mark.parametrize(
    "ordering", ["assignee__password", "-assignee__password", "id", "customer_email", "priority,subject", "?"]
)
def test_undeclared_orderings_are_400_not_ignored(supervisor, desk, ordering):
    response = api(supervisor).get(TICKETS, {"ordering": ordering})
    assert response.status_code == 400
    assert response.json() == {
        "ordering": [
            "Order by sla_due_at, created_at, updated_at, priority, escalation_level, reference "
            "(a leading - reverses), separated by commas."
        ]
    }


# Ordering and cursor pages

RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
ORDERINGS = [
    "-created_at", "created_at", "updated_at", "-updated_at", "sla_due_at", "-sla_due_at", "priority", "-priority",
    "escalation_level", "-escalation_level", "reference", "-reference", "-priority,sla_due_at",
    "escalation_level,-created_at",
]  # fmt: skip


def expected_order(tickets, ordering):
    """Ticket ids in `ordering`: the fields in turn (empty values last either way), then id in the last one's sense."""
    names = ordering.split(",")
    rows = sorted(tickets, key=lambda t: t.pk, reverse=names[-1].startswith("-"))
    for name in reversed(names):
        field = name.removeprefix("-")

        def value(ticket, field=field):
            return RANK[ticket.priority] if field == "priority" else getattr(ticket, field)

        present = [t for t in rows if value(t) is not None]
        rows = sorted(present, key=value, reverse=name.startswith("-")) + [t for t in rows if value(t) is None]
    return [t.pk for t in rows]


@pytest.fixture
def ties(queue_a):
    """Eleven tickets with many equal values in every ordering field (and tickets without an SLA due time)."""
    priorities = ["low", "normal", "normal", "high", "urgent"]
    tickets = []
    for n in range(11):
        tickets.append(
            ticket_in(
                queue_a,
                created_at=NOW + timedelta(minutes=n // 3),
                updated_at=NOW + timedelta(minutes=n % 2),
                sla_due_at=None if n % 4 == 0 else NOW + timedelta(hours=n % 3),
                priority=priorities[n % len(priorities)],
                escalation_level=n % 2,
            )
        )
    return tickets


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_each_declared_ordering_sorts_with_ties_broken_by_id(supervisor, ties, ordering):
    response = api(supervisor).get(TICKETS, {"ordering": ordering, "page_size": 100})
    assert ids(response) == expected_order(ties, ordering)


def test_the_default_order_is_newest_first(supervisor, ties):
    assert ids(api(supervisor).get(TICKETS)) == expected_order(ties, "-created_at")


def walk(client, params):
    """Every page from the first by `next`, then back from the last by `previous`: (pages forward, pages back)."""
    forward, response = [], client.get(TICKETS, params)
    while True:
        forward.append(ids(response))
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    backward = [forward[-1]]
    while response.json()["previous"]:
        response = client.get(response.json()["previous"])
        backward.append(ids(response))
    return forward, backward


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_cursor_pages_cover_every_ticket_once_forwards_and_backwards(supervisor, ties, ordering):
    forward, backward = walk(api(supervisor), {"ordering": ordering, "page_size": 2})
    assert [pk for page in forward for pk in page] == expected_order(ties, ordering)
    assert [len(page) for page in forward] == [2, 2, 2, 2, 2, 1]
    assert backward == forward[::-1]


def test_cursor_pages_keep_filters_and_the_first_page_has_no_previous_link(supervisor, ties):
    client = api(supervisor)
    first = client.get(TICKETS, {"priority": "normal", "page_size": 3}).json()
    assert first["previous"] is None
    forward, _back = walk(client, {"priority": "normal", "page_size": 3})
    normal = [t for t in ties if t.priority == "normal"]
    assert [pk for page in forward for pk in page] == expected_order(normal, "-created_at")


def test_a_ticket_changing_between_pages_shifts_nothing_already_seen(supervisor, ties):
    client = api(supervisor)
    first = client.get(TICKETS, {"ordering": "created_at", "page_size": 4}).json()
    newer = ticket_in(ties[0].queue, created_at=NOW - timedelta(days=1))
    second = client.get(first["next"]).json()
    seen = [row["id"] for row in first["results"] + second["results"]]
    assert seen == expected_order(ties, "created_at")[:8]
    assert newer.pk not in seen


def test_a_forged_cursor_or_one_of_another_ordering_is_400(supervisor, ties):
    client = api(supervisor)
    assert client.get(TICKETS, {"cursor": "forged"}).status_code == 400
    next_link = client.get(TICKETS, {"ordering": "priority", "page_size": 2}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]
    response = client.get(TICKETS, {"ordering": "reference", "cursor": cursor})
    assert response.status_code == 400
    assert response.json()["cursor"] == ["This cursor is not valid for this ordering: start from the first page."]


@pytest.mark.parametrize("size", ["0", "101", "lots", "-3", "99999999999999999999"])
def test_page_sizes_outside_1_to_100_are_400(supervisor, ties, size):
    response = api(supervisor).get(TICKETS, {"page_size": size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1 to 100."]}


# Query counts


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_constant_number_of_queries(agent_a, agent_b, queue_a, count, django_assert_num_queries):
    for n in range(count):
        ticket_in(queue_a, assignee=agent_a if n % 2 else None, customer_tier="vip" if n % 3 else "standard")
    client = api(agent_a, token=True)
    # The token with its user, the user's and their groups' permissions, the page.
    with django_assert_num_queries(4):
        assert len(ids(client.get(TICKETS, {"page_size": 100}))) == count


@pytest.mark.parametrize("count", [3, 30])
def test_the_filtered_list_of_a_supervisor_runs_a_constant_number_of_queries(
    supervisor, agent_a, queue_a, queue_b, count, django_assert_num_queries
):
    for n in range(count):
        ticket_in(queue_a if n % 2 else queue_b, assignee=agent_a, priority="high")
    client = api(supervisor)
    params = {"page_size": 100, "ordering": "-priority,sla_due_at", "status": ["new", "open"], "assignee": agent_a.pk}
    # The user (the session is in the cache), the user's and their groups' permissions, the page.
    with django_assert_num_queries(4):
        assert len(ids(client.get(TICKETS, params))) == count


@pytest.mark.parametrize("count", [1, 10])
def test_the_detail_runs_a_constant_number_of_queries(agent_a, queue_a, count, django_assert_num_queries):
    ticket = ticket_in(queue_a)
    for n in range(count):
        actions.add_note(ticket=ticket, author=agent_a, body=f"Note {n}")
    client = api(agent_a, token=True)
    with django_assert_num_queries(DETAIL_QUERIES):
        assert len(client.get(detail(ticket)).json()["messages"]) == count + 1


# Detail


def test_detail_has_typed_fields_the_conversation_with_notes_marked_clocks_events_and_version(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    actions.add_agent_reply(ticket=ticket, author=agent_a, body="Checking now.")
    actions.add_note(ticket=ticket, author=agent_a, body="Looks like a wrong network.")
    body = api(agent_a).get(detail(ticket)).json()

    assert body["reference"] == ticket.reference
    assert body["version"] == 3  # the reply, the status it set, the note
    assert body["status"] == "open"
    assert body["field_values"]["network"] == "TRC20"
    assert {"label": "Network", "value": "Tron (TRC20)"} in body["field_items"]
    assert [(m["author"], m["internal"]) for m in body["messages"]] == [
        ("customer", False),
        ("agent", False),
        ("agent", True),
    ]
    assert body["messages"][2]["kind"] == "internal"
    assert body["messages"][2]["author_user"] == {"id": agent_a.pk, "username": "agent-a", "name": "agent-a"}
    resolution = next(clock for clock in body["clocks"] if clock["metric"] == "resolution")
    assert resolution["state"] == "running" and resolution["breached"] is False and resolution["due_at"]
    assert resolution["explanation"]["policy"] == "Standard"
    assert resolution["explanation"]["calendar"] == "24x7"
    first = next(clock for clock in body["clocks"] if clock["metric"] == "first_response")
    assert first["state"] == "fulfilled"
    kinds = [event["kind"] for event in body["events"]]
    assert kinds[:1] == ["opened"] and {"agent_replied", "status_changed", "note_added"} <= set(kinds)
    assert body["events"][-1]["actor"]["username"] == "agent-a"


def test_a_clock_past_its_due_time_is_breached_before_the_sweep_records_it(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=30), tick=False):
        clocks = api(agent_a).get(detail(ticket)).json()["clocks"]
    assert clocks and all(clock["breached"] and clock["breached_at"] is None for clock in clocks)


# Actions


def test_reply_sends_a_public_reply_and_opens_a_new_ticket(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    response = post(api(agent_a), ticket, "reply", {"body": "Please send a screenshot.", "version": 0})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open" and body["version"] > 0
    assert body["messages"][-1]["body"] == "Please send a screenshot."
    assert body["messages"][-1]["internal"] is False
    message = ticket.messages.last()
    assert (message.kind, message.author, message.author_user) == ("public", "agent", agent_a)


def test_reply_can_set_a_status_with_it(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    assert post(api(agent_a), ticket, "reply", {"body": "Waiting for you.", "status": "pending"}).json()["status"] == (
        "pending"
    )


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"body": ["Write something first."]}),
        ({"body": "   "}, {"body": ["Write something first."]}),
        ({"body": "x", "status": "bogus"}, {"status": ["Unknown status."]}),
        ({"body": "x", "status": "new"}, {"status": ["A Open ticket cannot become New."]}),
    ],
)
def test_reply_refusals_are_400_with_the_actions_message(agent_a, queue_a, payload, errors):
    ticket = ticket_in(queue_a, status="open")
    response = post(api(agent_a), ticket, "reply", payload)
    assert response.status_code == 400
    assert response.json() == errors
    assert ticket.messages.count() == 1


def test_a_closed_ticket_takes_no_reply(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    actions.change_status(ticket=ticket, status="closed", actor=agent_a)
    response = post(api(agent_a), ticket, "reply", {"body": "Hello?"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This ticket is closed: it takes no more replies."]}


def test_note_adds_an_internal_note_through_the_secrets_guard(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    response = post(api(agent_a, token=True), ticket, "note", {"body": "Customer wrote password: Hunter2-secret!"})
    assert response.status_code == 200
    note = response.json()["messages"][-1]
    assert note["internal"] is True and note["kind"] == "internal"
    assert "Hunter2-secret" not in note["body"] and note["secrets_removed"] == ["password"]
    assert post(api(agent_a), ticket, "note", {"body": ""}).json() == {"body": ["Write something first."]}


def test_assign_gives_the_ticket_to_staff_of_its_queue_or_to_nobody(agent_a, supervisor, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    assert post(client, ticket, "assign", {"assignee": agent_a.pk}).json()["assignee"]["id"] == agent_a.pk
    assert post(client, ticket, "assign", {"assignee": supervisor.pk}).json()["assignee"]["username"] == "supervisor"
    assert post(client, ticket, "assign", {"assignee": None}).json()["assignee"] is None
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 3


def test_assign_refuses_staff_who_do_not_work_the_queue_and_non_staff(agent_a, agent_b, outsider, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    response = post(client, ticket, "assign", {"assignee": agent_b.pk})
    assert response.status_code == 400
    assert response.json() == {"assignee": ["agent-b does not work the Queue A queue."]}
    for value in (outsider.pk, 2**63, "me"):
        response = post(client, ticket, "assign", {"assignee": value})
        assert response.status_code == 400
        assert list(response.json()) == ["assignee"]
    assert post(client, ticket, "assign", {}).json() == {"assignee": ["This field is required."]}
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.version == 0


def test_status_moves_the_ticket_by_the_transition_table(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    assert post(client, ticket, "status", {"status": "solved"}).json()["status"] == "solved"
    assert post(client, ticket, "status", {"status": "closed"}).json()["status"] == "closed"
    response = post(client, ticket, "status", {"status": "open"})
    assert response.status_code == 400
    assert response.json() == {"status": ["A Closed ticket cannot become Open."]}
    assert post(client, ticket, "status", {"status": "archived"}).json() == {"status": ["Unknown status."]}
    assert post(client, ticket, "status", {}).json() == {"status": ["This field is required."]}


def test_priority_changes_with_a_reason_in_the_event(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    body = post(client, ticket, "priority", {"priority": "urgent", "reason": "Large amount"}).json()
    assert body["priority"] == "urgent"
    assert body["events"][-1]["kind"] == "priority_changed"
    assert body["events"][-1]["data"] == {"from": "normal", "to": "urgent", "reason": "Large amount"}
    response = post(client, ticket, "priority", {"priority": "asap"})
    assert response.status_code == 400
    assert response.json() == {"priority": ["Unknown priority."]}


def test_escalate_raises_the_level_with_a_reason_and_can_move_and_assign(agent_a, agent_b, queue_a, queue_b):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    assert post(client, ticket, "escalate", {"reason": "Large amount"}).json()["escalation_level"] == 1
    body = post(client, ticket, "escalate", {"reason": "Finance", "queue": queue_b.slug, "assignee": agent_b.pk})
    assert body.status_code == 200
    assert body.json()["escalation_level"] == 2
    assert body.json()["queue"]["slug"] == "queue-b" and body.json()["assignee"]["username"] == "agent-b"
    assert client.get(detail(ticket)).status_code == 404


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"reason": ["Say why the ticket is escalated."]}),
        ({"reason": " "}, {"reason": ["Say why the ticket is escalated."]}),
        ({"reason": "x", "queue": "nowhere"}, {"queue": ["No queue has this id or slug."]}),
        ({"reason": "x", "assignee": "agent-b"}, {"assignee": ["Incorrect type. Expected pk value, received str."]}),
    ],
)
def test_escalate_refusals_are_400(agent_a, queue_a, payload, errors):
    ticket = ticket_in(queue_a)
    response = post(api(agent_a), ticket, "escalate", payload)
    assert response.status_code == 400
    assert response.json() == errors


def test_a_solved_ticket_cannot_be_escalated_and_an_assignee_must_work_the_queue(agent_a, agent_b, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    response = post(client, ticket, "escalate", {"reason": "x", "assignee": agent_b.pk})
    assert response.json() == {"assignee": ["agent-b does not work the Queue A queue."]}
    actions.change_status(ticket=ticket, status="solved", actor=agent_a)
    response = post(client, ticket, "escalate", {"reason": "x"})
    assert response.json() == {"non_field_errors": ["A solved or closed ticket cannot be escalated."]}
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0


def test_de_escalate_is_for_supervisors_and_needs_a_reason(agent_a, supervisor, queue_a):
    ticket = ticket_in(queue_a)
    actions.escalate_ticket(ticket=ticket, actor=agent_a, reason="Large amount")
    response = post(api(agent_a), ticket, "de-escalate", {"reason": "Handled"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only supervisors de-escalate tickets."}
    client = api(supervisor, token=True)
    assert post(client, ticket, "de-escalate", {}).json() == {"reason": ["Say why the ticket is de-escalated."]}
    body = post(client, ticket, "de-escalate", {"reason": "Handled"}).json()
    assert body["escalation_level"] == 0 and body["events"][-1]["kind"] == "de_escalated"
    response = post(client, ticket, "de-escalate", {"reason": "Again"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The ticket is not escalated."]}


def test_move_sends_the_ticket_to_another_queue_by_slug_or_id(agent_a, supervisor, queue_a, queue_b):
    ticket = ticket_in(queue_a, assignee=agent_a)
    client = api(agent_a)
    response = post(client, ticket, "move", {"queue": "queue-b", "reason": "Wrong team"})
    assert response.status_code == 200
    assert response.json()["queue"]["slug"] == "queue-b" and response.json()["assignee"] is None
    assert client.get(detail(ticket)).status_code == 404
    assert post(api(supervisor), ticket, "move", {"queue": queue_a.pk}).json()["queue"]["slug"] == "queue-a"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"queue": ["This field is required."]}),
        ({"queue": "nowhere"}, {"queue": ["No queue has this id or slug."]}),
        ({"queue": 2**63}, {"queue": ["No queue has this id or slug."]}),
        ({"queue": True}, {"queue": ["No queue has this id or slug."]}),
        ({"queue": None}, {"queue": ["This field may not be null."]}),
    ],
)
def test_move_refusals_are_400(agent_a, queue_a, payload, errors):
    ticket = ticket_in(queue_a)
    response = post(api(agent_a), ticket, "move", payload)
    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize("endpoint", list(ACTIONS))
def test_every_action_refuses_unknown_keys(supervisor, queue_a, endpoint):
    ticket = ticket_in(queue_a, escalation_level=1)
    response = post(api(supervisor), ticket, endpoint, {**ACTIONS[endpoint], "assignee__password": "x"})
    assert response.status_code == 400
    assert list(response.json()) == ["assignee__password"]
    assert response.json()["assignee__password"][0].startswith("Unknown field. Send only: ")
    ticket.refresh_from_db()
    assert ticket.version == 0


@pytest.mark.parametrize("endpoint", list(ACTIONS))
def test_every_action_with_a_stale_version_is_a_409_and_saves_nothing(supervisor, queue_a, endpoint):
    ticket = ticket_in(queue_a, escalation_level=1)
    actions.add_note(ticket=ticket, author=supervisor, body="Meanwhile.")
    if endpoint == "move":
        ticket_body = {"queue": "queue-b-elsewhere"}
        make_queue(slug="queue-b-elsewhere")
    else:
        ticket_body = ACTIONS[endpoint]
    response = post(api(supervisor), ticket, endpoint, {**ticket_body, "version": 0})
    assert response.status_code == 409
    assert response.json()["detail"].startswith(CONFLICT)
    ticket.refresh_from_db()
    assert (ticket.version, ticket.messages.count(), ticket.queue) == (1, 2, queue_a)


@pytest.mark.parametrize("endpoint", list(ACTIONS))
def test_every_action_with_the_current_version_is_applied(supervisor, queue_a, queue_b, endpoint):
    ticket = ticket_in(queue_a, escalation_level=1, assignee=supervisor)
    body = {**ACTIONS[endpoint], "version": 0}
    if endpoint == "move":
        body["queue"] = queue_b.slug
    response = post(api(supervisor), ticket, endpoint, body)
    assert response.status_code == 200, response.content
    assert response.json()["version"] > 0


@pytest.mark.parametrize(
    "body",
    [{"body": "x", "version": "abc"}, {"body": "x", "version": -1}, {"body": "x", "version": 2**63}, ["body"], "x"],
)
def test_malformed_bodies_are_400_never_500(agent_a, queue_a, body):
    ticket = ticket_in(queue_a)
    response = api(agent_a).post(f"{detail(ticket)}note/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()


def test_actions_answer_in_the_callers_language(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    client = APIClient(headers={"accept-language": "zh-hans"})
    client.force_login(agent_a)
    response = post(client, ticket, "escalate", {})
    assert response.json() == {"reason": ["请说明升级此工单的原因。"]}


def test_reads_and_actions_refuse_other_methods(agent_a, queue_a):
    ticket = ticket_in(queue_a)
    client = api(agent_a)
    assert client.get(f"{detail(ticket)}reply/").status_code == 405
    assert client.delete(detail(ticket)).status_code == 405
    assert client.patch(detail(ticket), {"status": "closed"}, format="json").status_code == 405
    assert client.post(TICKETS, {"subject": "x"}, format="json").status_code == 405


# Schema


def _schema():
    response = APIClient(headers={"accept-language": "en"}).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _component(schema, ref):
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_schema_lists_the_staff_endpoints_with_their_request_and_response_shapes(supervisor, queue_a):
    ticket = ticket_in(queue_a, escalation_level=1)
    schema = _schema()
    client = api(supervisor)

    listing = schema["paths"][TICKETS]["get"]
    page = _component(schema, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(page["properties"]) == {"next", "previous", "results"} == set(client.get(TICKETS).json())
    row = _component(schema, page["properties"]["results"]["items"])
    assert set(row["properties"]) == set(client.get(TICKETS).json()["results"][0])
    parameters = {parameter["name"] for parameter in listing["parameters"]}
    assert parameters == {
        "queue", "status", "priority", "assignee", "sla", "escalation_level", "escalation_level_min",
        "created_after", "created_before", "updated_after", "updated_before", "vip", "q", "ordering", "cursor",
        "page_size",
    }  # fmt: skip

    one = schema["paths"][TICKETS + "{id}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(_component(schema, one)["properties"]) == set(client.get(detail(ticket)).json())
    for endpoint, body in ACTIONS.items():
        operation = schema["paths"][f"{TICKETS}{{id}}/{endpoint}/"]["post"]
        request = _component(schema, operation["requestBody"]["content"]["application/json"]["schema"])
        assert {*body, "version"} <= set(request["properties"]), endpoint
        assert set(operation["responses"]) == {"200", "400", "403", "404", "409"}
        response = _component(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
        assert response == _component(schema, one)
    assert schema["components"]["schemas"]["TicketStatus"]["enum"] == list(Ticket.Status.values)
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
