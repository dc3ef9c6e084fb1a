"""Values each process keeps until a version shared through the cache changes: read on every ticket, edited rarely
(the SLA policies, the problem types).

A process keeps the value it built together with the version it found in the cache; `changed()` starts a new
version (called after the commit of an edit, from tickets.signals), so every process builds the value again on its
next use. Inside a transaction that edited the data (its `changed` waiting for the commit) the value is built fresh
and not kept: that transaction may still roll back. Bulk writes (`bulk_create`, `update()`) send no signals: call
`changed()` after one. Several processes share the version only through a shared cache (Redis), as the rate limits
already require.
"""

from uuid import uuid4

from django.core.cache import cache
from django.db import connection


class Kept:
    def __init__(self, name, build):
        self.key = f"kept:{name}:version"
        self.build = build
        self._current = (None, None)  # (version, value) as this process last built it

    def get(self):
        if any(callback == self.changed for _ids, callback, _robust in connection.run_on_commit):
            return self.build()
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid4().hex, timeout=None)
            version = cache.get(self.key)
        kept_version, value = self._current
        if version is None or kept_version != version:
            value = self.build()
            self._current = (version, value)
        return value

    def changed(self):
        """Start a new version: every process builds the value again on its next use."""
        cache.set(self.key, uuid4().hex, timeout=None)
