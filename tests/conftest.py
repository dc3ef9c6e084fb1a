import time
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.utils import translation
from django_tasks_db.management.commands import db_worker

from kb import stats


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages produced outside a request (commands, actions) in English, so assertions read the source text."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A test client whose browser prefers English (pages under /zh-hans/ are still Chinese: the URL decides)."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture(autouse=True)
def _rate_limit_window(monkeypatch):
    """Rate-limit windows are fixed by the clock; hold it still so a test never straddles two windows."""
    monkeypatch.setattr("helpdesk.ratelimit.clock", lambda: 1_800_000_000.0)


@pytest.fixture(autouse=True)
def _attachments_in_a_temporary_directory(settings, tmp_path):
    """Each test stores attachment files in its own directory, never in the project's var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "attachments", "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache_and_counters():
    cache.clear()
    stats.flush_views.__globals__["_pending"].clear()
    yield
    cache.clear()


@pytest.fixture
def redis_cache(settings):
    """The default cache on the real Redis (helpdesk.cache.RedisCache, database 15, a key prefix of its own)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"test-{time.time_ns()}",
        }
    }
    yield caches["default"]
    caches["default"].clear()


def _commit():
    pending = list(connection.run_on_commit)
    connection.run_on_commit.clear()
    for _savepoints, callback, _robust in pending:
        callback()


@pytest.fixture
def commit():
    """`commit()` runs every on-commit callback waiting so far and forgets them, as a commit of the test's
    transaction at that point would (it never commits; Django's capture runs them but leaves them waiting)."""
    return _commit


def _staff(django_user_model, username, group=None, **extra):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", "pw-for-tests-1", is_staff=True, **extra
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db, django_user_model):
    """Staff in the "KB editor" group: drafts and edits, cannot publish."""
    return _staff(django_user_model, "editor", "KB editor")


@pytest.fixture
def publisher(db, django_user_model):
    """Staff in the "KB publisher" group: may also publish and archive."""
    return _staff(django_user_model, "publisher", "KB publisher")


@pytest.fixture
def superuser(db, django_user_model):
    return _staff(django_user_model, "boss", is_superuser=True)


@pytest.fixture
def kb_editor(editor):
    """The desk's name for the help-center editor role."""
    return editor


@pytest.fixture
def queue_a(db):
    from tests.tickets.factories import make_queue

    return make_queue(slug="queue-a", name="Queue A")


@pytest.fixture
def queue_b(db):
    from tests.tickets.factories import make_queue

    return make_queue(slug="queue-b", name="Queue B")


@pytest.fixture
def agent_a(db, django_user_model, queue_a):
    """Staff in the "Agent" group, member of queue A only."""
    agent = _staff(django_user_model, "agent-a", "Agent")
    queue_a.members.add(agent)
    return agent


@pytest.fixture
def agent_b(db, django_user_model, queue_b):
    """Staff in the "Agent" group, member of queue B only."""
    agent = _staff(django_user_model, "agent-b", "Agent")
    queue_b.members.add(agent)
    return agent


@pytest.fixture
def supervisor(db, django_user_model):
    """Staff in the "Supervisor" group: every queue and the desk's configuration."""
    return _staff(django_user_model, "supervisor", "Supervisor")


@dataclass
class Customer:
    """A customer without an account: their ticket in queue A, its tracking token, and a browser that opened it."""

    email: str
    ticket: object
    token: str
    client: Client


@pytest.fixture
def customer(db, queue_a):
    from tests.tickets.factories import follow_link, make_problem_type, open_ticket

    ticket, token = open_ticket(make_problem_type(queue=queue_a), email="carol@example.com", language="en")
    browser = Client(headers={"accept-language": "en"})
    follow_link(browser, token)
    return Customer(email="carol@example.com", ticket=ticket, token=token, client=browser)


@pytest.fixture
def outsider(db, django_user_model):
    """A logged-in account with no staff rights."""
    return django_user_model.objects.create_user("outsider", "outsider@example.com", "pw-for-tests-1")


class _Clock:
    """Stands in for the `time` module that django-otp's TOTP devices read the time from."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture
def totp_clock(monkeypatch):
    """Authenticator codes are checked at `totp_clock.now` (move it on by 30 s for the next code)."""
    clock = _Clock(1_800_000_000.0)
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", clock)
    return clock


@pytest.fixture
def run_worker(monkeypatch):
    """Run django-tasks-db's worker in this process until no task is ready (its --batch mode), as after a restart.

    Inside a test's transaction the worker must not drop the connection it shares with the test.
    """
    if connection.in_atomic_block:
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run():
        db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()

    return run
