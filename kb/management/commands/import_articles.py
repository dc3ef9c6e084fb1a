"""Import help-center articles from a JSON-lines file (see `kb.transfer.parse_article_line` for the format)."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kb.transfer import import_articles


class Command(BaseCommand):
    help = "Import articles from a JSON-lines file (- for stdin); idempotent on slug + language."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON-lines file, one article per line; - reads stdin")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, file, quiet, **options):
        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            total = None
            if stream.seekable():
                total = sum(1 for _line in stream)
                stream.seek(0)
            lines = tqdm(stream, total=total, unit=" lines", file=sys.stderr, disable=quiet or None)
            result = import_articles(lines)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        for number, reason in result.errors:
            self.stderr.write(f"line {number}: {reason}")
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
            f"skipped {result.skipped}"
        )
