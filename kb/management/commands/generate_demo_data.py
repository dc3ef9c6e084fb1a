"""Bulk-create synthetic help-center articles for load tests and demos."""

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kb.synthetic import generate_articles


class Command(BaseCommand):
    help = "Create N synthetic articles (gen-<n> slugs continue after the highest existing one)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, required=True, metavar="N", help="how many articles to create")
        parser.add_argument("--seed", type=int, help="same seed, same articles")
        parser.add_argument("--batch", type=int, default=2000, help="articles per transaction")
        parser.add_argument(
            "--workers", type=int, default=min(4, os.cpu_count() or 1), help="processes rendering Markdown"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, articles, seed, batch, workers, quiet, **options):
        if articles < 0 or batch < 1:
            raise CommandError("--articles must be 0 or more and --batch at least 1")
        started = time.monotonic()
        with tqdm(total=articles, unit=" articles", file=sys.stderr, disable=quiet or None) as bar:
            made = generate_articles(articles, seed=seed, batch_size=batch, workers=workers, progress=bar.update)
        self.stdout.write(f"created {made} articles in {time.monotonic() - started:.1f}s")
