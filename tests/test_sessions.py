"""The session engine (helpdesk/sessions.py): cached_db's behaviour with fewer round trips."""

import pytest
from django.contrib.sessions.models import Session

from helpdesk.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored(key):
    return Session.objects.filter(session_key=key).first()


def test_a_new_session_is_written_once_under_a_new_key(django_assert_num_queries):
    session = SessionStore()
    session["grants"] = [1]
    with django_assert_num_queries(3):  # the insert, in a savepoint here as the test runs in a transaction
        session.save()
    assert stored(session.session_key).get_decoded() == {"grants": [1]}
    assert SessionStore(session.session_key)["grants"] == [1]


def test_cycling_the_key_deletes_the_old_row_unread_and_writes_the_data_once_under_the_new_key(
    django_assert_num_queries,
):
    session = SessionStore()
    session["grants"] = [1]
    session.save()
    old = session.session_key
    session = SessionStore(old)
    with django_assert_num_queries(1):  # the delete; the data came from the cache
        session.cycle_key()
    session["grants"] = [*session["grants"], 2]
    with django_assert_num_queries(3):
        session.save()
    assert session.session_key != old and stored(old) is None
    assert stored(session.session_key).get_decoded() == {"grants": [1, 2]}
    assert SessionStore(old).get("grants") is None  # nor in the cache


def test_a_taken_key_is_found_by_the_insert_and_another_one_used(monkeypatch):
    taken = SessionStore()
    taken["who"] = "someone else"
    taken.save()
    keys = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))
    mine = SessionStore()
    mine["who"] = "me"
    mine.save()
    assert mine.session_key == "b" * 32
    assert stored(taken.session_key).get_decoded() == {"who": "someone else"}
    assert stored(mine.session_key).get_decoded() == {"who": "me"}


def test_a_cycled_key_that_is_taken_moves_on_to_another(monkeypatch):
    taken = SessionStore()
    taken["who"] = "someone else"
    taken.save()
    mine = SessionStore()
    mine["who"] = "me"
    mine.save()
    keys = iter([taken.session_key, "c" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))
    mine.cycle_key()
    mine.save()
    assert mine.session_key == "c" * 32
    assert stored(taken.session_key).get_decoded() == {"who": "someone else"}
    assert stored("c" * 32).get_decoded() == {"who": "me"}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_writes_and_deletes_run_on_their_own():
    session = SessionStore()
    session["grants"] = [7]
    session.save()
    old = session.session_key
    session.cycle_key()
    session.save()
    session = SessionStore(session.session_key)
    session["grants"] = [7, 8]
    session.save()  # an update of the existing row
    assert stored(old) is None
    assert stored(session.session_key).get_decoded() == {"grants": [7, 8]}
    assert Session.objects.count() == 1
