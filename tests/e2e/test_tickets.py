"""Opening a ticket in a real browser: search first, suggested articles while typing, the private tracking page."""

import pytest
from playwright.sync_api import expect

from kb.models import SearchLog
from tests.e2e.conftest import PHONE, fill_deposit
from tests.factories import make_article, make_section
from tests.tickets.factories import make_problem_type
from tickets import actions
from tickets.models import Ticket

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk():
    section = make_section()
    article = make_article(section=section, slug="deposit-not-credited", title="充值未到账怎么办", tags=["充值"])
    problem_type = make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})
    return {"article": article, "type": problem_type}


def test_a_customer_searches_then_opens_a_ticket_and_lands_on_its_private_page(pages, desk):
    page = pages.open("/zh-hans/search/?q=充值没到账")  # the search starts the visit
    expect(page.locator(".search-result").first).to_be_visible()
    page.goto("/zh-hans/tickets/new/")
    expect(page.locator("input[type=search]").first).to_be_visible()
    page.locator("a[href='/zh-hans/tickets/new/deposit/']").click()

    page.locator("input[name=subject]").press_sequentially("充值没到账", delay=40)
    suggestions = page.locator("[data-ticket-suggestions]")
    expect(suggestions).to_be_visible()
    expect(suggestions.locator("a")).to_contain_text(["充值未到账怎么办"])

    fill_deposit(page, email="alice@example.com", description="昨天转入 500 USDT，一直没到账。")
    page.locator("form.ticket-form button[type=submit]").click()

    ticket = Ticket.objects.get()
    page.wait_for_url(f"**/zh-hans/tickets/{ticket.reference}/?new=1")
    expect(page.locator("body")).to_contain_text(ticket.reference)
    expect(page.locator("body")).to_contain_text("昨天转入 500 USDT")
    assert SearchLog.objects.get(query="充值没到账").ticket_submitted
    link = page.locator("#tracking-link").input_value()
    assert "/zh-hans/tickets/t/" in link


def test_a_customer_opens_the_private_link_replies_and_sees_the_reply(pages, desk):
    opened = actions.open_ticket(
        problem_type=desk["type"],
        language="en",
        email="bob@example.com",
        subject="Withdrawal stuck",
        description="Pending for six hours.",
        fields={},
    )
    requests = []
    page = pages.open()
    page.on("request", lambda request: requests.append((request.url, request.headers.get("referer", ""))))
    page.goto(f"/en/tickets/t/{opened.token}/")
    page.wait_for_url(f"**/en/tickets/{opened.ticket.reference}/")
    expect(page.locator("h1")).to_have_text("Withdrawal stuck")
    page.locator("textarea[name=body]").fill("Here is more detail: sent at 10:05.")
    page.locator("form.reply-form button[type=submit]").click()
    page.wait_for_url(f"**/en/tickets/{opened.ticket.reference}/#latest")
    expect(page.locator("#latest")).to_contain_text("Here is more detail: sent at 10:05.")
    assert list(opened.ticket.messages.values_list("body", flat=True))[-1] == "Here is more detail: sent at 10:05."
    # The token was in the first request line only: no later URL or referrer carries it.
    later = [(url, referer) for url, referer in requests if "/tickets/t/" not in url]
    assert later and all(opened.token not in url + referer for url, referer in later)


def test_a_wrong_field_puts_the_focus_on_an_error_summary_that_links_to_it(pages, desk):
    page = pages.open("/en/tickets/new/deposit/")
    page.locator("input[name=email]").fill("alice@example.com")
    page.locator("input[name=subject]").fill("Deposit missing")
    page.locator("textarea[name=description]").fill("It did not arrive.")
    page.locator("input[name=amount]").fill("200,5")
    page.locator("form.ticket-form button[type=submit]").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Use a dot for decimals: 200.5")
    summary.locator("a[href='#id_amount']").click()
    expect(page.locator("#id_amount")).to_be_focused()
    expect(page.locator("#id_amount")).to_have_value("200,5")


def test_the_ticket_form_fits_a_phone_and_keeps_values_after_an_error(pages, desk):
    page = pages.open("/en/tickets/new/deposit/", **PHONE)
    page.locator("input[name=email]").fill("not-an-email")
    page.locator("input[name=subject]").fill("Deposit missing")
    page.locator("form.ticket-form button[type=submit]").click()
    expect(page.locator("input[name=subject]")).to_have_value("Deposit missing")
    expect(page.locator("input[name=email]")).to_have_value("not-an-email")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not Ticket.objects.exists()


def test_on_a_phone_a_customer_attaches_a_screenshot_sees_it_on_the_ticket_and_downloads_it(pages, desk, tmp_path):
    import io

    from PIL import Image

    shot = tmp_path / "截图.png"
    Image.new("RGB", (390, 844), (20, 120, 200)).save(shot, "PNG")
    page = pages.open("/en/tickets/new/deposit/", **PHONE)
    page.locator("input[name=subject]").fill("Deposit not arrived after 2 hours")
    fill_deposit(page, email="alice@example.com", description="Sent 500 USDT two hours ago.")
    page.locator("input[name=attachments]").set_input_files(str(shot))
    page.locator("form.ticket-form button[type=submit]").click()

    ticket = Ticket.objects.get()
    page.wait_for_url(f"**/en/tickets/{ticket.reference}/?new=1")
    link = page.locator(".message-files a")
    expect(link).to_contain_text("截图.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "截图.png"
    with Image.open(io.BytesIO(open(download.value.path(), "rb").read())) as image:
        assert image.size == (390, 844)
