"""Help-center search."""

from kb.models import Article


def search(query, *, language, limit=20):
    words = query.split()[:8]
    if not words:
        return []
    qs = Article.objects.published().in_language(language).for_list()
    for word in words:
        qs = qs.filter(title__icontains=word)
    return list(qs[:limit])
