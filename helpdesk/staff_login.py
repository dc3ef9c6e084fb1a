"""Staff login to the admin: password plus authenticator code, failure limits per account and per address, lockout page.

django-axes counts failures (one AccessAttempt row per username, address and user agent). This module gives it two
limits instead of one: an account is locked after STAFF_LOGIN_ACCOUNT_FAILURES failures, an address after
STAFF_LOGIN_ADDRESS_FAILURES, each for STAFF_LOGIN_LOCKOUT_MINUTES after the failures that locked it.
"""

import logging
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk import two_factor

log = logging.getLogger("helpdesk.staff_login")


def client_address(request):
    """The address the server saw: a client-sent X-Forwarded-For never buys a fresh allowance."""
    return request.META.get("REMOTE_ADDR") or None


def failure_limit(request, credentials):
    """The larger limit, so that axes' own single-limit check never locks before `StaffLoginHandler.is_locked`."""
    return max(settings.STAFF_LOGIN_ACCOUNT_FAILURES, settings.STAFF_LOGIN_ADDRESS_FAILURES)


class StaffLoginHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter, logging, and success forgiving only the account."""

    def lockout_ends(self, request, credentials=None):
        """When the lockout of this request's account or address lifts; None if neither is locked."""
        # get_user_attempts follows AXES_LOCKOUT_PARAMETERS: the account's attempts, then the address's.
        limits = [settings.STAFF_LOGIN_ACCOUNT_FAILURES, settings.STAFF_LOGIN_ADDRESS_FAILURES]
        ends = []
        for attempts, limit in zip(self.get_user_attempts(request, credentials), limits, strict=True):
            failures = 0
            # Older rows leave the cool-off window first: the lock lifts when the newest rows alone fall short.
            for count, attempt_time in attempts.order_by("-attempt_time").values_list(
                "failures_since_start", "attempt_time"
            ):
                failures += count
                if failures >= limit:
                    ends.append(attempt_time + get_cool_off(request))
                    break
        return max(ends, default=None)

    def is_locked(self, request, credentials=None):
        return settings.AXES_LOCK_OUT_AT_FAILURE and self.lockout_ends(request, credentials) is not None

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        already_locked = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        if not request.axes_locked_out and self.is_locked(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)
        if already_locked:
            reason = "locked out"
        elif sender is StaffLoginForm:
            reason = "wrong or missing authenticator code"
        else:
            reason = "wrong password or unknown account"
        log.warning(
            "Failed staff login for %r from %s: %s%s",
            username,
            request.axes_ip_address,
            reason,
            "; now locked out" if request.axes_locked_out and not already_locked else "",
        )

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # Forgive the account's own failures (its owner's typos), not the address's: a valid account of an
        # attacker must not reset the count of their guesses at other accounts.
        AccessAttempt.objects.filter(username=user.get_username()).delete()


def lockout_response(request, original_response=None, credentials=None):
    """The admin-styled 429 page a locked-out login attempt gets, saying when to try again."""
    now = timezone.now()
    handler = AxesProxyHandler.get_implementation()
    retry_at = handler.lockout_ends(request, credentials) or now + get_cool_off(request)
    context = {**admin.site.each_context(request), "title": _("Too many failed logins"), "retry_at": retry_at}
    response = render(request, "admin/login_locked_out.html", context, status=429)
    response["Retry-After"] = str(max(1, math.ceil((retry_at - now).total_seconds())))
    return response


class StaffLoginForm(AdminAuthenticationForm):
    """The admin login form plus the authenticator code, required once the account has a confirmed device."""

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=12,
        help_text=_("Only if you have set up two-factor authentication."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    # One message for every failure, so the page never tells a guesser that the password was right.
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password for a staff account, and the current code from your "
            "authenticator app if you have set up two-factor authentication. Note that both fields may be "
            "case-sensitive."
        ),
    }

    def clean(self):
        cleaned_data = super().clean()
        device = two_factor.confirmed_device(self.user_cache)
        if device is not None:
            if not two_factor.verify_code(device, cleaned_data.get("otp_token", "")):
                # A wrong code is a failed login: axes counts it like a wrong password.
                credentials = {"username": cleaned_data.get("username")}
                user_login_failed.send(sender=StaffLoginForm, credentials=credentials, request=self.request)
                self.user_cache = None
                raise self.get_invalid_login_error()
            # django-otp marks the session as verified by this device when the login completes.
            self.user_cache.otp_device = device
        return cleaned_data
