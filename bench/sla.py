"""The desk at a million tickets on PostgreSQL: one sweep applying 10,000 breaches, the changelist and the staff API.

    .venv/bin/python bench/sla.py [--tickets 1000000] [--open 100000] [--breaches 10000] [--repeat 30]

1. A fresh database (helpdesk_bench_sla) is migrated and filled with set-based SQL (generate_series): tickets over
   the last year in the starter queues and types, 10 % open, each with its opening event and first message; solved
   and closed ones with fulfilled clocks; open ones with a running first-response and resolution clock. Exactly
   `--breaches` first-response clocks fell due in the hour before now and wait for the sweep (next_check_at =
   due_at); every other running clock is due days ahead. VACUUM ANALYZE after loading.
2. One `sweep()` under production settings, timed, with its queries counted; then checked: exactly that many
   `sla_breached` events, no ticket twice, and a second sweep applies nothing.
3. The admin ticket list (default view, and at-risk filter) and `/api/v1/staff/tickets/` as a supervisor and as an
   agent of one queue: p50/p95 over `--repeat` requests after two warm-ups, through Django's test client.
Results go to bench/results/sla-<timestamp>.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchdb  # noqa: E402

DB = "helpdesk_bench_sla"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"

FILL = """
WITH types AS (SELECT id, queue_id, row_number() OVER (ORDER BY id) - 1 AS n FROM tickets_problemtype),
     ntypes AS (SELECT count(*) AS c FROM tickets_problemtype)
INSERT INTO tickets_ticket (id, reference, language, status, priority, customer_email, customer_uid, customer_tier,
    subject, fields, tracking_token_hash, created_at, updated_at, problem_type_id, queue_id, secrets_removed,
    customer_name, escalation_level, version, sla_stale, sla_due_at, sla_warn_at)
SELECT i, 'HD-B' || lpad(i::text, 7, '0'),
    CASE WHEN i % 3 = 0 THEN 'en' ELSE 'zh-hans' END,
    CASE WHEN i <= %(open)s THEN (ARRAY['new', 'open', 'pending', 'on_hold'])[1 + i % 4]
         ELSE (ARRAY['solved', 'closed', 'closed'])[1 + i % 3] END,
    (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + i % 5],
    'customer' || i || '@example.com', (100000 + i)::text, CASE WHEN i % 20 = 0 THEN 'vip' ELSE 'standard' END,
    'USDT deposit not credited ' || i, '{"coin": "USDT", "network": "TRC20"}'::jsonb,
    md5(i::text) || md5('t' || i::text),
    now() - make_interval(mins => (CASE WHEN i <= %(breaches)s THEN 90 + i % 50
                                       WHEN i <= %(open)s THEN i % 600
                                       ELSE 1440 + (i::bigint * 7919) % 525600 END)::int),
    now(), t.id, t.queue_id, '[]'::jsonb, '', 0, 0, false, NULL, NULL
FROM generate_series(1, %(tickets)s) AS i
JOIN ntypes ON true
JOIN types t ON t.n = i % ntypes.c;

INSERT INTO tickets_ticketevent (ticket_id, kind, data, created_at)
SELECT id, 'opened', '{}'::jsonb, created_at FROM tickets_ticket;
INSERT INTO tickets_message (ticket_id, kind, author, body, created_at, secrets_removed, submission_hash)
SELECT id, 'public', 'customer', 'I sent USDT on TRC20 and it has not arrived.', created_at, '[]'::jsonb, ''
FROM tickets_ticket;

-- Open tickets: a running first-response clock (the breaches are due in the past hour, the rest days ahead)
-- and a running resolution clock; done tickets: both fulfilled.
INSERT INTO tickets_slaclock (ticket_id, metric, cycle, policy_id, state, target_seconds, started_at, due_at,
    fulfilled_at, warn_at, warned_at, breached_at, escalated_level, next_check_at, explanation)
SELECT t.id, 'first_response', 0, %(policy)s,
    CASE WHEN t.id <= %(open)s THEN 'running' ELSE 'fulfilled' END, 3600, t.created_at,
    CASE WHEN t.id <= %(breaches)s THEN now() - make_interval(mins => (1 + t.id % 55)::int)
         WHEN t.id <= %(open)s THEN now() + make_interval(mins => (2880 + t.id % 10000)::int)
         ELSE t.created_at + interval '1 hour' END,
    CASE WHEN t.id > %(open)s THEN t.created_at + interval '30 minutes' END,
    NULL, NULL, NULL, 0,
    CASE WHEN t.id <= %(breaches)s THEN now() - make_interval(mins => (1 + t.id % 55)::int)
         WHEN t.id <= %(open)s THEN now() + make_interval(mins => (2880 + t.id % 10000)::int) END,
    '{}'::jsonb
FROM tickets_ticket t;
INSERT INTO tickets_slaclock (ticket_id, metric, cycle, policy_id, state, target_seconds, started_at, due_at,
    fulfilled_at, escalated_level, next_check_at, explanation)
