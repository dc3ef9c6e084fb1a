from django.core.management.base import BaseCommand
from tqdm import tqdm

from kb.models import Article
from kb.search import index


class Command(BaseCommand):
    help = "Recompute the search tokens of every article and the vocabulary (after changing the dictionary)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="Articles per batch (default 1000).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, batch, quiet, **options):
        with tqdm(total=Article.objects.count(), unit="article", disable=quiet, file=self.stderr) as bar:
            seen, changed, terms = index.rebuild(batch=batch, progress=bar.update)
        self.stdout.write(f"Indexed {seen} articles ({changed} changed); vocabulary of {terms} terms.")
