import logging
import re
from base64 import b32encode
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.factories import make_section
from tests.test_settings import _manage

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
TWO_FACTOR = "/admin/two-factor/"
PASSWORD = "pw-for-tests-1"  # the staff fixtures' password (tests/conftest.py)
WRONG = "Wrong-Secret-Pw-93"
HOME = "203.0.113.7"


@pytest.fixture
def device(editor):
    """The editor's confirmed authenticator app."""
    return TOTPDevice.objects.create(user=editor, name="Authenticator app", confirmed=True)


def code_at(device, now):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now
    return f"{totp.token():0{device.digits}d}"


def log_in(client, username, password=PASSWORD, code="", address=HOME, **headers):
    data = {"username": username, "password": password, "otp_token": code, "next": "/admin/"}
    return client.post(LOGIN, data, REMOTE_ADDR=address, **headers)


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def move_attempts_back(**delta):
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(**delta))


# Lockout


def test_six_wrong_passwords_lock_the_account_and_then_the_right_password_is_refused(client, editor):
    statuses = [log_in(client, "editor", WRONG).status_code for _ in range(6)]

    assert statuses == [200, 200, 200, 200, 429, 429]
    response = log_in(client, "editor")
    assert response.status_code == 429
    assert not logged_in_as(client)
    assert b"logging in with this account or from your network address is paused until" in response.content
    assert 899 <= int(response["Retry-After"]) <= 900
    assert b'id="site-name"' in response.content  # the admin's frame


def test_a_lockout_from_one_address_locks_the_account_everywhere(client, editor):
    for _ in range(5):
        log_in(client, "editor", WRONG, address="198.51.100.1")

    assert log_in(client, "editor", address="198.51.100.2").status_code == 429


def test_twenty_failures_from_one_address_lock_it_for_every_username(client, editor):
    statuses = [log_in(client, f"guess{n}", WRONG, address="198.51.100.9").status_code for n in range(20)]

    assert statuses == [200] * 19 + [429]
    assert log_in(client, "editor", address="198.51.100.9").status_code == 429
    assert log_in(client, "editor", address="198.51.100.10").status_code == 302


