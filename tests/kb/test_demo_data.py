import json
import re
from collections import defaultdict
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from helpdesk.markdown import _md, render_markdown
from kb import pagecache, synthetic, transfer
from kb.models import Announcement, Article, ArticleRevision, Category, Section, Tag
from tests.factories import make_article, make_section

DEMO_DIR = Path(transfer.__file__).resolve().parent / "demo"
CATEGORIES = [
    {
        "slug": "deposits-withdrawals",
        "position": 1,
        "icon": "wallet",
        "name": {"zh-hans": "充值与提现", "en": "Deposits & Withdrawals"},
        "description": {"zh-hans": "充币与提币。", "en": "Deposits and withdrawals."},
        "sections": [
            {"slug": "deposits", "position": 1, "name": {"zh-hans": "充币", "en": "Deposits"}},
            {"slug": "withdrawals", "position": 2, "name": {"zh-hans": "提币", "en": "Withdrawals"}},
        ],
    },
    {
        "slug": "account-security",
        "position": 2,
        "icon": "shield",
        "name": {"zh-hans": "账户与安全", "en": "Account & Security"},
        "description": {},
        "sections": [{"slug": "login", "position": 1, "name": {"zh-hans": "登录", "en": "Sign-in"}}],
    },
]
ARTICLES = [
    {"slug": "deposit-missing", "language": "zh-hans", "title": "充值未到账", "summary": "先查 TxID。",
     "body": "## 原因\n\n网络拥堵。", "category": "充值与提现", "section": "充币", "tags": ["充值", "txid"],
     "status": "published", "promoted": True},
    {"slug": "deposit-missing", "language": "en", "title": "Deposit missing", "summary": "Check the TxID.",
     "body": "## Causes\n\nCongestion.", "category": "Deposits & Withdrawals", "section": "Deposits",
     "tags": ["deposit", "txid"], "status": "published", "promoted": True},
    {"slug": "reset-password", "language": "zh-hans", "title": "重置密码", "body": "按步骤操作。",
     "category": "账户与安全", "section": "登录", "tags": ["密码"]},
]  # fmt: skip
ANNOUNCEMENTS = [
    {"slug": "maintenance", "language": "zh-hans", "kind": "maintenance", "title": "系统维护", "body": "维护通知。",
     "publish_days": -1, "expire_days": 2, "pinned": True, "banner": True},
    {"slug": "maintenance", "language": "en", "kind": "maintenance", "title": "Maintenance", "body": "Notice.",
     "publish_days": -1, "expire_days": 2, "pinned": True, "banner": True},
    {"slug": "new-listing", "language": "zh-hans", "kind": "new_listing", "title": "上新", "body": "新币上线。",
     "publish_days": -3, "expire_days": None, "pinned": False, "banner": False},
]  # fmt: skip


def demo_dir(tmp_path, categories=CATEGORIES, articles=ARTICLES, announcements=ANNOUNCEMENTS):
    (tmp_path / "categories.json").write_text(json.dumps(categories, ensure_ascii=False), encoding="utf-8")
    for name, rows in (("articles.jsonl", articles), ("announcements.jsonl", announcements)):
        lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
        (tmp_path / name).write_text("".join(f"{text}\n" for text in lines), encoding="utf-8")
    return tmp_path


def load(directory):
    out, err = StringIO(), StringIO()
    call_command("load_demo_content", "--dir", str(directory), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (Category, Section, Article, ArticleRevision, Tag, Announcement, Article.tags.through)
    }


@pytest.mark.django_db
def test_load_demo_content_creates_the_tree_articles_and_announcements(tmp_path):
    before = timezone.now()

    out, err = load(demo_dir(tmp_path))

    assert err == ""
    assert "categories: created 2" in out and "sections: created 3" in out
    assert "articles: created 3" in out and "announcements: created 3" in out
    category = Category.objects.get(slug="deposits-withdrawals")
    assert (category.icon, category.position, category.descriptions["en"]) == ("wallet", 1, "Deposits and withdrawals.")
    original = Article.objects.get(slug="deposit-missing", language="zh-hans")
    assert original.section == Section.objects.get(slug="deposits")
    assert (original.summary, original.promoted) == ("先查 TxID。", True)
    assert Article.objects.get(slug="deposit-missing", language="en").source == original
    maintenance = Announcement.objects.get(slug="maintenance", language="en")
    assert maintenance.status == "published" and maintenance.pinned and maintenance.banner
    assert before - timedelta(days=1) <= maintenance.publish_at <= timezone.now() - timedelta(days=1)
    assert maintenance.expires_at - maintenance.publish_at == timedelta(days=3)
    assert Announcement.objects.get(slug="new-listing").expires_at is None
    assert set(Announcement.objects.active().values_list("slug", flat=True)) == {"maintenance", "new-listing"}


