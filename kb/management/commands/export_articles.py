"""Export help-center articles as JSON lines, in the format `import_articles` reads."""

import io
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from helpdesk.i18n import language_codes
from kb.models import Article
from kb.transfer import articles_for_export, export_articles


class Command(BaseCommand):
    help = "Export articles to a JSON-lines file (- for stdout), ordered by id."

    def add_arguments(self, parser):
        parser.add_argument("file", help="output file; - writes to stdout")
        parser.add_argument("--language", choices=language_codes())
        parser.add_argument("--status", choices=Article.Status.values)
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, file, language, status, quiet, **options):
        articles = articles_for_export(language=language, status=status)
        bar = tqdm(total=articles.count(), unit=" articles", file=sys.stderr, disable=quiet or None)
        rows = (bar.update(1) or article for article in articles.iterator(chunk_size=1000))
        try:
            if file == "-":
                count = self._to_stdout(rows)
            else:
                with open(file, "w", encoding="utf-8", newline="\n") as out:
                    count = export_articles(out, rows)
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc}") from None
        finally:
            bar.close()
        (self.stderr if file == "-" else self.stdout).write(f"exported {count} articles")

    def _to_stdout(self, rows):
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is None:  # a text stream given by the caller, e.g. call_command(stdout=StringIO())
            return export_articles(self.stdout, rows)
        self.stdout.flush()
        out = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n")
        try:
            return export_articles(out, rows)
        finally:
            out.flush()
            out.detach()
