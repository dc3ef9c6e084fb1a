"""Create the demo staff accounts (admin, editor, publisher, agent, supervisor) once and print how to sign in."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from tickets.models import Queue

CREDENTIALS = Path(settings.BASE_DIR) / ".demo-credentials"
ACCOUNTS = [("editor", "KB editor"), ("publisher", "KB publisher"), ("agent", "Agent"), ("supervisor", "Supervisor")]
AGENT_QUEUES = {"agent": ["payments"]}  # the demo agent works deposits and withdrawals


class Command(BaseCommand):
    help = "Create the demo staff accounts (superuser from DJANGO_SUPERUSER_* if set) and print their credentials."

    def handle(self, *args, **options):
        User = get_user_model()
        saved = (
            dict(line.split(" ", 1) for line in CREDENTIALS.read_text().splitlines()) if CREDENTIALS.exists() else {}
        )
        admin_name = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        admin_password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        wanted = [(admin_name, None, admin_password)] + [(name, group, None) for name, group in ACCOUNTS]
        lines = []
        for username, group, password in wanted:
            user = User.objects.filter(username=username).first()
            password = password or saved.get(username) or secrets.token_urlsafe(9)
            if user is None:
                user = User.objects.create_user(
                    username,
                    os.environ.get("DJANGO_SUPERUSER_EMAIL", f"{username}@example.com")
                    if group is None
                    else f"{username}@example.com",
                    password,
                    is_staff=True,
                    is_superuser=group is None,
                )
                if group:
                    user.groups.add(Group.objects.get(name=group))
                for queue in Queue.objects.filter(slug__in=AGENT_QUEUES.get(username, [])):
                    queue.members.add(user)
            elif not user.check_password(password):
                lines.append(
                    f"  {username:<10} (exists; password unchanged — reset with `manage.py changepassword {username}`)"
                )
                continue
            saved[username] = password
            lines.append(f"  {username:<10} {password}   ({group or 'superuser'})")
        CREDENTIALS.write_text("".join(f"{k} {v}\n" for k, v in saved.items()))
        self.stdout.write("Staff sign-in at /admin/:\n" + "\n".join(lines))
