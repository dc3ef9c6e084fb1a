"""Fixed-window rate limits kept in the cache (shared between processes when the cache is Redis)."""

import time

from django.core.cache import cache

clock = time.time  # the window clock (tests hold it still)


def client_ip(request):
    """The client address as the server saw it (set REMOTE_ADDR correctly behind a proxy)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(scope, ident, *, limit, period):
    """Count one hit for `ident` in `scope`; return (allowed, seconds until the window resets)."""
    window = int(clock() // period)
    key = f"rl:{scope}:{ident}:{window}"
    if hasattr(cache, "count"):  # helpdesk.cache.RedisCache: one round trip
        count = cache.count(key, period + 1)
    elif cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
    retry_after = max(1, int((window + 1) * period - clock()))
    return count <= limit, retry_after
