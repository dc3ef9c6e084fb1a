"""The Redis cache backend, with one Redis client per connection pool instead of one per call, and a counter in one
round trip.

Django's backend builds a new `redis.Redis` for every cache operation (setting up its response callbacks each time),
which measured 130–165 µs of the cost of every cached page hit (docs/PERFORMANCE.md §1.2). A client only holds its
pool, and pools are thread-safe, so one client per pool serves every thread of the process.

`count(key, timeout)` is what a rate limit needs on every request it guards: Django's `add` then `incr` takes three
round trips (`incr` asks whether the key exists first); INCR with EXPIRE NX in one pipeline takes one.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingClient

    def count(self, key, timeout):
        """Add one to the counter `key` (made at 1, to expire `timeout` seconds later) and return the count."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, timeout, nx=True)
        return pipeline.execute()[0]
