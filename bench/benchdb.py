"""Shared by the benchmark scripts: the production-like environment, the 100k-article databases, machine notes.

Run from the project root with the project's venv, e.g. `.venv/bin/python bench/pages.py`.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RESULTS = ROOT / "bench" / "results"

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/hd_bench")
SQLITE_URL = "sqlite:////tmp/hd_bench.sqlite3"
REDIS_URL = "redis://127.0.0.1:6379/3"
ARTICLES = 100_000
SEED = 1

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "k" * 60,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "CACHE_KEY_PREFIX": "bench",
    "EMAIL_URL": "smtp://127.0.0.1:1025",
    "SITE_URL": "https://help.example.com",
    "LOG_LEVEL": "ERROR",
}


def env(database_url, **extra):
    """The process environment for a production-like run against `database_url` (REDIS_URL only if given)."""
    result = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KB_PAGE_CACHE", "DATABASE_URL")}
    result.update(PRODUCTION_ENV, DATABASE_URL=database_url)
    result.update({k: str(v) for k, v in extra.items() if v is not None})
    return result


def psql(sql, database="postgres"):
    """Run `sql` with psql as the postgres user; its unaligned output, stripped."""
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def manage(*args, database_url, check=True, **extra):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env(database_url, **extra), check=check, text=True
    )


def article_count(database_url):
    """Articles in the database, or None when the database or its tables do not exist yet."""
    code = "from kb.models import Article; print(Article.objects.count())"
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env(database_url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None
    return int(done.stdout.strip().splitlines()[-1])


def ensure_database(database_url, articles=ARTICLES):
    """Create, migrate and fill the benchmark database unless it already holds `articles` generated articles."""
    count = article_count(database_url)
    if count is not None and count >= articles:
        log(f"[db] {database_url}: {count} articles, reusing (migrating to the current schema)")
        manage("migrate", "--noinput", "-v0", database_url=database_url)
        ensure_statistics(database_url)
        return count
    if database_url.startswith("postgres"):
        name = database_url.rsplit("/", 1)[1]
        exists = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", "template0", "-E", "UTF8", name], check=True
            )
    log(f"[db] {database_url}: migrating and generating {articles} articles (several minutes)")
    manage("migrate", "--noinput", "-v0", database_url=database_url)
    if not count:
        manage("load_demo_content", database_url=database_url)
    have = article_count(database_url) or 0
    missing = articles - have + 81  # the demo content's 81 articles come on top of the generated ones
    if missing > 0:
        started = time.monotonic()
        manage(
            "generate_demo_data",
            "--articles",
            str(missing),
            "--seed",
            str(SEED),
            "--workers",
            "2",
            "--quiet",
            database_url=database_url,
        )
        log(f"[db] generated {missing} articles in {time.monotonic() - started:.0f}s")
    ensure_statistics(database_url)
    return article_count(database_url)


def ensure_statistics(database_url):
    """VACUUM ANALYZE a PostgreSQL database whose articles table was never analysed or has many dead rows.

    Production runs autovacuum, which analyses a table soon after a bulk load and vacuums it once a fifth of its rows
    are dead (e.g. after `rebuild_search_index` rewrote them); the PostgreSQL on these machines has autovacuum off.
    Without statistics the planner picks nested loops that make uncached pages 5× slower; with the dead rows of two
    rebuilds left in place, searches were nearly twice as slow. BENCH_NO_ANALYZE=1 skips this (to measure that case).
    """
    if not database_url.startswith("postgres") or os.environ.get("BENCH_NO_ANALYZE") == "1":
        return
    name = database_url.rsplit("/", 1)[1]
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Atc"]
    query = (
        "SELECT coalesce(last_analyze, last_autoanalyze) IS NULL OR n_dead_tup > 0.2 * n_live_tup "
        "FROM pg_stat_user_tables WHERE relname='kb_article'"
    )
    needed = subprocess.run([*psql, query], capture_output=True, text=True, check=True).stdout.strip()
    if needed == "t":
        log(f"[db] {name}: VACUUM ANALYZE (never analysed, or a fifth of the rows dead)")
        subprocess.run([*psql, "VACUUM ANALYZE"], check=True, capture_output=True)


def collectstatic():
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env(PG_URL),
        check=True,
    )


def machine_note():
    """Cores, load average, kernel and the code measured, for the top of every results file."""
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return (
        f"cores={os.cpu_count()} loadavg={load} kernel={os.uname().release} python={sys.version.split()[0]} "
        f"code={code_version()}"
    )


def code_version():
    """The commit measured, and which files differed from it (several people work in the same tree)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.split("\n")
    changed = [line[3:] for line in changed if line.strip()]
    return head + (f"+uncommitted({', '.join(changed)})" if changed else "")


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def stamp():
    return time.strftime("%Y%m%d-%H%M%S")


def write_result(name, text):
    """Print a run's report and keep it as bench/results/<name>-<timestamp>.md; returns the file's path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{stamp()}.md"
    path.write_text(text)
    print(text)
    log(f"[{name}] written to {path}")
    return path
