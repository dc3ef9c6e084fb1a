import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kb import actions, stats
from kb.models import Article
from tests.factories import make_announcement, make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Move "now" forward for the ORM (timezone.now) and the page cache (time.time) together."""

    class Clock:
        offset = 0.0

        def advance(self, **delta):
            self.offset += timedelta(**delta).total_seconds()

    clock = Clock()
    real_now, real_time = timezone.now, time.time
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=clock.offset))
    monkeypatch.setattr("kb.pagecache.clock", lambda: real_time() + clock.offset)
    return clock


def test_second_anonymous_visit_is_served_from_cache_without_queries(client, django_assert_num_queries):
    article = make_article(title="缓存的文章")
    assert client.get(article.get_absolute_url()).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200 and "缓存的文章" in response.content.decode()
    assert "Content-Security-Policy" in response


def test_editing_an_article_invalidates_every_cached_page(client, django_capture_on_commit_callbacks):
    article = make_article(title="旧标题")
    client.get("/zh-hans/")
    client.get(article.get_absolute_url())
    article.title = "新标题"
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_article(article)
    assert "新标题" in client.get(article.get_absolute_url()).content.decode()
    assert "新标题" in client.get("/zh-hans/").content.decode()


def test_invalidation_waits_for_the_commit(client, django_capture_on_commit_callbacks):
    article = make_article(title="提交前")
    client.get(article.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article.title = "提交后"
        actions.save_article(article)
        assert "提交前" in client.get(article.get_absolute_url()).content.decode()
    assert callbacks


def test_publishing_a_draft_shows_it_on_cached_pages(client, django_capture_on_commit_callbacks):
    section = make_section()
    draft = make_article(section=section, title="即将发布", status=Article.Status.DRAFT)
    assert "即将发布" not in client.get("/zh-hans/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(Article.objects.filter(pk=draft.pk), status=Article.Status.PUBLISHED)
    assert "即将发布" in client.get("/zh-hans/").content.decode()


def test_scheduled_article_appears_on_cached_pages_when_due_without_any_job(client, clock):
    make_article(title="已发布")
    make_article(title="定时发布", publish_at=timezone.now() + timedelta(minutes=30))
    assert "定时发布" not in client.get("/zh-hans/").content.decode()
    assert "定时发布" not in client.get("/zh-hans/").content.decode()
    clock.advance(minutes=31)
    assert "定时发布" in client.get("/zh-hans/").content.decode()


def test_expired_banner_disappears_from_cached_pages(client, clock):
    make_announcement(title="限时横幅", banner=True, expires_at=timezone.now() + timedelta(hours=1))
    assert "限时横幅" in client.get("/zh-hans/").content.decode()
    clock.advance(hours=2)
    assert "限时横幅" not in client.get("/zh-hans/").content.decode()


def test_signed_in_staff_bypass_the_cache(client, editor):
    article = make_article(title="公开")
    client.get(article.get_absolute_url())
    client.force_login(editor)
    draft = make_article(title="草稿预览", status=Article.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.logout()
    client.cookies.clear()
    assert Client().get(draft.get_absolute_url()).status_code == 404


def _token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_each_visitor_of_a_cached_article_gets_a_working_csrf_token_of_their_own():
    article = make_article()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    token_one = _token(first.get(article.get_absolute_url()).content.decode())
    token_two = _token(second.get(article.get_absolute_url()).content.decode())
    assert "__HD_CSRF" not in token_one + token_two
    assert token_one != token_two
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    url = f"/zh-hans/articles/{article.slug}/feedback/"
    assert second.post(url, {"helpful": "yes", "csrfmiddlewaretoken": token_two}).status_code == 200
    assert second.post(url, {"helpful": "yes", "csrfmiddlewaretoken": token_one}).status_code == 403


def test_cached_article_views_are_still_counted(client):
    article = make_article()
    for _ in range(5):
        client.get(article.get_absolute_url())
    stats.flush_views()
    article.refresh_from_db()
    assert article.view_count == 5


def test_unknown_query_parameters_are_not_cached(client):
    article = make_article()
    client.get(article.get_absolute_url() + "?utm=1")
    with CaptureQueriesContext(connection) as queries:
        client.get(article.get_absolute_url() + "?utm=1")
    assert len(queries) > 0


def test_redis_cache_serves_and_invalidates_pages(client, redis_cache, django_capture_on_commit_callbacks):
    assert type(redis_cache).__name__ == "RedisCache"
    # one client per connection pool, reused by every call (and still talking to the real server)
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
    redis_cache.set("probe", {"n": 1})
    assert redis_cache.get("probe") == {"n": 1}
    assert redis_cache.add("counter", 0) and redis_cache.incr("counter", delta=2) == 2
    article = make_article(title="Redis 页面")
    client.get(article.get_absolute_url())
    assert any(key.startswith("kb:page:") for key in _redis_keys(redis_cache))
    article.title = "Redis 新标题"
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_article(article)
    assert "Redis 新标题" in client.get(article.get_absolute_url()).content.decode()
    redis_cache.clear()


def _redis_keys(redis_cache):
    client = redis_cache._cache.get_client()
    prefix = redis_cache.key_prefix
    return [key.decode().split(":", 2)[2] for key in client.keys(f"{prefix}:*")]
