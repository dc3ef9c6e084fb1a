import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kb.models import Announcement, Article, ArticleFeedback
from tests.factories import make_announcement, make_article, make_category, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    category = make_category(slug="deposits", names={"zh-hans": "充值与提现", "en": "Deposits & withdrawals"})
    section = make_section(category=category, slug="deposit", names={"zh-hans": "充值", "en": "Deposit"})
    source = make_article(
        section=section,
        slug="deposit-not-credited",
        title="充值未到账怎么办",
        body="## 检查 TxID\n\n步骤\n\n## 确认网络\n\n说明\n\n## 联系客服\n\n说明",
        tags=["充值"],
        promoted=True,
    )
    translation = make_article(
        section=section, slug="deposit-not-credited", language="en", title="Deposit not credited", source=source
    )
    draft = make_article(section=section, slug="secret-draft", title="草稿不可见", status=Article.Status.DRAFT)
    make_announcement(slug="welcome", title="欢迎")
    scheduled = make_article(
        section=section, slug="future", title="将来的文章", publish_at=timezone.now() + timedelta(days=1)
    )
    return {"category": category, "section": section, "source": source, "translation": translation, "draft": draft,
            "scheduled": scheduled}  # fmt: skip


def test_root_redirects_by_accept_language(client):
    assert client.get("/", headers={"accept-language": "en-US,en;q=0.9"})["Location"] == "/en/"
    assert client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"})["Location"] == "/zh-hans/"


def test_public_pages_render(client, content):
    make_announcement(slug="maint", title="系统维护")
    for url in [
        "/zh-hans/",
        "/en/",
        "/zh-hans/categories/deposits/",
        "/zh-hans/categories/deposits/deposit/",
        "/zh-hans/articles/deposit-not-credited/",
        "/en/articles/deposit-not-credited/",
        "/zh-hans/announcements/",
        "/zh-hans/announcements/maint/",
        "/zh-hans/announcements/feed/rss/",
        "/zh-hans/announcements/feed/atom/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/robots.txt",
    ]:
        assert client.get(url).status_code == 200, url


def test_article_page_shows_breadcrumbs_toc_translation_link_and_feedback_form(client, content):
    html = client.get("/zh-hans/articles/deposit-not-credited/").content.decode()
    assert "充值与提现" in html and 'href="/zh-hans/categories/deposits/deposit/"' in html
    assert 'class="toc"' in html and "检查 TxID" in html
    assert 'href="/en/articles/deposit-not-credited/"' in html
    assert 'action="/zh-hans/articles/deposit-not-credited/feedback/"' in html
    assert "草稿不可见" not in html


def test_language_switcher_falls_back_to_the_other_home_when_no_translation_exists(client, content):
    only_zh = make_article(section=content["section"], slug="zh-only", title="只有中文")
    html = client.get(only_zh.get_absolute_url()).content.decode()
    assert 'hreflang="en"' in html and 'href="/en/"' in html


def test_drafts_and_scheduled_articles_never_leak_to_anonymous_visitors(client, content):
    for article in (content["draft"], content["scheduled"]):
        assert client.get(article.get_absolute_url()).status_code == 404
    for url in [
        "/zh-hans/",
        "/zh-hans/categories/deposits/",
        "/zh-hans/categories/deposits/deposit/",
        "/sitemap-articles.xml",
        "/zh-hans/announcements/feed/rss/",
    ]:
        body = client.get(url).content.decode()
        assert "secret-draft" not in body and "草稿不可见" not in body, url
        assert "将来的文章" not in body and "/future/" not in body, url


def test_staff_with_view_permission_can_preview_a_draft(client, editor, content):
    client.force_login(editor)
    response = client.get(content["draft"].get_absolute_url())
    assert response.status_code == 200 and "草稿不可见" in response.content.decode()


def test_draft_announcements_and_future_ones_are_hidden(client):
    make_announcement(slug="hidden-draft", title="草稿公告", status=Announcement.Status.DRAFT)
    make_announcement(slug="later", title="未来公告", publish_at=timezone.now() + timedelta(days=2))
    assert client.get("/zh-hans/announcements/hidden-draft/").status_code == 404
    assert client.get("/zh-hans/announcements/later/").status_code == 404
    for url in (
        "/zh-hans/announcements/",
        "/zh-hans/announcements/feed/atom/",
        "/zh-hans/",
        "/sitemap-announcements.xml",
    ):
        body = client.get(url).content.decode()
        assert "草稿公告" not in body and "未来公告" not in body, url


def test_expired_announcements_stay_in_the_archive_but_leave_the_home_page(client):
    make_announcement(
        slug="old-promo", title="过期活动", publish_at=timezone.now() - timedelta(days=40),
        expires_at=timezone.now() - timedelta(days=10),
    )  # fmt: skip
    assert "过期活动" not in client.get("/zh-hans/").content.decode()
    assert "过期活动" in client.get("/zh-hans/announcements/").content.decode()


def test_banner_announcement_shows_on_every_page_while_active(client, content):
    make_announcement(slug="stay-safe", title="谨防假冒客服", banner=True, kind=Announcement.Kind.SECURITY)
    for url in ("/zh-hans/", "/zh-hans/categories/deposits/", "/zh-hans/articles/deposit-not-credited/"):
        assert "谨防假冒客服" in client.get(url).content.decode(), url
    assert "谨防假冒客服" not in client.get("/en/").content.decode()


