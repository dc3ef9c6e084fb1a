"""Relevance of search on the shipped demo content: realistic queries, each with the articles that should lead."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.search import engine

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.django_db


def _queries(name):
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _evaluate(queries):
    """Recall@3 and MRR over the queries, with the misses for the report."""
    found_in_3, reciprocal, misses = 0, 0.0, []
    for case in queries:
        results = engine.search(case["query"], language=case["language"], with_snippets=False)
        ranked = [hit.article.slug for hit in results.all_hits]
        rank = next((i for i, slug in enumerate(ranked, 1) if slug in case["expected"]), None)
        found_in_3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        if not rank or rank > 3:
            misses.append(f"{case['query']!r} → {ranked[:3]} (want {case['expected'][0]}, rank {rank})")
    return found_in_3 / len(queries), reciprocal / len(queries), misses


@pytest.fixture
def demo_content():
    call_command("load_demo_content", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("name", ["relevance_queries.jsonl", "relevance_heldout.jsonl"])
def test_recall_at_3_is_at_least_90_percent(demo_content, name, capsys):
    queries = _queries(name)
    recall, mrr, misses = _evaluate(queries)
    with capsys.disabled():
        print(f"\n{name}: {len(queries)} queries, Recall@3 = {recall:.3f}, MRR = {mrr:.3f}")
        for miss in misses:
            print("  miss:", miss)
    assert recall >= 0.9, misses


def test_the_relevance_set_is_big_and_varied():
    queries = _queries("relevance_queries.jsonl")
    kinds = {case["kind"] for case in queries}
    assert len(queries) >= 60
    assert {"colloquial", "synonym", "typo", "short", "mixed", "english"} <= kinds
    assert {case["language"] for case in queries} == {"zh-hans", "en"}
