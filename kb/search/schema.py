"""The database side of the full-text index, per vendor: created by migration kb/0004, checked after every migrate.

PostgreSQL: generated tsvector columns over the token columns (titles weighted A, bodies D) with GIN indexes, one
pair per configured language holding published articles only (see `language_indexes`), and a trigram index on the
vocabulary for spelling correction. SQLite: an FTS5 table over the token columns kept current by
triggers. Either way the database updates the index in the transaction that saves the article.
"""

import re

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE kb_article ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A') || setweight(to_tsvector('simple', search_body), 'D')
    ) STORED""",
    """ALTER TABLE kb_article ADD COLUMN IF NOT EXISTS title_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', search_title)
    ) STORED""",
    "CREATE INDEX IF NOT EXISTS kb_article_search_vector ON kb_article USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS kb_article_title_vector ON kb_article USING gin (title_vector)",
    # Without a pending list (see migration kb/0009): spelling lookups read it on every misspelled query.
    "CREATE INDEX IF NOT EXISTS kb_searchterm_trgm ON kb_searchterm USING gin (term gin_trgm_ops) "
    "WITH (fastupdate = off)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS kb_searchterm_trgm",
    "ALTER TABLE kb_article DROP COLUMN IF EXISTS title_vector",
    "ALTER TABLE kb_article DROP COLUMN IF EXISTS search_vector",
]

SQLITE_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS kb_article_fts USING fts5(
    search_title, search_body, content='kb_article', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
)"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS kb_article_fts_insert AFTER INSERT ON kb_article BEGIN
        INSERT INTO kb_article_fts(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS kb_article_fts_delete AFTER DELETE ON kb_article BEGIN
        INSERT INTO kb_article_fts(kb_article_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS kb_article_fts_update AFTER UPDATE OF search_title, search_body ON kb_article BEGIN
        INSERT INTO kb_article_fts(kb_article_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
        INSERT INTO kb_article_fts(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS kb_article_fts_insert",
    "DROP TRIGGER IF EXISTS kb_article_fts_delete",
    "DROP TRIGGER IF EXISTS kb_article_fts_update",
    "DROP TABLE IF EXISTS kb_article_fts",
]


SQLITE_RESYNC = "INSERT INTO kb_article_fts(kb_article_fts) VALUES ('rebuild')"


def create(schema_editor):
    """Create the index; on SQLite also sync it with rows that already exist (an external-content FTS5 table must
    match its table, or later updates fail)."""
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES, "sqlite": [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_RESYNC]}
    for sql in statements.get(vendor, []):
        schema_editor.execute(sql)


def drop(schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES_REVERSE if vendor == "postgresql" else SQLITE_REVERSE if vendor == "sqlite" else []:
        schema_editor.execute(sql)


def language_indexes(languages):
    """PostgreSQL: GIN indexes over the published articles of each language, titles and bodies.

    A search asks for one language at a time. Against the indexes over all rows, a common word's matches in the other
    languages and in drafts are found by the index and then rejected one heap row at a time (hundreds of milliseconds
    for a word common in English searched among Chinese articles); these indexes hold only the rows that can match.
    """
    statements = []
    for code in languages:
        name = re.sub(r"[^a-z0-9]+", "_", code.lower())
        literal = code.replace("'", "''")
        for column, short in (("title_vector", "title"), ("search_vector", "body")):
            statements.append(
                f"CREATE INDEX IF NOT EXISTS kb_article_{short}_{name} ON kb_article USING gin ({column}) "
                f"WHERE language = '{literal}' AND status = 'published'"
            )
    return statements


def ensure_language_indexes(connection):
    """Create the per-language indexes the configured languages lack (run after every migrate; cheap when present)."""
    from django.conf import settings

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'kb_article' AND column_name = %s",
                       ["title_vector"])  # fmt: skip
        if not cursor.fetchone():
            return  # not migrated that far yet
        for sql in language_indexes(code for code, _name in settings.LANGUAGES):
            cursor.execute(sql)


def ensure_index(using="default", **kwargs):
    """After migrate: the per-language indexes on PostgreSQL; the FTS5 triggers on SQLite."""
    from django.db import connections

    connection = connections[using]
    ensure_language_indexes(connection)
    if connection.vendor == "sqlite":
        ensure_sqlite_triggers(connection)


def ensure_sqlite_triggers(connection):
    """SQLite table rebuilds (by later migrations) drop triggers; put them back and resync the index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'kb_article_fts_%'")
        if len(cursor.fetchall()) == len(SQLITE_TRIGGERS):
            return
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name='kb_article_fts'")
        if not cursor.fetchone():
            return  # not migrated that far yet
        for sql in SQLITE_TRIGGERS:
            cursor.execute(sql)
        cursor.execute(SQLITE_RESYNC)
