import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk.markdown import render_markdown
from kb import actions
from kb.models import Announcement, Article, ArticleFeedback, Category, Section
from tests.factories import make_announcement, make_article, make_category, make_section

pytestmark = pytest.mark.django_db

STAFF = ["editor", "publisher", "superuser"]


@pytest.fixture
def staff_client(request, client):
    """A client logged in as the staff fixture named by the test's parameter."""
    client.force_login(request.getfixturevalue(request.param))
    return client


def logged_in(client, user):
    client.force_login(user)
    return client


def url(name, *args, **query):
    base = reverse(f"admin:{name}", args=args)
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def article_data(article, **overrides):
    """The change form's POST data for an article, as the admin renders it."""
    publish_at = timezone.localtime(article.publish_at) if article.publish_at else None
    data = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "body": article.body,
        "section": article.section_id,
        "language": article.language,
        "source": article.source_id or "",
        "tags": [tag.pk for tag in article.tags.all()],
        "position": article.position,
        "status": article.status,
        "publish_at_0": publish_at.strftime("%Y-%m-%d") if publish_at else "",
        "publish_at_1": publish_at.strftime("%H:%M:%S") if publish_at else "",
        "revision_note": "",
    }
    if article.promoted:
        data["promoted"] = "on"
    data.update(overrides)
    return data


def action_names(response):
    return [name for name, _label in response.context["action_form"].fields["action"].choices if name]


def parsed_elements(html):
    """(tag, attributes) of every element in an HTML fragment, as a browser's parser would see them."""
    elements = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            elements.append((tag, dict(attrs)))

    Collector().feed(html)
    return elements


def queries_for(client, path):
    """Queries one GET of `path` runs once per-process caches are warm."""
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx)


# Every page renders for every kind of staff


@pytest.mark.parametrize("staff_client", STAFF, indirect=True)
def test_every_admin_page_renders_for_editors_publishers_and_superusers(staff_client):
    article = make_article(tags=["充值"])
    translation = make_article(language="en", slug=article.slug, source=article, section=article.section)
    actions.save_article(Article.objects.get(pk=article.pk), note="second")
    ArticleFeedback.objects.create(article=article, visitor="v1", helpful=False, comment="步骤不清楚")
    announcement = make_announcement()
    feedback = ArticleFeedback.objects.get()
    pages = [
        url("kb_article_changelist"),
        url("kb_article_add"),
        url("kb_article_change", article.pk),
        url("kb_article_change", translation.pk),
        url("kb_article_revisions", article.pk),
        url("kb_article_diff", article.pk),
        url("kb_article_diff", article.pk, a=1, b="current"),
        url("kb_category_changelist"),
        url("kb_category_change", article.section.category_id),
        url("kb_section_changelist"),
        url("kb_section_change", article.section_id),
        url("kb_tag_changelist"),
        url("kb_announcement_changelist"),
        url("kb_announcement_add"),
        url("kb_announcement_change", announcement.pk),
        url("kb_articlefeedback_changelist"),
        url("kb_articlefeedback_change", feedback.pk),
    ]
    for page in pages:
        assert staff_client.get(page).status_code == 200, page
    preview = staff_client.post(url("kb_article_preview"), {"body": "## 标题\n\n正文"})
    assert preview.status_code == 200
    assert preview.json()["html"].startswith('<h2 id="h-标题">')
    assert staff_client.post(url("kb_announcement_preview"), {"body": "**公告**"}).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_outsiders_and_anonymous_visitors_are_sent_to_the_login_page(who, client, request):
    if who == "outsider":
        client.force_login(request.getfixturevalue("outsider"))
    article = make_article()
    for method, page in [
        ("get", url("kb_article_changelist")),
        ("get", url("kb_article_change", article.pk)),
        ("get", url("kb_article_revisions", article.pk)),
        ("get", url("kb_article_diff", article.pk)),
        ("post", url("kb_article_preview")),
        ("post", url("kb_article_restore", article.pk, 1)),
        ("get", url("kb_category_changelist")),
        ("get", url("kb_announcement_changelist")),
        ("get", url("kb_articlefeedback_changelist")),
    ]:
        response = getattr(client, method)(page, {"body": "x"} if method == "post" else None)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("admin:login")), page
    assert article.revisions.count() == 1


