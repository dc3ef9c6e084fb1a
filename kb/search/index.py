"""What search sees of an article: token columns computed on save, and the vocabulary with document frequencies.

The token columns (`search_title`, `search_body`) are written with the row, and the database derives its full-text
index from them in the same transaction (a generated tsvector column on PostgreSQL, FTS5 triggers on SQLite), so
saving, publishing, unpublishing or translating an article is searchable at commit with no job to run.
"""

import html
import re
from collections import Counter

from django.db import connection

from kb.search import tokenize

MAX_TERM_LENGTH = 100
TAG_RE = re.compile(r"<[^>]*>")


def plain_text(body_html):
    """Text of the sanitised body (well-formed HTML, so dropping tags is enough)."""
    return html.unescape(TAG_RE.sub(" ", body_html))


def prepare(article):
    """Compute the token columns from title, summary, tags and body; remember the old vocabulary for the diff."""
    from kb.models import Article

    article._previous_vocabulary = set()
    if article.pk:
        old = Article.objects.filter(pk=article.pk).values("search_title", "search_body", "title", "summary", "body")
        old = old.first()
        if old:
            article._previous_vocabulary = _vocabulary(
                old["search_title"], old["search_body"], " ".join((old["title"], old["summary"], old["body"]))
            )
    names = getattr(article, "pending_tag_names", None)
    if names is None:
        names = article.tags.values_list("name", flat=True) if article.pk else ()
    tags = " ".join(sorted(names))  # the same text whichever order the tags came in (see rebuild)
    article.search_title = tokenize.index_text(article.title, unigrams=True)
    article.search_body = tokenize.index_text(" ".join((article.summary, tags, plain_text(article.body_html))))


def _vocabulary(search_title, search_body, raw_text):
    terms = set(search_title.split()) | set(search_body.split()) | tokenize.latin_words(raw_text)
    return {term for term in terms if len(term) <= MAX_TERM_LENGTH}


def vocabulary_of(article):
    return _vocabulary(
        article.search_title, article.search_body, " ".join((article.title, article.summary, article.body))
    )


def update_vocabulary(article):
    """Apply the difference between the article's old and new vocabulary to the document frequencies."""
    previous = getattr(article, "_previous_vocabulary", None)
    if previous is None:
        return
    current = vocabulary_of(article)
    add_counts(Counter(dict.fromkeys(current - previous, 1)))
    add_counts(Counter(dict.fromkeys(previous - current, -1)))
    del article._previous_vocabulary


def add_counts(counts, batch=500):
    """Add to the document frequency of each term (creating missing terms), in sorted batches to avoid deadlocks."""
    from kb.models import SearchTerm

    table = SearchTerm._meta.db_table
    items = sorted(counts.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            params = [value for item in chunk for value in item]
            cursor.execute(
                f"INSERT INTO {table} (term, df) VALUES {values} "
                f"ON CONFLICT (term) DO UPDATE SET df = {table}.df + excluded.df",
                params,
            )


def rebuild(*, batch=1000, progress=None):
    """Recompute every article's token columns and the whole vocabulary (after a dictionary or tokenizer change).

    1. Walk the articles in id order, in batches; recompute both token columns; bulk-update the changed ones
       (the database re-derives its full-text index from them).
    2. Count each term's documents on the way; replace the vocabulary with the counts.
    Returns (articles seen, articles changed, terms).
    """
    from django.db import transaction
    from django.db.models import Prefetch

    from kb.models import Article, SearchTerm, Tag

    counts = Counter()
    seen = changed = 0
    last_id = 0
    fields = ("id", "title", "summary", "body", "body_html", "search_title", "search_body")
    while True:
        rows = list(
            Article.objects.filter(id__gt=last_id)
            .order_by("id")
            .only(*fields)
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("name")))[:batch]
        )
        if not rows:
            break
        dirty = []
        for article in rows:
            tags = " ".join(sorted(tag.name for tag in article.tags.all()))
            title = tokenize.index_text(article.title, unigrams=True)
            body = tokenize.index_text(" ".join((article.summary, tags, plain_text(article.body_html))))
            if (title, body) != (article.search_title, article.search_body):
                article.search_title, article.search_body = title, body
                dirty.append(article)
            counts.update(vocabulary_of(article))
        with transaction.atomic():
            Article.objects.bulk_update(dirty, ["search_title", "search_body"], batch_size=500)
        seen, changed, last_id = seen + len(rows), changed + len(dirty), rows[-1].id
        if progress:
            progress(len(rows))
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create((SearchTerm(term=term, df=df) for term, df in counts.items()), batch_size=5000)
    return seen, changed, len(counts)
