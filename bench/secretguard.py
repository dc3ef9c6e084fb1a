"""Cost of the secrets guard per text: it runs on every search query and on every text a customer sends.

    .venv/bin/python bench/secretguard.py               # 2,000 queries, every demo paragraph, 200 long descriptions

Inputs: short search queries (the relevance queries), every paragraph of the shipped demo content (both languages),
and 10,000-character ticket descriptions made of demo paragraphs with a seed phrase, a WIF and a password mixed in.
Each input is passed to `secretguard.redact` (what the forms and actions call); the table gives per-call latency
and throughput. Pure CPU in one process: no database.
"""

import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import base58  # noqa: E402
import django  # noqa: E402
from mnemonic import Mnemonic  # noqa: E402

django.setup()

from tickets import secretguard  # noqa: E402


def demo_paragraphs():
    paragraphs = []
    for name in ("articles.jsonl", "announcements.jsonl"):
        for line in (ROOT / "kb" / "demo" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            paragraphs += [row["title"], *(p for p in row["body"].split("\n\n") if p.strip())]
    return paragraphs


def queries():
    rows = (ROOT / "tests" / "kb" / "relevance_queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(row)["query"] for row in rows]


def descriptions(paragraphs, count, rng):
    secrets_ = [
        Mnemonic("english").generate(128),
        base58.b58encode_check(b"\x80" + secrets.token_bytes(32) + b"\x01").decode(),
        "my password is Vx93-kLmq!zz",
    ]
    texts = []
    for _ in range(count):
        text = []
        while sum(map(len, text)) < 10_000:
            text.append(rng.choice(paragraphs) if rng.random() > 0.02 else rng.choice(secrets_))
        texts.append("\n\n".join(text)[:10_000])
    return texts


def measure(name, texts, repeat=1):
    samples = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            secretguard.redact(text)
            samples.append(time.perf_counter() - start)
    samples.sort()
    chars = sum(map(len, texts)) * repeat
    p50, p95 = samples[len(samples) // 2], samples[int(len(samples) * 0.95)]
    rate = chars / sum(samples) / 1e6
    print(f"| {name} | {len(samples)} | {statistics.mean(map(len, texts)):,.0f} | {p50 * 1000:.3f} | "
          f"{p95 * 1000:.3f} | {samples[-1] * 1000:.2f} | {rate:.2f} |")  # fmt: skip


def main():
    rng = random.Random(1)
    paragraphs = demo_paragraphs()
    secretguard.redact("warm up the wordlists " * 3)
    print("| input | calls | mean chars | p50 ms | p95 ms | max ms | M chars/s |")
    print("|---|---|---|---|---|---|---|")
    measure("search queries", queries(), repeat=max(1, 2000 // len(queries())))
    measure("demo paragraphs", paragraphs)
    measure("10,000-char descriptions", descriptions(paragraphs, 200, rng))


if __name__ == "__main__":
    main()