def test_admin_pages_carry_a_strict_csp_and_load_scripts_only_from_files_or_with_the_nonce(client, editor):
    article = make_article()
    logged_in(client, editor)
    for page in [
        url("kb_article_change", article.pk),
        url("kb_article_revisions", article.pk),
        url("kb_article_diff", article.pk),
    ]:
        response = client.get(page)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in policy
        assert "unsafe-inline" not in policy
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
        assert " style=" not in html
        assert "kb-admin/preview.js" in html or "revisions" in page


# Workflow: who may publish


def test_only_publishers_are_offered_publish_and_archive(client, editor, publisher):
    make_article()
    editor_actions = action_names(logged_in(client, editor).get(url("kb_article_changelist")))
    assert "submit_for_review" in editor_actions
    assert "mark_translation_current" in editor_actions
    assert "publish" not in editor_actions
    assert "archive" not in editor_actions
    publisher_actions = action_names(logged_in(client, publisher).get(url("kb_article_changelist")))
    assert {"publish", "archive", "submit_for_review"} <= set(publisher_actions)


def test_editor_posting_published_status_gets_a_form_error_and_nothing_changes(client, editor):
    article = make_article(status=Article.Status.DRAFT)
    logged_in(client, editor)
    response = client.post(url("kb_article_change", article.pk), article_data(article, status="published"))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.revisions.count() == 1


def test_editor_cannot_move_a_published_article_back_to_draft(client, editor):
    article = make_article()
    logged_in(client, editor)
    form = client.get(url("kb_article_change", article.pk)).context["adminform"].form
    assert [value for value, _label in form.fields["status"].choices] == ["published"]
    response = client.post(url("kb_article_change", article.pk), article_data(article, status="draft"))
    assert "status" in response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


