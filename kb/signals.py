"""Cache invalidation only: content changes start a new page-cache version, synonym and best-bet edits new tables."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from kb.models import Announcement, Article, BestBet, Category, Section, SynonymGroup
from kb.pagecache import bump_after_commit
from kb.search import bestbets, synonyms

CONTENT_MODELS = (Category, Section, Article, Announcement)


@receiver(post_save)
@receiver(post_delete)
def content_changed(sender, **kwargs):
    if sender in CONTENT_MODELS and not kwargs.get("raw"):
        if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"view_count"}:
            return
        bump_after_commit()


@receiver(m2m_changed, sender=Article.tags.through)
def tags_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        bump_after_commit()


@receiver(post_save, sender=SynonymGroup)
@receiver(post_delete, sender=SynonymGroup)
def synonyms_changed(sender, **kwargs):
    transaction.on_commit(synonyms.bump)


@receiver(post_save, sender=BestBet)
@receiver(post_delete, sender=BestBet)
def best_bets_changed(sender, **kwargs):
    transaction.on_commit(bestbets.bump)
