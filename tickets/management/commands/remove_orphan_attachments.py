"""Delete attachment files that no attachment row names (left by a rolled-back transaction or a deleted ticket)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from tickets import attachments


class Command(BaseCommand):
    help = "Delete stored attachment files without a row, older than --minutes (sla_sweep --loop does it hourly)."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=int(attachments.ORPHAN_AGE.total_seconds() // 60))

    def handle(self, *args, minutes, **options):
        if minutes < 1:
            raise CommandError(
                "--minutes must be at least 1: a younger file may belong to a transaction still running."
            )
        removed = attachments.remove_orphans(older_than=timedelta(minutes=minutes))
        self.stdout.write(f"removed {removed} attachment files without a row")
