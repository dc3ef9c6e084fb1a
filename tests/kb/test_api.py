import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from kb.models import Announcement, Article, ArticleFeedback, ArticleRevision, Category, Section
from tests.factories import make_announcement, make_article, make_category, make_section

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
CATEGORIES = "/api/v1/categories/"
SECTIONS = "/api/v1/sections/"
ANNOUNCEMENTS = "/api/v1/announcements/"


@pytest.fixture
def api():
    return APIClient(headers={"accept-language": "en"})


@pytest.fixture
def hidden_articles():
    """One article in each state the public must never see."""
    later = timezone.now() + timedelta(days=1)
    return {
        "draft": make_article(status=Article.Status.DRAFT),
        "review": make_article(status=Article.Status.REVIEW),
        "archived": make_article(status=Article.Status.ARCHIVED),
        "scheduled": make_article(status=Article.Status.PUBLISHED, publish_at=later),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def logged_in(user):
    client = APIClient(headers={"accept-language": "en"})
    client.force_login(user)
    return client


# Public visibility


def test_public_article_list_shows_only_published_due_articles(api, hidden_articles):
    visible = make_article()
    assert ids(api.get(ARTICLES)) == [visible.id]


def test_hidden_article_detail_is_404_for_the_public(api, hidden_articles, outsider):
    for article in hidden_articles.values():
        assert api.get(f"{ARTICLES}{article.id}/").status_code == 404
        assert logged_in(outsider).get(f"{ARTICLES}{article.id}/").status_code == 404


def test_filters_never_reveal_hidden_articles(api, hidden_articles):
    draft = hidden_articles["draft"]
    draft.tags.create(name="secret")
    queries = [
        {"tag": "secret"},
        {"section": draft.section.slug},
        {"category": draft.section.category.slug},
        {"status": "draft"},
        {"status": "published", "language": "zh-hans"},
    ]
    for params in queries:
        assert ids(api.get(ARTICLES, params)) == [], params


def test_status_filter_is_ignored_for_the_public_but_used_for_staff(api, editor, hidden_articles):
    published = make_article()
    assert ids(api.get(ARTICLES, {"status": "draft"})) == [published.id]
    assert ids(logged_in(editor).get(ARTICLES, {"status": "draft"})) == [hidden_articles["draft"].id]


def test_staff_see_every_article_and_its_detail(editor, hidden_articles):
    client = logged_in(editor)
    assert sorted(ids(client.get(ARTICLES))) == sorted(a.id for a in hidden_articles.values())
    for article in hidden_articles.values():
        response = client.get(f"{ARTICLES}{article.id}/")
        assert response.status_code == 200
        assert response.json()["status"] == article.status


def test_translations_list_only_visible_translations_to_the_public(api, editor):
    original = make_article(slug="deposit", language="zh-hans")
    draft_translation = make_article(slug="deposit", language="en", status=Article.Status.DRAFT, source=original)

    assert api.get(f"{ARTICLES}{original.id}/").json()["translations"] == []
    staff_view = logged_in(editor).get(f"{ARTICLES}{original.id}/").json()
    assert staff_view["translations"] == [
        {"language": "en", "slug": "deposit", "url": "http://testserver/en/articles/deposit/"}
    ]

    draft_translation.status = Article.Status.PUBLISHED
    draft_translation.save()
    assert [t["language"] for t in api.get(f"{ARTICLES}{original.id}/").json()["translations"]] == ["en"]


def test_source_of_a_translation_is_hidden_while_the_source_is_not_public(api, editor):
    source = make_article(slug="withdraw", status=Article.Status.REVIEW)
    translation = make_article(slug="withdraw", language="en", source=source)
    assert api.get(f"{ARTICLES}{translation.id}/").json()["source"] is None
    assert logged_in(editor).get(f"{ARTICLES}{translation.id}/").json()["source"] == source.id


def test_public_announcements_are_published_and_due_including_expired(api, editor):
    now = timezone.now()
    current = make_announcement()
    expired = make_announcement(publish_at=now - timedelta(days=3), expires_at=now - timedelta(days=1))
    draft = make_announcement(status=Announcement.Status.DRAFT)
    future = make_announcement(publish_at=now + timedelta(days=1))

    assert sorted(ids(api.get(ANNOUNCEMENTS))) == sorted([current.id, expired.id])
    assert ids(api.get(ANNOUNCEMENTS, {"active": "true"})) == [current.id]
    assert sorted(ids(api.get(ANNOUNCEMENTS, {"active": "false"}))) == sorted([current.id, expired.id])
    for hidden in (draft, future):
        assert api.get(f"{ANNOUNCEMENTS}{hidden.id}/").status_code == 404
    assert len(ids(logged_in(editor).get(ANNOUNCEMENTS))) == 4


# Representations


def test_article_list_items_are_compact_with_absolute_urls_in_their_language(api):
    section = make_section(slug="deposits", names={"zh-hans": "充币", "en": "Deposits"})
    article = make_article(slug="how-to-deposit", language="en", section=section, tags=["usdt", "deposit"])

    (item,) = api.get(ARTICLES).json()["results"]

    assert item["url"] == "http://testserver/en/articles/how-to-deposit/"
    assert item["section"] == {"id": section.id, "slug": "deposits", "name": "Deposits"}
    assert item["category"]["slug"] == section.category.slug
    assert sorted(item["tags"]) == ["deposit", "usdt"]
    assert item["id"] == article.id
    assert {"body", "body_html", "toc", "translations"}.isdisjoint(item)
    for key in ("summary", "promoted", "updated_at", "publish_at", "helpful_yes", "helpful_no", "view_count"):
        assert key in item


def test_article_detail_has_sanitised_html_and_table_of_contents(api):
    article = make_article(body="## Steps\n\n<script>alert(1)</script>\n\n### Network\n\ntext")

    data = api.get(f"{ARTICLES}{article.id}/").json()

    assert data["body"].startswith("## Steps")
    assert "<script" not in data["body_html"]
    assert [entry["title"] for entry in data["toc"]] == ["Steps", "Network"]
    assert data["translations"] == []
    assert data["source"] is None


def test_categories_nest_sections_with_names_in_the_requested_language(api):
    category = make_category(slug="funds", names={"zh-hans": "资金", "en": "Funds"})
    make_section(category=category, slug="deposit", names={"zh-hans": "充币", "en": "Deposit"})

    by_param = api.get(CATEGORIES, {"language": "en"}).json()["results"][0]
    by_header = api.get(CATEGORIES, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    default = APIClient().get(CATEGORIES).json()["results"][0]

    assert by_param["name"] == by_header["name"] == "Funds"
    assert by_param["names"] == {"zh-hans": "资金", "en": "Funds"}
    assert by_param["url"] == "http://testserver/en/categories/funds/"
    assert by_param["sections"][0]["name"] == "Deposit"
    assert by_param["sections"][0]["url"] == "http://testserver/en/categories/funds/deposit/"
    assert default["name"] == "资金"
    assert default["sections"][0]["name"] == "充币"


def test_sections_filter_by_category_slug(api):
    wanted = make_section(category=make_category(slug="security"))
    make_section()
    data = api.get(SECTIONS, {"category": "security"}).json()
    assert [row["id"] for row in data["results"]] == [wanted.id]
    assert data["results"][0]["category"] == "security"


# Filters, ordering, pagination


def test_article_filters_by_language_category_section_tag_and_promoted(api):
    section = make_section(slug="kyc", category=make_category(slug="account"))
    zh = make_article(section=section, tags=["kyc"], promoted=True)
    en = make_article(language="en")

    assert ids(api.get(ARTICLES, {"language": "en"})) == [en.id]
    assert ids(api.get(ARTICLES, {"category": "account"})) == [zh.id]
    assert ids(api.get(ARTICLES, {"section": "kyc"})) == [zh.id]
    assert ids(api.get(ARTICLES, {"tag": "kyc"})) == [zh.id]
    assert ids(api.get(ARTICLES, {"promoted": "true"})) == [zh.id]
    assert ids(api.get(ARTICLES, {"promoted": "false"})) == [en.id]


def test_updated_since_keeps_articles_updated_at_or_after_the_moment(api):
    old, new = make_article(), make_article()
    moment = timezone.now() - timedelta(days=1)
    Article.objects.filter(pk=old.pk).update(updated_at=moment - timedelta(seconds=1))
    Article.objects.filter(pk=new.pk).update(updated_at=moment)
    assert ids(api.get(ARTICLES, {"updated_since": moment.isoformat()})) == [new.id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2024-13-45T00:00:00"}, "updated_since"),
        ({"language": "klingon"}, "language"),
        ({"status": "deleted"}, "status"),
    ],
)
def test_malformed_article_filters_answer_400_with_a_message(api, params, field):
    make_article()
    response = api.get(ARTICLES, params)
    assert response.status_code == 400
    assert response.json()[field]


def test_malformed_values_elsewhere_never_fail(api):
    make_article()
    assert api.get(ARTICLES, {"ordering": "body_html"}).status_code == 200
    assert api.get(ARTICLES, {"page_size": "lots"}).status_code == 200
    assert api.get(ARTICLES, {"page": "abc"}).status_code == 404
    assert api.get(f"{ARTICLES}abc/").status_code == 404
    assert api.get(ANNOUNCEMENTS, {"kind": "party"}).status_code == 400
    assert api.get(CATEGORIES, {"language": "xx"}).status_code == 400
    assert api.post(f"{ARTICLES}abc/feedback/", {"helpful": True}, format="json").status_code == 404


def test_articles_order_by_title_views_and_publish_time(api):
    now = timezone.now()
    a = make_article(title="Alpha", publish_at=now - timedelta(days=2))
    b = make_article(title="Beta", publish_at=now - timedelta(days=1))
    Article.objects.filter(pk=a.pk).update(view_count=5)
    Article.objects.filter(pk=b.pk).update(view_count=9)

    assert ids(api.get(ARTICLES, {"ordering": "title"})) == [a.id, b.id]
    assert ids(api.get(ARTICLES, {"ordering": "-title"})) == [b.id, a.id]
    assert ids(api.get(ARTICLES, {"ordering": "-view_count"})) == [b.id, a.id]
    assert ids(api.get(ARTICLES, {"ordering": "publish_at"})) == [a.id, b.id]


def test_announcements_filter_by_language_and_kind_and_order_by_publish_time(api):
    now = timezone.now()
    older = make_announcement(kind=Announcement.Kind.MAINTENANCE, publish_at=now - timedelta(days=2))
    newer = make_announcement(kind=Announcement.Kind.MAINTENANCE, publish_at=now - timedelta(days=1))
    english = make_announcement(language="en", kind=Announcement.Kind.NEW_LISTING)

    assert ids(api.get(ANNOUNCEMENTS, {"language": "en"})) == [english.id]
    assert ids(api.get(ANNOUNCEMENTS, {"kind": "maintenance", "ordering": "publish_at"})) == [older.id, newer.id]
    assert ids(api.get(ANNOUNCEMENTS, {"kind": "maintenance", "ordering": "-publish_at"})) == [newer.id, older.id]


def test_lists_are_paginated_by_20_with_a_page_size_of_at_most_100(api):
    section = make_section()
    Article.objects.bulk_create(
        Article(
            section=section, slug=f"bulk-{n}", title=f"T{n}", body="b", status="published", publish_at=timezone.now()
        )
        for n in range(105)
    )

    first = api.get(ARTICLES).json()
    assert first["count"] == 105
    assert len(first["results"]) == 20
    assert first["next"].endswith("page=2")
    assert len(api.get(ARTICLES, {"page_size": 50}).json()["results"]) == 50
    assert len(api.get(ARTICLES, {"page_size": 500}).json()["results"]) == 100
    seen = []
    for page in range(1, 7):
        seen += ids(api.get(ARTICLES, {"ordering": "title", "page": page}))
    assert len(seen) == len(set(seen)) == 105


# Query counts: constant whatever the number of rows


def _assert_constant_queries(client, url, django_assert_num_queries, make_rows, expected):
    make_rows(3)
    client.get(url)  # the page-cache middleware looks up the content version once per version
    with django_assert_num_queries(expected):
        assert len(client.get(url).json()["results"]) == 3
    make_rows(22)
    client.get(url)
    with django_assert_num_queries(expected):
        assert len(client.get(url).json()["results"]) == 20


def test_article_list_runs_a_constant_number_of_queries(api, django_assert_num_queries):
    def rows(n):
        for _ in range(n):
            make_article(tags=["a", "b"], section=make_section())

    _assert_constant_queries(api, ARTICLES, django_assert_num_queries, rows, expected=3)


def test_staff_article_list_runs_a_constant_number_of_queries(editor, django_assert_num_queries):
    def rows(n):
        for _ in range(n):
            make_article(tags=["a"], status=Article.Status.DRAFT)

    _assert_constant_queries(logged_in(editor), ARTICLES, django_assert_num_queries, rows, expected=6)


def test_category_list_runs_a_constant_number_of_queries(api, django_assert_num_queries):
    def rows(n):
        for _ in range(n):
            make_section(category=make_section().category)

    _assert_constant_queries(api, CATEGORIES, django_assert_num_queries, rows, expected=3)


def test_section_list_runs_a_constant_number_of_queries(api, django_assert_num_queries):
    _assert_constant_queries(
        api, SECTIONS, django_assert_num_queries, lambda n: [make_section() for _ in range(n)], expected=2
    )


def test_announcement_list_runs_a_constant_number_of_queries(api, django_assert_num_queries):
    _assert_constant_queries(
        api, ANNOUNCEMENTS, django_assert_num_queries, lambda n: [make_announcement() for _ in range(n)], expected=2
    )


# Staff writes


def _new_article(section, **extra):
    return {
        "section_id": section.id,
        "language": "en",
        "slug": "new-listing-rules",
        "title": "Listing rules",
        "body": "## Rules\n\nBe nice.",
        "tags": ["listing", "rules", "listing"],
        **extra,
    }


def test_editor_creates_a_draft_through_save_article_with_a_revision(editor):
    section = make_section()
    response = logged_in(editor).post(ARTICLES, _new_article(section), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    article = Article.objects.get(pk=data["id"])
    assert article.status == Article.Status.DRAFT
    assert article.author == editor
    assert data["body_html"].startswith('<h2 id="h-rules">')
    assert sorted(data["tags"]) == ["listing", "rules"]
    assert list(article.revisions.values_list("number", "author", "note")) == [(1, editor.id, "API")]


def test_editor_update_of_content_adds_a_revision_and_replaces_tags(editor):
    article = make_article(status=Article.Status.DRAFT, tags=["old"])
    client = logged_in(editor)

    response = client.patch(f"{ARTICLES}{article.id}/", {"body": "new text", "tags": ["new"]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["tags"] == ["new"]
    assert article.revisions.count() == 2
    assert article.revisions.first().body == "new text"
    client.patch(f"{ARTICLES}{article.id}/", {"promoted": True}, format="json")
    assert article.revisions.count() == 2


def test_editor_cannot_publish_or_archive(editor):
    section = make_section()
    client = logged_in(editor)
    draft = make_article(status=Article.Status.DRAFT)

    created = client.post(ARTICLES, _new_article(section, status="published"), format="json")
    published = client.patch(f"{ARTICLES}{draft.id}/", {"status": "published"}, format="json")
    archived = client.patch(f"{ARTICLES}{draft.id}/", {"status": "archived"}, format="json")

    for response in (created, published, archived):
        assert response.status_code == 403
        assert "publish" in response.json()["detail"]
    assert not Article.objects.filter(slug="new-listing-rules").exists()
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    assert client.patch(f"{ARTICLES}{draft.id}/", {"status": "review"}, format="json").status_code == 200


def test_publisher_publishes_with_a_revision_and_publish_time(publisher):
    draft = make_article(status=Article.Status.REVIEW)

    response = logged_in(publisher).patch(f"{ARTICLES}{draft.id}/", {"status": "published"}, format="json")

    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert draft.publish_at is not None
    assert draft.revisions.first().status == Article.Status.PUBLISHED
    assert draft.revisions.count() == 2


def test_publisher_deletes_but_editor_cannot(editor, publisher):
    article = make_article()
    assert logged_in(editor).delete(f"{ARTICLES}{article.id}/").status_code == 403
    assert logged_in(publisher).delete(f"{ARTICLES}{article.id}/").status_code == 204
    assert not Article.objects.filter(pk=article.pk).exists()


def test_anonymous_and_outsiders_cannot_write(api, outsider):
    section = make_section()
    article = make_article()
    for client in (api, logged_in(outsider)):
        assert client.post(ARTICLES, _new_article(section), format="json").status_code == 403
        assert client.patch(f"{ARTICLES}{article.id}/", {"title": "x"}, format="json").status_code == 403
        assert client.post(CATEGORIES, {"slug": "x", "names": {"en": "X"}}, format="json").status_code == 403
    assert Article.objects.count() == 1


def test_article_write_errors_are_400(editor):
    section = make_section()
    existing = make_article(language="en", slug="taken")
    client = logged_in(editor)

    assert client.post(ARTICLES, _new_article(section, slug="taken"), format="json").status_code == 400
    assert client.post(ARTICLES, _new_article(section, section_id=999999), format="json").status_code == 400
    same_language = client.post(ARTICLES, _new_article(section, source=existing.id), format="json")
    assert same_language.status_code == 400
    assert "source" in same_language.json()


def test_session_authenticated_writes_need_a_csrf_token(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(ARTICLES, _new_article(make_section()), format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_publisher_writes_categories_and_sections_with_names(publisher, editor):
    client = logged_in(publisher)
    created = client.post(
        CATEGORIES, {"slug": "funds", "names": {"zh-hans": "资金", "en": "Funds"}, "icon": "wallet"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert Category.objects.get(slug="funds").names == {"zh-hans": "资金", "en": "Funds"}

    section = client.post(SECTIONS, {"category": "funds", "slug": "deposit", "names": {"en": "Deposit"}}, format="json")
    assert section.status_code == 201, section.content
    assert Section.objects.get(slug="deposit").category.slug == "funds"

    assert client.post(CATEGORIES, {"slug": "bad", "names": {"fr": "Fonds"}}, format="json").status_code == 400
    assert client.post(CATEGORIES, {"slug": "empty", "names": {}}, format="json").status_code == 400
    assert logged_in(editor).post(CATEGORIES, {"slug": "e", "names": {"en": "E"}}, format="json").status_code == 403


def test_deleting_a_category_that_still_has_sections_is_a_conflict(publisher):
    section = make_section()
    response = logged_in(publisher).delete(f"{CATEGORIES}{section.category_id}/")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert Category.objects.filter(pk=section.category_id).exists()


def test_editor_creates_announcements_that_expire_after_publishing(editor):
    client = logged_in(editor)
    now = timezone.now()
    payload = {"slug": "upgrade", "title": "Upgrade", "body": "**Soon**", "kind": "maintenance"}

    bad = client.post(
        ANNOUNCEMENTS,
        {**payload, "publish_at": now.isoformat(), "expires_at": (now - timedelta(hours=1)).isoformat()},
        format="json",
    )
    good = client.post(ANNOUNCEMENTS, payload, format="json")

    assert bad.status_code == 400
    assert "expires_at" in bad.json()
    assert good.status_code == 201, good.content
    assert good.json()["body_html"] == "<p><strong>Soon</strong></p>\n"
    assert Announcement.objects.get(slug="upgrade").author == editor


# Feedback


def feedback_url(article):
    return f"{ARTICLES}{article.id}/feedback/"


def test_feedback_records_one_vote_per_visitor_and_replaces_it(api):
    article = make_article()

    first = api.post(feedback_url(article), {"helpful": True}, format="json", HTTP_USER_AGENT="UA-1")
    second = api.post(
        feedback_url(article), {"helpful": False, "comment": "no screenshots"}, format="json", HTTP_USER_AGENT="UA-1"
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["helpful"] is True
    assert second.json() | {"created_at": None} == {
        "article": article.id,
        "helpful": False,
        "comment": "no screenshots",
        "created_at": None,
    }
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    assert ArticleFeedback.objects.filter(article=article).count() == 1


def test_feedback_identifies_visitors_by_cookie_before_address(api):
    article = make_article()
    api.cookies["hd_visitor"] = "visitor-one"
    api.post(feedback_url(article), {"helpful": True}, format="json")
    api.cookies["hd_visitor"] = "visitor-two"
    api.post(feedback_url(article), {"helpful": True}, format="json")
    article.refresh_from_db()
    assert article.helpful_yes == 2
    assert ArticleFeedback.objects.filter(article=article).count() == 2


def test_feedback_only_on_published_articles(api, hidden_articles):
    for article in hidden_articles.values():
        assert api.post(feedback_url(article), {"helpful": True}, format="json").status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_feedback_validates_its_input(api):
    article = make_article()
    assert api.post(feedback_url(article), {}, format="json").status_code == 400
    assert api.post(feedback_url(article), {"comment": "x"}).status_code == 400
    too_long = api.post(feedback_url(article), {"helpful": False, "comment": "x" * 1001}, format="json")
    assert too_long.status_code == 400
    assert "comment" in too_long.json()
    assert not ArticleFeedback.objects.exists()


def test_anonymous_feedback_needs_no_csrf_token_but_a_session_does(editor):
    article = make_article()
    anonymous = APIClient(enforce_csrf_checks=True)
    assert anonymous.post(feedback_url(article), {"helpful": True}, format="json").status_code == 201
    staff = APIClient(enforce_csrf_checks=True)
    staff.force_login(editor)
    assert staff.post(feedback_url(article), {"helpful": True}, format="json").status_code == 403


def test_feedback_is_throttled_per_address_with_retry_after(api):
    article = make_article()
    for n in range(30):
        response = api.post(
            feedback_url(article), {"helpful": n % 2 == 0}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        )
        assert response.status_code == 201
    throttled = api.post(feedback_url(article), {"helpful": True}, format="json", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert api.get(ARTICLES).status_code == 200  # only voting is throttled


# Hostile input: a 4xx with a message, never a 500


def nested(depth, *, kind="list"):
    """A JSON text whose lists (or objects) nest `depth` deep."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "body", [nested(100_000), nested(100_000, kind="object"), nested(33), nested(33, kind="object")]
)
def test_json_nested_too_deeply_is_a_400_with_a_message_on_any_endpoint(api, editor, body):
    article = make_article()
    voted = api.post(feedback_url(article), body, content_type="application/json")
    written = logged_in(editor).post(ARTICLES, body, content_type="application/json")
    for response in (voted, written):
        assert response.status_code == 400
        assert response.json() == {"detail": "JSON nested deeper than 32 levels is not accepted."}
    assert not ArticleFeedback.objects.exists()


def test_json_nested_within_the_limit_reaches_the_serializer(api):
    article = make_article()
    comment = json.loads(nested(31))
    response = api.post(feedback_url(article), {"helpful": True, "comment": comment}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["comment"]  # refused as "not a valid string", not by the parser


def test_a_body_larger_than_the_upload_limit_is_a_413_with_a_message(api, editor, settings):
    article = make_article()
    body = json.dumps({"helpful": True, "comment": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    voted = api.post(feedback_url(article), body, content_type="application/json")
    written = logged_in(editor).post(ARTICLES, body, content_type="application/json")
    for response in (voted, written):
        assert response.status_code == 413
        assert response.json() == {"detail": "The request body is too large."}
    assert not ArticleFeedback.objects.exists()


@pytest.mark.parametrize("number", [str(2**63), "99999999999999999999", "-1"])
def test_ids_out_of_range_are_404(api, number):
    for base in (ARTICLES, CATEGORIES, SECTIONS, ANNOUNCEMENTS):
        assert api.get(f"{base}{number}/").status_code == 404
    assert api.post(f"{ARTICLES}{number}/feedback/", {"helpful": True}, format="json").status_code == 404
    assert api.get(ARTICLES, {"page": number}).status_code == 404


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "99999-01-01T00:00:00"])
def test_updated_since_beyond_what_a_database_stores_is_a_400(api, moment):
    make_article()
    response = api.get(ARTICLES, {"updated_since": moment})
    assert response.status_code == 400
    assert response.json()["updated_since"]


def test_search_parameters_out_of_range_are_400s(api):
    for params in ({"page": "99999999999999999999"}, {"page": "0"}, {"lang": "xx"}, {"category": "a" * 300}):
        response = api.get("/api/v1/search/", {"q": "deposit", **params})
        assert response.status_code == 400, params
        assert response.json()
    assert api.get("/api/v1/search/suggest/", {"q": "dep\x00osit"}).status_code == 200


def test_staff_numbers_out_of_range_are_400s(editor, publisher):
    article = make_article(status=Article.Status.DRAFT)
    client = logged_in(editor)
    for payload in ({"position": 2**63}, {"position": -1}, {"section_id": 2**63}, {"source": 2**63}):
        response = client.patch(f"{ARTICLES}{article.id}/", payload, format="json")
        assert response.status_code == 400, payload
        assert list(response.json()) == [next(iter(payload))]
    response = logged_in(publisher).post(
        CATEGORIES, {"slug": "x", "names": {"en": "X"}, "position": 2**63}, format="json"
    )
    assert response.status_code == 400
    assert "position" in response.json()


# Schema and docs


def test_openapi_schema_generates_without_warnings(tmp_path, api):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/articles/{id}/feedback/:" in schema
    for path in ("", "{id}/", "{id}/reply/", "{id}/de-escalate/", "{id}/move/"):
        assert f"/api/v1/staff/tickets/{path}:" in schema
    assert api.get("/api/v1/schema/").status_code == 200


def _schema(api):
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _response_schema(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]


def test_schema_describes_search_and_suggest_responses_as_the_objects_they_return(api):
    article = make_article(title="充值未到账怎么办", tags=["充值"])
    schema = _schema(api)

    search = api.get("/api/v1/search/", {"q": "充值", "lang": "zh-hans"}).json()
    suggest = api.get("/api/v1/search/suggest/", {"q": "充值", "lang": "zh-hans"}).json()

    described = _response_schema(schema, "/api/v1/search/")
    assert described["type"] == "object"
    assert set(described["properties"]) == set(search) == {"query", "corrected_query", "count", "results"}
    result = schema["components"]["schemas"]["SearchResult"]
    assert [hit["slug"] for hit in search["results"]] == [article.slug]
    assert set(result["properties"]) == set(search["results"][0])
    described = _response_schema(schema, "/api/v1/search/suggest/")
    assert described["type"] == "object"
    assert set(described["properties"]) == set(suggest) == {"query", "suggestions"}
    assert set(schema["components"]["schemas"]["Suggestion"]["properties"]) == set(suggest["suggestions"][0])


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.urls = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        if tag == "style":
            self.styles.append(attrs)
        self.urls += [attrs[name] for name in ("src", "href") if attrs.get(name)]


def test_swagger_ui_is_served_from_local_static_files(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    page = _Scripts()
    page.feed(response.content.decode())
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.urls
    assert all(url.startswith("/") and not url.startswith("//") for url in page.urls), page.urls
    assert not re.search(r"https?://", response.content.decode())


def test_swagger_ui_has_no_inline_script_or_style_without_a_nonce(api):
    response = api.get("/api/v1/docs/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    page = _Scripts()
    page.feed(response.content.decode())
    for attrs in page.scripts:
        assert attrs.get("src") or (nonce and attrs.get("nonce") == nonce.group(1)), attrs
    for attrs in page.styles:
        assert nonce and attrs.get("nonce") == nonce.group(1), attrs


class _Styles(HTMLParser):
    def __init__(self):
        super().__init__()
        self.style_attributes, self.style_elements = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes.append((tag, attrs))
        if tag == "style":
            self.style_elements.append(attrs)


def test_browsable_api_has_no_style_attributes_and_styles_only_with_the_nonce(editor):
    article = make_article(status=Article.Status.DRAFT)
    client = logged_in(editor)
    for path in ("/api/v1/", f"{ARTICLES}?ordering=title", f"{ARTICLES}{article.id}/", "/api/v1/search/?q=x"):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response["Content-Type"].startswith("text/html")
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        page = _Styles()
        page.feed(response.content.decode())
        assert page.style_attributes == [], path
        assert all(nonce and attrs.get("nonce") == nonce.group(1) for attrs in page.style_elements), path


def test_revisions_are_not_written_by_reads(api, editor):
    article = make_article()
    api.get(f"{ARTICLES}{article.id}/")
    logged_in(editor).get(f"{ARTICLES}{article.id}/")
    assert ArticleRevision.objects.filter(article=article).count() == 1
