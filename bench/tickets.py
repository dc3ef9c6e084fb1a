"""Ticket submission throughput on PostgreSQL under production settings, with every submission accounted for.

    .venv/bin/python bench/tickets.py [--duration 60] [--clients 24] [--per-client 10] [--target form]

1. The database helpdesk_bench_tickets is created and migrated if needed (the starter problem types and SLA
   policies come with the migrations); the tickets, emails, tasks and sessions of earlier runs are truncated and
   the Redis database of the run (db 7) is flushed, so every simulated client starts under its rate limit.
2. granian serves the project as `make serve-prod` does (`--interface wsgi --workers 2 --blocking-threads 4`,
   DEBUG=0, Redis cache, persistent connections, the database task backend) on 127.0.0.1:8106. No task worker runs:
   each confirmation email stays a queued OutgoingEmail row with its task row, and both are counted.
3. The load generator (this process, asyncio, raw HTTP/1.1 with keep-alive) runs `--clients` simulated customers at
   once. Each has its own source address (127.0.0.2, 127.0.0.3, ... 127.0.255.254: Linux routes all of 127/8 to
   lo), loads the form once for its CSRF cookie and token, then sends `--per-client` submissions, each with a fresh
   submission key, and then gives its place to the next customer. The per-address limit (tickets.views.OPEN_LIMIT)
   stays on: a customer never sends more than it allows. The run lasts `--duration` seconds.
4. Checks: every submission answered with a ticket (the form: 303 to its page; the API: 201); no two answers name
   the same ticket; the database holds exactly those tickets, one first message, one opening event and one queued
   email with its task each; no 5xx, no timeouts. Then the rate, p50/p95/max latency, and the CPU of the server,
   PostgreSQL and this generator. `--target api` sends the same submissions as JSON to the public API instead
   (no form to load; the submission key is the Idempotency-Key).
5. Queries per submission are counted in-process (Django test client, same settings and database) for the form's
   GET and POST.
Results go to bench/results/tickets-<timestamp>.md.

A target is a class with `start` (once per customer), `submit` (one submission: ok, reference, status) and `finish`;
the JSON API (`POST /api/v1/tickets/` with an Idempotency-Key header, answering 201 with the reference) is one more
entry in TARGETS, checked the same way.
"""

import argparse
import asyncio
import json
import re
import resource
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchdb  # noqa: E402
import pages  # noqa: E402
from pages import cpu_by_pid, process_tree, stop_server  # noqa: E402

DB = "helpdesk_bench_tickets"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
REDIS_URL = "redis://127.0.0.1:6379/7"
PORT = 8106
TYPE = "deposit-not-credited"
TIMEOUT = 30
TRUNCATE = (
    "TRUNCATE tickets_ticket, tickets_message, tickets_ticketevent, tickets_slaclock, tickets_outgoingemail, "
    "django_tasks_database_dbtaskresult, django_session, kb_searchlog RESTART IDENTITY CASCADE"
)
TICKET_PATH = re.compile(r"^/(?:en|zh-hans)/tickets/([A-Z0-9-]+)/\?new=1$")
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

SUBJECTS = [
    (
        "zh-hans",
        "USDT充值两个小时了还没到账",
        "从其他平台提币 {n} USDT 到这里，区块浏览器已确认，余额没变。",
    ),
    ("zh-hans", "TRC20 充币未到账", "转账已经成功 {n} 分钟了，交易哈希在下面，请帮忙查一下。"),
    ("en", "deposit not arrived after 2 hours", "I sent {n} USDT on TRC20, the explorer shows it confirmed."),
    ("en", "USDT deposit missing", "My deposit of {n} USDT has not been credited yet. TxID below, thanks."),
]
ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # a real Tron address (base58check)


def psql(sql, database=DB):
    return benchdb.psql(sql, database)


def prepare():
    """Create and migrate the database once; empty what earlier runs left; flush the run's Redis database."""
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'", "postgres"):
        psql(f"CREATE DATABASE {DB} TEMPLATE template0 ENCODING 'UTF8'", "postgres")
    benchmark_env = benchdb.env(URL, REDIS_URL=REDIS_URL)
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([benchdb.PYTHON, "manage.py", *command], cwd=benchdb.ROOT, env=benchmark_env, check=True)
    psql(TRUNCATE)
    psql("VACUUM ANALYZE")
    flush_redis()


