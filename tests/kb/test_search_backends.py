"""Candidate retrieval: every strategy a backend may pick (index probe, popularity walk, ordered fallback) returns
the same candidates; the database index stays as configured; per-process tables follow edits."""

import pytest
from django.db import connection, transaction

from kb.models import Article, BestBet
from kb.search import engine, schema, snippets
from kb.search.backends import PostgresBackend, SqliteBackend, backend
from tests.factories import make_article, make_section

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def corpus():
    """12 Chinese title matches of increasing popularity, body-only matches, and rows no search may return."""
    section = make_section()
    titles = []
    for n in range(12):
        article = make_article(section=section, slug=f"t{n}", title=f"提现到账说明 {n}", body="正文")
        Article.objects.filter(pk=article.pk).update(view_count=10 * n)
        titles.append(article.pk)
    bodies = [make_article(section=section, slug=f"b{n}", title="其他问题", body="提现 正文").pk for n in range(3)]
    make_article(section=section, slug="draft", title="提现草稿", status=Article.Status.DRAFT)
    make_article(section=section, slug="en", language="en", title="提现 in English", body="withdraw")
    return titles, bodies


def lookup(limit=4, expected=0, languages=("zh-hans",)):
    return backend().candidates([[("提现",)]], languages=list(languages), mode="and", limit=limit, expected=expected)


def test_candidates_are_the_most_popular_title_matches_then_other_body_matches():
    titles, bodies = corpus()
    ids, saturated = lookup()
    assert ids[:4] == titles[::-1][:4] and set(ids[4:]) <= set(titles[:-4]) | set(bodies)
    assert saturated  # 15 matches, fewer candidates
    assert not {a.pk for a in Article.objects.filter(slug__in=["draft", "en"])} & set(ids)


def test_every_strategy_returns_the_same_candidates(monkeypatch):
    titles, _bodies = corpus()
    expected_titles = titles[::-1][:4]
    probe = lookup(expected=0)[0]
    walk = lookup(expected=10**6)[0]  # the vocabulary says "common": walk the popularity index first
    if POSTGRES:
        monkeypatch.setattr(PostgresBackend, "TITLE_CAP", 5)  # the probe saturates: walk after it
        walk_after_probe = lookup(expected=0)[0]
        monkeypatch.setattr(PostgresBackend, "WALK_ROWS", 3)  # the walk finds too few: ordered query
        ordered = lookup(expected=0)[0]
        walk_too_short = lookup(expected=10**6)[0]
        found = (probe, walk, walk_after_probe, ordered, walk_too_short)
    else:
        monkeypatch.setattr(SqliteBackend, "TITLE_CAP", 5)  # FTS5's list reaches its cap: walk instead
        found = (probe, walk, lookup(expected=0)[0])
    for ids in found:
        assert ids[:4] == expected_titles


def test_planner_settings_end_with_the_lookup_even_inside_a_transaction():
    corpus()
    with transaction.atomic():
        assert lookup()[0]
        if POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute("SHOW enable_seqscan")
                assert cursor.fetchone()[0] == "on"
                cursor.execute("SHOW enable_indexscan")
                assert cursor.fetchone()[0] == "on"
        assert Article.objects.filter(slug="t0").exists()  # the transaction is usable afterwards


def test_each_language_has_its_own_index_and_a_missing_one_is_recreated_after_migrate():
    if not POSTGRES:
        schema.ensure_index()  # SQLite: the FTS5 triggers are checked instead
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'kb_article_fts_%'")
            assert cursor.fetchone()[0] == len(schema.SQLITE_TRIGGERS)
        return

    def indexes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'kb_article'")
            return {row[0] for row in cursor.fetchall()}

    wanted = {"kb_article_title_zh_hans", "kb_article_body_zh_hans", "kb_article_title_en", "kb_article_body_en"}
    assert wanted <= indexes()
    with connection.cursor() as cursor:  # spelling lookups never read a pending list (migration kb/0009)
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'kb_searchterm_trgm'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX kb_article_title_en")
    assert "kb_article_title_en" not in indexes()
    schema.ensure_index()
    assert wanted <= indexes()


def test_editing_a_best_bet_in_place_takes_effect_at_once(django_capture_on_commit_callbacks):
    section = make_section()
    first = make_article(section=section, slug="first", title="资金费率是什么")
    second = make_article(section=section, slug="second", title="合约费用总览", body="资金费率")
    with django_capture_on_commit_callbacks(execute=True):
        bet = BestBet.objects.create(query="资金费率", language="zh-hans", article=second)
    assert engine.search("资金费率", language="zh-hans").hits[0].article == second
    with django_capture_on_commit_callbacks(execute=True):
        bet.article = first
        bet.save()
    results = engine.search("资金费率", language="zh-hans")
    assert results.hits[0].article == first and results.hits[0].best_bet
    with django_capture_on_commit_callbacks(execute=True):
        bet.delete()
    assert not any(hit.best_bet for hit in engine.search("资金费率", language="zh-hans").hits)


def test_snippets_look_for_the_best_window_near_the_start_of_long_articles():
    groups = engine.understand("提现", "zh-hans")[0]
    early = "提现说明。" + "其他内容。" * 10
    assert "<mark>提现</mark>" in snippets.snippet(early, groups)
    late = "开头的说明。" + "其他内容。" * (snippets.SCAN_CHARS // 5) + "提现"
    cut = snippets.snippet(late, groups)
    assert cut.startswith("开头的说明") and "<mark>" not in cut and cut.endswith("…")


def test_plain_text_of_a_long_body_can_stop_early_without_leaving_half_a_tag():
    body = "<p>" + "充值到账说明。" * 400 + '</p><p><a href="https://example.com/x">链接</a></p>'
    short = snippets.plain_text(body, limit=100)
    assert short.startswith("充值到账说明") and "<" not in short and len(short) <= 200
    assert snippets.plain_text(body).endswith("链接")
    assert snippets.plain_text("<p>a &amp; b</p>", limit=100) == "a & b"
