"""Apply due SLA warnings, breaches and escalations: once, or every N seconds with --loop."""

import signal
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from tickets import attachments, notifications
from tickets.sweep import BATCH, sweep


class Command(BaseCommand):
    help = (
        "Apply due SLA warnings, breaches and escalation rules, and close solved tickets past their reopen window "
        "(idempotent; safe to run on several machines)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="Keep running, sweeping every SECONDS.")
        parser.add_argument("--batch", type=int, default=BATCH, help=f"Clocks per transaction (default {BATCH}).")

    def handle(self, *args, loop=None, batch=BATCH, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if loop is not None and loop <= 0:
            raise CommandError("--loop takes a number of seconds above 0.")
        if loop is None:
            self._report(sweep(batch=batch))
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_args: stop.set())
        self.stdout.write(f"Sweeping every {loop:g} s; stop with Ctrl-C.")
        orphans_due = time.monotonic()
        while not stop.is_set():
            close_old_connections()
            result = sweep(batch=batch)
            if result:
                self._report(result)
            # Emails whose worker died halfway wait for nobody: queue them again.
            if requeued := notifications.requeue_stalled():
                self.stdout.write(f"queued {requeued} stalled emails again")
            # Files a rolled-back transaction left behind: looked for once an hour, not on every sweep.
            if time.monotonic() >= orphans_due:
                orphans_due = time.monotonic() + attachments.ORPHAN_AGE.total_seconds()
                if removed := attachments.remove_orphans():
                    self.stdout.write(f"removed {removed} attachment files without a ticket")
            stop.wait(loop)

    def _report(self, result):
        self.stdout.write(
            f"warned {result.warned}, breached {result.breached}, escalated {result.escalated}, "
            f"recomputed {result.recomputed}, closed {result.closed}"
        )
