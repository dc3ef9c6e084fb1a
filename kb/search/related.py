"""Articles that may answer a ticket: its subject (and description) read as a sentence, not as a title prefix.

People write subjects such as "USDT充值两个小时了还没到账" or "deposit not arrived after 2 hours": no title holds every
word, so the title-only, all-words suggestions of the search box find nothing. Here every word counts and none is
required, articles are ranked on title and body as search ranks them, and only good matches are kept.

1. The text is understood as a search query; words the index has never seen are dropped.
2. Candidates in the visitor's language: those matching every word, then those matching any word (Chinese compounds
   split into their dictionary sub-words), one round trip each.
3. They are ranked by search's scoring. A hit is kept when its score reaches MIN_QUALITY of what an article with
   every word in its title would score, and RELATIVE of the best hit's: a query of common words alone ("urgent
   problem", "test") matches some article but well below that, so nonsense gets nothing.
"""

import math

from kb.models import Article
from kb.search import engine

LIMIT = 3
MIN_QUALITY = 0.45
RELATIVE = 0.5
FIELDS = ("slug", "language", "title", "summary")


def ideal_score(groups, total_docs):
    """The part of `engine.score` an article earns with every group in its title (bodies and bonuses aside)."""
    return sum(2.5 * math.log(1 + total_docs / (1 + group.df)) for group in groups)


def articles(text, *, language, limit=LIMIT):
    """The published articles in `language` that best answer `text`, best first (at most `limit`; often none)."""
    query = engine.clean(text)
    if not engine._long_enough(query):
        return []
    groups, _corrected = engine.understand(query, language)
    groups = [group for group in groups if group.df > 0]
    if not groups:
        return []
    ids, _saturated = engine._find(groups, "and", [language], engine.CANDIDATES, None)
    loose = engine.relax(groups) or groups
    if len(loose) > 1:
        seen = set(ids)
        more, _saturated = engine._find(loose, "or", [language], engine.CANDIDATES, None)
        ids += [pk for pk in more if pk not in seen]
    rows = engine._rows(ids)
    ranked = engine._rank(ids, loose, rows)
    if not ranked:
        return []
    floor = max(MIN_QUALITY * ideal_score(loose, engine._corpus_size()), RELATIVE * ranked[0].score)
    wanted = [hit.article.pk for hit in ranked[:limit] if hit.score >= floor]
    found = Article.objects.only(*FIELDS).in_bulk(wanted)
    return [found[pk] for pk in wanted if pk in found]


def for_ticket(subject, description, *, language, limit=LIMIT):
    """The best articles for a submitted ticket: by subject and description, then by the subject alone.

    A long description adds words no article has, which lowers every article's share of the ideal; the subject
    alone still says what the ticket is about.
    """
    found = articles(f"{subject} {description}", language=language, limit=limit)
    if len(found) < limit:
        seen = {article.pk for article in found}
        found += [article for article in articles(subject, language=language, limit=limit) if article.pk not in seen]
    return found[:limit]
