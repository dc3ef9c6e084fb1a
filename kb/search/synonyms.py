"""Synonym groups as query-time data: editors' changes apply to the next search, no reindexing."""

import threading

from django.core.cache import cache

from kb.search import tokenize

VERSION_KEY = "kb:synonyms-version"
_local = threading.local()


def bump():
    cache.delete(VERSION_KEY)


def _version():
    version = cache.get(VERSION_KEY)
    if version is None:
        from django.db.models import Count, Max

        from kb.models import SynonymGroup

        stats = SynonymGroup.objects.aggregate(n=Count("id"), at=Max("updated_at"))
        version = f"{stats['n']}:{stats['at'].timestamp() if stats['at'] else 0}"
        cache.set(VERSION_KEY, version, 3600)
    return version


def table(language):
    """{token tuple: set of token tuples} for the language (its own groups plus the all-language ones)."""
    version = _version()
    cached = getattr(_local, "tables", None)
    if cached is None or cached[0] != version:
        cached = (version, {})
        _local.tables = cached
    if language not in cached[1]:
        cached[1][language] = _build(language)
    return cached[1][language]


def _build(language):
    from kb.models import SynonymGroup

    mapping = {}
    for group in SynonymGroup.objects.filter(language__in=["", language]):
        forms = {tokenize.phrase(term) for term in group.term_list()}
        forms.discard(())
        for form in forms:
            mapping.setdefault(form, set()).update(forms)
    return mapping


def longest_phrase(table):
    return max((len(form) for form in table), default=1)
