"""Candidate retrieval and spelling correction, one class per database; both take the same query groups.

A query is a list of groups; a group is a list of alternatives; an alternative is a tuple of tokens (one token, or
a phrase). Retrieval returns the ids of published articles in the given languages (and category) that match all
groups ("and") or any group ("or"): at most `limit` title matches and `limit` body matches, and whether more
matched than that. The engine ranks them; the database only has to find them cheaply.
"""

from django.db import connection, transaction
from django.utils import timezone

from kb.search.spelling import CANDIDATE_SIMILARITY, TrigramIndex


class Backend:
    def candidates(
        self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False, dense=False
    ):
        """([article id, …], saturated): title matches, then body matches; `saturated` if more matched.

        `dense` says the words are common enough that most articles may match (from the vocabulary's counts).
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
    # database only finds candidates and the engine ranks them. Both sources go through the GIN indexes only
    # (bitmap scans; other plans are switched off for the transaction), which answer the query exactly without
    # reading any vector, and each reads a bounded number of rows:
    # - titles: up to TITLE_CAP matches with the small columns needed to pick the most popular `limit`; past that,
    #   title matches are dense, and walking the (language, status, promoted, views) index finds `limit` quickly;
    # - bodies: up to BODY_CAP matches (when there are more, these are a sample; titles carry the ranking then).
    # When the vocabulary says the words are common (`dense`), collecting body matches through GIN would itself cost
    # tens of milliseconds (long posting lists), so bodies walk the popularity index and stop early instead.
    # (Titles always start from their own GIN index: title posting lists are short.)
    TITLE_CAP = 3000
    BODY_CAP = 300
    DENSE_BODY_LIMIT = 20
    DENSE_WALK_ROWS = 2000
    ORDER = " ORDER BY a.promoted DESC, a.view_count DESC, a.id DESC LIMIT %s"

    def candidates(
        self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False, dense=False
    ):
        filters, params = self._filters(languages, category_id)
        query = self.tsquery(groups, mode, prefix_last)
        source = "SELECT a.id, a.promoted, a.view_count FROM kb_article a, to_tsquery('simple', %s) AS q(q) "
        title_cap, body_cap = min(self.TITLE_CAP, 30 * limit), min(self.BODY_CAP, 6 * limit)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"{source}WHERE a.title_vector @@ q.q{filters} LIMIT %s", [query, *params, title_cap])
            titles = cursor.fetchall()
            bodies = []
            if not title_only and not dense:
                cursor.execute(f"{source}WHERE a.search_vector @@ q.q{filters} LIMIT %s", [query, *params, body_cap])
                bodies = cursor.fetchall()
        saturated = dense or len(titles) >= title_cap or len(bodies) >= body_cap
        if len(titles) >= title_cap:
            titles = self._fetch(f"{source}WHERE a.title_vector @@ q.q{filters}{self.ORDER}", [query, *params, limit])
        if dense and not title_only:
            # Bounded: among the DENSE_WALK_ROWS most popular articles only, so words that are common overall but
            # absent from this language's articles cannot make the walk read the whole table.
            bodies = self._fetch(
                "SELECT top.id, top.promoted, top.view_count FROM (SELECT a.id, a.promoted, a.view_count, "
                f"a.search_vector FROM kb_article a WHERE TRUE{filters}{self.ORDER}) AS top, "
                "to_tsquery('simple', %s) AS q(q) WHERE top.search_vector @@ q.q LIMIT %s",
                [*params, self.DENSE_WALK_ROWS, query, min(limit, self.DENSE_BODY_LIMIT)],
            )
        ids = [row[0] for row in sorted(titles, key=_popularity)[:limit]]
        seen = set(ids)
        ids += [row[0] for row in sorted(bodies, key=_popularity) if row[0] not in seen][:limit]
        return ids, saturated

    def spelling_candidates(self, word):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s)", [CANDIDATE_SIMILARITY])
            cursor.execute(
                "SELECT term, similarity(term, %s) AS score, df FROM kb_searchterm "
                "WHERE term %% %s AND df > 0 AND term ~ '^[a-z]+$' ORDER BY score DESC, df DESC, term LIMIT 10",
                [word, word],
            )
            return cursor.fetchall()


def _popularity(row):
    """Sort key for (id, promoted, views) rows: promoted first, then most viewed, then newest."""
    return (not row[1], -row[2], -row[0])


class SqliteBackend(Backend):
    """An FTS5 table over the token columns, ranked by bm25 with titles weighted ten to one."""

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
        self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False, dense=False
    ):
        filters, params = self._filters(languages, category_id)
        sql = (
            "SELECT a.id FROM kb_article_fts f JOIN kb_article a ON a.id = f.rowid "
            f"WHERE kb_article_fts MATCH %s{filters} ORDER BY bm25(kb_article_fts, 10.0, 1.0), a.id LIMIT %s"
        )
        rows = self._fetch(sql, [self.match(groups, mode, title_only, prefix_last), *params, 2 * limit])
        return [row[0] for row in rows], len(rows) >= 2 * limit

    def spelling_candidates(self, word):
        return TrigramIndex.current().candidates(word)


def backend():
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
