"""Candidate retrieval and spelling correction, one class per database; both take the same query groups.

A query is a list of groups; a group is a list of alternatives; an alternative is a tuple of tokens (one token, or
a phrase). Retrieval returns the ids of published articles in the given languages (and category) that match all
groups ("and") or any group ("or"): at most `limit` title matches and half as many other matches from bodies (the
ranking puts a title match above a body-only one unless the body covers more of the query), and whether more
matched than that. The engine ranks them; the database only has to find them cheaply.
"""

import re

from django.db import connection, transaction
from django.utils import timezone

from kb.search.spelling import CANDIDATE_SIMILARITY, TrigramIndex

LATIN_WORD = re.compile(r"[a-z]+")


class Backend:
    def candidates(
        self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False, expected=0
    ):
        """([article id, …], saturated): title matches, then body matches; `saturated` if more matched.

        `expected` is the vocabulary's bound on how many articles (any language, title or body) can match: it tells
        a backend whether the words are rare or common before it asks the index.
        """
        raise NotImplementedError

    def spelling_candidates(self, word):
        """Vocabulary words similar to `word` by trigrams: [(term, similarity, df)], most similar first."""
        raise NotImplementedError

    @staticmethod
    def _filters(languages, category_id):
        sql = " AND a.status = 'published' AND a.publish_at <= %s AND a.language IN ({})".format(
            ", ".join(["%s"] * len(languages))
        )
        params = [connection.ops.adapt_datetimefield_value(timezone.now()), *languages]
        if category_id is not None:
            sql += " AND a.section_id IN (SELECT id FROM kb_section WHERE category_id = %s)"
            params.append(category_id)
        return sql, params

    def _fetch(self, sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class PostgresBackend(Backend):
    """tsvector columns generated from the token columns (GIN-indexed); pg_trgm for spelling."""

    @staticmethod
    def tsquery(groups, mode, prefix_last=False):
        def lexeme(token, prefix=False):
            return "'" + token.replace("'", "''") + "'" + (":*" if prefix else "")

        parts = []
        for index, group in enumerate(groups):
            prefix = prefix_last and index == len(groups) - 1
            alternatives = []
            for alternative in group:
                tokens = [lexeme(t, prefix and i == len(alternative) - 1) for i, t in enumerate(alternative)]
                # A phrase is searched as all of its words: the GIN index answers that exactly, without reading
                # any vector; the engine's ranking rewards the words standing together.
                alternatives.append(tokens[0] if len(tokens) == 1 else "(" + " & ".join(tokens) + ")")
            parts.append("(" + " | ".join(alternatives) + ")")
        return (" & " if mode == "and" else " | ").join(parts)

    # Ranking every match would read every matching vector (most of a large corpus for a common word), so the
    # database only finds candidates and the engine ranks them, reading a bounded number of rows either way.
    # Titles:
    # - when the vocabulary says the words may be common (`expected` above TITLE_WALK_FROM), walk the language's
    #   most popular articles (the (language, status, promoted, views) index) and keep the first `limit` whose title
    #   matches: exactly the most popular `limit` title matches, whenever they are among the first WALK_ROWS;
    # - otherwise, or when the walk finds fewer, the title index: up to TITLE_CAP matches with the small columns
    #   needed to pick the most popular `limit`; past that the walk (if not tried yet), and if it finds too few, an
    #   ordered query.
    # Bodies (their vectors hold the title words too):
    # - when titles match densely (the walk found `limit`, or the probe reached its cap), the titles carry the
    #   ranking and bodies are not looked up (a body-only match ranks below a title match);
    # - when the words are very common (`expected` above DENSE_BODIES), walk the popularity index as for titles;
    # - otherwise up to BODY_CAP matches from the body index.
    # Index probes go through the per-language GIN indexes of published articles (schema.language_indexes), which
    # answer the query exactly without reading any vector, as bitmap scans (other plans are switched off for the
    # transaction: with LIMIT and no ORDER BY the planner would otherwise bet on a scan that stops early).
    TITLE_CAP = 3000
    BODY_CAP = 300
    TITLE_WALK_FROM = 1000
    DENSE_BODIES = 20_000
    DENSE_BODY_LIMIT = 20
    WALK_ROWS = 2000
    ORDER = " ORDER BY a.promoted DESC, a.view_count DESC, a.id DESC LIMIT %s"
    BITMAP_ONLY = "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
    PLANNER_RESET = "RESET enable_seqscan; RESET enable_indexscan"

    def candidates(
        self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False, expected=0
    ):
        filters, params = self._filters(languages, category_id)
        query = self.tsquery(groups, mode, prefix_last)
        source = "SELECT a.id, a.promoted, a.view_count FROM kb_article a, to_tsquery('simple', %s) AS q(q) "
        title_cap, body_cap = min(self.TITLE_CAP, 30 * limit), min(self.BODY_CAP, 6 * limit)
        body_limit = _body_limit(limit)
        titles, bodies = [], []
        walked = expected > self.TITLE_WALK_FROM and self._walk_into(
            titles, "title_vector", query, filters, params, limit
        )
        probe_bodies = not (title_only or walked or expected > self.DENSE_BODIES)
        if not walked:
            titles, bodies = self._probe(query, filters, params, title_cap, body_cap if probe_bodies else 0)
            dense_titles = len(titles) >= title_cap
            if dense_titles:
                # Commoner than the vocabulary said (its counts are not per language): the walk, else an ordered query.
                walked = expected <= self.TITLE_WALK_FROM and self._walk_into(
                    titles, "title_vector", query, filters, params, limit
                )
                if not walked:
                    titles = self._fetch(
                        f"{source}WHERE a.title_vector @@ q.q{filters}{self.ORDER}", [query, *params, limit]
                    )
        dense_titles = walked or len(titles) >= title_cap
        if not (title_only or dense_titles) and expected > self.DENSE_BODIES:
            bodies = self._walk("search_vector", query, filters, params, min(body_limit, self.DENSE_BODY_LIMIT))
        ids = [row[0] for row in sorted(titles, key=_popularity)[:limit]]
        seen = set(ids)
        body_only = [row[0] for row in sorted(bodies, key=_popularity) if row[0] not in seen]
        saturated = (
            dense_titles or expected > self.DENSE_BODIES or len(titles) > limit or len(body_only) > body_limit
            or len(bodies) >= body_cap
        )  # fmt: skip
        return ids + body_only[:body_limit], saturated

    def _probe(self, query, filters, params, title_cap, body_cap):
        """Up to `title_cap` title matches and, unless those reach the cap, up to `body_cap` body matches, from the
        per-language indexes as bitmap scans, in one round trip.

        One simple-protocol message (client-side parameter binding, Django's default) is one implicit transaction:
        the planner settings made local to it end with it; inside an outer transaction they are reset at the end.
        """
        probe = (
            "SELECT a.id, a.promoted, a.view_count FROM kb_article a WHERE a.{} @@ to_tsquery('simple', %s){} LIMIT %s"
        )
        sql = (
            f"{self.BITMAP_ONLY}; WITH t AS MATERIALIZED ({probe.format('title_vector', filters)}) "
            "SELECT TRUE, id, promoted, view_count FROM t UNION ALL SELECT FALSE, b.id, b.promoted, b.view_count "
            f"FROM ({probe.format('search_vector', filters)}) AS b WHERE (SELECT count(*) FROM t) < %s; "
            f"{self.PLANNER_RESET}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [query, *params, title_cap, query, *params, body_cap, title_cap])
            cursor.nextset()
            rows = cursor.fetchall()
        return [row[1:] for row in rows if row[0]], [row[1:] for row in rows if not row[0]]

    def _walk_into(self, rows, column, query, filters, params, limit):
        """Walk (see `_walk`); if it found `limit` rows, put them in `rows` (in place of what is there) and say so."""
        found = self._walk(column, query, filters, params, limit)
        if len(found) < limit:
            return False
        rows[:] = found
        return True

    def _walk(self, column, query, filters, params, limit):
        """The most popular `limit` articles whose `column` matches, among the WALK_ROWS most popular only (so words
        that are common overall but rare in this language cannot make the walk read the whole table)."""
        return self._fetch(
            f"SELECT top.id, top.promoted, top.view_count FROM (SELECT a.id, a.promoted, a.view_count, a.{column} "
            f"FROM kb_article a WHERE TRUE{filters}{self.ORDER}) AS top, to_tsquery('simple', %s) AS q(q) "
            f"WHERE top.{column} @@ q.q ORDER BY top.promoted DESC, top.view_count DESC, top.id DESC LIMIT %s",
            [*params, self.WALK_ROWS, query, limit],
        )

    def spelling_candidates(self, word):
        # The vocabulary is small enough that the planner prefers computing the similarity of every word (≈8 ms at
        # 5,000 words); the trigram index finds the few candidates in under 1 ms. Only Latin words are wanted, but
        # that test stays out of SQL: given a regular expression, pg_trgm searches the index for it too, and one
        # that matches nearly every word costs 14 ms there. CJK words share no trigram with a Latin word anyway.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s), set_config('enable_seqscan', 'off', true)", [CANDIDATE_SIMILARITY])
            cursor.execute(
                "SELECT term, similarity(term, %s) AS score, df FROM kb_searchterm "
                "WHERE term %% %s AND df > 0 ORDER BY score DESC, df DESC, term LIMIT 20",
                [word, word],
            )
            rows = cursor.fetchall()
        return [row for row in rows if LATIN_WORD.fullmatch(row[0])][:10]


def _body_limit(limit):
    return max(1, limit // 2)


def _popularity(row):
    """Sort key for (id, promoted, views) rows: promoted first, then most viewed, then newest."""
    return (not row[1], -row[2], -row[0])


class SqliteBackend(Backend):
    """An FTS5 table over the token columns: its matches, taken most popular first like PostgreSQL's candidates.

    Ordering by bm25 would score every match (hundreds of milliseconds for a common word at 100,000 articles).
    Instead, as on PostgreSQL: when the vocabulary says the words are rare, FTS5 lists up to a cap of matching ids
    and the rows are looked up by id (well under a millisecond); when they are common, or the list reaches its cap,
    a walk of the (language, status, promoted, views) index keeps the first articles that are in FTS5's list. The
    index is named: left to itself, SQLite starts from the publication-date index and runs the full-text query once
    per row (seconds).
    """

    WALK_FROM = PostgresBackend.TITLE_WALK_FROM
    TITLE_CAP = PostgresBackend.TITLE_CAP
    BODY_CAP = PostgresBackend.BODY_CAP

    @staticmethod
    def match(groups, mode, title_only=False, prefix_last=False):
        parts = []
        for index, group in enumerate(groups):
            prefix = prefix_last and index == len(groups) - 1
            alternatives = ['"' + " ".join(alternative) + '"' + ("*" if prefix else "") for alternative in group]
            parts.append("(" + " OR ".join(alternatives) + ")")
        expression = (" AND " if mode == "and" else " OR ").join(parts)
        return "search_title : (" + expression + ")" if title_only else expression

    def candidates(
        self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False, expected=0
    ):
        filters, params = self._filters(languages, category_id)
        title_match = self.match(groups, mode, True, prefix_last)
        body_match = None if title_only else self.match(groups, mode, False, prefix_last)
        body_limit = _body_limit(limit)
        probed = None
        if expected <= self.WALK_FROM:
            caps = min(self.TITLE_CAP, 30 * limit), min(self.BODY_CAP, 6 * limit)
            probed = self._probe(title_match, body_match, filters, params, *caps)
        if probed is None:
            titles, bodies, sampled = self._walk(title_match, body_match, filters, params, limit, body_limit)
        else:
            titles, bodies, sampled = probed
        titles = [row[0] for row in sorted(titles, key=_popularity)]
        seen = set(titles)
        body_only = [row[0] for row in sorted(bodies, key=_popularity) if row[0] not in seen]
        saturated = sampled or len(titles) > limit or len(body_only) > body_limit
        return titles[:limit] + body_only[:body_limit], saturated

    def _probe(self, title_match, body_match, filters, params, title_cap, body_cap):
        """(title rows, body rows, whether bodies were only a sample) from FTS5's first matches, or None when the
        titles alone reach `title_cap` (then the walk is cheaper than looking up every match)."""
        probe = (
            "SELECT {0}, m.id, a.id, a.promoted, a.view_count FROM (SELECT rowid AS id FROM kb_article_fts "
            f"WHERE kb_article_fts MATCH %s LIMIT %s) AS m LEFT JOIN kb_article a ON a.id = m.id{filters}"
        )
        sql, arguments = probe.format(1), [title_match, title_cap, *params]
        if body_match is not None:
            sql += " UNION ALL " + probe.format(0)
            arguments += [body_match, body_cap, *params]
        rows = self._fetch(sql, arguments)
        if sum(1 for row in rows if row[0]) >= title_cap:
            return None
        titles = [row[2:] for row in rows if row[0] and row[2] is not None]
        bodies = [row[2:] for row in rows if not row[0] and row[2] is not None]
        return titles, bodies, sum(1 for row in rows if not row[0]) >= body_cap

    def _walk(self, title_match, body_match, filters, params, limit, body_limit):
        """(title rows, body rows, False): the most popular matches of each (one more than wanted, which tells whether
        there are more), one walk of the popularity index each."""
        sql = (
            "SELECT a.id, a.promoted, a.view_count FROM kb_article a INDEXED BY kb_article_popular WHERE a.id IN "
            f"(SELECT rowid FROM kb_article_fts WHERE kb_article_fts MATCH %s){filters} "
            "ORDER BY a.promoted DESC, a.view_count DESC, a.id DESC LIMIT %s"
        )
        title_params = [title_match, *params, limit + 1]
        if body_match is None:
            return self._fetch(sql, title_params), [], False
        rows = self._fetch(
            f"SELECT 1, * FROM ({sql}) UNION ALL SELECT 0, * FROM ({sql})",
            [*title_params, body_match, *params, limit + body_limit + 1],
        )
        return [row[1:] for row in rows if row[0]], [row[1:] for row in rows if not row[0]], False

    def spelling_candidates(self, word):
        return TrigramIndex.current().candidates(word)


def backend():
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
