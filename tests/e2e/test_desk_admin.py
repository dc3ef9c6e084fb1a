"""The agent desk in a real browser: filter to at-risk tickets, open one, insert a canned reply, send it, escalate."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from tests.test_staff_login import PASSWORD
from tests.tickets.factories import make_policy, make_problem_type, make_queue, open_ticket
from tickets.models import CannedReply, Message, Ticket

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/desk-shots")
AGENT = ["view_ticket", "change_ticket", "view_cannedreply", "view_queue"]


@pytest.fixture
def desk(django_user_model):
    # Permissions given directly: browser tests flush the database, and with it the groups migrations create.
    agent = django_user_model.objects.create_user(
        "ana", "ana@example.com", PASSWORD, is_staff=True, first_name="Ana", last_name="Agent"
    )
    agent.user_permissions.add(*Permission.objects.filter(content_type__app_label="tickets", codename__in=AGENT))
    payments = make_queue(slug="desk-payments", name="Payments")
    payments.members.add(agent)
    deposits = make_problem_type(queue=payments, names={"zh-hans": "充值未到账", "en": "Deposit not credited"})
    make_policy(
        {("first_response", p): 30 for p in ("low", "normal", "high", "urgent")},
        name="Payments",
        warn_before_minutes=10,
    )
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=22), tick=False):  # 8 minutes left of 30: at risk
        at_risk, _token = open_ticket(
            deposits, email="vip@example.com", subject="USDT deposit not credited", language="en",
            description="I sent 500 USDT six hours ago. My seed words are not needed, right?",
        )  # fmt: skip
    Ticket.objects.filter(pk=at_risk.pk).update(customer_tier=Ticket.Tier.VIP, customer_name="Vera")
    calm, _token = open_ticket(deposits, subject="Question about fees", language="en")
    foreign, _token = open_ticket(make_problem_type(), subject="Another queue's ticket", language="en")
    Message.objects.create(
        ticket=at_risk, kind=Message.Kind.INTERNAL, author=Message.Author.AGENT, author_user=agent,
        body="Checked the chain: 3 confirmations so far.",
    )  # fmt: skip
    CannedReply.objects.create(
        title="Deposit is confirming", queue=payments,
        body="Hello {customer_name}, your deposit for {reference} is confirming on the network. — {agent_name}",
    )  # fmt: skip
    return {"agent": agent, "at_risk": at_risk, "calm": calm, "foreign": foreign}


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_agent_filters_to_at_risk_opens_one_inserts_a_canned_reply_sends_it_and_escalates(
    pages, desk, django_user_model
):
    ticket = desk["at_risk"]
    page = pages.open(extra_http_headers={"accept-language": "en"}, viewport={"width": 1400, "height": 900})
    page.clock.install()  # the page's own clock, so the countdown can be watched moving on
    page.goto("/admin/login/?next=/admin/tickets/ticket/")
    page.locator("input[name=username]").fill("ana")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("#login-form input[type=submit]").click()
    page.wait_for_url("**/admin/tickets/ticket/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)  # the other queue's ticket is not listed
    expect(page.locator("#result_list")).not_to_contain_text("Another queue's ticket")
    expect(rows.first.locator(".desk-sla-risk")).to_have_text("in 8 m")
    expect(rows.first.locator(".desk-badge-vip")).to_be_visible()
    _shot(page, "1-ticket-list")
    page.clock.run_for("08:30")  # the script's 30-second tick, no reload: the at-risk ticket is now overdue
    expect(rows.first.locator(".desk-sla-breached")).to_have_text("1 m overdue")
    page.reload()

    page.locator("#changelist-filter a", has_text="At risk").click()
    page.wait_for_url("**sla=at_risk**")
    expect(rows).to_have_count(1)
    _shot(page, "2-at-risk")
    rows.first.locator("th a", has_text=ticket.reference).click()
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{ticket.pk}/change/"))
    expect(page.locator(".desk-head h1")).to_have_text("USDT deposit not credited")
    expect(page.locator(".desk-message-internal")).to_contain_text("3 confirmations")
    expect(page.locator(".desk-clocks")).to_contain_text("Payments policy, normal first response 30 business minutes")
    _shot(page, "3-ticket-page")

    page.locator("select[name=canned]").select_option(label="Deposit is confirming")
    page.locator("[data-canned-insert]").click()
    reply = page.locator("textarea[name=reply]")
    expect(reply).to_have_value(
        f"Hello Vera, your deposit for {ticket.reference} is confirming on the network. — Ana Agent"
    )
    assert not page.locator(".messagelist").count()  # inserted by the script: no round trip, no message
    reply.press("End")
    reply.press_sequentially(" Thank you for waiting.")
    _shot(page, "4-canned-reply-inserted")
    page.locator("button[name=do][value=reply]").click()
    expect(page.locator(".messagelist")).to_contain_text("Your reply was sent to vip@example.com.")
    expect(page.locator(".desk-message-public.desk-author-agent")).to_contain_text("Thank you for waiting.")
    expect(reply).to_have_value("")
    assert ticket.messages.filter(author=Message.Author.AGENT, kind=Message.Kind.PUBLIC).count() == 1

    page.locator("textarea[name=escalate_reason]").fill("Large VIP deposit, needs the chain team.")
    page.locator("button[name=do][value=escalate]").click()
    expect(page.locator(".messagelist")).to_contain_text("The ticket was escalated to level 1.")
    expect(page.locator(".desk-log")).to_contain_text("Escalated to level 1. Reason: Large VIP deposit")
    _shot(page, "5-escalated")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and ticket.status == Ticket.Status.OPEN

    # A supervisor sees it on the dashboard: two open payments tickets, and the reply met its first-response target.
    boss = django_user_model.objects.create_user("boss", "boss@example.com", PASSWORD, is_staff=True)
    boss.user_permissions.add(Permission.objects.get(codename="view_all_queues"))
    board = pages.open(locale="en-US", extra_http_headers={"Accept-Language": "en"})
    board.goto("/admin/login/?next=/admin/tickets/dashboard/")
    board.locator("input[name=username]").fill("boss")
    board.locator("input[name=password]").fill(PASSWORD)
    board.locator("#login-form input[type=submit]").click()
    expect(board.locator("h1")).to_have_text("Supervisors' dashboard")
    named = board.locator("th", has_text=re.compile(r"^\s*Payments\s*$"))
    expect(board.locator("#backlog tbody tr").filter(has=named).locator("strong")).to_have_text("2")
    expect(board.locator("#attainment tbody tr").filter(has=named).first).to_contain_text("100.0% 1 of 1")
    _shot(board, "6-supervisor-dashboard")


def test_an_agent_sends_a_screenshot_with_a_reply_and_the_customer_downloads_it_on_a_phone(pages, desk, tmp_path):
    from PIL import Image

    from tests.tickets.test_attachment_flow import png

    ticket, token = open_ticket(desk["calm"].problem_type, subject="Fee for USDT withdrawals", language="en")
    (tmp_path / "where-to-find-the-fee.png").write_bytes(png(size=(320, 200)))
    (tmp_path / "internal-check.png").write_bytes(png(size=(320, 200)))

    page = pages.open(extra_http_headers={"accept-language": "en"}, viewport={"width": 1400, "height": 900})
    page.goto(f"/admin/login/?next=/admin/tickets/ticket/{ticket.pk}/change/")
    page.locator("input[name=username]").fill("ana")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("#login-form input[type=submit]").click()
    page.wait_for_url(f"**/admin/tickets/ticket/{ticket.pk}/change/")
    page.locator("textarea[name=note]").fill("Checked the fee schedule.")
    page.locator("input[name=note_files]").set_input_files(str(tmp_path / "internal-check.png"))
    page.locator("button[value=note]").click()
    expect(page.locator(".messagelist")).to_contain_text("Your internal note was added.")
    page.locator("textarea[name=reply]").fill("The fee is shown here, see the picture.")
    page.locator("input[name=reply_files]").set_input_files(str(tmp_path / "where-to-find-the-fee.png"))
    _shot(page, "5-reply-with-a-file")
    page.locator("button[value=reply]").click()
    expect(page.locator(".messagelist")).to_contain_text("Your reply was sent to")
    expect(page.locator("body")).to_contain_text("where-to-find-the-fee.png")
    expect(page.locator("body")).to_contain_text("internal-check.png")

    phone = pages.open(viewport={"width": 390, "height": 844}, extra_http_headers={"accept-language": "en"})
    phone.goto(f"/en/tickets/t/{token}/")
    expect(phone.locator("body")).to_contain_text("The fee is shown here, see the picture.")
    expect(phone.locator("body")).not_to_contain_text("internal-check.png")
    _shot(phone, "6-customer-sees-the-file")
    with phone.expect_download() as download:
        phone.get_by_text("where-to-find-the-fee.png").click()
    saved = tmp_path / "downloaded.png"
    download.value.save_as(saved)
    assert Image.open(saved).size == (320, 200)
