"""Fixed-window rate limits (helpdesk/ratelimit.py) on the embedded cache and on Redis, where a hit is one round
trip (helpdesk.cache.RedisCache.count)."""

import pytest
from django.core.cache import caches

from helpdesk import ratelimit


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request):
    if request.param == "redis":
        return request.getfixturevalue("redis_cache")
    return caches["default"]


def test_the_limit_allows_that_many_hits_per_window_and_says_when_the_window_ends(any_cache, monkeypatch):
    monkeypatch.setattr("helpdesk.ratelimit.clock", lambda: 3600 * 100 + 600.0)
    answers = [ratelimit.hit("demo", "127.0.0.9", limit=3, period=3600) for _ in range(4)]
    assert answers == [(True, 3000)] * 3 + [(False, 3000)]
    assert ratelimit.hit("demo", "127.0.0.10", limit=3, period=3600) == (True, 3000)  # another client
    assert ratelimit.hit("other", "127.0.0.9", limit=3, period=3600) == (True, 3000)  # another scope
    monkeypatch.setattr("helpdesk.ratelimit.clock", lambda: 3600 * 101 + 1.0)
    assert ratelimit.hit("demo", "127.0.0.9", limit=3, period=3600) == (True, 3599)  # the next window


def test_on_redis_a_hit_is_one_round_trip_and_the_counter_expires_with_its_window(redis_cache, monkeypatch):
    cache = redis_cache
    client = cache._cache.get_client(write=True)
    assert cache.count("counter", 60) == 1 and cache.count("counter", 60) == 2
    key = cache.make_and_validate_key("counter")
    assert 0 < client.ttl(key) <= 60
    client.expire(key, 5)
    assert cache.count("counter", 60) == 3 and client.ttl(key) <= 5  # the window's expiry is not pushed back
    pipelines = []
    real = type(client).pipeline
    monkeypatch.setattr(type(client), "pipeline", lambda self, **k: pipelines.append(k) or real(self, **k))
    assert ratelimit.hit("demo", "127.0.0.9", limit=3, period=3600)[0]
    assert pipelines == [{"transaction": False}]  # the hit was one pipeline: INCR and EXPIRE NX together