def test_a_forged_forwarded_for_header_does_not_buy_a_fresh_address(client, editor):
    for n in range(20):
        log_in(client, f"guess{n}", WRONG, address="198.51.100.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert log_in(client, "editor", address="198.51.100.9", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_limits_follow_the_settings(client, editor, settings):
    settings.STAFF_LOGIN_ACCOUNT_FAILURES = 2

    assert [log_in(client, "editor", WRONG).status_code for _ in range(2)] == [200, 429]


def test_a_successful_login_forgives_the_accounts_failures_but_not_the_addresss(client, editor):
    log_in(client, "someone-else", WRONG)
    for _ in range(4):
        log_in(client, "editor", WRONG)

    assert log_in(client, "editor").status_code == 302
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["someone-else"]
    client.logout()
    assert [log_in(client, "editor", WRONG).status_code for _ in range(5)] == [200, 200, 200, 200, 429]


def test_the_lockout_ends_after_the_cool_off(client, editor):
    for _ in range(5):
        log_in(client, "editor", WRONG)

    move_attempts_back(minutes=14)
    assert log_in(client, "editor").status_code == 429
    move_attempts_back(minutes=1, seconds=1)
    assert log_in(client, "editor").status_code == 302
    assert logged_in_as(client) == str(editor.pk)


def test_attempts_during_the_lockout_do_not_extend_it(client, editor):
    for _ in range(5):
        log_in(client, "editor", WRONG)
    move_attempts_back(minutes=10)

    assert log_in(client, "editor", WRONG).status_code == 429
    move_attempts_back(minutes=5, seconds=1)
    assert log_in(client, "editor").status_code == 302


# What is logged and stored


def test_a_failure_is_logged_with_username_and_address_and_never_the_password(client, editor, caplog):
    caplog.set_level(logging.DEBUG)

    log_in(client, "editor", WRONG)

    [record] = [r for r in caplog.records if r.name == "helpdesk.staff_login"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"Failed staff login for 'editor' from {HOME}: wrong password or unknown account"
    assert WRONG not in caplog.text


def test_the_failure_that_locks_says_so_in_the_log(client, editor, caplog):
    for _ in range(4):
        log_in(client, "editor", WRONG)
    caplog.clear()

    log_in(client, "editor", WRONG)
    log_in(client, "editor")

    assert [r.getMessage() for r in caplog.records if r.name == "helpdesk.staff_login"] == [
        f"Failed staff login for 'editor' from {HOME}: wrong password or unknown account; now locked out",
        f"Failed staff login for 'editor' from {HOME}: locked out",
    ]
    assert PASSWORD not in caplog.text


def test_neither_password_nor_code_reaches_the_stored_attempt(client, editor, device, totp_clock):
    log_in(client, "editor", WRONG, code="135790")
    log_in(client, "editor", PASSWORD, code="246801")

    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 2
    stored = attempt.get_data + attempt.post_data
    assert "otp_token=" in stored and "password=" in stored
    for secret in (WRONG, PASSWORD, "135790", "246801", client.cookies["csrftoken"].value):
        assert secret not in stored


def test_superusers_read_failed_attempts_in_the_admin_and_cannot_add_any(client, editor, superuser):
    log_in(client, "editor", WRONG)
    client.force_login(superuser)

    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and b"editor" in listing.content
    assert client.get("/admin/axes/accessattempt/add/").status_code == 403
    client.force_login(editor)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


# Authenticator codes at login


def test_with_a_device_the_login_needs_the_current_code(client, editor, device, totp_clock):
    missing = log_in(client, "editor")
    assert missing.status_code == 200 and not logged_in_as(client)
    assert b"and the current code from your authenticator app" in missing.content

    response = log_in(client, "editor", code=code_at(device, totp_clock.now))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get(TWO_FACTOR).context["verified"] is True


def test_a_wrong_code_is_a_failed_login_that_axes_counts(client, editor, device, totp_clock, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = code_at(device, totp_clock.now + 3600)

    response = log_in(client, "editor", code=wrong)

    assert response.status_code == 200 and not logged_in_as(client)
    assert AccessAttempt.objects.get(username="editor").failures_since_start == 1
    assert f"Failed staff login for 'editor' from {HOME}: wrong or missing authenticator code" in caplog.text
    assert wrong not in caplog.text and PASSWORD not in caplog.text


def test_five_wrong_codes_lock_the_account(client, editor, device, totp_clock):
    statuses = [log_in(client, "editor", code="000000").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]


def test_right_after_a_wrong_code_django_otp_refuses_even_the_right_one(client, editor, device, totp_clock):
    log_in(client, "editor", code="000000")

    assert log_in(client, "editor", code=code_at(device, totp_clock.now)).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_code_is_accepted_once(client, editor, device, totp_clock):
    code = code_at(device, totp_clock.now)
    assert log_in(client, "editor", code=code).status_code == 302
    client.logout()

    assert log_in(client, "editor", code=code).status_code == 200


def test_an_unconfirmed_device_does_not_count(client, editor):
    TOTPDevice.objects.create(user=editor, name="Authenticator app", confirmed=False)

    assert log_in(client, "editor").status_code == 302


# Enrolment and removal


def test_a_staff_member_enrols_with_a_code_from_the_key_shown(client, editor, totp_clock):
    assert log_in(client, "editor").status_code == 302
    page = client.get("/admin/")
    assert f'href="{TWO_FACTOR}"'.encode() in page.content  # in the user tools

    started = client.post(TWO_FACTOR, {"action": "start", "next": "/admin/kb/"})
    assert started.status_code == 302
    shown = client.get(started["Location"])
    pending = TOTPDevice.objects.get(user=editor)
    assert not pending.confirmed
    assert shown.context["secret"].replace(" ", "") == b32encode(pending.bin_key).decode()
    assert b'<img src="data:image/svg+xml' in shown.content

    confirmed = client.post(
        TWO_FACTOR, {"action": "confirm", "code": code_at(pending, totp_clock.now), "next": "/admin/kb/"}
    )

    assert confirmed.status_code == 302 and confirmed["Location"] == "/admin/kb/"
    pending.refresh_from_db()
    assert pending.confirmed
    assert client.get(TWO_FACTOR).context["verified"] is True
    client.logout()
    assert log_in(client, "editor").status_code == 200
    assert log_in(client, "editor", code=code_at(pending, totp_clock.now + 30)).status_code == 302


def test_a_wrong_code_does_not_confirm_the_device(client, editor, totp_clock):
    client.force_login(editor)
    client.post(TWO_FACTOR, {"action": "start"})

    response = client.post(TWO_FACTOR, {"action": "confirm", "code": "12345"})
    assert response.status_code == 400
    assert response.context["forms"]["confirm"].errors["code"] == [
        "Enter the 6-digit code from your authenticator app."
    ]
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": "000000"})
    assert response.status_code == 400
    assert "That code is not valid" in response.context["forms"]["confirm"].errors["code"][0]
    assert not TOTPDevice.objects.get(user=editor).confirmed


def test_a_new_key_replaces_the_unconfirmed_one(client, editor):
    client.force_login(editor)
    client.post(TWO_FACTOR, {"action": "start"})
    first = TOTPDevice.objects.get(user=editor)

    client.post(TWO_FACTOR, {"action": "start"})

    assert list(TOTPDevice.objects.filter(user=editor)) != [first]
    assert TOTPDevice.objects.filter(user=editor).count() == 1


def assert_strict_csp_holds(response):
    """Only nonced or external scripts and styles, no style attributes or inline handlers, no stray nonce text."""
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "style-src 'self' 'nonce-" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert " style=" not in html
    for tag in re.findall(r"<(?:script|style|link)\b[^>]*>", html):
        assert re.search(r"\b(src|href)=", tag) or f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r">[^<]*nonce=", html)


def test_the_enrolment_page_has_no_inline_style_or_script(client, editor):
    client.force_login(editor)
    client.post(TWO_FACTOR, {"action": "start"})

    assert_strict_csp_holds(client.get(TWO_FACTOR))


def test_the_login_and_lockout_pages_have_no_inline_style_or_script(client, editor):
    assert_strict_csp_holds(client.get(LOGIN))
    for _ in range(5):
        response = log_in(client, "editor", WRONG)

    assert response.status_code == 429
    assert_strict_csp_holds(response)


def test_a_staff_member_removes_their_device_with_a_current_code(client, editor, device, totp_clock):
    assert log_in(client, "editor", code=code_at(device, totp_clock.now)).status_code == 302

    refused = client.post(TWO_FACTOR, {"action": "remove", "code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=editor).exists()
    device.refresh_from_db()
    device.throttle_reset()
    removed = client.post(TWO_FACTOR, {"action": "remove", "code": code_at(device, totp_clock.now + 30)})

    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()
    client.logout()
    assert log_in(client, "editor").status_code == 302


def test_a_superuser_removes_the_device_of_someone_who_lost_their_phone(client, device, superuser):
    client.force_login(superuser)
    change = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert change.status_code == 200 and device.key.encode() not in change.content

    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()


# Mandatory two-factor authentication


def _admin_pages():
    pages = ["/admin/", "/admin/kb/", "/admin/password_change/", "/admin/no-such-page/"]
    for model in admin.site._registry:
        meta = model._meta
        pages += [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
        ]
    return pages


def test_without_the_requirement_staff_use_the_admin_with_the_password_alone(client, editor):
    assert log_in(client, "editor").status_code == 302

    assert client.get("/admin/").status_code == 200


def test_required_two_factor_sends_a_device_less_staff_member_to_enrolment_from_every_admin_page(
    client, superuser, settings
):
    settings.STAFF_OTP_REQUIRED = True
    assert log_in(client, "boss").status_code == 302

    for page in _admin_pages():
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(f"{TWO_FACTOR}?next="), page
    assert client.post("/admin/kb/article/add/", {"title": "x"})["Location"].startswith(TWO_FACTOR)
    enrolment = client.get(TWO_FACTOR)
    assert enrolment.status_code == 200
    assert b"Staff accounts must use two-factor authentication" in enrolment.content
    assert client.post("/admin/logout/").status_code == 200


def test_required_two_factor_refuses_api_writes_until_verified(editor, settings):
    settings.STAFF_OTP_REQUIRED = True
    api = APIClient(headers={"accept-language": "en"})
    api.force_login(editor)
    section = make_section()
    article = {"section_id": section.id, "language": "en", "slug": "s", "title": "T", "body": "B"}

    response = api.post("/api/v1/articles/", article, format="json")

    assert response.status_code == 403
    assert "two-factor authentication" in response.json()["detail"]
    assert api.get("/api/v1/articles/").status_code == 200


def test_required_two_factor_asks_a_device_owner_to_verify_the_session(client, editor, device, totp_clock, settings):
    settings.STAFF_OTP_REQUIRED = True
    client.force_login(editor)  # a session that no code has verified

    response = client.get("/admin/kb/article/")
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Fadmin%2Fkb%2Farticle%2F"
    page = client.get(response["Location"])
    assert page.context["verified"] is False and "verify" in page.context["forms"]

    verified = client.post(
        TWO_FACTOR, {"action": "verify", "code": code_at(device, totp_clock.now), "next": "/admin/kb/article/"}
    )

    assert verified["Location"] == "/admin/kb/article/"
    assert client.get("/admin/kb/article/").status_code == 200


def test_required_two_factor_lets_staff_in_once_enrolled(client, editor, totp_clock, settings):
    settings.STAFF_OTP_REQUIRED = True
    assert log_in(client, "editor").status_code == 302
    client.post(TWO_FACTOR, {"action": "start"})
    pending = TOTPDevice.objects.get(user=editor)

    client.post(TWO_FACTOR, {"action": "confirm", "code": code_at(pending, totp_clock.now)})

    assert client.get("/admin/").status_code == 200


def test_a_redirect_after_enrolment_stays_on_this_site(client, editor, totp_clock):
    client.force_login(editor)
    client.post(TWO_FACTOR, {"action": "start"})
    pending = TOTPDevice.objects.get(user=editor)

    response = client.post(
        TWO_FACTOR, {"action": "confirm", "code": code_at(pending, totp_clock.now), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/admin/"


# Settings


@pytest.mark.parametrize("value", ["0", "five"])
def test_bad_login_limits_are_reported_clearly(value):
    result = _manage("check", STAFF_LOGIN_ACCOUNT_FAILURES=value)
    assert result.returncode != 0 and "STAFF_LOGIN_ACCOUNT_FAILURES" in result.stderr
