"""Database sessions kept in the cache, as Django's cached_db engine, with fewer round trips to the database.

A customer's ticket submission writes its session (the grant to the new ticket, under a fresh key); with the stock
engine that took up to nine round trips, here it takes one or two:

- A new key is not looked up first: 32 random characters from 36 never repeat in practice, and the row is inserted
  with `must_create`, so a taken key is still found (the insert fails) and another one tried.
- `cycle_key` deletes the old row without reading it and writes the new one once, when the response saves the
  session, instead of inserting it empty at once and updating it at the end.
- A single insert or update outside a transaction runs on its own (autocommit) rather than between BEGIN and COMMIT.
"""

from django.contrib.sessions.backends import cached_db, db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router
from django.utils.crypto import get_random_string


class DatabaseStore(db.SessionStore):
    """The database part: inserts find a taken key, deletes do not read, single writes need no transaction."""

    _unsaved = False  # the key was cycled: the row under it is inserted by the next save

    def _get_new_session_key(self):
        return get_random_string(32, VALID_KEY_CHARS)

    def cycle_key(self):
        data, old = self._session, self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._unsaved = self.modified = True
        if old:
            self.delete(old)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        if self._unsaved:
            while True:
                try:
                    self._write(must_create=True)
                    break
                except CreateError:
                    self._session_key = self._get_new_session_key()
            self._unsaved = False
            return None
        return self._write(must_create=must_create)

    def _write(self, *, must_create):
        using = router.db_for_write(self.model)
        if connections[using].in_atomic_block:  # a savepoint keeps the caller's transaction usable after a failure
            return super().save(must_create)
        obj = self.create_model_instance(self._get_session(no_load=must_create))
        try:
            obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        return None

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is None:
            return
        using = router.db_for_write(self.model)
        table = connections[using].ops.quote_name(self.model._meta.db_table)
        with connections[using].cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE session_key = %s", [session_key])  # noqa: S608 (a quoted name)


class SessionStore(cached_db.SessionStore, DatabaseStore):
    """cached_db over DatabaseStore: reads from the cache, every write to the database and then the cache."""
