"""System checks for what the desk's emails need: SITE_URL, which every link in them starts with."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def site_url_is_set(app_configs, **kwargs):
    if settings.DEBUG or settings.SITE_URL:
        return []
    return [
        Error(
            "SITE_URL must be set when DEBUG is off: emails link customers and staff to it.",
            hint="For example SITE_URL=https://help.example.com",
            id="tickets.E001",
        )
    ]


@register(Tags.security, deploy=True)
def site_url_uses_https(app_configs, **kwargs):
    if not settings.SITE_URL or urlsplit(settings.SITE_URL).scheme == "https":
        return []
    return [
        Warning(
            "SITE_URL does not use https: the private ticket links in emails would travel unencrypted.",
            id="tickets.W001",
        )
    ]