def test_editor_can_still_fix_the_text_of_a_published_article(client, editor):
    article = make_article()
    logged_in(client, editor)
    response = client.post(url("kb_article_change", article.pk), article_data(article, body="修正后的正文"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.body, article.status) == ("修正后的正文", Article.Status.PUBLISHED)


def test_editor_cannot_reschedule_a_published_article_out_of_sight(client, editor):
    article = make_article()
    published_at = article.publish_at
    later = timezone.localtime() + timedelta(days=30)
    data = article_data(article, publish_at_0=later.strftime("%Y-%m-%d"), publish_at_1=later.strftime("%H:%M:%S"))
    assert logged_in(client, editor).post(url("kb_article_change", article.pk), data).status_code == 302
    article.refresh_from_db()
    assert article.publish_at == published_at  # kept exactly, though the form shows whole seconds
    assert article.is_visible()


def test_publish_action_posted_by_an_editor_anyway_changes_nothing(client, editor):
    article = make_article(status=Article.Status.REVIEW)
    logged_in(client, editor)
    client.post(url("kb_article_changelist"), {"action": "publish", "_selected_action": [article.pk]})
    client.post(url("kb_article_changelist"), {"action": "archive", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW
    assert article.revisions.count() == 1


def test_editor_submits_drafts_for_review_and_published_articles_are_left_alone(client, editor):
    draft = make_article(status=Article.Status.DRAFT)
    live = make_article()
    logged_in(client, editor)
    response = client.post(
        url("kb_article_changelist"),
        {"action": "submit_for_review", "_selected_action": [draft.pk, live.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["1 draft was submitted for review."]
    draft.refresh_from_db()
    live.refresh_from_db()
    assert (draft.status, live.status) == (Article.Status.REVIEW, Article.Status.PUBLISHED)
    assert draft.revisions.first().author == editor


def test_publisher_publishes_and_archives_with_actions_and_is_told_how_many_changed(client, publisher):
    first = make_article(status=Article.Status.REVIEW)
    second = make_article(status=Article.Status.DRAFT)
    already = make_article()
    logged_in(client, publisher)
    response = client.post(
        url("kb_article_changelist"),
        {"action": "publish", "_selected_action": [first.pk, second.pk, already.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["2 articles were published."]
    assert set(Article.objects.values_list("status", flat=True)) == {"published"}
    assert Article.objects.get(pk=first.pk).publish_at is not None
    client.post(url("kb_article_changelist"), {"action": "archive", "_selected_action": [first.pk]})
    assert Article.objects.get(pk=first.pk).status == Article.Status.ARCHIVED


def test_publisher_publishes_through_the_form_with_a_schedule(client, publisher):
    article = make_article(status=Article.Status.REVIEW)
    later = timezone.localtime() + timedelta(days=2)
    logged_in(client, publisher)
    data = article_data(
        article,
        status="published",
        publish_at_0=later.strftime("%Y-%m-%d"),
        publish_at_1=later.strftime("%H:%M:%S"),
    )
    assert client.post(url("kb_article_change", article.pk), data).status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert not article.is_visible()
    assert article.is_visible(now=later + timedelta(minutes=1))


# Revisions


def test_adding_and_editing_through_the_admin_keeps_revisions_with_author_and_note(client, editor):
    section = make_section()
    logged_in(client, editor)
    data = {
        "title": "如何充值",
        "slug": "how-to-deposit",
        "summary": "",
        "body": "第一版",
        "section": section.pk,
        "language": "zh-hans",
        "source": "",
        "tags": [],
        "position": 0,
        "status": "draft",
        "publish_at_0": "",
        "publish_at_1": "",
        "revision_note": "first draft",
    }
    assert client.post(url("kb_article_add"), data).status_code == 302
    article = Article.objects.get(slug="how-to-deposit")
    assert article.author == editor
    tag = make_article(tags=["充值"]).tags.get()
    data.update(body="第二版", revision_note="clearer steps", tags=[tag.pk])
    assert client.post(url("kb_article_change", article.pk), data).status_code == 302
    revisions = list(article.revisions.order_by("number").values_list("number", "body", "author", "note"))
    assert revisions == [(1, "第一版", editor.pk, "first draft"), (2, "第二版", editor.pk, "clearer steps")]
    assert list(article.tags.all()) == [tag]


def test_revision_list_runs_a_constant_number_of_queries(client, editor, django_assert_num_queries):
    article = make_article(user=editor, status=Article.Status.DRAFT)
    logged_in(client, editor)
    page = url("kb_article_revisions", article.pk)
    few = queries_for(client, page)
    for n in range(20):
        article.body = f"版本 {n}"
        actions.save_article(article, user=editor, note=f"edit {n}")
    client.get(page)
    with django_assert_num_queries(few):
        response = client.get(page)
    assert len(response.context["page"].object_list) == 21


def test_diff_escapes_script_tags_in_untrusted_content(client, editor):
    article = make_article(title="旧标题", body="安全提示\n")
    article.body = "安全提示\n<script>alert('x')</script>\n"
    article.title = "<img src=x onerror=alert(1)>"  # shares no character with the old title
    actions.save_article(article)
    logged_in(client, editor)
    response = client.get(url("kb_article_diff", article.pk, a=1, b=2))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<ins>&lt;img src=x onerror=alert(1)&gt;</ins>" in html


def test_diff_marks_the_changed_characters_of_a_changed_line(client, editor):
    article = make_article(body="第一步：打开钱包\n第二步：复制地址\n")
    article.body = "第一步：打开钱包\n第二步：粘贴地址\n"
    actions.save_article(article)
    response = logged_in(client, editor).get(url("kb_article_diff", article.pk, a=1, b="current"))
    html = response.content.decode()
    assert "<del>复制</del>" in html
    assert "<ins>粘贴</ins>" in html


def test_diff_of_an_unknown_revision_is_a_404(client, editor):
    article = make_article()
    assert logged_in(client, editor).get(url("kb_article_diff", article.pk, a=99)).status_code == 404


def test_restoring_a_revision_brings_its_content_back_as_a_new_revision(client, editor):
    article = make_article(title="旧标题", body="旧正文")
    article.title, article.body = "新标题", "新正文"
    actions.save_article(article)
    logged_in(client, editor)
    restore = url("kb_article_restore", article.pk, 1)
    assert client.get(restore).status_code == 405
    response = client.post(restore)
    assert response.status_code == 302
    assert response["Location"] == url("kb_article_change", article.pk)
    article.refresh_from_db()
    assert (article.title, article.body) == ("旧标题", "旧正文")
    latest = article.revisions.first()
    assert (latest.number, latest.author, latest.note) == (3, editor, "restored revision 1")


def test_restore_needs_the_change_permission_and_a_csrf_token(client, django_user_model):
    article = make_article()
    viewer = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw-for-tests-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_article"))
    logged_in(client, viewer)
    assert client.get(url("kb_article_revisions", article.pk)).status_code == 200
    assert client.post(url("kb_article_restore", article.pk, 1)).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.get(username="viewer"))
    assert strict.post(url("kb_article_restore", article.pk, 1)).status_code == 403
    assert article.revisions.count() == 1


# Preview


def test_preview_renders_exactly_like_the_public_page_and_is_sanitised(client, editor):
    body = (
        "## 第一步\n\n<script>alert(1)</script>\n\n[点我](javascript:alert(1)) [ok](https://example.com)\n\n"
        '<a href="javascript:alert(2)">x</a>'
    )
    response = logged_in(client, editor).post(url("kb_article_preview"), {"body": body})
    html = response.json()["html"]
    assert html == render_markdown(body)[0]
    elements = parsed_elements(html)
    assert "script" not in [tag for tag, _attrs in elements]
    assert [attrs["href"] for tag, attrs in elements if tag == "a"] == ["https://example.com"]
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html


def test_preview_only_answers_csrf_protected_posts(client, editor):
    logged_in(client, editor)
    assert client.get(url("kb_article_preview")).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(url("kb_article_preview"), {"body": "x"}).status_code == 403
    page = strict.get(url("kb_article_add"))
    token = page.context["csrf_token"]
    response = strict.post(url("kb_article_preview"), {"body": "**x**"}, HTTP_X_CSRFTOKEN=str(token))
    assert json.loads(response.content) == {"html": "<p><strong>x</strong></p>\n"}


def test_body_textarea_tells_the_preview_script_where_to_post(client, editor):
    html = logged_in(client, editor).get(url("kb_article_add")).content.decode()
    assert f'data-preview-url="{url("kb_article_preview")}"' in html
    assert "kb-admin/preview.js" in html
    assert "kb-admin/preview.css" in html


# Changelist: columns, filters, query counts


def test_article_changelist_runs_a_constant_number_of_queries(client, publisher, django_assert_num_queries):
    def add_rows(n):
        for _ in range(n):
            original = make_article(tags=["充值"])
            make_article(language="en", slug=original.slug, source=original, section=original.section)
            ArticleFeedback.objects.create(article=original, visitor=f"v{original.pk}", helpful=True)

    add_rows(1)
    make_article()
    logged_in(client, publisher)
    page = url("kb_article_changelist")
    few = queries_for(client, page)
    assert client.get(page).context["cl"].result_count == 3
    add_rows(13)
    make_article(status=Article.Status.DRAFT, publish_at=timezone.now() + timedelta(days=1))
    client.get(page)
    with django_assert_num_queries(few):
        response = client.get(page)
    assert response.context["cl"].result_count == 30


@pytest.mark.parametrize(
    "changelist",
    ["kb_announcement_changelist", "kb_category_changelist", "kb_section_changelist", "kb_tag_changelist"],
)
def test_other_changelists_run_a_constant_number_of_queries(changelist, client, publisher, django_assert_num_queries):
    def add_rows(n):
        for i in range(n):
            make_article(tags=[f"tag-{changelist}-{i}-{make_category().pk}"])
            make_announcement()

    add_rows(2)
    logged_in(client, publisher)
    page = url(changelist)
    few = queries_for(client, page)
    add_rows(10)
    client.get(page)
    with django_assert_num_queries(few):
        response = client.get(page)
    assert response.context["cl"].result_count >= 12


def test_feedback_changelist_runs_a_constant_number_of_queries(client, editor, django_assert_num_queries):
    def add_rows(n):
        for i in range(n):
            ArticleFeedback.objects.create(article=make_article(), visitor=f"v{i}", helpful=bool(i % 2), comment="?")

    add_rows(3)
    logged_in(client, editor)
    page = url("kb_articlefeedback_changelist")
    few = queries_for(client, page)
    add_rows(27)
    client.get(page)
    with django_assert_num_queries(few):
        response = client.get(page)
    assert response.context["cl"].result_count == 30


def test_outdated_translations_are_flagged_filtered_and_marked_up_to_date(client, editor):
    original = make_article()
    translation = make_article(language="en", slug=original.slug, source=original, section=original.section)
    current = make_article(language="en", source=make_article(), section=original.section)
    original.body = "新的正文"
    actions.save_article(original)
    logged_in(client, editor)
    listed = client.get(url("kb_article_changelist", outdated="yes")).context["cl"].result_list
    assert [a.pk for a in listed] == [translation.pk]
    assert listed[0].outdated is True
    listed = client.get(url("kb_article_changelist", outdated="no")).context["cl"].result_list
    assert [a.pk for a in listed] == [current.pk]
    change_page = client.get(url("kb_article_change", translation.pk)).content.decode()
    assert "kb-outdated" in change_page
    assert url("kb_article_change", original.pk) in change_page
    response = client.post(
        url("kb_article_changelist"),
        {"action": "mark_translation_current", "_selected_action": [translation.pk, original.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["1 translation was marked up to date."]
    assert not client.get(url("kb_article_changelist", outdated="yes")).context["cl"].result_list


def test_scheduled_filter_lists_articles_that_publish_in_the_future(client, editor):
    make_article()
    later = make_article(publish_at=timezone.now() + timedelta(hours=3))
    listed = logged_in(client, editor).get(url("kb_article_changelist", scheduled="yes")).context["cl"].result_list
    assert [a.pk for a in listed] == [later.pk]


def test_category_filter_follows_the_section(client, editor):
    article = make_article()
    make_article()
    category_id = article.section.category_id
    page = url("kb_article_changelist", section__category__id__exact=category_id)
    listed = logged_in(client, editor).get(page).context["cl"].result_list
    assert [a.pk for a in listed] == [article.pk]


def test_helpfulness_column_shows_counts_and_sorts_by_share(client, editor):
    good, bad, unrated = make_article(), make_article(), make_article()
    Article.objects.filter(pk=good.pk).update(helpful_yes=9, helpful_no=1)
    Article.objects.filter(pk=bad.pk).update(helpful_yes=1, helpful_no=3)
    logged_in(client, editor)
    column = list(client.get(url("kb_article_changelist")).context["cl"].list_display).index("helpfulness")
    response = client.get(url("kb_article_changelist", o=f"-{column}"))
    assert [a.pk for a in response.context["cl"].result_list] == [good.pk, bad.pk, unrated.pk]
    assert "9 / 1 (90%)" in response.content.decode()
    response = client.get(url("kb_article_changelist", o=f"{column}"))
    assert [a.pk for a in response.context["cl"].result_list][-2:] == [bad.pk, good.pk]


def test_search_finds_articles_by_title_slug_and_summary(client, editor):
    wanted = make_article(title="提币未到账", slug="withdrawal-missing")
    make_article()
    logged_in(client, editor)
    for term in ["提币", "withdrawal-missing", wanted.summary]:
        listed = client.get(url("kb_article_changelist", q=term)).context["cl"].result_list
        assert [a.pk for a in listed] == [wanted.pk], term


# Translations in the form


def test_a_translation_must_point_at_an_original_in_another_language(client, editor):
    original = make_article()
    translation = make_article(language="en", slug=original.slug, source=original, section=original.section)
    draft = make_article(status=Article.Status.DRAFT)
    logged_in(client, editor)
    for source in [draft, translation]:
        response = client.post(url("kb_article_change", draft.pk), article_data(draft, source=source.pk))
        assert "source" in response.context["adminform"].form.errors, source
    response = client.post(
        url("kb_article_change", original.pk), article_data(original, source=draft.pk, language="en")
    )
    assert "source" in response.context["adminform"].form.errors


def test_change_form_links_to_revisions_and_offers_to_add_missing_translations(client, editor):
    article = make_article()
    html = logged_in(client, editor).get(url("kb_article_change", article.pk)).content.decode()
    assert url("kb_article_revisions", article.pk) in html
    assert f"{url('kb_article_add')}?source={article.pk}&amp;language=en" in html


def test_change_form_lists_recent_feedback_comments_escaped_and_links_to_the_rest(client, editor):
    article = make_article()
    ArticleFeedback.objects.create(article=article, visitor="a", helpful=False, comment="<b>看不懂</b>")
    ArticleFeedback.objects.create(article=article, visitor="b", helpful=True, comment="")
    html = logged_in(client, editor).get(url("kb_article_change", article.pk)).content.decode()
    assert "&lt;b&gt;看不懂&lt;/b&gt;" in html
    assert f"{url('kb_articlefeedback_changelist')}?article__id__exact={article.pk}" in html
    listed = client.get(url("kb_articlefeedback_changelist", article__id__exact=article.pk)).context["cl"]
    assert listed.result_count == 2


def test_section_autocomplete_finds_sections_by_chinese_and_english_name(client, editor):
    wanted = make_section(names={"zh-hans": "充值问题", "en": "Deposit issues"})
    make_section()
    logged_in(client, editor)
    for term in ["充值", "deposit"]:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "kb", "model_name": "article", "field_name": "section", "term": term},
        )
        assert [r["id"] for r in response.json()["results"]] == [str(wanted.pk)], term


# Category tree


def test_category_names_are_edited_one_field_per_language(client, publisher):
    logged_in(client, publisher)
    form = client.get(url("kb_category_add")).context["adminform"].form
    assert [str(form.fields[f].label) for f in ("name_zh_hans", "name_en")] == ["Name (简体中文)", "Name (English)"]
    data = {
        "slug": "wallets",
        "position": 3,
        "icon": "wallet",
        "name_zh_hans": "钱包",
        "name_en": "Wallets",
        "description_zh_hans": "充值与提币",
        "description_en": "",
        "sections-TOTAL_FORMS": 1,
        "sections-INITIAL_FORMS": 0,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
        "sections-0-position": 1,
        "sections-0-slug": "deposits",
        "sections-0-name_zh_hans": "充值",
        "sections-0-name_en": "Deposits",
    }
    assert client.post(url("kb_category_add"), data).status_code == 302
    category = Category.objects.get(slug="wallets")
    assert category.names == {"zh-hans": "钱包", "en": "Wallets"}
    assert category.descriptions == {"zh-hans": "充值与提币"}
    assert list(category.sections.values_list("slug", "names")) == [("deposits", {"zh-hans": "充值", "en": "Deposits"})]
    form = client.get(url("kb_category_change", category.pk)).context["adminform"].form
    assert (form.initial["name_zh_hans"], form.initial["name_en"]) == ("钱包", "Wallets")


def test_category_needs_a_name_in_the_default_language(client, publisher):
    logged_in(client, publisher)
    data = {"slug": "x", "position": 0, "icon": "book", "name_zh_hans": "", "name_en": "Only English"}
    data.update({"sections-TOTAL_FORMS": 0, "sections-INITIAL_FORMS": 0})
    response = client.post(url("kb_category_add"), data)
    assert "name_zh_hans" in response.context["adminform"].form.errors
    assert not Category.objects.exists()


def test_section_form_keeps_names_of_languages_it_does_not_show(client, publisher):
    section = make_section(names={"zh-hans": "旧", "en": "Old", "ja": "古い"})
    data = {"category": section.category_id, "slug": section.slug, "position": 1, "name_zh_hans": "新", "name_en": ""}
    assert logged_in(client, publisher).post(url("kb_section_change", section.pk), data).status_code == 302
    section.refresh_from_db()
    assert section.names == {"zh-hans": "新", "ja": "古い"}


def test_editors_see_the_category_tree_read_only(client, editor):
    section = make_section(names={"zh-hans": "充值", "en": "Deposits"})
    logged_in(client, editor)
    response = client.get(url("kb_category_change", section.category_id))
    assert response.status_code == 200
    assert "充值" in response.content.decode()
    data = {"slug": "hijack", "name_zh_hans": "x", "sections-TOTAL_FORMS": 0, "sections-INITIAL_FORMS": 0}
    assert client.post(url("kb_category_change", section.category_id), data).status_code == 403
    assert Section.objects.get().category.slug != "hijack"


# Announcements


def announcement_data(**overrides):
    now = timezone.localtime()
    data = {
        "kind": "maintenance",
        "language": "zh-hans",
        "title": "系统维护",
        "slug": "maintenance-1",
        "body": "维护期间暂停充值。",
        "status": "draft",
        "publish_at_0": now.strftime("%Y-%m-%d"),
        "publish_at_1": now.strftime("%H:%M:%S"),
        "expires_at_0": "",
        "expires_at_1": "",
    }
    data.update(overrides)
    return data


def test_announcement_expiring_before_it_is_published_is_a_form_error(client, editor):
    earlier = timezone.localtime() - timedelta(days=1)
    data = announcement_data(expires_at_0=earlier.strftime("%Y-%m-%d"), expires_at_1=earlier.strftime("%H:%M:%S"))
    response = logged_in(client, editor).post(url("kb_announcement_add"), data)
    assert response.status_code == 200
    assert "expires_at" in response.context["adminform"].form.errors
    assert not Announcement.objects.exists()


def test_only_users_who_may_change_announcements_can_publish_them(client, editor, django_user_model):
    drafter = django_user_model.objects.create_user("drafter", "d@example.com", "pw-for-tests-1", is_staff=True)
    drafter.user_permissions.add(*Permission.objects.filter(codename__in=["add_announcement", "view_announcement"]))
    logged_in(client, drafter)
    response = client.post(url("kb_announcement_add"), announcement_data(status="published"))
    assert "status" in response.context["adminform"].form.errors
    assert client.post(url("kb_announcement_add"), announcement_data()).status_code == 302
    assert Announcement.objects.get().author == drafter
    logged_in(client, editor)
    response = client.post(url("kb_announcement_add"), announcement_data(slug="maintenance-2", status="published"))
    assert response.status_code == 302
    assert Announcement.objects.get(slug="maintenance-2").is_active()


def test_announcement_list_shows_which_are_active_now(client, editor):
    active = make_announcement()
    expired = make_announcement(
        publish_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(days=1)
    )
    draft = make_announcement(status=Announcement.Status.DRAFT)
    listed = logged_in(client, editor).get(url("kb_announcement_changelist")).context["cl"].result_list
    assert {a.pk: a.active for a in listed} == {active.pk: True, expired.pk: False, draft.pk: False}


# Feedback


def test_feedback_is_read_only_and_cannot_be_added(client, publisher):
    article = make_article()
    feedback = ArticleFeedback.objects.create(article=article, visitor="v", helpful=False, comment="缺少截图")
    logged_in(client, publisher)
    assert client.get(url("kb_articlefeedback_add")).status_code == 403
    assert client.post(url("kb_articlefeedback_change", feedback.pk), {"comment": "edited"}).status_code == 403
    listed = client.get(url("kb_articlefeedback_changelist", helpful__exact=0, q="截图")).context["cl"]
    assert [f.pk for f in listed.result_list] == [feedback.pk]
    feedback.refresh_from_db()
    assert feedback.comment == "缺少截图"
