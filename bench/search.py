"""Search latency on 100k articles, PostgreSQL and SQLite, against a naive `icontains` scan of the same data.

    .venv/bin/python bench/search.py                       # both databases, then the index rebuild timings
    .venv/bin/python bench/search.py --databases pg --no-rebuild --repeat 5

For each database (PostgreSQL `hd_bench`, SQLite /tmp/hd_bench.sqlite3; each generated if missing) a child process
with production settings times, for 40+ queries of every kind (from tests/kb/relevance_queries.jsonl, plus
common terms that match tens of thousands of generated articles, plus queries with no results):

- the search API in-process: Django test Client `GET /api/v1/search/?q=…&lang=…` (snippets, analytics log and rate
  limit included; the rate limit is raised in this process only), `--repeat` times after one warm-up call;
- the engine alone: `kb.search.engine.search(q, language=…)`;
- the naive scan: `Article.objects.published().filter(language=…).filter(Q(title__icontains=q) | Q(body__icontains=q))`
  first 10 rows plus its count, `--naive-repeat` times.

Then it times `manage.py rebuild_search_index` on each database twice: with every row's tokens already current, and
after blanking the token columns so every row is rewritten (the worst case, e.g. after a dictionary change).
Raw samples go to bench/results/search-*.json; tables to standard output and bench/results/search-*.md.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import benchdb

DATABASES = {"pg": benchdb.PG_URL, "sqlite": benchdb.SQLITE_URL}
PER_KIND = 4
COMMON = [
    ("USDT", "zh-hans", "common"),
    ("充值", "zh-hans", "common"),
    ("提现", "zh-hans", "common"),
    ("提现 手续费", "zh-hans", "common"),
    ("fee", "en", "common"),
    ("withdraw USDT", "en", "common"),
]
NO_RESULTS = [
    ("火星殖民计划", "zh-hans", "none"),
    ("quantum entanglement", "en", "none"),
    ("zzqxv", "en", "none"),
]
P95_TARGET_MS = 50.0
SPEEDUP_TARGET = 20.0


def queries():
    """PER_KIND queries of each kind from the relevance set (in file order), then common terms and empty ones."""
    picked, per_kind = [], {}
    with open(benchdb.ROOT / "tests" / "kb" / "relevance_queries.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            if per_kind.get(item["kind"], 0) < PER_KIND:
                per_kind[item["kind"]] = per_kind.get(item["kind"], 0) + 1
                picked.append((item["query"], item["language"], item["kind"]))
    return picked + COMMON + NO_RESULTS


# --- the child: runs inside Django ------------------------------------------------------------------------------


def child(repeat, naive_repeat):
    sys.path.insert(0, str(benchdb.ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Q
    from django.test import Client

    from kb.api import SearchViewSet
    from kb.models import Article
    from kb.search import engine

    assert not settings.DEBUG
    SearchViewSet.RATE = {"list": 10**9, "suggest": 10**9}  # this process only: no 429 while benchmarking
    client = Client(HTTP_HOST="127.0.0.1")

    def timed(function, times):
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            value = function()
            samples.append((time.perf_counter() - started) * 1000)
        return samples, value

    def api(query, language):
        response = client.get("/api/v1/search/", {"q": query, "lang": language})
        assert response.status_code == 200, (query, response.status_code, response.content[:200])
        return response.json()["count"]

    def naive(query, language):
        found = (
            Article.objects.published()
            .filter(language=language)
            .filter(Q(title__icontains=query) | Q(body__icontains=query))
        )
        return len(list(found[:10])), found.count()

    out = []
    for query, language, kind in queries():
        api(query, language)  # warm-up: segmenter, synonym table, prepared statements, caches
        api_ms, count = timed(lambda q=query, lang=language: api(q, lang), repeat)
        engine_ms, _ = timed(lambda q=query, lang=language: engine.search(q, language=lang), repeat)
        naive_ms, (naive_rows, naive_count) = timed(lambda q=query, lang=language: naive(q, lang), naive_repeat)
        out.append(
            {"query": query, "language": language, "kind": kind, "count": count, "naive_count": naive_count,
             "api_ms": api_ms, "engine_ms": engine_ms, "naive_ms": naive_ms}
        )  # fmt: skip
        print(
            f"  {kind:12} {query[:24]:24} api p50 {statistics.median(api_ms):7.1f} ms  "
            f"naive p50 {statistics.median(naive_ms):8.1f} ms  hits {count}/{naive_count}",
            file=sys.stderr,
            flush=True,
        )
    print(json.dumps({"vendor": connection.vendor, "articles": Article.objects.count(), "queries": out}))


# --- the parent -------------------------------------------------------------------------------------------------


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_child(url, repeat, naive_repeat):
    done = subprocess.run(
        [benchdb.PYTHON, __file__, "--child", "--repeat", str(repeat), "--naive-repeat", str(naive_repeat)],
        cwd=benchdb.ROOT,
        env=benchdb.env(url, DJANGO_SETTINGS_MODULE="helpdesk.settings"),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def blank_tokens(url):
    code = (
        "from django.db import transaction; from kb.models import Article\n"
        "with transaction.atomic(): print(Article.objects.update(search_title='', search_body=''))"
    )
    subprocess.run(
        [benchdb.PYTHON, "manage.py", "shell", "-c", code], cwd=benchdb.ROOT, env=benchdb.env(url), check=True
    )


def time_rebuild(url):
    started = time.monotonic()
    done = subprocess.run(
        [benchdb.PYTHON, "manage.py", "rebuild_search_index", "--quiet"],
        cwd=benchdb.ROOT,
        env=benchdb.env(url),
        capture_output=True,
        text=True,
        check=True,
    )
    return round(time.monotonic() - started, 1), done.stdout.strip()


def summarize(name, data):
    rows = data["queries"]
    api_all = [ms for r in rows for ms in r["api_ms"]]
    engine_all = [ms for r in rows for ms in r["engine_ms"]]
    per_query = []
    for r in rows:
        api_p50 = statistics.median(r["api_ms"])
        naive_p50 = statistics.median(r["naive_ms"])
        per_query.append(
            {
                "query": r["query"], "language": r["language"], "kind": r["kind"], "count": r["count"],
                "naive_count": r["naive_count"], "api_p50": api_p50, "api_p95": percentile(r["api_ms"], 0.95),
                "engine_p50": statistics.median(r["engine_ms"]), "naive_p50": naive_p50,
                "speedup": naive_p50 / api_p50,
            }
        )  # fmt: skip
    speedups = [q["speedup"] for q in per_query]
    summary = {
        "database": name,
        "vendor": data["vendor"],
        "articles": data["articles"],
        "queries": len(rows),
        "api_p50": statistics.median(api_all),
        "api_p95": percentile(api_all, 0.95),
        "api_max": max(api_all),
        "engine_p50": statistics.median(engine_all),
        "engine_p95": percentile(engine_all, 0.95),
        "naive_p50": statistics.median([ms for r in rows for ms in r["naive_ms"]]),
        "naive_p95": percentile([ms for r in rows for ms in r["naive_ms"]], 0.95),
        "speedup_total": sum(q["naive_p50"] for q in per_query) / sum(q["api_p50"] for q in per_query),
        "speedup_median": statistics.median(speedups),
        "speedup_min": min(speedups),
        "per_query": per_query,
    }
    return summary


def report(summaries, rebuilds, note, args):
    lines = [
        f"machine: {note}",
        f"repetitions: API and engine {args.repeat}× each (after 1 warm-up), naive {args.naive_repeat}×",
        "",
    ]
    lines.append(
        "| database | articles | queries | API p50 ms | API p95 ms | API max ms | engine p50 | engine p95 | "
        "naive p50 ms | naive p95 ms | speed-up (sum of p50s) | median per-query speed-up | min |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in summaries:
        lines.append(
            f"| {s['database']} | {s['articles']:,} | {s['queries']} | {s['api_p50']:.1f} | {s['api_p95']:.1f} | "
            f"{s['api_max']:.1f} | {s['engine_p50']:.1f} | {s['engine_p95']:.1f} | {s['naive_p50']:.1f} | "
            f"{s['naive_p95']:.1f} | {s['speedup_total']:.0f}× | {s['speedup_median']:.0f}× | {s['speedup_min']:.1f}× |"
        )
    lines.append("")
    for s in summaries:
        lines.append(f"{s['database']}: per query (slowest API p50 first)")
        lines.append(
            "| query | lang | kind | results | naive results | API p50 | API p95 | engine p50 | naive p50 | speed-up |"
        )
        lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for q in sorted(s["per_query"], key=lambda q: -q["api_p50"]):
            lines.append(
                f"| {q['query']} | {q['language']} | {q['kind']} | {q['count']} | {q['naive_count']} | "
                f"{q['api_p50']:.1f} | {q['api_p95']:.1f} | {q['engine_p50']:.1f} | {q['naive_p50']:.1f} | "
                f"{q['speedup']:.0f}× |"
            )
        lines.append("")
    for s in summaries:
        if s["vendor"] == "postgresql":
            p95 = "met" if s["api_p95"] < P95_TARGET_MS else "MISSED"
            speed = "met" if s["speedup_total"] >= SPEEDUP_TARGET else "MISSED"
            lines.append(f"target (PostgreSQL): API p95 < {P95_TARGET_MS:.0f} ms — {s['api_p95']:.1f} ms: {p95}")
            lines.append(
                f"target (PostgreSQL): ≥ {SPEEDUP_TARGET:.0f}× the naive scan — {s['speedup_total']:.0f}×: {speed}"
            )
    if rebuilds:
        lines += [
            "",
            "| database | rebuild_search_index, tokens current | after blanking every row's tokens | output |",
            "|---|---:|---:|---|",
        ]
        for name, r in rebuilds.items():
            lines.append(f"| {name} | {r['current_s']} s | {r['blank_s']} s | {r['output']} |")
        if "pg" in rebuilds:
            worst = max(rebuilds["pg"]["current_s"], rebuilds["pg"]["blank_s"])
            lines.append(f"target (PostgreSQL): rebuild < 300 s — {worst} s: {'met' if worst < 300 else 'MISSED'}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="pg,sqlite", help="comma-separated: pg,sqlite")
    parser.add_argument("--repeat", type=int, default=9, help="timed API and engine calls per query")
    parser.add_argument("--naive-repeat", type=int, default=3, help="timed naive scans per query")
    parser.add_argument("--no-rebuild", action="store_true", help="skip timing rebuild_search_index")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.repeat, args.naive_repeat)

    benchdb.RESULTS.mkdir(parents=True, exist_ok=True)
    names = args.databases.split(",")
    for name in names:
        benchdb.ensure_database(DATABASES[name])
    stamp, note = benchdb.stamp(), benchdb.machine_note()
    summaries, raw = [], {}
    for name in names:
        benchdb.log(f"[search] {name}: loadavg {benchdb.loadavg()}")
        raw[name] = run_child(DATABASES[name], args.repeat, args.naive_repeat)
        summaries.append(summarize(name, raw[name]))
    rebuilds = {}
    if not args.no_rebuild:
        for name in names:
            url = DATABASES[name]
            benchdb.log(f"[search] {name}: rebuild_search_index (tokens current), loadavg {benchdb.loadavg()}")
            current_s, _output = time_rebuild(url)
            benchdb.log(f"[search] {name}: rebuild_search_index (tokens blanked), loadavg {benchdb.loadavg()}")
            blank_tokens(url)
            blank_s, output = time_rebuild(url)
            rebuilds[name] = {"current_s": current_s, "blank_s": blank_s, "output": output}
            benchdb.log(f"  {name}: {current_s} s / {blank_s} s — {output}")
    text = report(summaries, rebuilds, note, args)
    print(text)
    (benchdb.RESULTS / f"search-{stamp}.md").write_text(text + "\n")
    (benchdb.RESULTS / f"search-{stamp}.json").write_text(
        json.dumps({"machine": note, "raw": raw, "summaries": summaries, "rebuilds": rebuilds}, ensure_ascii=False)
    )
    benchdb.log(f"[search] results in bench/results/search-{stamp}.*")


if __name__ == "__main__":
    sys.exit(main())
