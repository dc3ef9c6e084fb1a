"""A database that cannot be reached: 503 with Retry-After everywhere, one log line, and a readiness probe that says so.

The failures are real: the connection is pointed at a closed port (PostgreSQL) or at a file inside a missing directory
(SQLite), then put back.
"""

import logging
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, ProgrammingError, connection, transaction
from django.test import RequestFactory, override_settings

from helpdesk.unavailable import DatabaseUnavailableMiddleware, is_connection_failure
from kb import pagecache, stats
from kb.models import Announcement
from tests.factories import make_announcement, make_article
from tests.tickets.factories import deposit_values, make_problem_type
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def unreachable_database(directory):
    """Point the connection at a database that does not answer, then put it back."""
    saved = connection.settings_dict
    broken = dict(saved)
    if connection.vendor == "sqlite":
        broken["NAME"] = str(directory / "missing" / "db.sqlite3")
        # The in-memory test database lives only as long as its connection: set it aside instead of closing it.
        kept, connection.connection = connection.connection, None
    else:
        broken["PORT"] = "1"
        connection.close()
        kept = None
    connection.settings_dict = broken
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = saved
        connection.connection = kept


@pytest.fixture
def database_down(tmp_path):
    with unreachable_database(tmp_path):
        yield


@pytest.fixture
def running_site(client):
    """Content and a content version in the cache, as on a site that was serving before the database went down."""
    article = make_article(slug="reset-2fa", language="en", title="Reset two-factor authentication")
    make_announcement(language="en", title="Scheduled maintenance", banner=True)
    assert client.get("/en/").status_code == 200
    return article


def test_a_help_center_page_answers_503_with_retry_after_and_a_translated_page(client, running_site, database_down):
    response = client.get(running_site.get_absolute_url())
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "Temporarily unavailable" in html and "try again in a minute" in html
    assert 'href="/en/articles/reset-2fa/"' in html  # "Try again" on a page that only read


def test_the_503_page_follows_the_language_of_the_address(client, running_site, database_down):
    html = client.get("/zh-hans/announcements/").content.decode()
    assert '<html lang="zh-hans">' in html and 'href="/zh-hans/"' in html


def test_a_page_already_in_the_cache_is_still_served_while_the_database_is_down(client, running_site, database_down):
    response = client.get("/en/")
    assert response.status_code == 200 and "Scheduled maintenance" in response.content.decode()


def test_an_api_list_answers_503_json_with_retry_after(client, running_site, database_down):
    response = client.get("/api/v1/articles/")
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert response.json() == {"detail": "The service is temporarily unavailable. Please try again in a minute."}


def test_a_ticket_sent_while_the_database_is_down_is_a_503_that_says_nothing_was_saved(client, tmp_path):
    make_problem_type(slug="deposit")
    assert client.get("/en/tickets/new/deposit/").status_code == 200
    data = {"email": "alice@example.com", "subject": "USDT missing", "description": "Sent.", **deposit_values()}
    with unreachable_database(tmp_path):
        response = client.post("/en/tickets/new/deposit/", data)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    html = response.content.decode()
    assert "Nothing you sent was saved" in html and "send it again in a minute" in html
    assert "Try again" not in html  # a link would lose what was typed; the Back button keeps it
    assert Ticket.objects.count() == 0


def test_each_failure_is_logged_as_one_warning_line_without_a_traceback(client, running_site, database_down, caplog):
    with caplog.at_level(logging.INFO):
        client.get(running_site.get_absolute_url())
        client.get("/api/v1/articles/")
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.levelname for record in records] == ["WARNING", "WARNING"]
    assert all(record.exc_info is None and "Database unavailable" in record.getMessage() for record in records)


def test_health_stays_ok_and_readiness_names_the_database_while_it_is_down(client, database_down):
    assert client.get("/healthz").content == b"ok"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"unavailable: database"
    assert "no-store" in response["Cache-Control"]


def redis_at(location):
    # A context manager, so the cache is put back before the suite's own fixtures clear it.
    return override_settings(CACHES={"default": {"BACKEND": "helpdesk.cache.RedisCache", "LOCATION": location}})


def test_readiness_is_ok_when_the_database_and_the_redis_cache_answer(client):
    with redis_at("redis://127.0.0.1:6379/7"):
        response = client.get("/readyz")
    assert response.status_code == 200 and response.content == b"ok"


def test_readiness_names_a_redis_cache_that_does_not_answer(client):
    with redis_at("redis://127.0.0.1:1/7"):
        response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"unavailable: cache"


def test_a_failed_statement_is_not_mistaken_for_an_unreachable_database():
    make_announcement(slug="twice", language="en")
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        make_announcement(slug="twice", language="en")
    with pytest.raises((OperationalError, ProgrammingError)) as missing, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    request = RequestFactory().get("/en/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    for error in (duplicate.value, missing.value):
        assert not is_connection_failure(error) and middleware.process_exception(request, error) is None
    assert Announcement.objects.filter(slug="twice").count() == 1
    assert pagecache.current_state()  # the database still answers


def test_a_page_answers_503_even_when_the_content_version_must_be_read_from_the_database(
    client, running_site, database_down
):
    cache.clear()  # a restarted process or an emptied cache: the page cache needs the database for its version
    response = client.get("/en/announcements/")
    assert response.status_code == 503 and response["Retry-After"] == "60"


def test_cached_article_views_are_kept_for_later_while_the_database_is_down(client, running_site, tmp_path):
    assert client.get(running_site.get_absolute_url()).status_code == 200
    stats.flush_views()
    with unreachable_database(tmp_path):
        for _ in range(stats.FLUSH_EVERY_VIEWS):
            assert client.get(running_site.get_absolute_url()).status_code == 200
    stats.flush_views()
    running_site.refresh_from_db()
    assert running_site.view_count == 1 + stats.FLUSH_EVERY_VIEWS
