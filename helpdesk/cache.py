"""The Redis cache backend, with one Redis client per connection pool instead of one per call.

Django's backend builds a new `redis.Redis` for every cache operation (setting up its response callbacks each time),
which measured 130–165 µs of the cost of every cached page hit (docs/PERFORMANCE.md §1.2). A client only holds its
pool, and pools are thread-safe, so one client per pool serves every thread of the process.
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