def test_anti_phishing_notice_is_on_every_page_in_both_languages(client, content):
    for url in ("/zh-hans/", "/en/", "/zh-hans/articles/deposit-not-credited/", "/en/announcements/"):
        assert 'class="phishing-notice"' in client.get(url).content.decode(), url


def test_unknown_pages_get_a_friendly_404_in_the_visitors_language(client, settings):
    settings.DEBUG = False
    zh = client.get("/zh-hans/articles/nope/")
    en = client.get("/en/articles/nope/")
    assert zh.status_code == en.status_code == 404
    assert 'lang="zh-hans"' in zh.content.decode() and 'lang="en"' in en.content.decode()
    assert 'name="q"' in en.content.decode()


def _token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_voting_requires_post_with_csrf_and_is_one_per_visitor(content):
    client = Client(enforce_csrf_checks=True)
    article = content["source"]
    url = f"/zh-hans/articles/{article.slug}/feedback/"
    assert client.get(url).status_code == 405
    assert client.post(url, {"helpful": "yes"}).status_code == 403
    token = _token(client.get(article.get_absolute_url()).content.decode())
    assert client.post(url, {"helpful": "yes", "csrfmiddlewaretoken": token}).status_code == 200
    assert client.post(url, {"helpful": "no", "comment": "缺截图", "csrfmiddlewaretoken": token}).status_code == 200
    assert ArticleFeedback.objects.filter(article=article).count() == 1
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)


def test_vote_by_fetch_gets_json_and_bad_input_gets_a_400(client, content):
    url = f"/zh-hans/articles/{content['source'].slug}/feedback/"
    ok = client.post(url, {"helpful": "yes"}, headers={"accept": "application/json"})
    assert ok.status_code == 200 and ok.json()["ok"] is True
    bad = client.post(url, {"helpful": "maybe"}, headers={"accept": "application/json"})
    assert bad.status_code == 400 and "helpful" in bad.json()["errors"]
    long = client.post(url, {"helpful": "no", "comment": "x" * 1001})
    assert long.status_code == 400


def test_votes_on_unpublished_articles_are_refused(client, content):
    assert client.post(f"/zh-hans/articles/{content['draft'].slug}/feedback/", {"helpful": "yes"}).status_code == 404


def test_voting_is_rate_limited_per_client(client, content):
    url = f"/zh-hans/articles/{content['source'].slug}/feedback/"
    for _ in range(30):
        client.cookies.clear()
        client.post(url, {"helpful": "yes"})
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_section_page_paginates(client, content):
    for n in range(35):
        make_article(section=content["section"], slug=f"bulk-{n}", title=f"批量 {n}")
    first = client.get("/zh-hans/categories/deposits/deposit/").content.decode()
    second = client.get("/zh-hans/categories/deposits/deposit/?page=2").content.decode()
    assert first.count("/zh-hans/articles/bulk-") + second.count("/zh-hans/articles/bulk-") == 35
    assert client.get("/zh-hans/categories/deposits/deposit/?page=999").status_code == 200
    assert client.get("/zh-hans/categories/deposits/deposit/?page=abc").status_code == 200


def _queries_for(client, django_assert_num_queries, url, expected):
    cache.clear()
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url,n",
    [
        ("/zh-hans/", 7),
        ("/zh-hans/categories/deposits/", 6),
        ("/zh-hans/categories/deposits/deposit/", 6),
        ("/zh-hans/announcements/", 5),
        ("/zh-hans/announcements/feed/rss/", 3),
        ("/sitemap-articles.xml", 5),
    ],
)
def test_list_pages_run_a_constant_number_of_queries(client, django_assert_num_queries, content, url, n):
    _queries_for(client, django_assert_num_queries, url, n)
    for i in range(25):
        make_article(section=content["section"], slug=f"more-{i}", tags=["充值", f"t{i}"], promoted=i % 3 == 0)
        make_announcement(slug=f"news-{i}")
    _queries_for(client, django_assert_num_queries, url, n)


def test_related_articles_prefer_shared_tags_then_the_same_section(client, content):
    section, other_section = content["section"], make_section()
    article = make_article(section=section, slug="base", title="提币地址", tags=["提币", "地址"])
    both = make_article(section=other_section, slug="both", title="共享两个标签", tags=["提币", "地址"])
    one = make_article(section=other_section, slug="one", title="共享一个标签", tags=["提币"])
    make_article(section=other_section, slug="draft-rel", title="草稿相关", tags=["提币"], status=Article.Status.DRAFT)
    make_article(section=section, slug="en-rel", language="en", title="English related", tags=["提币"])
    html = client.get(article.get_absolute_url()).content.decode()
    related = html[html.index('id="related-title"') :]
    assert related.index("共享两个标签") < related.index("共享一个标签")
    assert "充值未到账怎么办" in related  # same section, no shared tag
    assert "草稿相关" not in related and "English related" not in related
    assert both.slug and one.slug


@pytest.mark.parametrize("extra", [1, 15])
def test_article_page_runs_a_constant_number_of_queries(client, django_assert_num_queries, content, extra):
    for n in range(extra):
        make_article(section=content["section"], slug=f"rel-{n}", tags=["充值", f"t{n}"])
    cache.clear()
    with django_assert_num_queries(9):
        assert client.get(content["source"].get_absolute_url()).status_code == 200