def flush_redis():
    """Empty the run's own Redis database: rate-limit counters, cached sessions, the SLA policies version."""
    subprocess.run(["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "FLUSHDB"], check=True, capture_output=True)


def start_server(workers, threads):
    return pages.start_server(
        {"REDIS_URL": REDIS_URL},
        database_url=URL,
        port=PORT,
        workers=workers,
        threads=threads,
        log="granian-tickets.log",
    )


def db_backends():
    done = psql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB}' AND backend_type = 'client backend'", "postgres"
    )
    return [int(line) for line in done.split()]


# --- HTTP/1.1 over one keep-alive connection per simulated customer ---------------------------------------------


class Connection:
    """One customer's connection from its own loopback address, with its cookies."""

    def __init__(self, address):
        self.address = address
        self.cookies = {}
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT, local_addr=(self.address, 0))

    def close(self):
        if self.writer is not None:
            self.writer.close()

    async def request(self, method, path, body=b"", headers=()):
        """Send one request and read the answer: (status, {lowercase header: [values]}, body)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{PORT}", "Accept-Language: zh-hans,en"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in headers]
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        answer = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer.setdefault(name.strip().lower(), []).append(value.strip())
        if "content-length" in answer:
            content = await self.reader.readexactly(int(answer["content-length"][0]))
        elif answer.get("transfer-encoding", [""])[0].lower() == "chunked":
            content = b""
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                content += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            content = b""
        for cookie in answer.get("set-cookie", []):
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if answer.get("connection", [""])[0].lower() == "close":
            self.close()
            await self.open()
        return status, answer, content


class FormTarget:
    """The HTML form customers use: GET it once for the CSRF cookie and token, then POST it."""

    name = "form"

    def __init__(self):
        self.csrf = {}

    async def start(self, connection, language):
        status, _headers, content = await connection.request("GET", f"/{language}/tickets/new/{TYPE}/")
        if status != 200 or not (match := CSRF_INPUT.search(content)):
            raise RuntimeError(f"the form answered {status} without a CSRF token")
        self.csrf[connection] = match.group(1).decode()

    @staticmethod
    def body(csrf_token, values):
        """The form's POST body (urlencoded) for one submission."""
        return urlencode({"csrfmiddlewaretoken": csrf_token, **values}).encode()

    async def submit(self, connection, language, values):
        """POST one submission; returns (ok, reference or None, status)."""
        body = self.body(self.csrf[connection], values)
        status, headers, _content = await connection.request(
            "POST",
            f"/{language}/tickets/new/{TYPE}/",
            body,
            [("Content-Type", "application/x-www-form-urlencoded")],
        )
        match = TICKET_PATH.match(headers.get("location", [""])[0])
        return status == 303 and match is not None, match and match.group(1), status

    def finish(self, connection):
        self.csrf.pop(connection, None)


class ApiTarget:
    """The public JSON API apps use: no form to load, one POST per ticket with an Idempotency-Key."""

    name = "api"
    FIELDS = ("coin", "network", "txid", "amount", "deposit_address", "memo", "transfer_time")

    async def start(self, connection, language):
        pass

    @classmethod
    def body(cls, values, language):
        """The API's JSON body for one submission (its submission key goes in the Idempotency-Key header)."""
        body = {key: values[key] for key in ("email", "name", "uid", "subject", "description") if values[key]}
        body |= {"type": TYPE, "language": language}
        body["fields"] = {key: values[key] for key in cls.FIELDS if values.get(key)}
        return json.dumps(body).encode()

    async def submit(self, connection, language, values):
        """POST one submission as JSON; returns (ok, reference or None, status)."""
        status, _headers, content = await connection.request(
            "POST",
            "/api/v1/tickets/",
            self.body(values, language),
            [("Content-Type", "application/json"), ("Idempotency-Key", values["submission"])],
        )
        reference = json.loads(content).get("reference") if status == 201 else None
        return reference is not None, reference, status

    def finish(self, connection):
        pass


TARGETS = {"form": FormTarget, "api": ApiTarget}


def submission(n, language):
    """A fresh, plausible deposit-not-credited submission (its own submission key)."""
    choices = [row for row in SUBJECTS if row[0] == language]
    _language, subject, description = choices[n % len(choices)]
    return {
        "submission": secrets.token_urlsafe(32),
        "email": f"customer{n}@example.com",
        "name": "",
        "uid": str(10_000_000 + n),
        "subject": subject,
        "description": description.format(n=n % 5000 + 10),
        "coin": "USDT",
        "network": "TRC20",
        "txid": secrets.token_hex(32),
        "amount": f"{n % 5000 + 10}.5",
        "deposit_address": ADDRESS,
        "memo": "",
        "transfer_time": "",
    }


def addresses():
    """127.0.0.2 ... 127.0.255.254: one source address per simulated customer."""
    for high in range(256):
        for low in range(1, 255):
            if (high, low) != (0, 1):
                yield f"127.0.{high}.{low}"


