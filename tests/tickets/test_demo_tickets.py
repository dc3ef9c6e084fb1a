"""`load_demo_tickets`: a desk with something to work on from the first `make run`, created once."""

import pytest
from django.core.management import call_command

from kb.management.commands import create_demo_staff
from tickets.models import SLAClock, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_demo_tickets_come_answered_paused_solved_and_late_in_both_languages_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(create_demo_staff, "CREDENTIALS", tmp_path / "credentials")
    call_command("create_demo_staff")
    call_command("load_demo_tickets")
    tickets = Ticket.objects.all()
    assert tickets.count() == 7 and {t.language for t in tickets} == {"zh-hans", "en"}
    assert {"new", "open", "pending", "on_hold", "solved"} <= {t.status for t in tickets}
    assert tickets.filter(customer_tier="vip").count() == 2
    # The two oldest unanswered payment tickets are past their first-response target; the sweep recorded it.
    late = tickets.filter(escalation_level__gt=0)
    assert late.count() == 2 and all(t.queue.slug == "payments" for t in late)
    assert TicketEvent.objects.filter(kind="sla_breached").count() == 2
    assert SLAClock.objects.filter(state="paused").exists() and SLAClock.objects.filter(state="fulfilled").exists()
    assert "Created 7 demo tickets" in capsys.readouterr().out
    call_command("load_demo_tickets")
    assert Ticket.objects.count() == 7 and "nothing to do" in capsys.readouterr().out
