"""A customer's whole journey on a phone, in Chinese: file a deposit ticket with a screenshot, follow the emailed
link in a fresh browser, reply, then rate the solved ticket from the solved email. Emails go through the real task
worker to Django's console backend and are read back from what it printed."""

import email
import io
import os
import re
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, fill_deposit
from tests.tickets.factories import make_problem_type
from tickets import actions
from tickets.models import Attachment, Message, Rating, Ticket

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp"))
CONSOLE_SEPARATOR = "-" * 79


@pytest.fixture
def desk(settings, live_server):
    call_command("load_demo_content", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    settings.SITE_URL = live_server.url
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def printed_emails(capsys):
    """The messages the console backend printed since the last call, parsed as the recipient's mail reader would."""
    out = capsys.readouterr().out
    messages = []
    for chunk in out.split(CONSOLE_SEPARATOR):
        chunk = chunk.strip("\n")
        if "Subject: " in chunk:
            message = email.message_from_string(chunk, policy=policy.default)
            messages.append((message["To"], message["Subject"], message.get_body(("plain",)).get_content()))
    return messages


def link_in(text, part):
    found = re.search(rf"https?://[^\s]+{re.escape(part)}[^\s]*", text)
    assert found, f"no link with {part} in:\n{text}"
    return urlsplit(found.group())


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_a_customer_files_with_a_screenshot_follows_the_emailed_link_replies_and_rates(
    pages, desk, run_worker, capsys, tmp_path, django_user_model
):
    # 1. The form: the subject as people write it brings up the right article while it is typed.
    page = pages.open("/zh-hans/tickets/new/deposit/", **PHONE)
    page.locator("input[name=subject]").press_sequentially("USDT充值两个小时了还没到账", delay=20)
    suggestions = page.locator("[data-ticket-suggestions]")
    expect(suggestions).to_be_visible()
    expect(suggestions.locator("a").first).to_contain_text("充值一直没到账")
    fill_deposit(
        page, email="carol@example.com", description="两个小时前从钱包转入 500 USDT（TRC20），交易所还没到账。"
    )
    shot = tmp_path / "提币记录.png"
    Image.new("RGB", (390, 844), (240, 185, 11)).save(shot, "PNG")
    page.locator("input[name=attachments]").set_input_files(str(shot))
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "journey-1-form.png"), full_page=True)
    page.locator("form.ticket-form button[type=submit]").tap()

    # 2. The confirmation: reference, the screenshot on the ticket, the articles again, nothing cut off.
    page.wait_for_url(re.compile(r".*/zh-hans/tickets/HD-[A-Z0-9]{8}/\?new=1$"))
    ticket = Ticket.objects.get()
    expect(page.locator("body")).to_contain_text(ticket.reference)
    expect(page.locator(".message-files a")).to_contain_text("提币记录.png")
    expect(page.locator(".self-service-list a").first).to_contain_text("充值一直没到账")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "journey-2-confirmation.png"), full_page=True)
    assert Attachment.objects.get().ticket == ticket

    # 3. The confirmation email, sent by the task worker, carries the reference and the private link.
    run_worker()
    [(to, subject, body)] = printed_emails(capsys)
    assert to == "carol@example.com" and ticket.reference in subject
    tracking = link_in(body, "/zh-hans/tickets/t/")

    # 4. The link opens the ticket in another browser (say, the phone's mail app); the customer replies there.
    phone = pages.open(tracking.path, **PHONE)
    phone.wait_for_url(f"**/zh-hans/tickets/{ticket.reference}/")
    expect(phone.locator(".message-files a")).to_contain_text("提币记录.png")
    phone.locator("textarea[name=body]").fill("区块浏览器显示已经有 30 个确认了。")
    phone.locator("form.reply-form button[type=submit]").tap()
    expect(phone.locator("body")).to_contain_text("区块浏览器显示已经有 30 个确认了。")
    assert ticket.messages.filter(author=Message.Author.CUSTOMER).count() == 2

    # 5. An agent answers and solves it; the solved email carries one rating link per score.
    agent = django_user_model.objects.create_user("ana", "ana@example.com", is_staff=True)  # no groups: flushed
    actions.add_agent_reply(ticket=ticket, author=agent, body="已为您补充入账，请查收。", status=Ticket.Status.SOLVED)
    run_worker()
    emails = printed_emails(capsys)
    solved = next(body for _to, _subject, body in emails if "/rate/" in body)
    rate = link_in(solved, "score=5")

    # 6. Rating: opening the link records nothing; the button records the score and the comment.
    phone.goto(f"{rate.path}?{rate.query}")
    expect(phone.locator("input[name=score][value='5']")).to_be_checked()
    assert not Rating.objects.exists()
    phone.locator("textarea[name=comment]").fill("处理很快，谢谢")
    assert no_sideways_scroll(phone)
    phone.locator("form.rating-form button[type=submit]").tap()
    expect(phone.locator(".rating-thanks")).to_contain_text("5")
    phone.screenshot(path=str(SHOTS / "journey-3-rated.png"), full_page=True)
    rating = Rating.objects.get()
    assert (rating.ticket, rating.score, rating.comment) == (ticket, 5, "处理很快，谢谢")
