"""Help-center search: query understanding, retrieval, ranking, snippets.

1. The query is cleaned, segmented and stemmed like article text; synonym phrases are matched (longest first) before
   stopwords are dropped; each remaining word becomes a group of alternatives (the word and its synonyms).
2. Latin words the index has never seen are corrected to the nearest vocabulary word by trigram similarity.
3. The database finds candidates matching every group (or, when that finds too little, any group) among published
   articles, in the visitor's language first and the other languages after.
4. The best candidates are re-ranked in Python the same way on every database: weighted by how rare each group's
   words are, title matches far above body matches, whole-phrase and proximity bonuses, a small boost for promoted
   articles, ties broken by helpfulness and views. Editors' best bets go on top.
"""

import math
import re
from dataclasses import dataclass, field

from django.conf import settings

from kb.models import Article, SearchTerm
from kb.search import bestbets, snippets, spelling, synonyms, tokenize
from kb.search.backends import backend

CANDIDATES = 50  # per source (title matches, body matches)
MIN_AND_RESULTS = 5
SUGGEST_CANDIDATES = 30
# Candidates are ranked from these columns alone; only the hits on the page become Article objects (DISPLAY_FIELDS).
RANKING_FIELDS = ("pk", "search_title", "search_body", "promoted", "view_count", "helpful_yes", "helpful_no")
DISPLAY_FIELDS = (
    "slug", "language", "title", "summary", "promoted", "view_count", "helpful_yes", "helpful_no", "search_title",
    "section__slug", "section__names", "section__category__slug", "section__category__names",
)  # fmt: skip
OTHER_LANGUAGE_RESULTS = 5
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Words this short are too ambiguous to "correct" (kyc, api, otc…).
MIN_CORRECTABLE = 4


def clean(query):
    """Printable, single-spaced, at most 200 characters."""
    return " ".join(CONTROL_RE.sub(" ", query or "").split())[: tokenize.MAX_QUERY_CHARS]


@dataclass
class Group:
    """One word of the query and its alternatives (token tuples)."""

    surface: str
    alternatives: set
    cjk: bool = False
    df: int = 0
    matches: int = 0  # at most this many articles contain any alternative (the sum of their frequencies)


@dataclass(slots=True)
class Candidate:
    """What ranking reads of an article (a row, not a model instance: most candidates are never shown)."""

    pk: int
    search_title: str
    search_body: str
    promoted: bool
    view_count: int
    helpful_yes: int
    helpful_no: int


@dataclass
class Hit:
    article: Article
    score: float
    snippet: str = ""
    rank: int = 0
    best_bet: bool = False
    title_html: str = ""


@dataclass
class Results:
    query: str
    language: str
    corrected_query: str = ""
    count: int = 0
    more: bool = False
    hits: list = field(default_factory=list)
    other_hits: list = field(default_factory=list)
    exact: Article | None = None
    groups: list = field(default_factory=list)

    @property
    def all_hits(self):
        return self.hits + self.other_hits


