"""Small factories: `make_x(**overrides)` returns a saved row with sensible defaults."""

import itertools
from datetime import timedelta

from django.utils import timezone

from kb import actions
from kb.models import Announcement, Article, Category, Section

_seq = itertools.count(1)


def make_category(**overrides):
    n = next(_seq)
    fields = {"slug": f"category-{n}", "names": {"zh-hans": f"分类{n}", "en": f"Category {n}"}, "position": n}
    fields.update(overrides)
    return Category.objects.create(**fields)


def make_section(**overrides):
    n = next(_seq)
    fields = {"slug": f"section-{n}", "names": {"zh-hans": f"栏目{n}", "en": f"Section {n}"}, "position": n}
    fields.update(overrides)
    if "category" not in fields:
        fields["category"] = make_category()
    return Section.objects.create(**fields)


def make_article(tags=(), user=None, **overrides):
    n = next(_seq)
    fields = {
        "slug": f"article-{n}",
        "language": "zh-hans",
        "title": f"文章 {n}",
        "summary": f"摘要 {n}",
        "body": f"## 第一步\n\n正文 {n}\n",
        "status": Article.Status.PUBLISHED,
    }
    fields.update(overrides)
    if "section" not in fields:
        fields["section"] = make_section()
    return actions.save_article(Article(**fields), user=user, tags=list(tags) if tags else None)


def make_announcement(**overrides):
    n = next(_seq)
    fields = {
        "slug": f"announcement-{n}",
        "language": "zh-hans",
        "title": f"公告 {n}",
        "body": f"公告正文 {n}",
        "status": Announcement.Status.PUBLISHED,
        "publish_at": timezone.now() - timedelta(hours=1),
    }
    fields.update(overrides)
    return Announcement.objects.create(**fields)