async def load(target, *, clients, per_client, duration):
    """Run the customers for `duration` s: (submissions as (latency, ok, reference, status), errors, customers)."""
    results, errors = [], []
    pool = addresses()
    deadline = time.monotonic() + duration
    counter = iter(range(10**9))

    async def customer_slot():
        while time.monotonic() < deadline:
            n = next(counter)
            language = "zh-hans" if n % 3 else "en"
            connection = Connection(next(pool))
            try:
                await connection.open()
                await asyncio.wait_for(target.start(connection, language), TIMEOUT)
                for i in range(per_client):
                    if time.monotonic() >= deadline:
                        break
                    started = time.monotonic()
                    ok, reference, status = await asyncio.wait_for(
                        target.submit(connection, language, submission(n * per_client + i, language)), TIMEOUT
                    )
                    results.append((time.monotonic() - started, ok, reference, status))
            except (OSError, RuntimeError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                errors.append(f"{connection.address}: {type(error).__name__}: {error}")
            finally:
                target.finish(connection)
                connection.close()

    await asyncio.gather(*(customer_slot() for _ in range(clients)))
    return results, errors, next(counter)


# --- checks and in-process query counts ------------------------------------------------------------------------


def check(results):
    """What the database holds against what the answers said."""
    references = [reference for _latency, ok, reference, _status in results if ok]
    stored = psql("SELECT reference FROM tickets_ticket").split()
    counts = json.loads(
        psql(
            "SELECT json_build_object("
            "'messages', (SELECT count(*) FROM tickets_message), "
            "'tickets without exactly one message', (SELECT count(*) FROM tickets_ticket t WHERE "
            "(SELECT count(*) FROM tickets_message m WHERE m.ticket_id = t.id) <> 1), "
            "'opened events', (SELECT count(*) FROM tickets_ticketevent WHERE kind = 'opened'), "
            "'queued emails with their task', (SELECT count(*) FROM tickets_outgoingemail e "
            "JOIN django_tasks_database_dbtaskresult r ON r.id = e.task_id "
            "WHERE e.kind = 'ticket_opened' AND e.status = 'queued' AND r.status = 'READY'), "
            "'email tasks', (SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'), "
            "'running clocks', (SELECT count(*) FROM tickets_slaclock WHERE state = 'running'))"
        )
    )
    return {
        "submissions answered with a ticket (303 or 201)": len(references),
        "distinct tickets named by the answers": len(set(references)),
        "tickets stored": len(stored),
        "answered but not stored (lost)": len(set(references) - set(stored)),
        "stored but never answered": len(set(stored) - set(references)),
        **counts,
    }


QUERY_COUNT = """
import json, os, re
from django.db import connection
from django.test import Client


def send(client, values, counts=None):
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        page = client.get("/zh-hans/tickets/new/%(type)s/", headers={"accept-language": "zh-hans"})
    if counts is not None:
        counts["get"].append(len(queries))
    values["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        answer = client.post("/zh-hans/tickets/new/%(type)s/", values)
    assert answer.status_code == 303, answer.status_code
    if counts is not None:
        counts["post"].append(len(queries))
        counts["statements"] = [sql.split(" WHERE ")[0][:110] for sql in queries]


submissions = json.loads(os.environ["BENCH_SUBMISSIONS"])
send(Client(SERVER_NAME="127.0.0.1", REMOTE_ADDR="127.0.254.253"), submissions.pop())  # loads the SLA policies
client = Client(SERVER_NAME="127.0.0.1", REMOTE_ADDR="127.0.254.254", enforce_csrf_checks=True)
counts = {"get": [], "post": []}
for values in submissions:
    send(client, values, counts)
print(json.dumps(counts))
"""


def count_queries():
    """Queries of the form's GET and POST in-process (Django test client): a customer's first and seven more.

    One submission by another customer comes first, so the process has loaded the SLA policies, as a server has.
    """
    values = [submission(900_000 + n, "zh-hans") for n in range(9)]
    done = subprocess.run(
        [benchdb.PYTHON, "manage.py", "shell", "-c", QUERY_COUNT % {"type": TYPE}],
        cwd=benchdb.ROOT,
        env=benchdb.env(URL, REDIS_URL=REDIS_URL, BENCH_SUBMISSIONS=json.dumps(values)),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"counting queries failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def open_limit():
    """The per-address hourly limit on new tickets, as tickets/views.py sets it."""
    text = (benchdb.ROOT / "tickets" / "views.py").read_text()
    return int(re.search(r"^OPEN_LIMIT, OPEN_PERIOD = (\d+), 3600$", text, re.M).group(1))


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=24, help="customers submitting at the same time")
    parser.add_argument("--per-client", type=int, default=10, help="submissions per customer (≤ the hourly limit)")
    parser.add_argument("--target", choices=sorted(TARGETS), default="form")
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    parser.add_argument("--threads", type=int, default=4, help="granian blocking threads per worker")
    parser.add_argument("--no-queries", action="store_true", help="skip the in-process query count")
    args = parser.parse_args()
    if args.per_client > open_limit():
        raise SystemExit(f"--per-client {args.per_client} exceeds the per-address limit of {open_limit()}")
    benchdb.log(f"[tickets] preparing {DB}")
    prepare()
    server = start_server(args.workers, args.threads)
    try:
        note = benchdb.machine_note()
        target = TARGETS[args.target]()
        asyncio.run(load(target, clients=4, per_client=2, duration=2))  # warm both workers' code paths
        psql(TRUNCATE)
        flush_redis()  # the warm-up's addresses start again under their limit
        server_pids = process_tree(server.pid)
        server_before, db_before = cpu_by_pid(server_pids), cpu_by_pid(db_backends())
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        benchdb.log(f"[tickets] {args.clients} customers, {args.per_client} submissions each, {args.duration:.0f} s")
        started = time.monotonic()
        results, errors, customers = asyncio.run(
            load(target, clients=args.clients, per_client=args.per_client, duration=args.duration)
        )
        elapsed = time.monotonic() - started
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = sum(cpu_by_pid(server_pids).values()) - sum(server_before.values())
        db_after = cpu_by_pid(db_backends())
        db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
        load_after = benchdb.loadavg()
    finally:
        stop_server(server)
    generator_cpu = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
    checks = check(results)
    queries = None if args.no_queries else count_queries()
    latencies = [latency * 1000 for latency, *_rest in results]
    statuses = {}
    for _latency, _ok, _reference, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    ok = checks["submissions answered with a ticket (303 or 201)"]
    good = (
        not errors
        and ok == len(results)
        and ok == checks["distinct tickets named by the answers"] == checks["tickets stored"]
        and checks["answered but not stored (lost)"] == checks["stored but never answered"] == 0
        and checks["tickets without exactly one message"] == 0
        and checks["opened events"] == checks["queued emails with their task"] == checks["email tasks"] == ok
    )
    lines = [
        f"# Ticket submissions ({args.target}), {time.strftime('%Y-%m-%d %H:%M:%S')}",
        "",
        f"{note}; loadavg at the end {load_after}",
        f"granian --workers {args.workers} --blocking-threads {args.threads}; {args.clients} customers at once, "
        f"{args.per_client} submissions each, {args.duration:.0f} s; no task worker (emails stay queued)",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| submissions | {len(results)} in {elapsed:.1f} s |",
        f"| **rate** | **{len(results) / elapsed:.1f} submissions/s** |",
        f"| latency p50 / p95 / max | {statistics.median(latencies):.1f} / {percentile(latencies, 0.95):.1f} / "
        f"{max(latencies):.1f} ms |"
        if latencies
        else "| latency | none |",
        f"| answers by status | {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} |",
        f"| errors (connection, timeout, no token) | {len(errors)} |",
        f"| customers (source addresses) | {customers} |",
        f"| server CPU per submission | {server_cpu / max(len(results), 1) * 1000:.2f} ms |",
        f"| PostgreSQL CPU per submission | {db_cpu / max(len(results), 1) * 1000:.2f} ms |",
        f"| generator CPU per submission (share of the run's CPU) | {generator_cpu / max(len(results), 1) * 1000:.2f}"
        f" ms ({generator_cpu / max(server_cpu + db_cpu + generator_cpu, 1e-9):.0%}) |",
        "",
        "| check | value |",
        "|---|---:|",
        *(f"| {name} | {value} |" for name, value in checks.items()),
        "",
        f"**{'PASS' if good else 'FAIL'}**: every answered submission made exactly one ticket, none lost, none "
        "duplicated, no errors"
        if good
        else "**FAIL**: see the checks and errors above",
    ]
    if queries:
        lines += [
            "",
            f"Queries, in-process: form GET {queries['get']}, POST {queries['post']} (a customer's 1st, then 2nd–8th)",
            "",
            "Statements of a later POST:",
            "",
            *(f"    {sql}" for sql in queries["statements"]),
        ]
    if errors:
        lines += ["", "Errors (first 20):", *(f"- {error}" for error in errors[:20])]
    text = "\n".join(lines) + "\n"
    benchdb.write_result("tickets", text)
    if not good:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
