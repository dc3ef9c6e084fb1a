"""The confirmation page: the private link (copy button, by email), the articles that may solve the ticket, and
closing it as solved by one of them (self-service), counted in the help center's analytics and on the dashboard."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kb.models import Article
from kb.search import analytics
from tests.factories import make_article, make_section
from tests.tickets.factories import add_message, deposit_values, follow_link, make_problem_type, open_ticket
from tickets import actions, dashboard
from tickets.models import OutgoingEmail, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SUBJECT = "Deposit not arrived after 2 hours"
DESCRIPTION = "I sent USDT on TRC20 two hours ago and the deposit is still not credited."


@pytest.fixture
def articles():
    """A small help center: the deposit article that answers the ticket, and others that do not."""
    section = make_section()
    deposit = make_article(
        section=section,
        slug="deposit-not-credited",
        language="en",
        title="Deposit not arrived? Troubleshooting missing USDT deposits",
        summary="What to check when a deposit has not arrived.",
        body="## Deposit not credited\n\nA deposit arrives after the network confirmations. Check the TxID, the "
        "network (TRC20, ERC20) and the memo. If the deposit has not arrived after 2 hours, submit a ticket.\n",
    )
    others = [
        make_article(
            section=section,
            language="en",
            slug="reset-password",
            title="Forgot your password? How to reset it",
            body="## Reset\n\nUse the login page link to reset your password by email.\n",
        ),
        make_article(
            section=section,
            language="en",
            slug="kyc-failed",
            title="Identity verification keeps failing",
            body="## Rejected\n\nA blurry photo or an expired document is the usual reason a verification fails.\n",
        ),
        make_article(
            section=section,
            language="en",
            slug="referral-rewards",
            title="How referral rewards work",
            body="## Rewards\n\nInvite friends and earn a share of their trading fees every day.\n",
        ),
    ]
    return deposit, others


@pytest.fixture
def deposit_type():
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def submit(client, problem_type, **overrides):
    """File a ticket through the form as a customer does; returns (ticket, the confirmation page's response)."""
    form = client.get(f"/en/tickets/new/{problem_type.slug}/").context["form"]
    data = {
        "email": "alice@example.com",
        "subject": SUBJECT,
        "description": DESCRIPTION,
        "submission": form["submission"].value(),
        **deposit_values(),
        **overrides,
    }
    response = client.post(f"/en/tickets/new/{problem_type.slug}/", data)
    assert response.status_code == 303
    ticket = Ticket.objects.get(reference=response["Location"].split("/")[3])
    return ticket, client.get(response["Location"])


def solve_url(ticket):
    return f"/en/tickets/{ticket.reference}/solved/"


def own_ticket(client, problem_type, **overrides):
    ticket, token = open_ticket(problem_type, language="en", subject=SUBJECT, description=DESCRIPTION, **overrides)
    follow_link(client, token)
    return ticket


# The private link ---------------------------------------------------------------------------------------------


def test_the_link_sits_in_a_wrapping_read_only_field_with_a_copy_button_that_needs_javascript(client, deposit_type):
    _ticket, page = submit(client, deposit_type)
    html = page.content.decode()
    link = page.context["tracking_url"]
    field = re.search(r"<textarea[^>]*id=\"tracking-link\"[^>]*>([^<]*)</textarea>", html)
    assert field and field.group(1) == link and "readonly" in field.group(0)
    button = re.search(r"<button[^>]*data-copy=\"tracking-link\"[^>]*>", html).group(0)
    assert " hidden" in button and 'data-copied="Copied"' in button and 'type="button"' in button
    assert 'class="copy-status" role="status"' in html


def test_the_copy_button_and_its_feedback_are_in_chinese_on_the_chinese_page(client, deposit_type):
    form = client.get(f"/zh-hans/tickets/new/{deposit_type.slug}/").context["form"]
    data = {"email": "a@example.com", "subject": "充值未到账", "description": "两个小时了", **deposit_values()}
    data["submission"] = form["submission"].value()
    response = client.post(f"/zh-hans/tickets/new/{deposit_type.slug}/", data)
    html = client.get(response["Location"]).content.decode()
    assert 'data-copied="已复制"' in html and "复制链接" in html


def test_the_link_on_the_confirmation_page_arrives_by_email_and_opens_the_ticket_elsewhere(
    client,
    deposit_type,
    run_worker,
    settings,
):
    settings.SITE_URL = "https://help.example.com"
    ticket, page = submit(client, deposit_type)
    shown = page.context["tracking_url"]
    run_worker()
    [message] = mail.outbox
    assert message.to == ["alice@example.com"] and ticket.reference in message.subject
    path = urlsplit(shown).path
    assert f"https://help.example.com{path}" in message.body
    html = message.alternatives[0][0]
    assert f'href="https://help.example.com{path}"' in html
    other_device = Client()
    opened = other_device.get(path, follow=True)
    assert opened.status_code == 200 and ticket.subject in opened.content.decode()


# Articles on the confirmation page ------------------------------------------------------------------------------


def test_the_confirmation_page_shows_the_article_that_answers_the_ticket_with_a_solved_button(
    client, deposit_type, articles
):
    deposit, _others = articles
    ticket, page = submit(client, deposit_type)
    assert [article.pk for article in page.context["answers"]] == [deposit.pk]
    html = page.content.decode()
    form = re.search(rf'<form method="post" action="/en/tickets/{ticket.reference}/solved/">.*?</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(0)
    assert f'name="article" value="{deposit.pk}"' in form.group(0) and "This solved my problem" in form.group(0)
    assert f'href="{deposit.get_absolute_url()}"' in html


def test_nonsense_tickets_get_no_articles(client, deposit_type, articles):
    _ticket, page = submit(client, deposit_type, subject="qwpoeiru zxcmvn", description="asdkjh lkjhgf")
    assert page.context["answers"] == [] and "This solved my problem" not in page.content.decode()


def test_the_articles_show_on_the_confirmation_only_not_on_later_visits(client, deposit_type, articles):
    ticket, _page = submit(client, deposit_type)
    later = client.get(f"/en/tickets/{ticket.reference}/")
    assert later.context["answers"] == [] and "This solved my problem" not in later.content.decode()


def test_once_an_agent_replied_the_confirmation_offers_no_articles(client, deposit_type, articles, agent_a):
    ticket = own_ticket(client, deposit_type)
    actions.add_agent_reply(ticket=ticket, author=agent_a, body="We are checking.")
    page = client.get(f"/en/tickets/{ticket.reference}/?new=1")
    assert page.context["answers"] == []


def test_the_confirmation_page_runs_as_many_queries_for_3_messages_as_for_10(
    client, deposit_type, articles, django_assert_num_queries
):
    from tests.tickets.test_views import _count

    ticket = own_ticket(client, deposit_type)
    url = f"/en/tickets/{ticket.reference}/?new=1"
    for _ in range(2):
        add_message(ticket, author="customer")
    three = _count(client, url)
    # The ticket page's 5 (its files included), then the articles: vocabulary, candidates (all words, any word),
    # their ranking rows, the corpus size, the articles shown; once for subject and description, once for the
    # subject alone.
    assert three <= 19, three
    for _ in range(7):
        add_message(ticket, author="customer")
    with django_assert_num_queries(three):
        page = client.get(url)
    assert [article.slug for article in page.context["answers"]] == ["deposit-not-credited"]


# Closing the ticket as solved by an article ---------------------------------------------------------------------


def test_this_solved_my_problem_solves_the_ticket_naming_the_article_and_stops_its_clocks(
    client, deposit_type, articles
):
    deposit, _others = articles
    ticket, _page = submit(client, deposit_type)
    assert ticket.sla_due_at is not None or not ticket.clocks.exists()
    response = client.post(solve_url(ticket), {"article": deposit.pk})
    assert response.status_code == 303 and response["Location"] == f"/en/tickets/{ticket.reference}/#solved"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.solved_by_article == deposit
    assert ticket.sla_due_at is None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [TicketEvent.Kind.SOLVED_BY_ARTICLE, TicketEvent.Kind.STATUS_CHANGED]
    event = ticket.events.get(kind=TicketEvent.Kind.SOLVED_BY_ARTICLE)
    assert event.data == {"article_id": deposit.pk, "slug": deposit.slug, "language": "en", "title": deposit.title}
    assert event.actor is None
    assert OutgoingEmail.objects.filter(ticket=ticket, kind=OutgoingEmail.Kind.TICKET_SOLVED).count() == 1


def test_the_solved_ticket_says_which_article_solved_it_and_a_reply_reopens_it(client, deposit_type, articles):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    client.post(solve_url(ticket), {"article": deposit.pk})
    page = client.get(f"/en/tickets/{ticket.reference}/")
    html = page.content.decode()
    assert "You closed this ticket as solved by the article “" + deposit.title + "”" in html
    assert 'id="solved"' in html and "Send reply" in html
    form = page.context["form"]
    client.post(
        f"/en/tickets/{ticket.reference}/",
        {"body": "It is still missing.", "submission": form["submission"].value()},
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_by_article is None
    assert "You closed this ticket" not in client.get(f"/en/tickets/{ticket.reference}/").content.decode()


def test_a_second_click_on_the_same_article_changes_nothing(client, deposit_type, articles):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    for _ in range(2):
        assert client.post(solve_url(ticket), {"article": deposit.pk}).status_code == 303
    assert ticket.events.filter(kind=TicketEvent.Kind.SOLVED_BY_ARTICLE).count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).count() == 1


def test_another_session_or_an_unknown_ticket_is_a_404_and_changes_nothing(client, deposit_type, articles):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    stranger = Client()
    assert stranger.post(solve_url(ticket), {"article": deposit.pk}).status_code == 404
    assert client.post("/en/tickets/HD-ZZZZZZZZ/solved/", {"article": deposit.pk}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.solved_by_article is None


def test_a_get_changes_nothing(client, deposit_type, articles):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    assert client.get(solve_url(ticket), {"article": deposit.pk}).status_code == 405
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_solving_requires_the_csrf_token(deposit_type, articles):
    deposit, _others = articles
    browser = Client(enforce_csrf_checks=True)
    ticket = own_ticket(browser, deposit_type)
    assert browser.post(solve_url(ticket), {"article": deposit.pk}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


@pytest.mark.parametrize("article", ["", "abc", "999999", "-1", "1 OR 1=1"])
def test_a_missing_or_unknown_article_is_a_400_with_a_message(client, deposit_type, articles, article):
    ticket = own_ticket(client, deposit_type)
    response = client.post(solve_url(ticket), {"article": article})
    assert response.status_code == 400
    assert "Choose one of the articles shown." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_draft_or_future_article_cannot_close_a_ticket(client, deposit_type, articles):
    draft = make_article(language="en", status=Article.Status.DRAFT)
    later = make_article(language="en", publish_at=timezone.now() + timedelta(days=1))
    ticket = own_ticket(client, deposit_type)
    for article in (draft, later):
        assert client.post(solve_url(ticket), {"article": article.pk}).status_code == 400
    with pytest.raises(ValidationError):
        actions.solve_by_self_service(ticket=ticket, article=draft)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_after_an_agent_reply_the_ticket_cannot_be_closed_this_way(client, deposit_type, articles, agent_a):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    actions.add_agent_reply(ticket=ticket, author=agent_a, body="We are checking.")
    response = client.post(solve_url(ticket), {"article": deposit.pk})
    assert response.status_code == 400 and "Our team is already working on this ticket" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_by_article is None


def test_an_internal_note_does_not_end_self_service(client, deposit_type, articles, agent_a):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    actions.add_note(ticket=ticket, author=agent_a, body="Probably the memo.")
    assert client.post(solve_url(ticket), {"article": deposit.pk}).status_code == 303


@pytest.mark.parametrize("status", [Ticket.Status.PENDING, Ticket.Status.ON_HOLD, Ticket.Status.CLOSED])
def test_only_new_or_open_tickets_can_be_closed_this_way(client, deposit_type, articles, status):
    deposit, _others = articles
    ticket = own_ticket(client, deposit_type)
    actions.change_status(ticket=ticket, status=status)
    assert client.post(solve_url(ticket), {"article": deposit.pk}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == status and ticket.solved_by_article is None


def test_a_ticket_solved_by_an_agent_cannot_be_claimed_for_an_article(deposit_type, articles):
    deposit, _others = articles
    ticket, _token = open_ticket(deposit_type)
    actions.change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    with pytest.raises(ValidationError):
        actions.solve_by_self_service(ticket=ticket, article=deposit)


# Analytics and the dashboard ------------------------------------------------------------------------------------


def test_search_analytics_count_the_tickets_each_article_solved_and_forget_reopened_ones(deposit_type, articles):
    deposit, (password, *_rest) = articles
    tickets = [open_ticket(deposit_type)[0] for _ in range(4)]
    for ticket in tickets[:3]:
        actions.solve_by_self_service(ticket=ticket, article=deposit)
    actions.solve_by_self_service(ticket=tickets[3], article=password)
    actions.add_customer_reply(ticket=tickets[2], body="Not solved after all.")
    now = timezone.now()
    rows = analytics.solved_by_article(now - timedelta(days=1), now + timedelta(minutes=1))
    assert [(row["article_id"], row["tickets"]) for row in rows] == [(deposit.pk, 2), (password.pk, 1)]
    assert analytics.solved_by_article(now - timedelta(days=1), now + timedelta(minutes=1), language="zh-hans") == []
    assert analytics.solved_by_article(now + timedelta(minutes=1), now + timedelta(days=1)) == []


def test_the_analytics_page_shows_tickets_solved_by_an_article(client, editor, deposit_type, articles):
    deposit, _others = articles
    actions.solve_by_self_service(ticket=open_ticket(deposit_type)[0], article=deposit)
    client.force_login(editor)
    html = client.get("/admin/kb/searchlog/analytics/", {"period": "7"}).content.decode()
    table = html[html.index('id="solved-by-article"') :]
    assert "Tickets solved by an article" in table and deposit.title in table
    assert re.search(r"<td>1</td></tr>", table)


def test_the_dashboard_counts_self_service_solutions_in_the_period_and_queue(client, supervisor, articles):
    deposit, _others = articles
    first, second = make_problem_type(), make_problem_type()
    for problem_type in (first, first, second):
        actions.solve_by_self_service(ticket=open_ticket(problem_type)[0], article=deposit)
    open_ticket(first)
    today = timezone.localdate()
    period = dashboard.Period(today - timedelta(days=1), today, timezone.get_current_timezone())
    assert dashboard.self_service(period) == 3
    assert dashboard.self_service(period, queue_id=first.queue_id) == 2
    client.force_login(supervisor)
    html = client.get("/admin/tickets/dashboard/").content.decode()
    assert re.search(r'id="self-service">\s*3 of them solved by self-service', html)


def test_the_desk_audit_log_says_the_customer_solved_it_with_the_article(client, agent_a, queue_a, articles):
    from tests.tickets.test_desk_ticket_page import page_url

    deposit, _others = articles
    ticket, _token = open_ticket(make_problem_type(queue=queue_a))
    actions.solve_by_self_service(ticket=ticket, article=deposit)
    client.force_login(agent_a)
    lines = [(words, actor) for _event, words, actor in client.get(page_url(ticket)).context["audit_log"]]
    said = f"The customer said the article “{deposit.title}” (deposit-not-credited, en) solved the problem."
    assert (said, "Customer") in lines
    assert ("Status changed from New to Solved.", "Customer") in lines


def test_a_grant_to_one_ticket_cannot_solve_another(client, deposit_type, articles):
    deposit, _others = articles
    own_ticket(client, deposit_type)
    someone_elses, _token = open_ticket(deposit_type, language="en")
    assert client.post(solve_url(someone_elses), {"article": deposit.pk}).status_code == 404
    someone_elses.refresh_from_db()
    assert someone_elses.status == Ticket.Status.NEW and not someone_elses.events.filter(kind="solved_by_article")


def test_a_refused_solution_shows_the_articles_again_but_never_the_link(client, deposit_type, articles):
    """A refused POST re-renders the page: the tracking link is never shown again, the articles are."""
    _deposit, _others = articles
    ticket, _page = submit(client, deposit_type)
    response = client.post(solve_url(ticket), {"article": "abc"})
    assert response.status_code == 400 and response.context["tracking_url"] == ""
    assert "/tickets/t/" not in response.content.decode()
    assert [article.slug for article in response.context["answers"]] == ["deposit-not-credited"]
    assert "no-store" in response["Cache-Control"]
