"""Browser tests: Playwright's sync API driving the system Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

from tests.tickets.factories import ADDRESS, TXID

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

# Runs before any page script: report CSP violations as console errors even where the browser would not log them.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Pages:
    """Opens pages in fresh browser contexts and records every console error, page error and CSP violation."""

    def __init__(self, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.errors = []
        self.allowed = []
        self._contexts = []

    def open(self, path=None, **context_options):
        context = self.browser.new_context(base_url=self.base_url, **context_options)
        self._contexts.append(context)
        context.add_init_script(REPORT_CSP)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))
        if path is not None:
            page.goto(path)
        return page

    def allow(self, text):
        """Expect console errors containing `text` (e.g. the status of a page that is meant to be a 404)."""
        self.allowed.append(text)

    def _console(self, page, message):
        if message.type == "error" and not any(text in message.text for text in self.allowed):
            self.errors.append(f"{page.url}: {message.text}")

    def close(self):
        for context in self._contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server):
    pages = Pages(browser, live_server.url)
    yield pages
    pages.close()
    assert pages.errors == [], "console errors or CSP violations:\n" + "\n".join(pages.errors)


def fill_deposit(page, *, email, description):
    """Fill the deposit-not-credited form's email, description and transfer fields (500 USDT on TRC20)."""
    page.locator("input[name=email]").fill(email)
    page.locator("textarea[name=description]").fill(description)
    page.locator("select[name=coin]").select_option("USDT")
    page.locator("select[name=network]").select_option("TRC20")
    page.locator("input[name=txid]").fill(TXID)
    page.locator("input[name=amount]").fill("500")
    page.locator("input[name=address]").fill(ADDRESS)
