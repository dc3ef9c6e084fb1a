"""Candidate retrieval and spelling correction, one class per database; both take the same query groups.

A query is a list of groups; a group is a list of alternatives; an alternative is a tuple of tokens (one token, or
a phrase). Retrieval returns (article id, database rank) best first, limited to published articles in the given
languages (and category), matching all groups ("and") or any group ("or").
"""

from django.db import connection
from django.utils import timezone

from kb.search.spelling import CANDIDATE_SIMILARITY, TrigramIndex


class Backend:
    def candidates(self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False):
        raise NotImplementedError

    def count(self, groups, *, languages, mode, category_id=None, cap=1000):
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
    """tsvector columns generated from the token columns, GIN-indexed; pg_trgm for spelling."""

    WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D (bodies) … A (titles)

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
                alternatives.append(tokens[0] if len(tokens) == 1 else "(" + " <-> ".join(tokens) + ")")
            parts.append("(" + " | ".join(alternatives) + ")")
        return (" & " if mode == "and" else " | ").join(parts)

    def candidates(self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False):
        vector = "a.title_vector" if title_only else "a.search_vector"
        filters, params = self._filters(languages, category_id)
        sql = (
            f"SELECT a.id, ts_rank_cd('{self.WEIGHTS}', {vector}, q.q) AS rank "
            f"FROM kb_article a, to_tsquery('simple', %s) AS q(q) WHERE {vector} @@ q.q{filters} "
            "ORDER BY rank DESC, a.id LIMIT %s"
        )
        return self._fetch(sql, [self.tsquery(groups, mode, prefix_last), *params, limit])

    def count(self, groups, *, languages, mode, category_id=None, cap=1000):
        filters, params = self._filters(languages, category_id)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM kb_article a, to_tsquery('simple', %s) AS q(q) "
            f"WHERE a.search_vector @@ q.q{filters} LIMIT %s) AS matches"
        )
        return self._fetch(sql, [self.tsquery(groups, mode), *params, cap])[0][0]

    def spelling_candidates(self, word):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s)", [CANDIDATE_SIMILARITY])
            cursor.execute(
                "SELECT term, similarity(term, %s) AS score, df FROM kb_searchterm "
                "WHERE term %% %s AND df > 0 AND term ~ '^[a-z]+$' ORDER BY score DESC, df DESC, term LIMIT 10",
                [word, word],
            )
            return cursor.fetchall()


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

    def candidates(self, groups, *, languages, mode, limit, category_id=None, title_only=False, prefix_last=False):
        filters, params = self._filters(languages, category_id)
        sql = (
            "SELECT a.id, -bm25(kb_article_fts, 10.0, 1.0) AS rank FROM kb_article_fts f "
            f"JOIN kb_article a ON a.id = f.rowid WHERE kb_article_fts MATCH %s{filters} "
            "ORDER BY rank DESC, a.id LIMIT %s"
        )
        return self._fetch(sql, [self.match(groups, mode, title_only, prefix_last), *params, limit])

    def count(self, groups, *, languages, mode, category_id=None, cap=1000):
        filters, params = self._filters(languages, category_id)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM kb_article_fts f JOIN kb_article a ON a.id = f.rowid "
            f"WHERE kb_article_fts MATCH %s{filters} LIMIT %s)"
        )
        return self._fetch(sql, [self.match(groups, mode), *params, cap])[0][0]

    def spelling_candidates(self, word):
        return TrigramIndex.current().candidates(word)


def backend():
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
