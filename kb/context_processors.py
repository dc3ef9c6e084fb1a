from django.conf import settings
from django.core.cache import cache
from django.urls import reverse, translate_url
from django.utils.translation import get_language

from kb.models import Announcement
from kb.pagecache import current_state


def site(request):
    """Site name, the other languages' URLs for this page, and active banner announcements (cached per version)."""
    language = get_language()
    version, _change_at = getattr(request, "content_state", None) or current_state()
    key = f"kb:banners:{version}:{language}"
    banners = cache.get(key)
    if banners is None:
        banners = list(
            Announcement.objects.active().filter(language=language, banner=True).values("title", "slug", "updated_at")
        )
        cache.set(key, banners, 3600)
    return {
        "site_name": settings.SITE_NAME,
        "support_url": reverse("tickets:new"),
        "banners": banners,
        "default_alternates": {
            code: translate_url(request.path, code) for code, _name in settings.LANGUAGES if code != language
        },
    }
