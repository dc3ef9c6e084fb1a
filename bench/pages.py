"""Public-page throughput under granian, in three cache configurations, against the trivial view of the same run.

    .venv/bin/python bench/pages.py                 # everything (≈ 6 minutes once the database exists)
    .venv/bin/python bench/pages.py --duration 5    # a quick look
    .venv/bin/python bench/pages.py --configs uncached --no-inprocess
    .venv/bin/python bench/pages.py --configs redis --no-inprocess

1. Ensures the PostgreSQL database `hd_bench` holds 100k generated articles (generates them if not) and collects
   static files.
2. For each configuration — (a) page cache on, local memory; (b) page cache on, Redis; (c) page cache off — starts
   granian with production settings (`--interface wsgi --workers 2 --blocking-threads 4`) on 127.0.0.1:8031, warms
   every page up, then runs `wrk -t2 -c32 -d15s --latency` against /healthz and each page in turn. Server CPU per
   request is the growth of utime+stime of the granian processes (from /proc/<pid>/stat) over the run ÷ requests.
3. Measures the uncached article page's CPU per request in-process as well (Django test Client, KB_PAGE_CACHE=0,
   time.process_time), in a child process with the same production environment.

Raw wrk output and a JSON summary go to bench/results/ (git-ignored); the tables go to standard output.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import benchdb

PORT = 8031
HOST = f"http://127.0.0.1:{PORT}"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CONFIGS = {
    "locmem": {"label": "(a) page cache on, local memory", "extra": {}},
    "redis": {"label": "(b) page cache on, Redis", "extra": {"REDIS_URL": benchdb.REDIS_URL}},
    "uncached": {"label": "(c) page cache off", "extra": {"KB_PAGE_CACHE": "0"}},
}
TARGETS = {"locmem": 0.5, "redis": 0.25}
UNCACHED_ARTICLE_CPU_MS = 15.0


def pages(generated_slug):
    return [
        ("trivial /healthz", "/healthz"),
        ("home", "/zh-hans/"),
        ("category", "/zh-hans/categories/deposits-withdrawals/"),
        ("article", "/zh-hans/articles/deposit-not-credited/"),
        (f"article {generated_slug}", f"/zh-hans/articles/{generated_slug}/"),
    ]


def generated_article_slug():
    """A published zh-hans generated article (the first, so every run uses the same one)."""
    code = (
        "from kb.models import Article; "
        "print(Article.objects.published().filter(language='zh-hans', slug__startswith='gen-')"
        ".order_by('id').values_list('slug', flat=True).first())"
    )
    done = subprocess.run(
        [benchdb.PYTHON, "manage.py", "shell", "-c", code],
        cwd=benchdb.ROOT,
        env=benchdb.env(benchdb.PG_URL),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


# --- the server -------------------------------------------------------------------------------------------------


def start_server(
    extra,
    app="helpdesk.wsgi:application",
    *,
    database_url=benchdb.PG_URL,
    port=PORT,
    workers=2,
    threads=4,
    log="granian.log",
):
    """granian as `make serve-prod` runs it, once /healthz answers and every worker is up."""
    command = [
        str(benchdb.ROOT / ".venv" / "bin" / "granian"),
        "--interface", "wsgi", "--workers", str(workers), "--blocking-threads", str(threads),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
        app,
    ]  # fmt: skip
    benchdb.RESULTS.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        command,
        cwd=benchdb.ROOT,
        env=benchdb.env(database_url, **extra),
        start_new_session=True,  # its own process group, so stopping it reaches the workers and nothing else
        stdout=subprocess.DEVNULL,
        stderr=open(benchdb.RESULTS / log, "a"),  # noqa: SIM115 - lives as long as the server
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"granian exited with {server.returncode}; see bench/results/{log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200 and len(process_tree(server.pid)) >= workers + 1:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("granian did not answer /healthz within 60 s")


def stop_server(server):
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


def process_tree(root):
    """The pid and every descendant pid of `root` (granian's main process and its workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def cpu_by_pid(pids):
    """utime+stime of each of the given processes, in seconds."""
    result = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        result[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15 of the line)
    return result


def cpu_seconds(pids):
    return sum(cpu_by_pid(pids).values())


def db_backends():
    """PostgreSQL backend processes serving the benchmark database (the server runs on this machine)."""
    name = benchdb.PG_URL.rsplit("/", 1)[1]
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-Atc",
         f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}' AND backend_type = 'client backend'"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [int(line) for line in done.stdout.split()]


