"""The confirmation page on a phone: suggestions for a sentence-like subject, the private link copied or selected,
the articles shown again, and "This solved my problem"."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, fill_deposit
from tests.tickets.factories import make_problem_type
from tickets.models import Ticket

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp"))
NO_CLIPBOARD = "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});"


@pytest.fixture
def desk():
    call_command("load_demo_content", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def file_ticket(page, subject, description):
    page.goto("/en/tickets/new/deposit/")
    page.locator("input[name=subject]").press_sequentially(subject, delay=20)
    suggestions = page.locator("[data-ticket-suggestions]")
    expect(suggestions).to_be_visible()
    expect(suggestions.locator("a").first).to_contain_text("Deposit not showing up?")
    fill_deposit(page, email="alice@example.com", description=description)
    page.locator("form.ticket-form button[type=submit]").click()
    ticket = Ticket.objects.get()
    page.wait_for_url(f"**/en/tickets/{ticket.reference}/?new=1")
    return ticket


def fits(page, selector):
    """The element is inside the viewport's width and shows all of its text (nothing scrolled out of sight)."""
    return page.locator(selector).evaluate(
        """(el) => {
          const box = el.getBoundingClientRect();
          return box.left >= 0 && box.right <= window.innerWidth
            && el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight;
        }"""
    )


def test_on_a_phone_the_link_is_whole_the_copy_button_copies_and_an_article_solves_the_ticket(pages, desk):
    page = pages.open(permissions=["clipboard-read", "clipboard-write"], **PHONE)
    ticket = file_ticket(page, "deposit not arrived after 2 hours", "Sent 500 USDT on TRC20 two hours ago.")
    link = page.locator("#tracking-link").input_value()
    assert "/en/tickets/t/" in link
    assert fits(page, "#tracking-link")
    page.screenshot(path=str(SHOTS / "confirmation-phone.png"), full_page=True)

    button = page.locator("button[data-copy]")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator(".copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link

    answers = page.locator(".self-service li")
    expect(answers.first).to_contain_text("Deposit not showing up?")
    answers.first.locator("button[type=submit]").click()
    page.wait_for_url(f"**/en/tickets/{ticket.reference}/#solved")
    expect(page.locator("#solved")).to_contain_text("You closed this ticket as solved by the article")
    expect(page.locator("form.reply-form")).to_be_visible()
    page.screenshot(path=str(SHOTS / "confirmation-solved-phone.png"), full_page=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.solved_by_article.slug == "deposit-not-credited"


def test_without_the_clipboard_api_the_copy_button_selects_the_link(pages, desk):
    page = pages.open(**PHONE)
    page.add_init_script(NO_CLIPBOARD)
    file_ticket(page, "deposit not arrived after 2 hours", "Still missing.")
    page.locator("button[data-copy]").click()
    expect(page.locator(".copy-status")).not_to_be_empty()
    selected = page.locator("#tracking-link").evaluate("(el) => [el.selectionStart, el.selectionEnd, el.value.length]")
    assert selected[0] == 0 and selected[1] == selected[2] > 0
    assert page.evaluate("document.activeElement.id") == "tracking-link"


def test_on_a_desktop_the_confirmation_shows_link_and_articles(pages, desk):
    page = pages.open(viewport={"width": 1280, "height": 900})
    file_ticket(page, "deposit not arrived after 2 hours", "Sent 500 USDT on TRC20 two hours ago.")
    assert fits(page, "#tracking-link")
    expect(page.locator(".self-service li").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "confirmation-desktop.png"), full_page=True)
