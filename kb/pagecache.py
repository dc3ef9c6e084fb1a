"""Whole-page cache for anonymous visitors under a versioned key.

Every public help-center view marks its response cacheable. The key carries a content version that is bumped when
content is saved (see `kb.signals`) and when the next scheduled change falls due (an article's `publish_at`, an
announcement's `publish_at` or `expires_at`), so no job has to run for scheduled content to appear or expire.
With several processes the cache must be shared (Redis) for a bump to reach every worker.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Min, Q
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from helpdesk.unavailable import is_connection_failure
from kb.stats import count_view

clock = time.time  # seconds; tests move it
VERSION_KEY = "kb:content-version"
CSRF_PLACEHOLDER = "__HD_CSRF_TOKEN__"
_CSRF_BYTES = CSRF_PLACEHOLDER.encode()
CACHEABLE_PARAMS = {"page"}


def next_scheduled_change(now=None):
    """The earliest future moment at which public content changes by itself, or None."""
    from kb.models import Announcement, Article

    now = now or timezone.now()
    published = Q(status="published")
    article = Article.objects.filter(published, publish_at__gt=now).aggregate(m=Min("publish_at"))["m"]
    announcement = Announcement.objects.filter(published).aggregate(
        start=Min("publish_at", filter=Q(publish_at__gt=now)), end=Min("expires_at", filter=Q(expires_at__gt=now))
    )
    moments = [article, announcement["start"], announcement["end"]]
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else None


def bump_content_version():
    """Start a new content version; pages cached under the old one are never served again."""
    change = next_scheduled_change()
    state = (str(time.time_ns()), change.timestamp() if change else None)
    cache.set(VERSION_KEY, state, timeout=None)
    return state


def bump_after_commit():
    transaction.on_commit(bump_content_version)


def current_state():
    state = cache.get(VERSION_KEY)
    if state is None or (state[1] is not None and clock() >= state[1]):
        state = bump_content_version()
    return state


def cacheable(view):
    """Mark a view's successful anonymous responses for the page cache."""

    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.page_cacheable = True
        return response

    wrapper.__name__, wrapper.__doc__, wrapper.__module__ = view.__name__, view.__doc__, view.__module__
    return wrapper


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # With the cache off (KB_PAGE_CACHE=0) no path matches, so every request is rendered.
        self.prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES) if settings.KB_PAGE_CACHE else ()

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or not request.path.startswith(self.prefixes)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or not set(request.GET).issubset(CACHEABLE_PARAMS)
        ):
            return self._finish(request, self.get_response(request))
        try:
            version, change_at = request.content_state = current_state()
        except (OperationalError, InterfaceError) as exc:
            if not is_connection_failure(exc):
                raise
            # No content version without the database: the view answers, with a 503 if it needs the database too.
            return self._finish(request, self.get_response(request))
        key = "kb:page:" + version + ":" + hashlib.md5(request.get_full_path().encode()).hexdigest()
        entry = cache.get(key)
        if entry is not None:
            content, content_type, article_id, has_csrf = entry
            if article_id:
                count_view(article_id)
            response = HttpResponse(content, content_type=content_type)
            return self._with_token(request, response) if has_csrf else response
        response = self.get_response(request)
        if (
            getattr(response, "page_cacheable", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            timeout = settings.KB_PAGE_CACHE_SECONDS
            if change_at is not None:
                timeout = max(1, min(timeout, int(change_at - clock())))
            has_csrf = getattr(request, "csrf_placeholder", False)
            entry = (response.content, response["Content-Type"], getattr(response, "counted_article", None), has_csrf)
            cache.set(key, entry, timeout)
        return self._finish(request, response)

    def _finish(self, request, response):
        if getattr(request, "csrf_placeholder", False) and not getattr(response, "streaming", False):
            return self._with_token(request, response)
        return response

    @staticmethod
    def _with_token(request, response):
        response.content = response.content.replace(_CSRF_BYTES, get_token(request).encode())
        return response