@pytest.mark.django_db
def test_loading_the_demo_content_twice_creates_nothing_the_second_time(tmp_path):
    directory = demo_dir(tmp_path)
    load(directory)
    before = snapshot()
    times = list(Announcement.objects.order_by("id").values_list("publish_at", "expires_at", "updated_at"))
    revisions = list(ArticleRevision.objects.order_by("id").values_list("id", flat=True))

    out, err = load(directory)

    assert err == ""
    assert "categories: created 0, updated 0, unchanged 2" in out
    assert "sections: created 0, updated 0, unchanged 3" in out
    assert "articles: created 0, updated 0, unchanged 3" in out
    assert "announcements: created 0, updated 0, unchanged 3" in out
    assert snapshot() == before
    assert list(ArticleRevision.objects.order_by("id").values_list("id", flat=True)) == revisions
    assert list(Announcement.objects.order_by("id").values_list("publish_at", "expires_at", "updated_at")) == times


@pytest.mark.django_db
def test_a_changed_demo_file_updates_rows_but_keeps_announcement_times(tmp_path):
    load(demo_dir(tmp_path))
    times = Announcement.objects.values_list("publish_at", "expires_at").get(slug="new-listing")
    categories = [dict(CATEGORIES[0], icon="book"), CATEGORIES[1]]
    announcements = [*ANNOUNCEMENTS[:2], dict(ANNOUNCEMENTS[2], title="上新公告", publish_days=-10)]

    out, _err = load(demo_dir(tmp_path, categories=categories, announcements=announcements))

    assert "categories: created 0, updated 1, unchanged 1" in out
    assert "announcements: created 0, updated 1, unchanged 2" in out
    assert Category.objects.get(slug="deposits-withdrawals").icon == "book"
    announcement = Announcement.objects.get(slug="new-listing")
    assert announcement.title == "上新公告"
    assert (announcement.publish_at, announcement.expires_at) == times


@pytest.mark.django_db
def test_bad_demo_lines_are_reported_and_the_rest_loaded(tmp_path):
    announcements = [
        ANNOUNCEMENTS[0],
        "{broken",
        dict(ANNOUNCEMENTS[2], kind="party"),
        dict(ANNOUNCEMENTS[2], slug="backwards", publish_days=2, expire_days=1),
    ]
    articles = [ARTICLES[0], dict(ARTICLES[2], language="xx")]

    out, err = load(demo_dir(tmp_path, articles=articles, announcements=announcements))

    lines = err.splitlines()
    assert lines[0].startswith("articles.jsonl line 2: ") and "xx" in lines[0]
    assert [text.split(":")[0] for text in lines[1:]] == [f"announcements.jsonl line {n}" for n in (2, 3, 4)]
    assert "articles: created 1, updated 0, unchanged 0, skipped 1" in out
    assert "announcements: created 1, updated 0, unchanged 0, skipped 3" in out


@pytest.mark.django_db
def test_missing_demo_files_are_skipped_with_a_warning(tmp_path):
    (tmp_path / "categories.json").write_text(json.dumps(CATEGORIES), encoding="utf-8")

    out, err = load(tmp_path)

    assert "articles.jsonl not found" in err and "announcements.jsonl not found" in err
    assert "categories: created 2" in out
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_a_broken_categories_file_or_directory_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="not a directory"):
        load(tmp_path / "nope")
    (tmp_path / "categories.json").write_text('[{"slug": "x", "name": "not a dict"}]', encoding="utf-8")
    with pytest.raises(CommandError, match="category 1"):
        load(tmp_path)
    assert Category.objects.count() == 0


# The shipped demo content -------------------------------------------------------------------------------------------

# Outside hosts the shipped content may link to on purpose: none, every link is a page of this help center.
KEPT_HOSTS = set()
PAIRED = ("zh-hans", "en")