def understand(query, language):
    """Turn a query into groups of alternatives; return (groups, corrected query or "")."""
    tokens = tokenize.query_tokens(query)
    table = synonyms.table(language)
    longest = synonyms.longest_phrase(table)
    stop = tokenize.stopwords()
    raw_groups, index = [], 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            form = tuple(t.token for t in tokens[index : index + size])
            if form in table:
                surface = " ".join(t.surface for t in tokens[index : index + size])
                raw_groups.append([surface, set(table[form]), tokens[index].cjk])
                index += size
                break
        else:
            token = tokens[index]
            if not token.stop:
                raw_groups.append([token.surface, {(token.token,)}, token.cjk])
            index += 1
    groups = []
    for surface, alternatives, cjk in raw_groups:
        alternatives = {tuple(t for t in alt if t not in stop) for alt in alternatives}
        alternatives.discard(())
        if alternatives:
            groups.append(Group(surface, alternatives, cjk))
    frequencies = _document_frequencies(groups)
    corrected = False
    for group in groups:
        singles = [frequencies.get(alt[0], 0) for alt in group.alternatives if len(alt) == 1]
        group.df = max(singles, default=1)
        group.matches = sum(singles) or group.df
        if group.df or len(group.alternatives) > 1:
            continue
        (word,) = next(iter(group.alternatives))
        if group.cjk:
            parts = [w for w in tokenize.sub_words(word) if frequencies.get(w) or _df(w)]
            if parts:
                group.alternatives = {(w,) for w in parts}
                group.df = max(_df(w) for w in parts)
                group.matches = group.df
        elif len(group.surface) >= MIN_CORRECTABLE and group.surface.isalpha():
            match = spelling.choose(group.surface, backend().spelling_candidates(group.surface))
            if match:
                replacement = tokenize.stem(match)
                group.alternatives = {(replacement,)} | table.get((replacement,), set())
                group.df = group.matches = max(_df(replacement), 1)
                group.surface = match
                corrected = True
    corrected_query = " ".join(g.surface for g in groups) if corrected else ""
    return groups, corrected_query


def relax(groups):
    """Looser groups for when too little matches: Chinese compounds split into their dictionary sub-words."""
    loose = []
    for group in groups:
        parts = []
        if group.cjk and len(group.alternatives) == 1:
            (alternative,) = group.alternatives
            if len(alternative) == 1 and len(alternative[0]) >= 3:
                parts = tokenize.sub_words(alternative[0])
        if parts:
            loose += [Group(part, {(part,)}, cjk=True) for part in dict.fromkeys(parts)]
        else:
            loose.append(group)
    if len(loose) > len(groups):
        frequencies = _document_frequencies(loose)
        for group in loose:
            if not group.df:
                group.df = group.matches = frequencies.get(next(iter(group.alternatives))[0], 0)
        loose = [group for group in loose if group.df]
    return loose


def _document_frequencies(groups):
    terms = {alt[0] for g in groups for alt in g.alternatives if len(alt) == 1}
    return dict(SearchTerm.objects.filter(term__in=terms).values_list("term", "df")) if terms else {}


def _df(term):
    return SearchTerm.objects.filter(term=term).values_list("df", flat=True).first() or 0


def search(query, *, language, page=1, per_page=10, category_id=None, with_snippets=True):
    """Search published articles; results in `language` first, then matches in the other languages."""
    query = clean(query)
    results = Results(query=query, language=language)
    if not query:
        return results
    groups, results.corrected_query = understand(query, language)
    results.groups = groups
    searchable = [g for g in groups if g.df > 0]
    bets = _best_bets(query, language)
    others = [code for code, _name in settings.LANGUAGES if code != language]
    own, other = ([], False, searchable), ([], False, searchable)
    if searchable:
        own = _candidates(searchable, [language], category_id)
        if page == 1 and others:
            other = _candidates(searchable, others, category_id, OTHER_LANGUAGE_RESULTS, own_language=False)
    rows = _rows(own[0] + other[0])
    ranked, results.more = _with_best_bets(bets, _rank(own[0], own[2], rows)), own[1]
    results.count = len(ranked)
    start = (page - 1) * per_page
    results.hits = ranked[start : start + per_page]
    results.other_hits = _rank(other[0], other[2], rows)[:OTHER_LANGUAGE_RESULTS]
    for number, hit in enumerate(results.hits, start=start + 1):
        hit.rank = number
    for number, hit in enumerate(results.other_hits, start=start + len(results.hits) + 1):
        hit.rank = number
    results.hits, results.other_hits = _show([results.hits, results.other_hits], groups, with_snippets)
    if results.hits and page == 1 and _same_title(results.hits[0].article.title, query):
        results.exact = results.hits[0].article
    return results


