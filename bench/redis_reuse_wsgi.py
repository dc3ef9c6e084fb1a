"""The project's WSGI application with one experiment applied: Django's Redis cache client reused per pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` object (≈170 response callbacks, ≈75–100 µs of
CPU) for every cache call, and a page-cache hit makes two calls. `bench/pages.py --configs redis,redis-reuse` serves
this module to measure what keeping one client per connection pool would save. Benchmark use only.
"""

from django.core.cache.backends import redis as django_redis


def _get_client(self, key=None, *, write=False):
    pool = self._get_connection_pool(write)
    clients = self.__dict__.setdefault("_bench_clients", {})
    client = clients.get(id(pool))
    if client is None:
        client = clients[id(pool)] = self._client(connection_pool=pool)
    return client


django_redis.RedisCacheClient.get_client = _get_client

from helpdesk.wsgi import application  # noqa: E402

__all__ = ["application"]
