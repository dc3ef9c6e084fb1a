"""Staff login in a real browser: enrol an authenticator app from the admin, then log in again with a code."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.test_staff_login import PASSWORD, code_at

pytestmark = pytest.mark.e2e


def _log_in(page, code=""):
    page.goto("/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill("editor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=otp_token]").fill(code)
    page.locator("#login-form input[type=submit]").click()


def test_a_staff_member_enrols_in_the_admin_and_logs_in_again_with_a_code(pages, django_user_model, totp_clock):
    # No group: browser tests flush the database, and with it the groups that migrations create.
    editor = django_user_model.objects.create_user("editor", "editor@example.com", PASSWORD, is_staff=True)
    page = pages.open(extra_http_headers={"accept-language": "en"})
    _log_in(page)
    page.wait_for_url("**/admin/")

    page.locator("#user-tools a[href='/admin/two-factor/']").click()
    page.locator("input[type=submit][value='Set up two-factor authentication']").click()
    expect(page.locator("img[alt='QR code for your authenticator app']")).to_be_visible()
    assert page.locator("img[alt='QR code for your authenticator app']").evaluate("img => img.naturalWidth") > 100
    device = TOTPDevice.objects.get(user=editor)
    expect(page.locator("#totp-secret")).to_be_visible()
    page.locator("#confirm-form input[name=code]").fill(code_at(device, totp_clock.now))
    page.locator("#confirm-form input[type=submit]").click()
    page.wait_for_url("**/admin/")
    expect(page.locator(".messagelist")).to_contain_text("Two-factor authentication is on")

    page.locator("#logout-form button").click()
    _log_in(page)
    expect(page.locator(".errornote")).to_contain_text("the current code from your authenticator app")
    _log_in(page, code_at(device, totp_clock.now + 30))
    page.wait_for_url("**/admin/")
    expect(page.locator("#user-tools")).to_contain_text("editor")
