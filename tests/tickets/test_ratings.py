"""Satisfaction ratings from the solved email and the tracking page, the reopen window, and the automatic close."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from mnemonic import Mnemonic

from tests.tickets.factories import follow_link, make_problem_type, open_ticket
from tickets import actions, dashboard, notifications, rating_links, sweep
from tickets.models import OutgoingEmail, Rating, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SOLVED_AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def at(when, action, **arguments):
    with time_machine.travel(when, tick=False):
        return action(**arguments)


def solve(ticket, when=SOLVED_AT, actor=None):
    return at(when, actions.change_status, ticket=ticket, status="solved", actor=actor)


@pytest.fixture
def solved(queue_a, agent_a):
    """A ticket of queue A, assigned to agent A, solved at SOLVED_AT; returns (ticket, tracking token)."""
    ticket, token = open_ticket(make_problem_type(queue=queue_a), language="en", email="dora@example.com")
    actions.assign_ticket(ticket=ticket, assignee=agent_a, actor=agent_a)
    solve(ticket, actor=agent_a)
    ticket.refresh_from_db()
    return ticket, token


def solved_email_links(ticket):
    """The URLs of the latest solved email of `ticket`, as built when it is sent (text part, then HTML)."""
    email = OutgoingEmail.objects.filter(ticket=ticket, kind=OutgoingEmail.Kind.TICKET_SOLVED).latest("pk")
    message = notifications.compose(email, at=SOLVED_AT)
    text, html = message.body, message.alternatives[0][0]
    return re.findall(r"https?://\S+/rate/\S+?\?score=\d", text), re.findall(r'href="([^"]+/rate/[^"]+)"', html), text


def rate_path(ticket, score=None):
    path = urlsplit(solved_email_links(ticket)[0][0]).path
    return path + (f"?score={score}" if score else "")


def post(client, path, when=SOLVED_AT + DAY, **data):
    with time_machine.travel(when, tick=False):
        return client.post(path, data)


def get(client, path, when=SOLVED_AT + DAY):
    with time_machine.travel(when, tick=False):
        return client.get(path)


# The solved email ------------------------------------------------------------------------------------------------


def test_solving_starts_the_reopen_window_and_the_email_has_five_score_links_without_the_tracking_token(
    solved, settings
):
    ticket, token = solved
    assert ticket.solved_at == SOLVED_AT
    assert ticket.reopen_until == SOLVED_AT + timedelta(days=settings.TICKET_REOPEN_DAYS)
    text_links, html_links, text = solved_email_links(ticket)
    assert [link.rsplit("=", 1)[1] for link in text_links] == ["1", "2", "3", "4", "5"]
    assert [link.replace("&amp;", "&").rsplit("=", 1)[1] for link in html_links] == ["1", "2", "3", "4", "5"]
    assert len({link.split("?")[0] for link in text_links}) == 1
    assert token not in text and all(token not in link for link in html_links)
    assert "2026-03-09" in text  # the reopen window's end, in words


def test_the_link_value_is_signed_for_the_ticket_and_its_solve(solved):
    ticket, _token = solved
    value = rate_path(ticket).rstrip("/").rsplit("/", 1)[1]
    assert rating_links.read(value) == (ticket.pk, ticket.solved_at)
    assert rating_links.read(value[:-2] + ("AA" if value[-2:] != "AA" else "BB")) is None


# The link: GET shows, POST records -------------------------------------------------------------------------------


def test_opening_a_rating_link_records_nothing_and_shows_the_score_chosen(solved):
    ticket, _token = solved
    for score in range(1, 6):
        response = get(Client(), rate_path(ticket, score))
        assert response.status_code == 200
        assert re.search(rf'<input type="radio" name="score" value="{score}"[^>]*checked', response.content.decode())
        assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    assert get(Client(), rate_path(ticket)).status_code == 200
    assert not Rating.objects.exists()
    assert not ticket.events.filter(kind=TicketEvent.Kind.RATED).exists()


def test_a_head_request_to_the_link_records_nothing(solved):
    ticket, _token = solved
    with time_machine.travel(SOLVED_AT + DAY, tick=False):
        assert Client().head(rate_path(ticket, 5)).status_code == 200
    assert not Rating.objects.exists()


def test_posting_the_form_records_the_rating_with_the_queue_and_assignee_of_the_solve(solved, queue_a, agent_a):
    ticket, _token = solved
    browser, path = Client(), rate_path(ticket)  # signed once: a second call in the next second differs
    response = post(browser, path, score="4", comment="Quick and clear, thanks.")
    assert response.status_code == 303 and response["Location"] == path + "?rated=1"
    rating = Rating.objects.get()
    assert (rating.ticket, rating.score, rating.comment) == (ticket, 4, "Quick and clear, thanks.")
    assert (rating.queue, rating.assignee, rating.solved_at) == (queue_a, agent_a, ticket.solved_at)
    assert rating.rated_at == SOLVED_AT + DAY
    assert ticket.events.get(kind=TicketEvent.Kind.RATED).data == {"score": 4, "changed": False}
    thanks = get(browser, response["Location"]).content.decode()
    assert "your rating of 4 out of 5 was recorded" in thanks


def test_rating_again_within_the_window_changes_the_one_rating(solved):
    ticket, _token = solved
    post(Client(), rate_path(ticket), score="2", comment="Slow.")
    post(Client(), rate_path(ticket), when=SOLVED_AT + 3 * DAY, score="5", comment="")
    rating = Rating.objects.get()
    assert (rating.score, rating.comment, rating.rated_at) == (5, "", SOLVED_AT + 3 * DAY)
    assert list(ticket.events.filter(kind="rated").values_list("data", flat=True)) == [
        {"score": 2, "changed": False},
        {"score": 5, "changed": True},
    ]


def test_the_link_page_shows_the_current_rating_to_change(solved):
    ticket, _token = solved
    post(Client(), rate_path(ticket), score="2", comment="Slow answer.")
    page = get(Client(), rate_path(ticket)).content.decode()
    assert re.search(r'<input type="radio" name="score" value="2"[^>]*checked', page)
    assert "Slow answer." in page and "Update my rating" in page


@pytest.mark.parametrize("score", ["0", "6", "-1", "4.5", "five", ""])
def test_a_score_out_of_range_is_a_form_error_and_records_nothing(solved, score):
    ticket, _token = solved
    response = post(Client(), rate_path(ticket), score=score, comment="Keep this text")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a score from 1 to 5." in page and "Keep this text" in page
    assert not Rating.objects.exists()


def test_a_comment_over_the_limit_is_a_form_error(solved):
    ticket, _token = solved
    response = post(Client(), rate_path(ticket), score="3", comment="x" * 1001)
    assert response.status_code == 200 and not Rating.objects.exists()
    assert "at most 1000 characters" in response.content.decode()


def test_a_seed_phrase_in_the_comment_is_removed_flagged_and_never_shown_again(solved, caplog):
    ticket, _token = solved
    phrase = Mnemonic("english").generate(128)
    browser = Client()
    response = post(browser, rate_path(ticket), score="1", comment=f"You asked me for {phrase}")
    rating = Rating.objects.get()
    assert rating.comment == "You asked me for [removed: seed phrase]"
    assert rating.secrets_removed == ["seed_phrase"]
    ticket.refresh_from_db()
    assert ticket.secrets_removed == ["seed_phrase"]
    assert ticket.events.get(kind=TicketEvent.Kind.SECRET_REMOVED).data == {"removed": {"rating": ["seed_phrase"]}}
    page = get(browser, response["Location"]).content.decode()
    assert "We removed a secret from your message" in page and phrase not in page
    assert phrase not in caplog.text


def test_a_seed_phrase_in_a_comment_with_a_bad_score_is_not_shown_back(solved):
    ticket, _token = solved
    phrase = Mnemonic("english").generate(128)
    page = post(Client(), rate_path(ticket), score="9", comment=phrase).content.decode()
    assert phrase not in page and "[removed: seed phrase]" in page


def test_the_post_needs_a_csrf_token(solved):
    ticket, _token = solved
    browser = Client(enforce_csrf_checks=True)
    assert post(browser, rate_path(ticket), score="5").status_code == 403
    assert not Rating.objects.exists()


def test_ratings_are_rate_limited_per_client(solved, monkeypatch):
    ticket, _token = solved
    monkeypatch.setattr("tickets.views.RATE_LIMIT", 2)
    for _ in range(2):
        assert post(Client(), rate_path(ticket), score="3").status_code == 303
    response = post(Client(), rate_path(ticket), score="1")
    assert response.status_code == 200 and "Too many ratings" in response.content.decode()
    assert Rating.objects.get().score == 3


# Forged, foreign and stale links -----------------------------------------------------------------------------------


def test_a_forged_or_foreign_value_is_a_404(solved, queue_a):
    ticket, token = solved
    other, _ = open_ticket(make_problem_type(queue=queue_a))
    forged = [
        "nonsense",
        token,  # the tracking token is no rating link
        signing.dumps({"t": other.pk, "s": 0}, salt="another.salt"),
        signing.dumps({"t": other.pk, "s": 0}),
        signing.dumps(["not", "a", "dict"], salt=rating_links.SALT),
        signing.dumps({"t": "1", "s": 0}, salt=rating_links.SALT),
        signing.dumps({"t": 10**9, "s": 0}, salt=rating_links.SALT),  # a ticket that does not exist
    ]
    value = rate_path(ticket).rstrip("/").rsplit("/", 1)[1]
    payload, rest = value.split(":", 1)
    forged.append(payload.replace(payload[5], "A" if payload[5] != "A" else "B", 1) + ":" + rest)
    for bad in forged:
        assert get(Client(), f"/en/tickets/rate/{bad}/?score=5").status_code == 404
        assert post(Client(), f"/en/tickets/rate/{bad}/", score="5").status_code == 404
    assert not Rating.objects.exists()


def test_a_link_rates_only_its_own_ticket(solved, queue_a):
    ticket, _token = solved
    other, _ = open_ticket(make_problem_type(queue=queue_a))
    solve(other)
    post(Client(), rate_path(ticket), score="5")
    assert Rating.objects.get().ticket == ticket
    assert not Rating.objects.filter(ticket=other).exists()


def test_after_the_window_the_link_says_rating_is_closed_and_records_nothing(solved, settings):
    ticket, _token = solved
    after = SOLVED_AT + timedelta(days=settings.TICKET_REOPEN_DAYS, seconds=1)
    response = get(Client(), rate_path(ticket, 5), when=after)
    assert response.status_code == 410
    assert "Rating is closed for this ticket" in response.content.decode()
    assert post(Client(), rate_path(ticket), when=after, score="5").status_code == 410
    assert not Rating.objects.exists()


def test_a_rating_started_before_the_window_ends_and_sent_after_is_refused_with_a_message(solved, settings):
    ticket, _token = solved
    path = rate_path(ticket)
    end = SOLVED_AT + timedelta(days=settings.TICKET_REOPEN_DAYS)
    with pytest.raises(ValidationError):
        at(end, actions.rate_ticket, ticket=ticket, score=5)
    assert get(Client(), path, when=end - timedelta(seconds=1)).status_code == 200
    assert not Rating.objects.exists()


def test_a_link_from_before_a_reopen_rates_nothing_and_the_new_solve_has_new_links(solved, agent_a):
    ticket, _token = solved
    old = rate_path(ticket)
    at(SOLVED_AT + DAY, actions.reopen_ticket, ticket=ticket)
    response = get(Client(), old, when=SOLVED_AT + DAY)
    assert response.status_code == 410 and "The ticket was reopened" in response.content.decode()
    solve(ticket, SOLVED_AT + 2 * DAY, actor=agent_a)
    assert get(Client(), old, when=SOLVED_AT + 2 * DAY).status_code == 410
    new = rate_path(ticket)
    assert new != old
    assert post(Client(), new, when=SOLVED_AT + 2 * DAY, score="3").status_code == 303
    assert Rating.objects.get().solved_at == SOLVED_AT + 2 * DAY


def test_a_ticket_solved_again_is_rated_again_and_the_latest_score_counts(solved, agent_a):
    ticket, _token = solved
    post(Client(), rate_path(ticket), score="1")
    at(SOLVED_AT + DAY, actions.reopen_ticket, ticket=ticket)
    solve(ticket, SOLVED_AT + 2 * DAY, actor=agent_a)
    post(Client(), rate_path(ticket), when=SOLVED_AT + 2 * DAY, score="5")
    rating = Rating.objects.get()
    assert (rating.score, rating.solved_at) == (5, SOLVED_AT + 2 * DAY)


def test_only_a_solved_ticket_takes_a_rating(queue_a):
    ticket, _token = open_ticket(make_problem_type(queue=queue_a))
    with pytest.raises(ValidationError) as refused:
        actions.rate_ticket(ticket=ticket, score=5)
    assert refused.value.code == "closed"
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, None, "x"])
def test_the_action_refuses_a_score_out_of_range_whoever_calls_it(solved, score):
    ticket, _token = solved
    with pytest.raises(ValidationError) as refused:
        at(SOLVED_AT + DAY, actions.rate_ticket, ticket=ticket, score=score)
    assert refused.value.code == "score"


# The tracking page ---------------------------------------------------------------------------------------------------


@pytest.fixture
def customer_browser(solved):
    ticket, token = solved
    browser = Client(headers={"accept-language": "en"})
    with time_machine.travel(SOLVED_AT + DAY, tick=False):
        follow_link(browser, token)
    return browser


def test_the_tracking_page_of_a_solved_ticket_shows_the_rating_form_and_the_reopen_button(solved, customer_browser):
    ticket, _token = solved
    page = get(customer_browser, f"/en/tickets/{ticket.reference}/").content.decode()
    assert f'action="/en/tickets/{ticket.reference}/rate/"' in page
    assert f'action="/en/tickets/{ticket.reference}/reopen/"' in page
    assert "2026-03-09" in page


def test_rating_from_the_tracking_page_records_and_confirms(solved, customer_browser):
    ticket, _token = solved
    response = post(customer_browser, f"/en/tickets/{ticket.reference}/rate/", score="5", comment="Great")
    assert response.status_code == 303 and response["Location"].endswith("#rating")
    assert Rating.objects.get().score == 5
    page = get(customer_browser, f"/en/tickets/{ticket.reference}/").content.decode()
    assert "your rating of 5 out of 5 was recorded" in page
    assert re.search(r'<input type="radio" name="score" value="5"[^>]*checked', page)


def test_a_bad_score_on_the_tracking_page_is_a_form_error(solved, customer_browser):
    ticket, _token = solved
    response = post(customer_browser, f"/en/tickets/{ticket.reference}/rate/", score="7", comment="hmm")
    assert response.status_code == 200 and "Choose a score from 1 to 5." in response.content.decode()
    assert not Rating.objects.exists()


def test_rating_or_reopening_another_customers_ticket_is_a_404(solved, customer):
    ticket, _token = solved
    for path in (f"/en/tickets/{ticket.reference}/rate/", f"/en/tickets/{ticket.reference}/reopen/"):
        assert post(customer.client, path, score="1").status_code == 404
        assert post(Client(), path, score="1").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and not Rating.objects.exists()


def test_rate_and_reopen_take_no_get(solved, customer_browser):
    ticket, _token = solved
    for path in (f"/en/tickets/{ticket.reference}/rate/", f"/en/tickets/{ticket.reference}/reopen/"):
        assert get(customer_browser, path).status_code == 405
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and not Rating.objects.exists()


def test_after_the_window_the_tracking_page_offers_no_rating_reopen_or_reply(solved, customer_browser, settings):
    ticket, _token = solved
    post(customer_browser, f"/en/tickets/{ticket.reference}/rate/", score="4")
    after = SOLVED_AT + timedelta(days=settings.TICKET_REOPEN_DAYS, hours=1)
    page = get(customer_browser, f"/en/tickets/{ticket.reference}/", when=after).content.decode()
    assert "/rate/" not in page and "/reopen/" not in page and 'name="body"' not in page
    assert "You rated the solution 4 out of 5" in page
    assert "Please open a new ticket" in page or "please open a new ticket" in page


# Reopening ----------------------------------------------------------------------------------------------------------


def test_the_reopen_button_opens_the_ticket_again_within_the_window(solved, customer_browser):
    ticket, _token = solved
    response = post(customer_browser, f"/en/tickets/{ticket.reference}/reopen/", when=SOLVED_AT + 6 * DAY)
    assert response.status_code == 303
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_at is None
    event = ticket.events.filter(kind="status_changed").latest("pk")
    assert event.data == {"from": "solved", "to": "open", "by": "customer"} and event.actor is None
    page = get(customer_browser, f"/en/tickets/{ticket.reference}/", when=SOLVED_AT + 6 * DAY).content.decode()
    assert "Your ticket is open again" in page and "/rate/" not in page


def test_after_the_window_reopening_and_replying_are_refused_before_the_sweep_has_run(solved, customer_browser):
    ticket, _token = solved
    after = SOLVED_AT + 8 * DAY
    response = post(customer_browser, f"/en/tickets/{ticket.reference}/reopen/", when=after)
    assert response.status_code == 200
    assert "This ticket is closed and takes no more replies. Please open a new ticket." in response.content.decode()
    response = post(customer_browser, f"/en/tickets/{ticket.reference}/", when=after, body="Still missing")
    assert "This ticket is closed and takes no more replies. Please open a new ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.messages.count() == 1


def test_a_reply_within_the_window_reopens_the_ticket(solved, customer_browser):
    ticket, _token = solved
    post(customer_browser, f"/en/tickets/{ticket.reference}/", when=SOLVED_AT + 2 * DAY, body="Not there yet")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_at is None


def test_the_window_is_a_setting(solved, settings):
    ticket, _token = solved
    settings.TICKET_REOPEN_DAYS = 2
    assert ticket.reopenable(SOLVED_AT + 2 * DAY - timedelta(seconds=1))
    assert not ticket.reopenable(SOLVED_AT + 2 * DAY)


def test_reopening_an_open_ticket_is_refused(queue_a):
    ticket, _token = open_ticket(make_problem_type(queue=queue_a))
    with pytest.raises(ValidationError) as refused:
        actions.reopen_ticket(ticket=ticket)
    assert refused.value.code == "open"


# Automatic close -----------------------------------------------------------------------------------------------------


def test_the_sweep_closes_solved_tickets_past_the_window_once_with_an_event_and_no_email(queue_a):
    problem_type = make_problem_type(queue=queue_a)
    old = [open_ticket(problem_type)[0] for _ in range(3)]
    recent, _ = open_ticket(problem_type)
    still_open, _ = open_ticket(problem_type)
    for ticket in old:
        solve(ticket, SOLVED_AT)
    solve(recent, SOLVED_AT + 5 * DAY)
    emails = OutgoingEmail.objects.count()
    now = SOLVED_AT + 7 * DAY
    with time_machine.travel(now, tick=False):
        assert sweep.sweep(now=now, batch=2).closed == 3
        assert sweep.sweep(now=now).closed == 0
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert [statuses[t.pk] for t in old] == ["closed"] * 3
    assert (statuses[recent.pk], statuses[still_open.pk]) == ("solved", "new")
    for ticket in old:
        events = ticket.events.filter(kind="status_changed", data__to="closed")
        assert list(events.values_list("data", "created_at")) == [
            ({"from": "solved", "to": "closed", "by": "reopen_window"}, now)
        ]
        ticket.refresh_from_db()
        assert ticket.version == 2  # opened 0, solved 1, closed 2
    assert OutgoingEmail.objects.count() == emails


def test_closing_is_set_based_the_same_queries_for_2_or_20_tickets(queue_a):
    problem_type = make_problem_type(queue=queue_a)
    now = SOLVED_AT + 8 * DAY

    def queries(count):
        for _ in range(count):
            solve(open_ticket(problem_type)[0], SOLVED_AT)
        with CaptureQueriesContext(connection) as captured:
            assert actions.close_solved_tickets(at=now, batch=100) == count
        return len(captured)

    assert queries(2) == queries(20)


def test_the_sweep_command_reports_what_it_closed(queue_a, capsys):
    from django.core.management import call_command

    solve(open_ticket(make_problem_type(queue=queue_a))[0], SOLVED_AT)
    with time_machine.travel(SOLVED_AT + 8 * DAY, tick=False):
        call_command("sla_sweep")
    assert "closed 1" in capsys.readouterr().out


def test_a_closed_ticket_refuses_a_reply_and_a_rating(solved, settings):
    ticket, _token = solved
    now = SOLVED_AT + 8 * DAY
    at(now, sweep.sweep, now=now)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    with pytest.raises(ValidationError, match="Please open a new ticket"):
        at(now, actions.add_customer_reply, ticket=ticket, body="Hello?")
    with pytest.raises(ValidationError):
        at(now, actions.rate_ticket, ticket=ticket, score=5)


# The desk -------------------------------------------------------------------------------------------------------------


def test_the_staff_ticket_page_shows_the_rating_and_its_guarded_comment(client, agent_a, solved):
    ticket, _token = solved
    phrase = Mnemonic("english").generate(128)
    post(Client(), rate_path(ticket), score="2", comment=f"You asked me for {phrase}")
    client.force_login(agent_a)
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "Customer rating" in page and "2 out of 5" in page and phrase not in page
    assert 'You asked me for <mark class="desk-redacted">[removed: seed phrase]</mark>' in page
    assert "Rated the solution 2 out of 5." in page


def test_satisfaction_counts_csat_average_and_spread_per_queue_and_agent_in_the_period(
    agent_a, agent_b, queue_a, queue_b
):
    type_a, type_b = make_problem_type(queue=queue_a), make_problem_type(queue=queue_b)
    given = [
        (type_a, agent_a, 5, "Great"),
        (type_a, agent_a, 4, ""),
        (type_a, None, 1, "Bad"),
        (type_b, agent_b, 3, ""),
    ]
    for problem_type, agent, score, comment in given:
        ticket, _ = open_ticket(problem_type)
        if agent:
            actions.assign_ticket(ticket=ticket, assignee=agent)
        solve(ticket)
        at(SOLVED_AT + DAY, actions.rate_ticket, ticket=ticket, score=score, comment=comment)
    outside, _ = open_ticket(type_a)
    solve(outside, SOLVED_AT - 20 * DAY)
    at(SOLVED_AT - 19 * DAY, actions.rate_ticket, ticket=outside, score=1)
    period = dashboard.Period(SOLVED_AT.date(), (SOLVED_AT + 2 * DAY).date(), UTC)
    result = dashboard.satisfaction([queue_a, queue_b], period)
    rows = {row.label: row for row in [*result.queues, *result.agents, result.total]}
    assert rows[queue_a.name].counts == [1, 0, 0, 1, 1]
    assert rows[queue_a.name].total == 3 and rows[queue_a.name].average == pytest.approx(10 / 3)
    assert rows[queue_a.name].csat == pytest.approx(200 / 3)
    assert rows[queue_b.name].counts == [0, 0, 1, 0, 0] and rows[queue_b.name].csat == 0
    assert [row.label for row in result.agents] == ["agent-a", "agent-b", "Unassigned"]
    assert rows["agent-a"].counts == [0, 0, 0, 1, 1] and rows["agent-a"].csat == 100
    assert rows["Unassigned"].counts == [1, 0, 0, 0, 0]
    assert result.total.counts == [1, 0, 1, 1, 1] and result.total.average == pytest.approx(13 / 4)
    assert [rating.comment for rating in result.comments] == ["Bad", "Great"]  # the latest first
    only_b = dashboard.satisfaction([queue_a, queue_b], period, queue_id=queue_b.pk)
    assert only_b.total.counts == [0, 0, 1, 0, 0] and [row.label for row in only_b.queues] == [queue_b.name]


def test_satisfaction_runs_three_queries_for_2_or_20_ratings(queue_a, agent_a, django_assert_num_queries):
    problem_type = make_problem_type(queue=queue_a)
    period = dashboard.Period(SOLVED_AT.date(), (SOLVED_AT + 2 * DAY).date(), UTC)

    def add(count):
        for n in range(count):
            ticket, _ = open_ticket(problem_type)
            actions.assign_ticket(ticket=ticket, assignee=agent_a)
            solve(ticket)
            at(SOLVED_AT + DAY, actions.rate_ticket, ticket=ticket, score=n % 5 + 1, comment=f"comment {n}")

    for count in (2, 18):
        add(count)
        with django_assert_num_queries(3):
            result = dashboard.satisfaction([queue_a], period)
            [(rating.ticket.reference, rating.queue, rating.assignee) for rating in result.comments]
    assert result.total.total == 20 and len(result.comments) == dashboard.LATEST_COMMENTS


def test_the_dashboard_shows_satisfaction_with_guarded_comments_and_a_csv(client, supervisor, solved):
    ticket, _token = solved
    phrase = Mnemonic("english").generate(128)
    post(Client(), rate_path(ticket), score="5", comment=f"You asked me for {phrase}")
    client.force_login(supervisor)
    params = {"from": "2026-03-01", "to": "2026-03-05"}
    with time_machine.travel(SOLVED_AT + 2 * DAY, tick=False):
        page = client.get("/admin/tickets/dashboard/", params).content.decode()
        csv_text = client.get("/admin/tickets/dashboard/", {**params, "format": "csv", "table": "satisfaction"})
    assert 'id="satisfaction"' in page and "Customer satisfaction" in page
    assert 'You asked me for <mark class="desk-redacted">[removed: seed phrase]</mark>' in page and phrase not in page
    assert ticket.reference in page and "100%" in page
    lines = csv_text.content.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0] == "Grouped by,Name,Ratings,Average,CSAT %,1,2,3,4,5"
    assert "All queues,All queues,1,5.0,100.0,0,0,0,0,1" in lines


def test_agents_cannot_see_the_satisfaction_figures(client, agent_a):
    client.force_login(agent_a)
    assert client.get("/admin/tickets/dashboard/", {"format": "csv", "table": "satisfaction"}).status_code == 403


def test_the_staff_api_detail_has_the_rating_in_the_same_number_of_queries(solved, agent_a, django_assert_num_queries):
    from tests.tickets.test_staff_api import DETAIL_QUERIES, api, detail

    ticket, _token = solved
    client = api(agent_a, token=True)
    assert client.get(detail(ticket)).json()["rating"] is None
    post(Client(), rate_path(ticket), score="4", comment="Fine")
    with django_assert_num_queries(DETAIL_QUERIES):  # as without a rating: it comes with the ticket's row
        rating = client.get(detail(ticket)).json()["rating"]
    assert rating["score"] == 4 and rating["comment"] == "Fine" and rating["assignee_id"] == agent_a.pk
    assert rating["rated_at"].startswith("2026-03-03")


def test_the_staff_api_shows_no_rating_of_another_queues_ticket(solved, agent_b):
    from tests.tickets.test_staff_api import api, detail

    ticket, _token = solved
    post(Client(), rate_path(ticket), score="4")
    assert api(agent_b, token=True).get(detail(ticket)).status_code == 404


# Attacks -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("score", ["9", "0", "<script>", "1' OR '1'='1", "4" * 50])
def test_a_bad_score_in_the_link_preselects_nothing(solved, score):
    ticket, _token = solved
    response = get(Client(), f"{rate_path(ticket)}?score={score}")
    assert response.status_code == 200
    assert "checked" not in response.content.decode() and not Rating.objects.exists()


def test_markup_in_a_comment_is_shown_as_text_to_staff_and_customer(client, supervisor, solved):
    ticket, _token = solved
    browser = Client()
    response = post(browser, rate_path(ticket), score="3", comment='<script>alert(1)</script><img src=x onerror="x">')
    client.force_login(supervisor)
    pages = [
        get(browser, response["Location"]).content.decode(),
        client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode(),
    ]
    with time_machine.travel(SOLVED_AT + DAY, tick=False):
        pages.append(
            client.get("/admin/tickets/dashboard/", {"from": "2026-03-01", "to": "2026-03-05"}).content.decode()
        )
    for page in pages:
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_signed_link_for_one_solve_cannot_be_shifted_to_another_solve(solved, agent_a):
    ticket, _token = solved
    at(SOLVED_AT + DAY, actions.reopen_ticket, ticket=ticket)
    solve(ticket, SOLVED_AT + 2 * DAY, actor=agent_a)
    # The attacker knows the format but not the key: a value naming the new solve, signed by anyone else, is forged.
    forged = signing.dumps(
        {"t": ticket.pk, "s": rating_links._instant(SOLVED_AT + 2 * DAY)}, salt=rating_links.SALT, key="guessed"
    )
    assert post(Client(), f"/en/tickets/rate/{forged}/", when=SOLVED_AT + 2 * DAY, score="1").status_code == 404
    assert not Rating.objects.exists()


def test_reopen_needs_a_csrf_token(solved):
    ticket, token = solved
    browser = Client(enforce_csrf_checks=True)
    with time_machine.travel(SOLVED_AT + DAY, tick=False):
        follow_link(browser, token)
    assert post(browser, f"/en/tickets/{ticket.reference}/reopen/").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED


def test_a_rating_event_and_logs_never_hold_the_comment(solved, caplog):
    ticket, _token = solved
    post(Client(), rate_path(ticket), score="2", comment="private words here")
    assert "private words" not in str(list(ticket.events.values_list("data", flat=True)))
    assert "private words" not in caplog.text


def test_the_link_is_refused_once_an_agent_closes_the_ticket(solved, agent_a):
    ticket, _token = solved
    at(SOLVED_AT + DAY, actions.change_status, ticket=ticket, status="closed", actor=agent_a)
    assert get(Client(), rate_path(ticket, 5)).status_code == 410
    assert post(Client(), rate_path(ticket), score="5").status_code == 410
    assert not Rating.objects.exists()
