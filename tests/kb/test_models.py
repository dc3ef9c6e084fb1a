from datetime import timedelta

import pytest
from django.utils import timezone

from kb import actions
from kb.models import Announcement, Article, ArticleFeedback
from tests.factories import make_announcement, make_article, make_section

pytestmark = pytest.mark.django_db


def test_body_is_rendered_and_sanitised_at_save():
    article = make_article(body="## Steps\n\n<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in article.body_html
    assert 'href="javascript' not in article.body_html
    assert article.toc[0]["title"] == "Steps"


def test_publishing_without_a_time_publishes_now():
    article = make_article(status=Article.Status.PUBLISHED)
    assert article.publish_at is not None
    assert article.publish_at <= timezone.now()
    assert Article.objects.published().filter(pk=article.pk).exists()


def test_article_due_in_the_future_is_invisible_until_then_without_any_job():
    later = timezone.now() + timedelta(hours=2)
    article = make_article(publish_at=later)
    assert not Article.objects.published().filter(pk=article.pk).exists()
    assert not article.is_visible()
    assert Article.objects.published(now=later + timedelta(seconds=1)).filter(pk=article.pk).exists()
    assert article.is_visible(now=later + timedelta(seconds=1))


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.REVIEW, Article.Status.ARCHIVED])
def test_only_published_articles_are_public(status):
    article = make_article(status=status, publish_at=timezone.now() - timedelta(days=1))
    assert not Article.objects.published().filter(pk=article.pk).exists()


def test_each_content_change_keeps_a_revision_and_unchanged_saves_do_not():
    article = make_article(title="One")
    assert article.revisions.count() == 1
    article.title = "Two"
    actions.save_article(article)
    actions.save_article(article)
    assert list(article.revisions.values_list("number", "title")) == [(2, "Two"), (1, "One")]


def test_restoring_a_revision_brings_back_its_content_as_a_new_revision():
    article = make_article(title="First", body="first body")
    article.title, article.body = "Second", "second body"
    actions.save_article(article)
    first = article.revisions.get(number=1)
    actions.restore_revision(first)
    article.refresh_from_db()
    assert (article.title, article.body) == ("First", "first body")
    assert article.revisions.count() == 3
    assert "first body" in article.body_html


def test_translation_becomes_outdated_when_its_source_changes_and_current_when_updated():
    source = make_article(slug="deposit", title="充值")
    translation = make_article(slug="deposit", language="en", title="Deposit", source=source, section=source.section)
    assert not translation.is_outdated
    assert not Article.objects.with_outdated().get(pk=translation.pk).outdated

    source.body = "新的正文"
    actions.save_article(source)
    translation.refresh_from_db()
    assert translation.is_outdated
    assert Article.objects.with_outdated().get(pk=translation.pk).outdated

    translation.body = "New body"
    actions.save_article(translation)
    assert not Article.objects.with_outdated().get(pk=translation.pk).outdated


def test_marking_a_translation_current_clears_the_outdated_flag():
    source = make_article(slug="kyc")
    translation = make_article(slug="kyc", language="en", source=source, section=source.section)
    source.title = "改了标题"
    actions.save_article(source)
    assert actions.mark_translation_current(Article.objects.filter(pk=translation.pk)) == 1
    assert not Article.objects.with_outdated().get(pk=translation.pk).outdated


def test_status_changes_are_recorded_as_revisions():
    article = make_article(status=Article.Status.DRAFT)
    assert actions.change_status(Article.objects.filter(pk=article.pk), status=Article.Status.REVIEW) == 1
    assert actions.change_status(Article.objects.filter(pk=article.pk), status=Article.Status.REVIEW) == 0
    assert article.revisions.first().status == Article.Status.REVIEW


def test_one_vote_per_visitor_per_article_and_counters_stay_exact():
    article = make_article()
    actions.record_feedback(article=article, visitor="v1", helpful=True)
    actions.record_feedback(article=article, visitor="v1", helpful=True)
    actions.record_feedback(article=article, visitor="v2", helpful=False, comment="no screenshots")
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    actions.record_feedback(article=article, visitor="v1", helpful=False, comment="changed my mind")
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 2)
    assert ArticleFeedback.objects.filter(article=article).count() == 2
    assert article.helpful_ratio == 0


def test_visitor_key_is_a_keyed_hash_not_the_raw_identifier():
    key = actions.visitor_key("127.0.0.1|browser")
    assert len(key) == 64 and "127.0.0.1" not in key
    assert key == actions.visitor_key("127.0.0.1|browser") != actions.visitor_key("127.0.0.2|browser")


def test_announcement_is_active_between_publish_and_expiry():
    now = timezone.now()
    current = make_announcement(publish_at=now - timedelta(days=1), expires_at=now + timedelta(days=1))
    expired = make_announcement(publish_at=now - timedelta(days=3), expires_at=now - timedelta(days=1))
    future = make_announcement(publish_at=now + timedelta(days=1))
    draft = make_announcement(status=Announcement.Status.DRAFT)
    active = set(Announcement.objects.active())
    assert current in active and not {expired, future, draft} & active
    assert expired in set(Announcement.objects.published()) and future not in set(Announcement.objects.published())
    assert current.is_active() and not expired.is_active()


def test_category_and_section_names_follow_the_active_language():
    from django.utils.translation import override

    section = make_section(names={"zh-hans": "充值", "en": "Deposits"})
    with override("en"):
        assert section.name == "Deposits"
    with override("zh-hans"):
        assert section.name == "充值"
    only_zh = make_section(names={"zh-hans": "合约"})
    with override("en"):
        assert only_zh.name == "合约"
