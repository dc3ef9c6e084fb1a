"""Instructions the web process spends per ticket submission: a figure that does not move with the machine's speed.

    .venv/bin/python bench/instructions.py [--customers 5] [--target form|api]

The CPU time per submission under granian (bench/tickets.py) moved by half from one day to the next with the same
code on this shared machine. valgrind's callgrind counts executed instructions instead: the same code and inputs
give the same count (within 0.2 %, under one fixed hash seed), whatever else runs. So a change to the submission
path is judged here, and its effect on the rate is then checked with bench/tickets.py.

1. The database of bench/tickets.py is prepared as that script does (created, migrated, emptied; Redis db 7
   flushed), with the same production settings.
2. Two child processes run under `valgrind --tool=callgrind`, side by side: each imports the project, serves one
   warm-up customer (form: GET, then 3 POSTs), then `k` customers who each load the form once and send 10
   submissions, exactly what bench/tickets.py's simulated customers send, through the WSGI application in-process
   (no server, no HTTP parsing). One child has k = 1, the other k = 1 + `--customers`; the difference of their
   totals is the cost of `--customers` × 10 submissions, the form's GET included once per 10 as in bench/tickets.py.
   `--target api` sends the same submissions as JSON to the public API with an Idempotency-Key (no GET).
3. Every answer is checked (303 to the new ticket, or 201); a child that gets anything else fails the run.

PostgreSQL's and Redis's own instructions are not counted (they run in their own processes): bench/tickets.py
reports PostgreSQL's CPU, and the statements per submission are asserted in tests/tickets/test_submission_cost.py.
Results go to bench/results/instructions-<timestamp>.md.
"""

import argparse
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import benchdb  # noqa: E402

PER_CUSTOMER = 10


def bench_tickets():
    """bench/tickets.py as a module (its plain name is the project's `tickets` app)."""
    spec = importlib.util.spec_from_file_location("bench_tickets", BENCH / "tickets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the child: the project's WSGI application called in-process --------------------------------------------------


def call(application, method, path, *, address, cookies, body=b"", headers=()):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8106",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8106",
        "REMOTE_ADDR": address,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), response_headers

    chunks = application(environ, start_response)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    for name, value in answer["headers"]:
        if name.lower() == "set-cookie":
            cookie, _, _ = value.partition(";")
            cookie_name, _, cookie_value = cookie.partition("=")
            cookies[cookie_name.strip()] = cookie_value.strip()
    return answer["status"], dict(answer["headers"]), content


def customer(application, bt, target, n, address, submissions):
    cookies, language = {}, "zh-hans" if n % 3 else "en"
    path = f"/{language}/tickets/new/{bt.TYPE}/"
    token = None
    if target == "form":
        status, _headers, content = call(application, "GET", path, address=address, cookies=cookies)
        match = bt.CSRF_INPUT.search(content)
        if status != 200 or not match:
            raise SystemExit(f"the form answered {status} without a CSRF token")
        token = match.group(1).decode()
    for i in range(submissions):
        values = bt.submission(n * PER_CUSTOMER + i, language)
        if target == "form":
            status, headers, content = call(
                application, "POST", path, address=address, cookies=cookies, body=bt.FormTarget.body(token, values),
                headers=[("Content-Type", "application/x-www-form-urlencoded")],
            )  # fmt: skip
            ok = status == 303 and bt.TICKET_PATH.match(headers.get("Location", ""))
        else:
            status, _headers, content = call(
                application, "POST", "/api/v1/tickets/", address=address, cookies=cookies,
                body=bt.ApiTarget.body(values, language),
                headers=[("Content-Type", "application/json"), ("Idempotency-Key", values["submission"])],
            )  # fmt: skip
            ok = status == 201
        if not ok:
            raise SystemExit(f"a submission answered {status}: {content[:300]!r}")


def child(target, customers, network):
    """Serve one warm-up customer, then `customers` customers of 10 submissions, from addresses 127.<network>.x.y."""
    bt = bench_tickets()
    sys.path[:] = [str(benchdb.ROOT), *(entry for entry in sys.path if entry != str(BENCH))]  # the project's apps
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from helpdesk.wsgi import application

    customer(application, bt, target, 0, f"127.{network}.0.1", 3)
    for k in range(customers):
        customer(application, bt, target, k + 1, f"127.{network}.{1 + k // 250}.{k % 250 + 1}", PER_CUSTOMER)
    print(json.dumps({"customers": customers}))


# --- the parent: prepare, run both children under callgrind, report ------------------------------------------------


def counted(bt, target, customers, network):
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        benchdb.PYTHON, str(Path(__file__).resolve()), "--child", str(customers), "--network", str(network),
        "--target", target,
    ]  # fmt: skip
    # One hash seed for every run: with random seeds, set and dict orders (and so the work done) differ by about 1 %.
    env = benchdb.env(bt.URL, REDIS_URL=bt.REDIS_URL, PYTHONHASHSEED="0")
    return subprocess.Popen(command, cwd=benchdb.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def instructions(process):
    out, err = process.communicate()
    if process.returncode:
        raise SystemExit(f"a counted run failed ({process.returncode}):\n{err.decode()[-3000:]}")
    match = re.search(r"Collected : (\d+)", err.decode())
    if not match:
        raise SystemExit("callgrind printed no instruction count")
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5, help="customers of 10 submissions counted")
    parser.add_argument("--target", choices=("form", "api"), default="form")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--network", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.target, args.child, args.network)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install -y valgrind")
    bt = bench_tickets()
    benchdb.log(f"[instructions] preparing {bt.DB}")
    bt.prepare()
    benchdb.log(f"[instructions] counting {args.target}: 1 and {1 + args.customers} customers under callgrind")
    note = benchdb.machine_note()
    base, more = counted(bt, args.target, 1, 20), counted(bt, args.target, 1 + args.customers, 21)
    base, more = instructions(base), instructions(more)
    submissions = args.customers * PER_CUSTOMER
    per_submission = (more - base) / submissions
    gets = ", the GET once per 10" if args.target == "form" else ""
    text = "\n".join(
        [
            f"# Instructions per ticket submission ({args.target}), {benchdb.stamp()}",
            "",
            note,
            "",
            "| figure | value |",
            "|---|---:|",
            f"| web process, 1 customer | {base:,} instructions |",
            f"| web process, {1 + args.customers} customers | {more:,} instructions |",
            f"| **per submission** ({submissions} submissions{gets}) | **{per_submission / 1e6:.2f} M instructions** |",
            "",
        ]
    )
    benchdb.write_result("instructions", text)


if __name__ == "__main__":
    main()
