"""`create_demo_staff`: one account per staff role, sign-in details printed, and nothing changed on a second run."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from kb.management.commands import create_demo_staff
from tickets.models import Queue

pytestmark = pytest.mark.django_db


def test_every_role_gets_an_account_and_the_agent_works_the_payments_queue(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(create_demo_staff, "CREDENTIALS", tmp_path / "credentials")
    call_command("create_demo_staff")
    printed = capsys.readouterr().out
    users = {user.username: user for user in get_user_model().objects.prefetch_related("groups")}
    assert {name: [g.name for g in user.groups.all()] for name, user in users.items()} == {
        "admin": [], "editor": ["KB editor"], "publisher": ["KB publisher"], "agent": ["Agent"],
        "supervisor": ["Supervisor"],
    }  # fmt: skip
    assert users["admin"].is_superuser and all(user.is_staff for user in users.values())
    assert list(Queue.objects.get(slug="payments").members.all()) == [users["agent"]]
    password = dict(line.split(" ", 1) for line in (tmp_path / "credentials").read_text().splitlines())["agent"]
    assert users["agent"].check_password(password) and password in printed
    call_command("create_demo_staff")
    assert get_user_model().objects.count() == 5 and password in capsys.readouterr().out