class _Links(HTMLParser):
    """The href of every <a> and the src of every <img> in an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        name = {"a": "href", "img": "src"}.get(tag)
        self.urls += [value for key, value in attrs if key == name and value is not None]


def links(html):
    parser = _Links()
    parser.feed(html)
    return parser.urls


def markdown_links(text):
    """The link targets written in Markdown source, in order."""
    found = []
    for token in _md.parse(text):
        found += [child.attrGet("href") for child in token.children or () if child.type == "link_open"]
    return found


def demo_rows():
    for name in ("articles.jsonl", "announcements.jsonl"):
        for line in (DEMO_DIR / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield name, json.loads(line)


def in_both_languages(model):
    """{slug: {language: row}} of every row of the model."""
    pairs = defaultdict(dict)
    for row in model.objects.order_by("id"):
        pairs[row.slug][row.language] = row
    return dict(pairs)


def without_language(url):
    return re.sub(r"^/(?:zh-hans|en)/", "/<language>/", url)


@pytest.fixture
def shipped(db):
    out, err = load(DEMO_DIR)
    assert err == ""
    return out


def test_the_shipped_demo_content_loads_cleanly_and_idempotently(shipped):
    assert Article.objects.filter(language="en", source__isnull=True).count() == 0
    before = snapshot()

    out, err = load(DEMO_DIR)

    assert err == ""
    assert snapshot() == before
    assert "created 0, updated 0" in out and "created 1" not in out


def test_the_shipped_demo_content_links_only_to_pages_of_this_help_center_in_its_own_language():
    rendered = [(row, render_markdown(row["body"])[0]) for _name, row in demo_rows()]
    found = [(row["slug"], row["language"], url) for row, html in rendered for url in links(html)]
    outside = [(slug, language, url) for slug, language, url in found if urlsplit(url).scheme or urlsplit(url).netloc]
    assert [entry for entry in outside if urlsplit(entry[2]).netloc not in KEPT_HOSTS] == []
    internal = [entry for entry in found if entry not in outside]
    assert [(slug, language, url) for slug, language, url in internal if not url.startswith(f"/{language}/")] == []
    assert [(row["slug"], row["language"]) for row, _html in rendered if "example.com" in json.dumps(row)] == []
    # The sanitiser keeps every link written in the Markdown, relative ones included.
    assert [
        (row["slug"], row["language"]) for row, html in rendered if links(html) != markdown_links(row["body"])
    ] == []
    assert len(found) > 100


def test_every_link_in_the_published_demo_content_answers_200(shipped, client):
    """Each published article and announcement page, and every link in its body followed from that page."""
    pages = [*Article.objects.published(), *Announcement.objects.published()]
    targets, followed = {}, 0
    for page in pages:
        page_url = page.get_absolute_url()
        targets.setdefault(page_url, page_url)
        for url in links(page.body_html):
            targets.setdefault(urljoin(page_url, url), page_url)
            followed += 1
    broken = []
    for url, linked_from in sorted(targets.items()):
        path, fragment = urldefrag(url)
        response = client.get(path)
        if response.status_code != 200 or (fragment and f'id="{fragment}"' not in response.content.decode()):
            broken.append((linked_from, url, response.status_code))
    assert broken == []
    assert followed > 100


def test_every_demo_article_is_in_both_languages_and_the_english_one_translates_the_chinese(shipped):
    pairs = in_both_languages(Article)
    assert {slug: set(languages) for slug, languages in pairs.items() if set(languages) != set(PAIRED)} == {}
    assert len(pairs) >= 50 and Article.objects.count() == 2 * len(pairs)
    for slug, languages in pairs.items():
        source, translation = languages["zh-hans"], languages["en"]
        assert source.source_id is None, slug
        assert translation.source_id == source.pk, slug
        assert (translation.section_id, translation.status) == (source.section_id, source.status), slug


def test_demo_translations_keep_the_headings_steps_tables_and_links_of_their_source():
    def shape(body):
        html, toc = render_markdown(body)
        counts = [html.count(f"<{tag}>") + html.count(f"<{tag} ") for tag in ("ol", "ul", "li", "tr")]
        return [entry["level"] for entry in toc], counts, [without_language(url) for url in links(html)]

    shapes = defaultdict(dict)
    for name, row in demo_rows():
        shapes[name, row["slug"]][row["language"]] = shape(row["body"])
    assert len(shapes) > 60
    assert [key for key, languages in shapes.items() if languages.get("en") != languages.get("zh-hans")] == []


def test_every_demo_announcement_is_in_both_languages_with_the_same_schedule(shipped):
    pairs = in_both_languages(Announcement)
    assert {slug: set(languages) for slug, languages in pairs.items() if set(languages) != set(PAIRED)} == {}
    for slug, languages in pairs.items():
        chinese, english = (
            (row.kind, row.publish_at, row.expires_at, row.pinned, row.banner, row.status)
            for row in (languages["zh-hans"], languages["en"])
        )
        assert chinese == english, slug


def test_each_published_demo_page_links_to_its_other_language(shipped, client):
    pages = [*Article.objects.published(), *Announcement.objects.published()]
    for page in pages:
        other = "en" if page.language == "zh-hans" else "zh-hans"
        with override(other):
            other_url = reverse(f"kb:{page._meta.model_name}", args=[page.slug])
        html = client.get(page.get_absolute_url()).content.decode()
        assert f'<link rel="alternate" hreflang="{other}" href="{other_url}">' in html, page.get_absolute_url()
    assert len(pages) > 100


def generate(n, *args):
    out = StringIO()
    call_command("generate_demo_data", "--articles", str(n), "--quiet", "--workers", "1", *args, stdout=out)
    return out.getvalue()


def generated(**filters):
    return list(
        Article.objects.filter(**filters)
        .order_by("id")
        .values_list("slug", "language", "title", "body", "status", "section_id", "view_count", "promoted")
    )


@pytest.mark.django_db
def test_generate_demo_data_creates_published_articles_with_tags_and_a_first_revision():
    make_section()
    started = timezone.now()

    assert "created 60 articles" in generate(60, "--seed", "3")

    articles = Article.objects.filter(slug__startswith="gen-")
    assert sorted(articles.values_list("slug", flat=True)) == sorted(f"gen-{n}" for n in range(1, 61))
    assert ArticleRevision.objects.filter(article__in=articles, number=1).count() == 60
    assert ArticleRevision.objects.count() == 60
    for article in articles.prefetch_related("tags"):
        assert 300 <= len(article.body) <= 1500
        assert "## " in article.body and article.body_html.startswith("<p>") and article.toc
        assert 2 <= len(article.tags.all()) <= 4
        if article.status == "published":
            assert article.publish_at < started
        else:
            assert article.status == "draft" and article.publish_at is None
    assert articles.filter(status="published").count() >= 50
    assert len(set(articles.values_list("view_count", flat=True))) > 10


@pytest.mark.django_db
def test_generated_articles_mix_chinese_and_english_about_60_40():
    generate(400, "--seed", "1")

    chinese = Article.objects.filter(language="zh-hans").count() / 400
    assert 0.5 <= chinese <= 0.7
    english = Article.objects.filter(language="en").first()
    assert english.body.isascii() and not Article.objects.filter(language="zh-hans").first().title.isascii()


@pytest.mark.django_db
def test_the_same_seed_generates_the_same_articles():
    section = make_section()
    generate(30, "--seed", "42", "--batch", "7")
    first = generated()
    tags = list(Article.tags.through.objects.order_by("id").values_list("article__slug", "tag__name"))
    Article.objects.all().delete()

    generate(30, "--seed", "42")

    assert generated() == first
    assert list(Article.tags.through.objects.order_by("id").values_list("article__slug", "tag__name")) == tags
    assert {row[5] for row in first} == {section.pk}
    Article.objects.all().delete()
    generate(30, "--seed", "43")
    assert generated() != first


@pytest.mark.django_db
def test_rendering_in_worker_processes_gives_the_same_articles():
    make_section()
    synthetic.generate_articles(12, seed=5, batch_size=5, workers=1)
    inline = list(Article.objects.order_by("id").values_list("slug", "body_html", "toc", "search_title"))
    Article.objects.all().delete()

    synthetic.generate_articles(12, seed=5, batch_size=5, workers=2)

    assert list(Article.objects.order_by("id").values_list("slug", "body_html", "toc", "search_title")) == inline


@pytest.mark.django_db
def test_generating_again_continues_after_the_highest_generated_number():
    make_article(slug="gen-eral")
    make_article(slug="gen-9", language="en")
    generate(3, "--seed", "1")

    assert sorted(Article.objects.filter(slug__regex=r"^gen-\d+$").values_list("slug", flat=True)) == [
        "gen-10",
        "gen-11",
        "gen-12",
        "gen-9",
    ]
    generate(2)
    assert synthetic.last_generated_number() == 14


@pytest.mark.django_db
def test_generating_into_an_empty_help_center_creates_a_few_sections():
    generate(20, "--seed", "2")

    assert Category.objects.count() == 3
    assert Section.objects.count() >= 6
    assert all(section.names.keys() == {"zh-hans", "en"} for section in Section.objects.all())
    assert Article.objects.values("section").distinct().count() > 1


@pytest.mark.django_db
def test_generated_articles_are_indexed_for_search_like_saved_ones():
    make_section()
    generate(5, "--seed", "8")

    article = Article.objects.filter(status="published").first()
    assert article.search_title and article.search_body
    stored = article.search_title
    article.save()
    assert article.search_title == stored


@pytest.mark.django_db
def test_generate_starts_a_new_page_cache_version():
    make_section()
    cache.set(pagecache.VERSION_KEY, ("old", None), timeout=None)

    generate(3)

    assert cache.get(pagecache.VERSION_KEY)[0] != "old"


@pytest.mark.django_db
def test_generate_writes_in_a_constant_number_of_queries_per_batch():
    make_section()

    def queries(n):
        with CaptureQueriesContext(connection) as context:
            synthetic.generate_articles(n, seed=1, batch_size=1000)
        return len(context.captured_queries)

    assert queries(5) == queries(25)
