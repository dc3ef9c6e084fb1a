import secrets

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import Error, connection
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.log import log_response
from django.views.decorators.http import require_GET
from redis import RedisError

READY_KEY = "helpdesk:readyz"


@require_GET
def healthz(request):
    """Liveness probe: answers without touching the database (also the trivial view the benchmarks compare to)."""
    return HttpResponse("ok", content_type="text/plain")


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Error:
        return False


def cache_answers():
    """A shared (Redis) cache stores and returns a value; the in-process cache cannot be down."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return True
    token = secrets.token_hex(8)
    try:
        cache.set(READY_KEY, token, timeout=30)
        return cache.get(READY_KEY) == token
    except RedisError:
        return False


@require_GET
def readyz(request):
    """Readiness probe: "ok" when the database and the cache answer, else 503 naming the components that are down."""
    down = [name for name, answers in (("database", database_answers), ("cache", cache_answers)) if not answers()]
    if not down:
        response = HttpResponse("ok", content_type="text/plain")
    else:
        response = HttpResponse("unavailable: " + ", ".join(down), content_type="text/plain", status=503)
        log_response("Not ready (%s down)", ", ".join(down), response=response, request=request, level="warning")
    patch_cache_control(response, no_store=True)
    return response


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the logo."""
    return redirect(static("img/logo.svg"), permanent=True)
