"""Writes to help-center content: saving with its rules checked and revisions kept, workflow, feedback, translations."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from kb.models import Announcement, Article, ArticleFeedback, ArticleRevision, Tag
from tickets import secretguard


@transaction.atomic
def save_article(article, *, user=None, note="", tags=None):
    """Save an article, keeping a revision whenever its content changes; `tags` (names) replaces its tags.

    1. Check the article's rules: who may publish (`Article.check_publishing`; `user` None is the system: imports,
       demo content) and translations (`Article.clean`). A broken rule raises ValidationError; nothing is written.
    2. Compare title/summary/body with the stored row (a new article always counts as changed).
    3. On a content change stamp `content_changed_at`; translations of it become outdated, while a translation
       that changes is brought in line with its source.
    4. Save with the new tags already in the search tokens, set the tags, then record a revision of the new content.
    """
    article.check_publishing(can_publish=Article.may_publish(user))
    article.clean()
    previous = None
    if article.pk:
        previous = Article.objects.filter(pk=article.pk).values(*Article.CONTENT_FIELDS, "status").first()
    changed = previous is None or any(previous[f] != getattr(article, f) for f in Article.CONTENT_FIELDS)
    if tags is not None:
        limit = Tag._meta.get_field("name").max_length
        tags = sorted({name.strip()[:limit] for name in tags if name and name.strip()})
        article.pending_tag_names = tags  # read by the search index (kb.search.index.prepare) during save
    now = timezone.now()
    if changed:
        article.content_changed_at = now
        if article.source_id:
            article.source_synced_at = now
    if article.author_id is None and user is not None and user.is_authenticated:
        article.author = user
    article.save()
    if tags is not None:
        article.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
        del article.pending_tag_names  # stored now: later saves read the tags from the database
    if changed or (previous and previous["status"] != article.status):
        _record_revision(article, user=user, note=note)
    return article


def _record_revision(article, *, user, note):
    number = (article.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ArticleRevision.objects.create(
        article=article,
        number=number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        status=article.status,
        author=user if user is not None and user.is_authenticated else None,
        note=note[:200],
    )


@transaction.atomic
def restore_revision(revision, *, user=None):
    """Make an old revision the current content again (as a new revision, so nothing is lost)."""
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    article.title, article.summary, article.body = revision.title, revision.summary, revision.body
    return save_article(article, user=user, note=f"restored revision {revision.number}")


@transaction.atomic
def change_status(articles, *, status, user=None):
    """Move articles to a workflow status, one revision each; returns how many changed."""
    changed = 0
    for article in articles.select_for_update():
        if article.status == status:
            continue
        article.status = status
        if status == Article.Status.PUBLISHED and article.publish_at is None:
            article.publish_at = timezone.now()
        save_article(article, user=user, note=f"status → {status}")
        changed += 1
    return changed


@transaction.atomic
def save_announcement(announcement, *, user=None):
    """Save an announcement after checking its rules: who may publish (`user` None is the system) and expiry."""
    announcement.check_publishing(can_publish=Announcement.may_publish(user))
    announcement.clean()
    if announcement.author_id is None and user is not None and user.is_authenticated:
        announcement.author = user
    announcement.save()
    return announcement


@transaction.atomic
def mark_translation_current(articles):
    """Declare translations in line with their sources' current content."""
    count = 0
    for article in articles.filter(source__isnull=False).select_related("source"):
        article.source_synced_at = article.source.content_changed_at
        article.save(update_fields=["source_synced_at"])
        count += 1
    return count


VISITOR_COOKIE = "hd_visitor"


def new_visitor_id():
    return secrets.token_urlsafe(24)


def visitor_key(raw):
    """A keyed hash of a visitor identifier (their visitor cookie, or address and browser): no personal data kept."""
    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def record_feedback(*, article, visitor, helpful, comment=""):
    """Record a visitor's vote on an article, replacing their earlier vote; keep the article's counters exact.

    The comment passes the secrets guard: editors read these, and visitors paste what they should not.
    """
    comment = secretguard.redact((comment or "").strip()).text[:1000]
    existing = ArticleFeedback.objects.select_for_update().filter(article=article, visitor=visitor).first()
    if existing is None:
        try:
            with transaction.atomic():
                feedback = ArticleFeedback.objects.create(
                    article=article, visitor=visitor, helpful=helpful, comment=comment
                )
        except IntegrityError:  # a concurrent first vote by the same visitor won the race
            return record_feedback(article=article, visitor=visitor, helpful=helpful, comment=comment)
        counter = "helpful_yes" if helpful else "helpful_no"
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
        return feedback
    if existing.helpful != helpful:
        up, down = ("helpful_yes", "helpful_no") if helpful else ("helpful_no", "helpful_yes")
        Article.objects.filter(pk=article.pk).update(**{up: F(up) + 1, down: F(down) - 1})
    existing.helpful = helpful
    if comment or helpful:
        existing.comment = comment
    existing.save(update_fields=["helpful", "comment"])
    return existing
