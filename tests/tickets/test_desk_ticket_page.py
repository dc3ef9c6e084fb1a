"""The agent desk's ticket page in the admin: what it shows, what each button does, canned replies, lost updates."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from mnemonic import Mnemonic

from tests.tickets.factories import (
    TXID,
    add_message,
    make_desk_ticket,
    make_policy,
    make_problem_type,
    make_queue,
    open_ticket,
)
from tickets import actions
from tickets.models import CannedReply, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def page_url(ticket):
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def notes(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def submit(client, ticket, do, **fields):
    """Load the ticket page as the agent sees it, then press the button `do` with `fields` filled in."""
    form = client.get(page_url(ticket)).context["form"]
    data = {name: form.initial.get(name, "") for name in ("version", "status", "priority", "assignee")}
    data["assignee"] = data["assignee"] or ""
    return client.post(page_url(ticket), {**data, **fields, "do": do})


@pytest.fixture
def ticket(queue_a):
    make_policy({("first_response", "urgent"): 15, ("resolution", "urgent"): 240}, name="Payments")
    with time_machine.travel(T0, tick=False):
        kinds = make_problem_type(queue=queue_a, names={"en": "Deposit not credited", "zh-hans": "充值未到账"})
        opened, _token = open_ticket(kinds, language="en", email="carol@example.com", subject="USDT missing",
                                     description=f"My seed: {Mnemonic('english').generate(128)}")  # fmt: skip
    Ticket.objects.filter(pk=opened.pk).update(customer_tier="vip", customer_name="Carol")
    with time_machine.travel(T0, tick=False):
        actions.change_priority(ticket=opened, priority="urgent")
    opened.refresh_from_db()
    return opened


# What the page shows


def test_the_page_shows_the_header_the_fields_in_words_and_never_raw_json_or_the_token_hash(client, agent_a, ticket):
    client.force_login(agent_a)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        html = client.get(page_url(ticket)).content.decode()
    for text in (ticket.reference, "USDT missing", "Urgent", "Queue A", "Nobody", "Carol", "carol@example.com",
                 'desk-badge-vip', "Deposit not credited", "TxID", TXID, "Tron (TRC20)", "in 10 m"):  # fmt: skip
        assert text in html, text
    assert "Secret exposed" in html and "seed phrase (description)" in html
    assert ticket.tracking_token_hash not in html
    assert json.dumps(ticket.fields)[:20] not in html and '"txid"' not in html and "{&quot;" not in html


def test_public_replies_and_internal_notes_look_different_and_markers_are_highlighted(client, agent_a, ticket):
    add_message(ticket, kind=Message.Kind.INTERNAL, author_user=agent_a, body="Checked the chain")
    client.force_login(agent_a)
    html = client.get(page_url(ticket)).content.decode()
    assert html.count("desk-message desk-message-public desk-author-customer") == 1
    assert "desk-message desk-message-internal desk-author-agent" in html and "Checked the chain" in html
    assert '<mark class="desk-redacted">[removed: seed phrase]</mark>' in html
    assert "agent-a" in html  # the note's author


def test_customer_text_is_escaped_on_the_page(client, agent_a, ticket):
    add_message(ticket, author=Message.Author.CUSTOMER, body="<script>alert(1)</script>\nsecond line")
    client.force_login(agent_a)
    html = client.get(page_url(ticket)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in html


def test_the_clocks_table_explains_each_clock(client, agent_a, ticket):
    client.force_login(agent_a)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        html = client.get(page_url(ticket)).content.decode()
    assert "Payments policy, urgent first response 15 business minutes on 24x7, paused 0 min" in html
    assert "Payments policy, urgent resolution 240 business minutes on 24x7, paused 0 min" in html
    assert "5 m overdue" in html and "desk-sla-breached" in html
    assert "in 3 h 40 m" in html


def test_a_paused_clock_says_how_much_time_is_left(client, agent_a, queue_a):
    make_policy({("resolution", "normal"): 120}, name="Payments")
    with time_machine.travel(T0, tick=False):
        ticket = make_desk_ticket(queue_a)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        actions.change_status(ticket=ticket, status="pending")
    client.force_login(agent_a)
    html = client.get(page_url(ticket)).content.decode()
    assert "1 h 30 m left when it resumes" in html and "Paused" in html


def test_the_audit_log_says_each_event_in_words_with_who_and_when(client, agent_a, supervisor, ticket):
    actions.assign_ticket(ticket=ticket, assignee=agent_a, actor=supervisor)
    actions.change_status(ticket=ticket, status="pending", actor=agent_a)
    actions.escalate_ticket(ticket=ticket, actor=agent_a, reason="Large amount")
    client.force_login(agent_a)
    log = client.get(page_url(ticket)).context["audit_log"]
    lines = [(words, actor) for _event, words, actor in log]
    assert ("Opened in the Queue A queue.", "Customer") in lines
    assert any(words.startswith("The secrets guard removed: seed phrase (description)") for words, _a in lines)
    assert ("Priority changed from Normal to Urgent.", "SLA rules") in lines
    assert ("Assignee changed from nobody to agent-a.", "supervisor") in lines
    assert ("Status changed from New to Pending (waiting on customer).", "agent-a") in lines
    assert ("Escalated to level 1. Reason: Large amount", "agent-a") in lines


# The work form


def test_a_reply_is_sent_to_the_customer_and_the_page_redirects_with_a_message(client, agent_a, ticket):
    client.force_login(agent_a)
    response = submit(client, ticket, "reply", reply="We are checking it.", reply_status="pending")
    assert response.status_code == 303 and response["Location"] == page_url(ticket)
    assert f"Your reply was sent to {ticket.customer_email}." in notes(response)
    message = ticket.messages.last()
    assert (message.kind, message.author, message.author_user, message.body) == (
        "public", "agent", agent_a, "We are checking it.",
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_a_reply_with_a_secret_is_stored_with_the_marker(client, agent_a, ticket):
    client.force_login(agent_a)
    submit(client, ticket, "reply", reply="Your password is Vx93-kLmq!zz right?")
    assert "[removed: password]" in ticket.messages.last().body


def test_an_empty_reply_is_a_form_error_and_nothing_is_saved(client, agent_a, ticket):
    client.force_login(agent_a)
    response = submit(client, ticket, "reply", reply="   ", note="typed note kept")
    assert response.status_code == 200 and "Write something first." in response.content.decode()
    assert "typed note kept" in response.content.decode()
    assert not ticket.messages.filter(author=Message.Author.AGENT).exists()


def test_an_internal_note_is_added_and_not_public(client, agent_a, ticket):
    client.force_login(agent_a)
    response = submit(client, ticket, "note", note="Looks like a chain delay.", reply="a draft not sent")
    assert response.status_code == 303 and "Your internal note was added." in notes(response)
    assert ticket.messages.get(kind=Message.Kind.INTERNAL).body == "Looks like a chain delay."
    assert not ticket.messages.filter(body="a draft not sent").exists()


def test_status_priority_and_assignee_change_together(client, agent_a, ticket):
    client.force_login(agent_a)
    response = submit(client, ticket, "update", status="on_hold", priority="high", assignee=agent_a.pk)
    assert response.status_code == 303 and "The ticket was updated." in notes(response)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("on_hold", "high", agent_a)
    kinds = list(ticket.events.filter(actor=agent_a).values_list("kind", flat=True))
    assert kinds == ["status_changed", "priority_changed", "assigned"]


def test_update_without_a_change_is_a_form_error(client, agent_a, ticket):
    client.force_login(agent_a)
    response = submit(client, ticket, "update")
    assert response.status_code == 200 and "Change the status, priority or assignee first." in response.content.decode()


def test_a_forbidden_move_or_assignee_is_refused_with_its_message_and_nothing_changes(client, agent_a, agent_b, ticket):
    client.force_login(agent_a)
    actions.change_status(ticket=ticket, status="solved")
    response = submit(client, ticket, "update", status="pending", priority="low")
    assert response.status_code == 200
    assert "A Solved ticket cannot become Pending (waiting on customer)." in str(response.context["form"].errors)
    response = submit(client, ticket, "update", priority="low", assignee=agent_b.pk)
    assert "agent-b does not work the Queue A queue." in str(response.context["form"].errors)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("solved", "urgent", None)  # all or nothing


def test_the_status_choices_are_the_moves_the_ticket_may_make(client, agent_a, queue_a):
    ticket = make_desk_ticket(queue_a, status="solved")
    client.force_login(agent_a)
    form = client.get(page_url(ticket) + "?status=any").context["form"]
    assert [value for value, _label in form.fields["status"].widget.choices] == ["open", "solved", "closed"]


def test_escalate_with_a_reason_and_optionally_to_another_person(client, agent_a, supervisor, ticket):
    client.force_login(agent_a)
    missing = submit(client, ticket, "escalate", escalate_reason="")
    assert "Say why the ticket is escalated." in missing.content.decode()
    response = submit(client, ticket, "escalate", escalate_reason="VIP, large amount", escalate_assignee=supervisor.pk)
    assert response.status_code == 303 and "The ticket was escalated to level 1." in notes(response)
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.assignee) == (1, supervisor)


def test_escalating_to_a_queue_the_agent_does_not_work_leads_back_to_the_list(client, agent_a, ticket):
    experts = make_queue(name="Chain experts")
    client.force_login(agent_a)
    response = submit(client, ticket, "escalate", escalate_reason="Needs experts", escalate_queue=experts.pk)
    assert response.status_code == 303 and response["Location"] == reverse("admin:tickets_ticket_changelist")
    assert f"{ticket.reference} is no longer in your queues." in notes(response)
    assert client.get(page_url(ticket)).status_code == 404


def test_only_supervisors_see_and_use_de_escalate(client, agent_a, supervisor, ticket):
    actions.escalate_ticket(ticket=ticket, actor=agent_a, reason="Large amount")
    client.force_login(agent_a)
    assert 'value="de_escalate"' not in client.get(page_url(ticket)).content.decode()
    refused = submit(client, ticket, "de_escalate", de_escalate_reason="Fine now")
    assert "Only supervisors de-escalate tickets." in refused.content.decode()
    client.force_login(supervisor)
    assert 'value="de_escalate"' in client.get(page_url(ticket)).content.decode()
    response = submit(client, ticket, "de_escalate", de_escalate_reason="Chain confirmed")
    assert "The ticket was de-escalated to level 0." in notes(response)
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0


def test_an_unknown_button_changes_nothing(client, agent_a, ticket):
    client.force_login(agent_a)
    response = submit(client, ticket, "explode", reply="x")
    assert response.status_code == 200 and "Choose what to do with one of the buttons." in response.content.decode()


def test_a_bad_version_or_missing_field_is_a_form_error_not_a_server_error(client, agent_a, ticket):
    client.force_login(agent_a)
    response = client.post(page_url(ticket), {"do": "note", "note": "x", "version": "abc"})
    assert response.status_code == 200 and not ticket.messages.filter(body="x").exists()
    assert "The form was not sent whole" in response.content.decode()


def test_the_form_is_posted_only_with_a_csrf_token(agent_a, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent_a)
    response = browser.post(page_url(ticket), {"do": "note", "note": "x", "version": ticket.version})
    assert response.status_code == 403 and not ticket.messages.filter(body="x").exists()


def test_staff_who_may_only_view_tickets_see_no_form_and_cannot_post(client, django_user_model, ticket):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"), Permission.objects.get(
        codename="view_all_queues"))  # fmt: skip
    client.force_login(viewer)
    assert 'id="desk-work"' not in client.get(page_url(ticket)).content.decode()
    assert client.post(page_url(ticket), {"do": "note", "note": "x", "version": ticket.version}).status_code == 403


# Canned replies


@pytest.fixture
def canned(queue_a, queue_b):
    body = "Hello {customer_name}, about {reference} ({queue}): we are on it. {agent_name}"
    return {
        "mine": CannedReply.objects.create(title="On it", queue=queue_a, body=body),
        "shared": CannedReply.objects.create(title="Shared thanks", body="Thanks, {customer_name}."),
        "chinese": CannedReply.objects.create(title="中文", language="zh-hans", body="您好"),
        "other": CannedReply.objects.create(title="Queue B only", queue=queue_b, body="B"),
    }


def test_the_picker_offers_the_queues_and_shared_replies_filled_in_for_this_ticket(client, agent_a, ticket, canned):
    agent_a.first_name, agent_a.last_name = "Ana", "Agent"
    agent_a.save()
    client.force_login(agent_a)
    response = client.get(page_url(ticket))
    titles = [label for _value, label in response.context["form"].fields["canned"].choices][1:]
    assert titles == ["On it", "Shared thanks"]  # not another queue's, not another language's
    html = response.content.decode()
    assert f'data-text="Hello Carol, about {ticket.reference} (Queue A): we are on it. Ana Agent"' in html


def test_insert_without_the_script_puts_the_reply_in_the_box_and_saves_nothing(client, agent_a, ticket, canned):
    client.force_login(agent_a)
    response = submit(client, ticket, "insert", canned=canned["shared"].pk, reply="Dear customer,")
    assert response.status_code == 200
    assert response.context["form"]["reply"].value() == "Dear customer,\n\nThanks, Carol."
    assert not ticket.messages.filter(author=Message.Author.AGENT).exists()
    nothing = submit(client, ticket, "insert", canned="")
    assert "Choose a canned reply first." in nothing.content.decode()
    foreign = submit(client, ticket, "insert", canned=canned["other"].pk)
    assert "Select a valid choice" in foreign.content.decode()


# Lost updates


def test_the_second_of_two_agents_gets_the_conflict_message_and_keeps_their_text(client, agent_a, supervisor, ticket):
    first, second = (Client(headers={"accept-language": "en"}) for _ in range(2))
    first.force_login(agent_a)
    second.force_login(supervisor)
    forms = [browser.get(page_url(ticket)).context["form"] for browser in (first, second)]
    base = {"status": ticket.status, "priority": ticket.priority, "assignee": "", "do": "reply"}
    sent = first.post(page_url(ticket), {**base, "version": forms[0].initial["version"], "reply": "First answer"})
    assert sent.status_code == 303
    late = second.post(page_url(ticket), {**base, "version": forms[1].initial["version"], "reply": "My long answer"})
    assert late.status_code == 200
    html = late.content.decode()
    assert "Someone else changed this ticket while you were working on it" in html
    assert late.context["form"]["reply"].value() == "My long answer"  # kept, never lost
    assert "First answer" in html  # the page shows the ticket as it is now
    assert list(ticket.messages.filter(author=Message.Author.AGENT).values_list("body", flat=True)) == ["First answer"]
    ticket.refresh_from_db()
    assert late.context["form"]["version"].value() == ticket.version  # sending again is a fresh decision
    again = second.post(page_url(ticket), {**base, "version": ticket.version, "reply": "My long answer"})
    assert again.status_code == 303


def test_a_stale_status_change_is_a_conflict_not_an_invalid_choice(client, agent_a, ticket):
    client.force_login(agent_a)
    form = client.get(page_url(ticket)).context["form"]
    actions.change_status(ticket=ticket, status="closed")
    response = client.post(page_url(ticket), {"version": form.initial["version"], "status": "pending",
                                              "priority": "urgent", "assignee": "", "do": "update"})  # fmt: skip
    assert "Someone else changed this ticket" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"


# Query counts


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def test_the_page_runs_as_many_queries_for_50_messages_and_events_as_for_5(
    client, agent_a, supervisor, ticket, canned, django_assert_num_queries
):
    client.force_login(agent_a)

    def work(times):
        for number in range(times):
            add_message(ticket, kind=Message.Kind.INTERNAL if number % 2 else Message.Kind.PUBLIC, author_user=agent_a)
            TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, actor=supervisor,
                                       data={"from": None, "to": agent_a.pk})  # fmt: skip

    work(5)
    five = _count(client, page_url(ticket))
    work(45)
    with django_assert_num_queries(five):
        client.get(page_url(ticket))
