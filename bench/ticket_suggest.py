"""The ticket form's suggestions against the search API and the search box's suggestions, per request, in-process.

    DATABASE_URL=postgres://…/db .venv/bin/python bench/ticket_suggest.py --repeat 20

Against the database in DATABASE_URL as it is (the demo content, or a generated 100k-article database such as
bench/search.py's), with production settings, the Django test Client times for each subject of tests/kb/test_related.py
(sentences as customers write them, and nonsense):

- `GET /api/v1/search/suggest/?mode=ticket` (the ticket form's suggestions, kb.search.related),
- `GET /api/v1/search/?q=…` (the search API: snippets, other-language results and the analytics log included),
- `GET /api/v1/search/suggest/` (the search box's title suggestions),

`--repeat` times after one warm-up call each, and prints p50/p95 in milliseconds and the queries per request.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchdb  # noqa: E402

ENDPOINTS = {
    "suggest, ticket mode": ("/api/v1/search/suggest/", {"mode": "ticket"}),
    "search API": ("/api/v1/search/", {}),
    "suggest, title mode": ("/api/v1/search/suggest/", {}),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL to the database to measure.")
    os.environ.update(benchdb.env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from helpdesk import ratelimit
    from tests.kb.test_related import NONSENSE, SUBJECTS

    ratelimit.hit = lambda *args, **kwargs: (True, 0)  # this process only: measure the work, not the limiter
    client = Client(HTTP_HOST="127.0.0.1")
    subjects = [(language, subject) for language, subject, _slug in SUBJECTS] + NONSENSE
    print(f"{len(subjects)} subjects × {args.repeat} on {connection.vendor}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'endpoint':<24} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for name, (path, extra) in ENDPOINTS.items():
        samples, queries = [], []
        for language, subject in subjects:
            params = {"q": subject, "lang": language, **extra}
            assert client.get(path, params).status_code == 200
            with CaptureQueriesContext(connection) as captured:
                client.get(path, params)
            queries.append(len(captured))
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(path, params)
                samples.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(f"{name:<24} {statistics.median(samples):>8.1f} {p95:>8.1f} {statistics.mean(queries):>8.1f}")


if __name__ == "__main__":
    main()
