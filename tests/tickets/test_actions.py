import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from kb.models import SearchLog
from kb.search import analytics
from tests.tickets.factories import make_problem_type, make_ticket, open_ticket
from tickets import actions, models
from tickets.models import Message, Ticket, TicketEvent, hash_token

pytestmark = pytest.mark.django_db


def test_open_ticket_creates_the_ticket_its_first_message_and_an_opened_event():
    problem_type = make_problem_type()
    ticket, token = open_ticket(problem_type, subject="充值未到账", description="第一行\n第二行", uid="123456")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.priority == Ticket.Priority.NORMAL
    assert ticket.queue == problem_type.queue and ticket.problem_type == problem_type
    assert ticket.customer_uid == "123456" and ticket.customer_tier == Ticket.Tier.STANDARD
    assert ticket.fields["network"] == "TRC20"
    message = ticket.messages.get()
    assert (message.kind, message.author, message.body) == ("public", "customer", "第一行\n第二行")
    assert list(ticket.events.values_list("kind", flat=True)) == ["opened"]


def test_the_reference_is_hd_and_eight_unambiguous_characters():
    references = {make_ticket().reference for _ in range(20)}
    assert len(references) == 20
    for reference in references:
        assert re.fullmatch(r"HD-[A-HJKMNP-Z2-9]{8}", reference)


def test_a_colliding_reference_is_drawn_again(monkeypatch):
    first = make_ticket()
    drawn = iter([first.reference, "HD-NEWREF22"])
    monkeypatch.setattr(actions.customer, "new_reference", lambda: next(drawn))
    assert make_ticket().reference == "HD-NEWREF22"


def test_the_token_has_192_bits_and_only_its_hash_is_stored():
    ticket, token = open_ticket()
    assert len(token) == 32  # 24 random bytes, URL-safe base64
    assert Ticket.objects.get(pk=ticket.pk).tracking_token_hash == hash_token(token)
    for model in (Ticket, Message, TicketEvent):
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(connection.ops.quote_name(c) for c in columns)} FROM {table}")
            for row in cursor.fetchall():
                assert not any(token in str(value) for value in row), table


def test_ticket_for_token_finds_only_the_ticket_it_belongs_to():
    ticket, token = open_ticket()
    other, other_token = open_ticket()
    assert actions.ticket_for_token(token) == ticket
    assert actions.ticket_for_token(other_token) == other
    assert actions.ticket_for_token(token[:-1]) is None
    assert actions.ticket_for_token("") is None
    assert actions.ticket_for_token(ticket.tracking_token_hash) is None


def test_opening_a_ticket_marks_the_searches_of_the_same_visit():
    visit = analytics.visit_key("raw-visit")
    same = SearchLog.objects.create(query="充值", language="zh-hans", results=0, visit=visit)
    other = SearchLog.objects.create(query="充值", language="zh-hans", results=0, visit=analytics.visit_key("x"))
    old = SearchLog.objects.create(
        query="提币", language="zh-hans", results=0, visit=visit, created_at=timezone.now() - timedelta(days=1)
    )
    open_ticket(visit=visit)
    assert SearchLog.objects.get(pk=same.pk).ticket_submitted
    assert not SearchLog.objects.get(pk=other.pk).ticket_submitted
    assert not SearchLog.objects.get(pk=old.pk).ticket_submitted


@pytest.mark.parametrize("status", [Ticket.Status.PENDING, Ticket.Status.SOLVED])
def test_a_customer_reply_reopens_a_pending_or_solved_ticket(status):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    message = actions.add_customer_reply(ticket=ticket, body="还没到账")
    assert (message.kind, message.author, message.body) == ("public", "customer", "还没到账")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
    changed = ticket.events.get(kind="status_changed")
    assert changed.data == {"from": status, "to": "open", "by": "customer"}
    assert ticket.events.filter(kind="customer_replied").count() == 1


@pytest.mark.parametrize("status", [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.ON_HOLD])
def test_a_customer_reply_leaves_other_statuses_alone(status):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    actions.add_customer_reply(ticket=ticket, body="补充信息")
    assert Ticket.objects.get(pk=ticket.pk).status == status
    assert not ticket.events.filter(kind="status_changed").exists()


def test_a_closed_ticket_refuses_replies():
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    with pytest.raises(ValidationError):
        actions.add_customer_reply(ticket=ticket, body="再问一下")
    assert ticket.messages.count() == 1
    assert not ticket.events.filter(kind="customer_replied").exists()