def db_cpu_growth(before):
    """CPU used since `before` by the database backends now serving the benchmark database (new ones in full)."""
    after = cpu_by_pid(db_backends())
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the load ---------------------------------------------------------------------------------------------------


def get(path):
    request = urllib.request.Request(HOST + path)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def run_wrk(path, duration, threads, connections):
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "--latency",
        HOST + path,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def parse_wrk(output):
    def number(pattern):
        match = re.search(pattern, output)
        return match and match.group(1)

    def ms(value):
        if value is None:
            return None
        match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
        if match is None:
            return None
        amount, unit = match.groups()
        return float(amount) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    return {
        "requests": int(number(r"(\d+) requests in")),
        "rps": float(number(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": ms(number(r"50%\s+(\S+)")),
        "p99_ms": ms(number(r"99%\s+(\S+)")),
        "errors": int(number(r"Non-2xx or 3xx responses: (\d+)") or 0)
        + sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)),
    }


def settle(pids, limit=90.0):
    """Wait until the server has finished the requests a previous wrk run left queued (it stops using CPU)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pids)
        time.sleep(1.0)
        if cpu_seconds(pids) - before < 0.05:
            return


def bench_config(name, page_list, args, raw):
    config = CONFIGS[name]
    benchdb.log(f"[pages] {config['label']}: starting granian")
    server = start_server(config["extra"], config.get("app", "helpdesk.wsgi:application"))
    rows = []
    try:
        pids = process_tree(server.pid)
        for _label, path in page_list:  # warm up: every page rendered (and cached) in both workers
            for _ in range(20):
                status, _body = get(path)
                assert status == 200, (path, status)
            run_wrk(path, 2, args.threads, args.connections)
        for label, path in page_list:
            settle(pids)
            load = benchdb.loadavg()
            db_before = cpu_by_pid(db_backends())
            before = cpu_seconds(pids)
            output = run_wrk(path, args.duration, args.threads, args.connections)
            used = cpu_seconds(pids) - before
            db_used = db_cpu_growth(db_before)
            raw.write(f"### {config['label']} — {label} {path} (loadavg {load})\n{output}\n")
            raw.flush()
            result = parse_wrk(output)
            requests = max(result["requests"], 1)
            result.update(
                config=name, page=label, path=path, loadavg_before=load, server_cpu_s=round(used, 3),
                cpu_us_per_request=round(used / requests * 1e6, 1), db_cpu_s=round(db_used, 3),
                db_cpu_us_per_request=round(db_used / requests * 1e6, 1),
            )  # fmt: skip
            raw.write(f"server CPU {used:.2f} s, database CPU {db_used:.2f} s, over {result['requests']} requests\n\n")
            benchdb.log(
                f"  {label:28} {result['rps']:9.1f} req/s  {result['cpu_us_per_request']:8.1f} µs CPU/req  "
                f"db {result['db_cpu_us_per_request']:8.1f} µs/req  "
                f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  errors {result['errors']}"
            )
            rows.append(result)
    finally:
        stop_server(server)
    trivial = rows[0]["rps"]
    for row in rows:
        row["ratio"] = round(row["rps"] / trivial, 3)
    return rows


# --- in-process CPU of the uncached article page ----------------------------------------------------------------

INPROCESS = r"""
import json, sys, time
import django
django.setup()
from django.test import Client
from django.conf import settings
assert not settings.DEBUG and not settings.KB_PAGE_CACHE
client = Client(HTTP_HOST="127.0.0.1")
out = {}
N = int(sys.argv[1])
for path in sys.argv[2:]:
    for _ in range(10):
        assert client.get(path).status_code == 200
    samples, walls = [], []
    for _ in range(N):
        started, wall = time.process_time(), time.perf_counter()
        response = client.get(path)
        samples.append(time.process_time() - started)
        walls.append(time.perf_counter() - wall)
        assert response.status_code == 200
    samples.sort()
    walls.sort()
    out[path] = {
        "mean_ms": round(sum(samples) / len(samples) * 1000, 3),
        "p50_ms": round(samples[len(samples) // 2] * 1000, 3),
        "p95_ms": round(samples[int(len(samples) * 0.95)] * 1000, 3),
        "wall_p50_ms": round(walls[len(walls) // 2] * 1000, 3),
        "n": len(samples),
    }
print(json.dumps(out))
"""


def inprocess_cpu(paths, n):
    done = subprocess.run(
        [benchdb.PYTHON, "-c", INPROCESS, str(n), *paths],
        cwd=benchdb.ROOT,
        env=benchdb.env(benchdb.PG_URL, KB_PAGE_CACHE="0", DJANGO_SETTINGS_MODULE="helpdesk.settings"),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- report -----------------------------------------------------------------------------------------------------


def report(all_rows, inprocess, note):
    lines = [f"machine: {note}", ""]
    for name, rows in all_rows.items():
        lines.append(f"{CONFIGS[name]['label']}")
        lines.append(
            "| page | req/s | ratio to trivial | server CPU µs/req | PostgreSQL CPU µs/req | p50 ms | p99 ms | errors "
            "| loadavg |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            lines.append(
                f"| {r['page']} | {r['rps']:,.0f} | {r['ratio']:.2f} | {r['cpu_us_per_request']:,.0f} | "
                f"{r['db_cpu_us_per_request']:,.0f} | "
                f"{r['p50_ms']} | {r['p99_ms']} | {r['errors']} | {r['loadavg_before']} |"
            )
        if name in TARGETS:
            worst = min(r["ratio"] for r in rows[1:])
            verdict = "met" if worst >= TARGETS[name] else "MISSED"
            lines.append(f"target: cached pages ≥ {TARGETS[name]} of trivial — lowest {worst:.2f}: {verdict}")
        lines.append("")
    if inprocess:
        n = next(iter(inprocess.values()))["n"]
        lines.append(f"in-process, page cache off (Django test Client; CPU = time.process_time; n={n} per page)")
        lines.append("| path | CPU mean ms | CPU p50 ms | CPU p95 ms | wall p50 ms (incl. waiting for PostgreSQL) |")
        lines.append("|---|---:|---:|---:|---:|")
        for path, r in inprocess.items():
            lines.append(
                f"| {path} | {r['mean_ms']:.2f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['wall_p50_ms']:.1f} |"
            )
        article = inprocess.get("/zh-hans/articles/deposit-not-credited/")
        if article:
            verdict = "met" if article["mean_ms"] < UNCACHED_ARTICLE_CPU_MS else "MISSED"
            lines.append(
                f"target: uncached article < {UNCACHED_ARTICLE_CPU_MS} ms CPU — {article['mean_ms']:.2f}: {verdict}"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (at most 20)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--configs", default="locmem,redis,uncached", help="comma-separated: locmem,redis,uncached")
    parser.add_argument("--no-inprocess", action="store_true", help="skip the in-process CPU measurement")
    parser.add_argument("--inprocess-requests", type=int, default=200, help="timed requests per page in-process")
    args = parser.parse_args()
    args.duration = min(args.duration, 20)
    benchdb.RESULTS.mkdir(parents=True, exist_ok=True)

    benchdb.ensure_database(benchdb.PG_URL)
    benchdb.log("[pages] collectstatic")
    benchdb.collectstatic()
    slug = generated_article_slug()
    page_list = pages(slug)
    stamp = benchdb.stamp()
    note = benchdb.machine_note()
    all_rows = {}
    with open(benchdb.RESULTS / f"pages-{stamp}.wrk.txt", "w") as raw:
        raw.write(f"machine: {note}\n\n")
        for name in args.configs.split(","):
            all_rows[name] = bench_config(name, page_list, args, raw)
    inprocess = None
    if not args.no_inprocess:
        benchdb.log("[pages] in-process CPU of uncached pages")
        inprocess = inprocess_cpu([path for _label, path in page_list[1:]], args.inprocess_requests)
    text = report(all_rows, inprocess, note)
    print(text)
    (benchdb.RESULTS / f"pages-{stamp}.md").write_text(text + "\n")
    (benchdb.RESULTS / f"pages-{stamp}.json").write_text(
        json.dumps({"machine": note, "rows": all_rows, "inprocess": inprocess}, indent=1, ensure_ascii=False)
    )
    benchdb.log(f"[pages] results in bench/results/pages-{stamp}.*")


if __name__ == "__main__":
    sys.exit(main())