def _show(lists, groups, with_snippets):
    """The lists of hits on the page, their ranked rows replaced by articles (one query), titles and snippets
    highlighted."""
    fields = DISPLAY_FIELDS + (("body_html",) if with_snippets else ())
    wanted = [hit.article.pk for hits in lists for hit in hits if not isinstance(hit.article, Article)]
    articles = Article.objects.select_related("section__category").only(*fields).in_bulk(wanted) if wanted else {}
    shown_lists = []
    for hits in lists:
        shown_lists.append([])
        for hit in hits:
            if not isinstance(hit.article, Article):
                if hit.article.pk not in articles:
                    continue  # deleted since it was ranked
                hit.article = articles[hit.article.pk]
            shown_lists[-1].append(hit)
    shown = [hit for hits in shown_lists for hit in hits]
    if with_snippets:
        pinned = [hit.article.pk for hit in shown if hit.article.pk not in articles]  # best bets: no body loaded
        bodies = dict(Article.objects.filter(pk__in=pinned).values_list("pk", "body_html")) if pinned else {}
        for hit in shown:
            body = bodies.get(hit.article.pk)
            if body is None:  # (read only when loaded: a deferred field would cost a query per hit)
                body = hit.article.body_html
            hit.title_html = snippets.highlight(hit.article.title, groups)
            text = " ".join((hit.article.summary, snippets.plain_text(body, limit=snippets.SCAN_CHARS)))
            hit.snippet = snippets.snippet(text, groups)
    return shown_lists


def _alternatives(groups):
    """The groups as the backends take them: sorted lists of token tuples (stable SQL for the same query)."""
    return [sorted(group.alternatives) for group in groups]


def _find(groups, mode, languages, limit, category_id, own_language=True):
    """The backend's candidates; the vocabulary's counts bound how many articles can match.

    The counts cover every language; the words of a query are nearly always common in its own language only, so in
    the other languages they are looked up as if rare (the backend notices when they are not).
    """
    possible = [group.matches if own_language else 0 for group in groups]
    return backend().candidates(
        _alternatives(groups),
        languages=languages,
        mode=mode,
        limit=limit,
        category_id=category_id,
        expected=min(possible) if mode == "and" else sum(possible),
    )


def _candidates(groups, languages, category_id, limit=CANDIDATES, own_language=True):
    """Candidate ids from the database: matching all groups; in the visitor's language, if too few, any group with
    compounds split. Returns (ids, whether more matched than that, the groups they were found with)."""
    ids, saturated = _find(groups, "and", languages, limit, category_id, own_language)
    if own_language and len(ids) < MIN_AND_RESULTS:
        loose = relax(groups)
        if len(loose) > 1:
            groups = loose
            more, saturated = _find(loose, "or", languages, limit, category_id)
            seen = set(ids)
            ids += [pk for pk in more if pk not in seen]
    return ids, saturated, groups


def _rows(ids):
    """What ranking reads of each candidate, by id (one query for both languages' candidates)."""
    if not ids:
        return {}
    return {row[0]: Candidate(*row) for row in Article.objects.filter(pk__in=ids).values_list(*RANKING_FIELDS)}


def _rank(ids, groups, rows):
    """Hits for the candidates, best first."""
    total_docs = _corpus_size() if ids else 1
    hits = [Hit(article=rows[pk], score=score(rows[pk], groups, total_docs)) for pk in ids if pk in rows]
    hits.sort(key=lambda hit: (-hit.score, -hit.article.view_count, hit.article.pk))
    return hits


def _corpus_size():
    from django.core.cache import cache

    size = cache.get("kb:search-corpus-size")
    if size is None:
        size = Article.objects.count() or 1
        cache.set("kb:search-corpus-size", size, 600)
    return size