def test_field_items_show_labels_and_choice_words_in_definition_order():
    ticket = make_ticket()
    ticket.fields["retired"] = "kept"
    items = ticket.field_items()
    assert items[0] == ("Coin", "USDT (Tether)") and items[1] == ("Network", "Tron (TRC20)")
    assert items[-1] == ("retired", "kept")


def test_the_reference_alphabet_has_no_lookalike_characters():
    assert not set("0O1IL") & set(models.REFERENCE_ALPHABET)


def test_the_same_form_sent_twice_makes_one_ticket_and_returns_it_again():
    problem_type = make_problem_type()
    first = actions.open_ticket(**ticket_arguments(problem_type), submission="k" * 43)
    again = actions.open_ticket(**ticket_arguments(problem_type, subject="changed"), submission="k" * 43)
    assert first.created and not again.created
    assert again.ticket == first.ticket and again.token == first.token
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
    other = actions.open_ticket(**ticket_arguments(problem_type), submission="m" * 43)
    assert other.created and other.ticket != first.ticket and other.token != first.token


def test_a_form_sent_again_after_the_window_makes_a_new_ticket():
    problem_type = make_problem_type()
    first = actions.open_ticket(**ticket_arguments(problem_type), submission="k" * 43)
    Ticket.objects.filter(pk=first.ticket.pk).update(created_at=timezone.now() - actions.RESUBMIT_WINDOW * 2)
    later = actions.open_ticket(**ticket_arguments(problem_type), submission="k" * 43)
    assert later.created and later.ticket != first.ticket and later.token != first.token
    assert actions.ticket_for_token(first.token) == first.ticket
    assert actions.ticket_for_token(later.token) == later.ticket


def test_without_a_submission_key_every_call_is_a_new_ticket():
    problem_type = make_problem_type()
    assert (
        actions.open_ticket(**ticket_arguments(problem_type)).ticket
        != actions.open_ticket(**ticket_arguments(problem_type)).ticket
    )


def ticket_arguments(problem_type, **overrides):
    arguments = {
        "problem_type": problem_type,
        "language": "en",
        "email": "a@example.com",
        "subject": "Deposit missing",
        "description": "It did not arrive.",
        "fields": {},
    }
    arguments.update(overrides)
    return arguments


def test_a_reply_form_sent_twice_adds_one_message():
    ticket = make_ticket()
    first = actions.add_customer_reply(ticket=ticket, body="one", submission="r" * 43)
    again = actions.add_customer_reply(ticket=ticket, body="one", submission="r" * 43)
    assert again == first and ticket.messages.count() == 2
    assert ticket.events.filter(kind="customer_replied").count() == 1
    actions.add_customer_reply(ticket=ticket, body="two", submission="s" * 43)
    assert ticket.messages.count() == 3


@pytest.mark.parametrize(
    "start,end,allowed",
    [
        ("new", "open", True),
        ("new", "solved", True),
        ("open", "pending", True),
        ("pending", "open", True),
        ("on_hold", "solved", True),
        ("solved", "open", True),
        ("solved", "closed", True),
        ("open", "new", False),
        ("solved", "pending", False),
        ("closed", "open", False),
        ("closed", "solved", False),
    ],
)
def test_change_status_follows_the_transition_table(start, end, allowed, django_user_model):
    agent = django_user_model.objects.create_user("agent-x")
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=start)
    if allowed:
        actions.change_status(ticket=ticket, status=end, actor=agent)
        assert Ticket.objects.get(pk=ticket.pk).status == end
        event = ticket.events.get(kind="status_changed")
        assert event.data == {"from": start, "to": end} and event.actor == agent
    else:
        with pytest.raises(ValidationError) as error:
            actions.change_status(ticket=ticket, status=end, actor=agent)
        assert "cannot become" in str(error.value)
        assert Ticket.objects.get(pk=ticket.pk).status == start
        assert not ticket.events.filter(kind="status_changed").exists()


def test_change_status_to_the_same_status_is_no_change_and_no_event():
    ticket = make_ticket()
    actions.change_status(ticket=ticket, status=Ticket.Status.NEW)
    assert not ticket.events.filter(kind="status_changed").exists()


def test_every_event_kind_written_is_one_of_the_declared_choices():
    ticket = make_ticket(description="my password is Hunter-22x")
    actions.add_customer_reply(ticket=ticket, body="ok")
    actions.change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    kinds = set(TicketEvent.objects.values_list("kind", flat=True))
    assert kinds <= set(TicketEvent.Kind.values) and len(kinds) >= 3