SELECT t.id, 'resolution', 0, %(policy)s,
    CASE WHEN t.id <= %(open)s THEN 'running' ELSE 'fulfilled' END, 172800, t.created_at,
    t.created_at + interval '30 days',
    CASE WHEN t.id > %(open)s THEN t.created_at + interval '5 hours' END,
    0, CASE WHEN t.id <= %(open)s THEN t.created_at + interval '30 days' END, '{}'::jsonb
FROM tickets_ticket t;

UPDATE tickets_ticket t SET sla_due_at = c.due_at
FROM tickets_slaclock c WHERE c.ticket_id = t.id AND c.metric = 'first_response' AND c.state = 'running';
SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %(tickets)s + 1, false);
"""


def build(args):
    benchdb.psql(f"DROP DATABASE IF EXISTS {DB}")
    benchdb.psql(f"CREATE DATABASE {DB} TEMPLATE template0 ENCODING 'UTF8'")
    benchmark_env = benchdb.env(URL)
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([benchdb.PYTHON, "manage.py", *command], cwd=benchdb.ROOT, env=benchmark_env, check=True)
    policy = benchdb.psql("SELECT id FROM tickets_slapolicy WHERE name = 'Standard'", DB)
    started = time.monotonic()
    params = {"tickets": args.tickets, "open": args.open, "breaches": args.breaches, "policy": policy}
    script = FILL
    for name, value in params.items():
        script = script.replace(f"%({name})s", str(value))
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-q", "-v", "ON_ERROR_STOP=1", "-c", script],
        check=True,
    )
    benchdb.psql("VACUUM ANALYZE", DB)
    return time.monotonic() - started


def measure(args):
    os.environ.update(benchdb.env(URL), DJANGO_SETTINGS_MODULE="helpdesk.settings")
    sys.path.insert(0, str(benchdb.ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from tickets.models import Queue, Ticket, TicketEvent
    from tickets.sweep import sweep

    User = get_user_model()
    boss = User.objects.create_user("bench-boss", "boss@example.com", "pw", is_staff=True)
    boss.groups.add(Group.objects.get(name="Supervisor"))
    agent = User.objects.create_user("bench-agent", "agent@example.com", "pw", is_staff=True)
    agent.groups.add(Group.objects.get(name="Agent"))
    payments = Queue.objects.get(slug="payments")
    payments.members.add(agent)

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        started = time.monotonic()
        result = sweep()
        swept = time.monotonic() - started
    breached = TicketEvent.objects.filter(kind="sla_breached")
    distinct = breached.values("ticket_id").distinct().count()
    again = sweep()
    checks = {
        "breaches recorded": result.breached,
        "escalations applied": result.escalated,
        "sla_breached events": breached.count(),
        "tickets with a breach": distinct,
        "second sweep (warned, breached, escalated, recomputed)": str(
            (again.warned, again.breached, again.escalated, again.recomputed)
        ),
        "open tickets": Ticket.objects.open().count(),
    }

    def timed(user, path, headers=None):
        client = Client(SERVER_NAME="127.0.0.1", **(headers or {}))
        client.force_login(user)
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(args.repeat):
            begin = time.monotonic()
            response = client.get(path)
            times.append((time.monotonic() - begin) * 1000)
            assert response.status_code == 200
        times.sort()
        return statistics.median(times), times[int(len(times) * 0.95) - 1]

    pages = {
        "admin list, supervisor": (boss, "/admin/tickets/ticket/"),
        "admin list, supervisor, at risk": (boss, "/admin/tickets/ticket/?sla=at_risk"),
        "admin list, agent of payments": (agent, "/admin/tickets/ticket/"),
        "staff API list, supervisor": (boss, "/api/v1/staff/tickets/"),
        "staff API list, agent of payments": (agent, "/api/v1/staff/tickets/"),
        "staff API list, supervisor, breached by due": (
            boss,
            "/api/v1/staff/tickets/?sla=breached&ordering=sla_due_at",
        ),
    }
    lists = {name: timed(user, path) for name, (user, path) in pages.items()}
    return swept, len(queries), checks, lists


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--breaches", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    benchdb.log(f"[sla] building {args.tickets:,} tickets ({args.open:,} open, {args.breaches:,} due breaches)")
    built = build(args)
    benchdb.log(f"[sla] built in {built:.0f}s; sweeping and timing")
    swept, queries, checks, lists = measure(args)
    lines = [
        f"# SLA sweep and desk lists, {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"`.venv/bin/python bench/sla.py --tickets {args.tickets} --open {args.open} --breaches {args.breaches} "
        f"--repeat {args.repeat}` on PostgreSQL ({DB}), production settings; data built in {built:.0f} s.",
        "",
        f"- sweep: **{swept:.2f} s**, {queries} queries",
        *[f"- {name}: {value:,}" if isinstance(value, int) else f"- {name}: {value}" for name, value in checks.items()],
        "",
        "| list | p50 ms | p95 ms |",
        "|---|---|---|",
        *[f"| {name} | {p50:.0f} | {p95:.0f} |" for name, (p50, p95) in lists.items()],
    ]
    text = "\n".join(lines) + "\n"
    benchdb.write_result("sla", text)


if __name__ == "__main__":
    main()
