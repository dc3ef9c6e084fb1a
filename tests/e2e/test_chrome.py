"""Page chrome in a real browser: one anti-phishing notice, dismissible banners, and room for content on a phone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.factories import make_announcement, make_article
from tests.tickets.factories import make_problem_type

pytestmark = pytest.mark.e2e

NOTICE = "Staff never ask for passwords, codes, keys or seed phrases."


@pytest.fixture
def content():
    make_article(slug="reset-2fa", language="en", title="Reset two-factor authentication")
    make_article(slug="reset-2fa", title="重置二次验证")
    make_problem_type(slug="deposit")
    banner = make_announcement(
        slug="wallet-maintenance",
        language="en",
        title="Wallet maintenance on Saturday: deposits and withdrawals of BTC, ETH and ERC20 tokens pause for 2 hours",
        banner=True,
    )
    make_announcement(slug="wallet-maintenance", title="周六钱包维护：BTC、ETH、ERC20 代币充提暂停两小时", banner=True)
    return banner


PAGES = ["/en/", "/en/articles/reset-2fa/", "/en/tickets/new/deposit/", "/zh-hans/", "/zh-hans/tickets/new/deposit/"]


def test_every_page_shows_the_security_notice_once(pages, content):
    page = pages.open()
    for path in PAGES:
        page.goto(path)
        expect(page.locator(".phishing-notice")).to_have_count(1)
        expect(page.locator(".phishing-notice")).to_be_visible()
    page.goto("/en/articles/reset-2fa/")
    assert page.locator("body").inner_text().count(NOTICE) == 1


def test_a_dismissed_banner_stays_dismissed_on_the_next_page_until_it_changes(pages, content):
    page = pages.open("/en/")
    banner = page.locator(".banner")
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Dismiss this announcement").click()
    expect(banner).to_be_hidden()

    page.goto("/en/articles/reset-2fa/")
    expect(page.locator(".banner")).to_be_hidden()
    page.goto("/zh-hans/")  # the translation is its own announcement, with its own time of change
    expect(page.locator(".banner")).to_be_visible()

    content.title = "Wallet maintenance moved to Sunday"
    content.save()
    page.goto("/en/articles/reset-2fa/")
    expect(page.locator(".banner")).to_be_visible()
    expect(page.locator(".banner")).to_contain_text("moved to Sunday")


def test_without_javascript_a_banner_shows_and_offers_no_close_button(pages, content):
    page = pages.open("/en/", java_script_enabled=False)
    expect(page.locator(".banner")).to_be_visible()
    expect(page.locator(".banner-close")).to_be_hidden()


@pytest.mark.parametrize("path", PAGES)
def test_on_a_phone_the_content_starts_in_the_first_quarter_of_the_screen(pages, content, path):
    page = pages.open(path, **PHONE)
    expect(page.locator(".banner")).to_be_visible()
    top = page.locator("main").bounding_box()["y"]
    assert top <= 0.25 * PHONE["viewport"]["height"], f"{path}: content starts at {top}px"
    title = page.locator(".banner-link").bounding_box()
    assert title["height"] < 30  # one line, cut with an ellipsis instead of wrapping