def score(article, groups, total_docs, title_only=False):
    """Relevance of one article to the query groups: rarer words weigh more, titles far more than bodies."""
    title = article.search_title.split()
    body = [] if title_only else article.search_body.split()
    title_set, body_set = set(title), set(body)
    body_length = max(len(body), 1)
    total = 0.0
    matched = 0
    weights = []
    for group in groups:
        idf = math.log(1 + total_docs / (1 + group.df))
        weights.append(idf)
        in_title = any(_contains(title, title_set, alt) for alt in group.alternatives)
        body_tf = sum(_count(body, body_set, alt) for alt in group.alternatives)
        if in_title or body_tf:
            matched += 1
        body_part = body_tf / (body_tf + 1.2 * (0.25 + 0.75 * body_length / 300))
        total += idf * (2.5 * in_title + body_part)
    if not groups:
        return 0.0
    coverage = matched / len(groups)
    total *= 0.5 + 0.5 * coverage * coverage
    mean_idf = sum(weights) / len(weights)
    if len(groups) > 1:
        if _in_order(title, groups):
            total += 1.5 * mean_idf
        elif _in_order(body, groups):
            total += 0.5 * mean_idf
    if article.promoted:
        total *= 1.1
    votes = article.helpful_yes + article.helpful_no
    helpful = (article.helpful_yes + 1) / (votes + 2)
    return total * (1 + 0.03 * helpful + 0.005 * math.log10(1 + article.view_count))


def _contains(tokens, token_set, alternative):
    if len(alternative) == 1:
        return alternative[0] in token_set
    return _count(tokens, token_set, alternative) > 0


def _count(tokens, token_set, alternative):
    if len(alternative) == 1:
        return tokens.count(alternative[0]) if alternative[0] in token_set else 0
    if not set(alternative) <= token_set:
        return 0
    n = len(alternative)
    return sum(1 for i in range(len(tokens) - n + 1) if tuple(tokens[i : i + n]) == alternative)


def _in_order(tokens, groups, window=3):
    """Every group matches, each within `window` tokens after the previous one (a phrase or near-phrase)."""
    position = -1
    for group in groups:
        firsts = {alt[0] for alt in group.alternatives}
        found = next(
            (
                i
                for i in range(position + 1, len(tokens))
                if tokens[i] in firsts and (position < 0 or i - position <= window)
            ),
            None,
        )
        if found is None:
            return False
        position = found
    return True


def _same_title(title, query):
    def fold(text):
        return re.sub(r"[\W_]+", "", tokenize.normalize(text))

    return fold(title) == fold(query) and bool(fold(query))


def _best_bets(query, language):
    ids = bestbets.article_ids(" ".join(tokenize.normalize(query).split()), language)
    if not ids:
        return []
    found = Article.objects.published().select_related("section__category").only(*DISPLAY_FIELDS).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _with_best_bets(bets, ranked):
    if not bets:
        return ranked
    ids = {article.pk for article in bets}
    top = [Hit(article=article, score=float("inf"), best_bet=True) for article in bets]
    return top + [hit for hit in ranked if hit.article.pk not in ids]


def suggest(query, *, language, limit=6):
    """Titles of the best title matches for what has been typed so far (the last word may be unfinished)."""
    query = clean(query)
    if not _long_enough(query):
        return []
    groups, _corrected = understand(query, language)
    if not groups:
        return []
    ids, _saturated = backend().candidates(
        _alternatives(groups),
        languages=[language],
        mode="and",
        limit=SUGGEST_CANDIDATES,
        title_only=True,
        prefix_last=not groups[-1].cjk,
        expected=min(group.matches for group in groups),
    )
    articles = Article.objects.only("slug", "language", "title", "promoted", "view_count", "helpful_yes",
                                    "helpful_no", "search_title").in_bulk(ids)  # fmt: skip
    total_docs = _corpus_size()
    ranked = sorted(articles.values(), key=lambda a: (-score(a, groups, total_docs, title_only=True), a.pk))
    return ranked[:limit]


def _long_enough(query):
    cjk = sum(1 for ch in query if tokenize.is_cjk(ch))
    latin = sum(1 for ch in query if ch.isascii() and ch.isalnum())
    return cjk >= 2 or latin >= 3
