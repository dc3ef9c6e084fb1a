"""Load the shipped demo content (categories, articles, announcements); running it again changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.transfer import DemoError, load_demo_content

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load demo categories, sections, articles and announcements from kb/demo/ (or --dir)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=DEMO_DIR, help="directory holding the demo files")

    def handle(self, *args, dir, **options):
        try:
            result = load_demo_content(dir)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        for name in result.missing:
            self.stderr.write(f"{name} not found in {dir}: skipped")
        for error in result.errors:
            self.stderr.write(error)
        articles = result.articles
        rows = [
            ("categories", result.categories),
            ("sections", result.sections),
            ("articles", {"created": articles.created, "updated": articles.updated, "unchanged": articles.unchanged,
                          "skipped": articles.skipped}),
            ("announcements", result.announcements),
        ]  # fmt: skip
        for name, counts in rows:
            states = ("created", "updated", "unchanged", "skipped")
            self.stdout.write(f"{name}: " + ", ".join(f"{state} {counts.get(state, 0)}" for state in states))
