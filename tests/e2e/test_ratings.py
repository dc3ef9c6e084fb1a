"""Rating a solved ticket on a phone, from the email's link and from the tracking page, then reopening it."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.tickets.factories import make_problem_type
from tickets import actions, notifications
from tickets.models import OutgoingEmail, Rating, Ticket

pytestmark = pytest.mark.e2e


@pytest.fixture
def solved(settings):
    problem_type = make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})
    opened = actions.open_ticket(
        problem_type=problem_type,
        language="zh-hans",
        email="carol@example.com",
        subject="USDT充值两个小时了还没到账",
        description="TRC20 充值还没到账",
        fields={},
    )
    actions.change_status(ticket=opened.ticket, status="solved")
    email = OutgoingEmail.objects.get(ticket=opened.ticket, kind=OutgoingEmail.Kind.TICKET_SOLVED)
    text = notifications.compose(email, at=opened.ticket.created_at).body
    links = re.findall(r"https?://\S+/rate/\S+\?score=\d", text)
    return opened.ticket, opened.token, [urlsplit(link) for link in links]


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_customer_rates_from_the_email_link_on_a_phone_then_reopens_from_the_tracking_page(pages, solved):
    ticket, token, links = solved
    assert len(links) == 5
    page = pages.open(f"{links[4].path}?{links[4].query}", **PHONE)
    expect(page.locator("input[name=score][value='5']")).to_be_checked()
    assert no_sideways_scroll(page)
    assert not Rating.objects.exists()  # opening the link records nothing

    page.locator("label.rating-option", has_text="2").tap()
    expect(page.locator("input[name=score][value='2']")).to_be_checked()
    page.locator("textarea[name=comment]").fill("回复太慢了")
    page.locator("form.rating-form button[type=submit]").tap()
    expect(page.locator(".rating-thanks")).to_contain_text("2 分")
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == (2, "回复太慢了")

    page.goto(f"/zh-hans/tickets/t/{token}/")
    expect(page.locator("input[name=score][value='2']")).to_be_checked()
    assert no_sideways_scroll(page)
    page.locator("form.ticket-reopen button[type=submit]").tap()
    expect(page.locator(".ticket-notice")).to_be_visible()
    expect(page.locator("form.rating-form")).to_have_count(0)
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
