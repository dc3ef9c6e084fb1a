"""Staff two-factor authentication: the TOTP enrolment page, removal, session verification, and making it mandatory.

A staff member has at most one authenticator app (a django-otp TOTPDevice); only a confirmed device counts. With
STAFF_OTP_REQUIRED on, staff whose session is not verified by a device reach only this page (and logout) in the admin,
and cannot write through the API.
"""

import logging
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.permissions import SAFE_METHODS
from rest_framework.views import APIView

log = logging.getLogger("helpdesk.staff_login")

DEVICE_NAME = "Authenticator app"
OPEN_ADMIN_VIEWS = {"login", "logout"}  # reachable before verification: logging in again, leaving


def confirmed_device(user):
    """The user's confirmed authenticator device, or None (also for no user or an anonymous one)."""
    if user is None or not user.is_authenticated:
        return None
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def verify_code(device, code):
    """Whether `code` is the device's current code; django-otp throttles repeated failures and refuses replays."""
    code = "".join((code or "").split())
    if not (code.isascii() and code.isdigit() and len(code) == device.digits):
        return False
    return django_otp.verify_token(device.user, device.persistent_id, code) is not None


@transaction.atomic
def start_enrolment(*, user):
    """Give the user a fresh unconfirmed device (a new secret), dropping any earlier unconfirmed one."""
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def confirm_device(*, device):
    """Make a verified pending device the user's authenticator (replacing any other device)."""
    TOTPDevice.objects.devices_for_user(device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def remove_devices(*, user):
    """Turn two-factor authentication off for the user (their own choice, after a current code)."""
    TOTPDevice.objects.devices_for_user(user).delete()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6-digit code from your authenticator app."), code="format")
        return code


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("admin:index")


def _page_url(next_url):
    return f"{reverse('staff-two-factor')}?{urlencode({'next': next_url})}"


def _secret_text(device):
    """The key in base32 as authenticator apps ask for it, in groups of four for typing."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def two_factor_page(request):
    """Show the staff member's two-factor state; a POST's `action` is start, confirm, verify or remove."""
    user = request.user
    device = confirmed_device(user)
    pending = None if device else TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    next_url = _next_url(request)
    action = request.POST.get("action") if request.method == "POST" else None
    # The device each code form is checked against, by state: enrolled, enrolling, or neither.
    targets = {"verify": device, "remove": device} if device else {"confirm": pending} if pending else {}
    code_forms = {name: CodeForm(request.POST if name == action else None, auto_id=f"id_{name}_%s") for name in targets}

    if action == "start" and device is None:
        start_enrolment(user=user)
        return redirect(_page_url(next_url))
    if action in code_forms and targets[action] is not None and code_forms[action].is_valid():
        target = targets[action]
        if verify_code(target, code_forms[action].cleaned_data["code"]):
            return _done(request, action, target, next_url)
        log.warning(
            "Wrong authenticator code for %r from %s on the two-factor page (%s)",
            user.get_username(),
            request.META.get("REMOTE_ADDR"),
            action,
        )
        code_forms[action].add_error(
            "code", _("That code is not valid. Check that your phone's clock is right, then enter the current code.")
        )

    context = {
        **admin.site.each_context(request),
        "title": _("Two-factor authentication"),
        "device": device,
        "pending": pending,
        "verified": user.is_verified(),
        "required": settings.STAFF_OTP_REQUIRED,
        "forms": code_forms,
        "next": next_url,
    }
    if pending is not None:
        context["qr_code"] = segno.make(pending.config_url, error="m").svg_data_uri(scale=4, dark="#000", light="#fff")
        context["secret"] = _secret_text(pending)
    return TemplateResponse(request, "admin/two_factor.html", context, status=400 if action else 200)


def _done(request, action, device, next_url):
    if action == "remove":
        remove_devices(user=request.user)
        messages.success(request, _("Two-factor authentication is off. You can set it up again at any time."))
        return redirect(_page_url(next_url))
    if action == "confirm":
        confirm_device(device=device)
        messages.success(request, _("Two-factor authentication is on. The admin login will ask for a code."))
    django_otp.login(request, device)
    return redirect(next_url)


class StaffTwoFactorMiddleware(MiddlewareMixin):
    """With STAFF_OTP_REQUIRED, staff must verify this session with their authenticator app before using the admin."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.STAFF_OTP_REQUIRED:
            return None
        match = request.resolver_match
        in_admin = "admin" in match.namespaces and match.url_name not in OPEN_ADMIN_VIEWS
        view_class = getattr(view_func, "cls", None)
        api_write = (
            isinstance(view_class, type) and issubclass(view_class, APIView) and request.method not in SAFE_METHODS
        )
        if not (in_admin or api_write):
            return None
        user = request.user
        if not (user.is_authenticated and (user.is_staff or user.is_superuser)) or user.is_verified():
            return None
        if in_admin:
            return redirect(_page_url(request.get_full_path()))
        detail = gettext("Set up two-factor authentication in the admin and verify this session before making changes.")
        return JsonResponse({"detail": detail}, status=403)
