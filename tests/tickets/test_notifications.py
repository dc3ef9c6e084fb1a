"""Customer and staff emails, end to end: queued in the ticket's transaction, sent by the task worker to a real SMTP
server on the loopback interface, retried through outages and refusals, given up into the admin, sent again."""

import email
import json
import re
import socket
import zoneinfo
from datetime import UTC, datetime, timedelta
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.db.models import F
from django.tasks import TaskResultStatus
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult, get_date_max

from tests.tickets.factories import add_message, make_clock, make_problem_type, make_queue, open_ticket
from tests.tickets.test_attachment_flow import png_file
from tests.tickets.test_views import _count
from tickets import actions, attachments, notifications, reply_time, tasks
from tickets.models import Attachment, Message, OutgoingEmail, Ticket

pytestmark = pytest.mark.django_db

SITE_URL = "https://help.example.com"
QUEUE_ADDRESS = "payments@desk.example.com"
PHISHING_LINE = "We never ask for your password, codes, seed phrase or private key. Anyone who does is not us."
Status = OutgoingEmail.Status


class Inbox:
    """What the loopback server received; `refuse` makes it answer RCPT with that line (e.g. a 451)."""

    def __init__(self):
        self.messages = []
        self.refuse = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class MailServer:
    """An aiosmtpd server on 127.0.0.1 that can go down (connections refused) and come back on the same port."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller = None

    @property
    def messages(self):
        return self.inbox.messages

    def up(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self):
        self.controller.stop()
        self.controller = None


@pytest.fixture
def mail_server(settings):
    server = MailServer()
    server.up()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "use_tls": False, "timeout": 5},
        }
    }
    settings.SITE_URL = SITE_URL
    yield server
    if server.controller is not None:
        server.down()


def pass_time(minutes):
    """Let `minutes` go by for the task queue: every waiting task's run_after moves that much earlier."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lt=get_date_max()).update(
        run_after=F("run_after") - timedelta(minutes=minutes)
    )


def deposit_queue():
    return make_problem_type(queue=make_queue(email=QUEUE_ADDRESS))


def parts(message):
    """The plain-text and HTML bodies, with the wire's CRLF line ends read as newlines."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


def links(text):
    """Every URL in `text` (URL characters only, so Chinese punctuation after one ends it)."""
    return [link.rstrip(".,:;)") for link in re.findall(r"https?://[\w\-.~:/?#\[\]@!$&()*+,;=%]+", text, re.ASCII)]


def the_email(ticket, kind=OutgoingEmail.Kind.TICKET_OPENED):
    return OutgoingEmail.objects.get(ticket=ticket, kind=kind)


@pytest.mark.parametrize(
    "language,zone,header",
    [("en", "UTC", "We received your request"), ("zh-hans", "UTC+8", "我们已收到您的请求")],
)
def test_the_confirmation_email_has_the_reference_a_working_private_link_and_the_expected_reply(
    mail_server, run_worker, client, language, zone, header
):
    ticket, token = open_ticket(deposit_queue(), language=language, email="carol@example.com")
    due = (timezone.now() + timedelta(hours=2, minutes=1)).replace(second=0, microsecond=0)
    make_clock(ticket, due_at=due)
    run_worker()

    [message] = mail_server.messages
    text, html = parts(message)
    with translation.override(language):
        when = formats.date_format(timezone.localtime(due, reply_time.customer_zone(language)), "DATETIME_FORMAT")
        about = reply_time.about(timedelta(hours=2))
        phishing = gettext(PHISHING_LINE)
    assert message["To"] == "carol@example.com" and ticket.reference in message["Subject"]
    assert header in message["Subject"]
    assert email.utils.parseaddr(message["From"])[1] == QUEUE_ADDRESS
    assert message["Auto-Submitted"] == "auto-generated" and message["X-Auto-Response-Suppress"] == "All"
    assert message["Message-ID"] == notifications.thread_id(ticket)
    for part in (text, html):
        assert ticket.reference in part and when in part and f"({zone})" in part.replace("（", "(").replace("）", ")")
        assert about in part and phishing in part
    assert f"{SITE_URL}/{language}/tickets/t/{token}/" in text
    assert all(link.startswith(SITE_URL + "/") or link == SITE_URL for link in links(text) + links(html))
    page = client.get(urlsplit(links(text)[0]).path, follow=True)
    assert page.status_code == 200 and ticket.reference in page.content.decode()


def test_the_zh_hans_email_is_in_chinese_and_the_phishing_line_is_translated(mail_server, run_worker):
    open_ticket(deposit_queue(), language="zh-hans")
    run_worker()
    text, _html = parts(mail_server.messages[0])
    with translation.override("zh-hans"):
        assert gettext(PHISHING_LINE) != PHISHING_LINE and gettext(PHISHING_LINE) in text
    assert "我们" in text and PHISHING_LINE not in text


def test_the_confirmation_page_and_the_email_promise_the_same_reply_time(mail_server, run_worker, client):
    problem_type = deposit_queue()
    form = client.get(f"/en/tickets/new/{problem_type.slug}/").context["form"]
    data = {
        "email": "dave@example.com",
        "subject": "USDT deposit missing",
        "description": "Sent yesterday.",
        "submission": form["submission"].value(),
        "coin": "USDT",
        "network": "TRC20",
        "txid": "ab" * 32,
        "amount": "12.5",
        "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    }
    response = client.post(f"/en/tickets/new/{problem_type.slug}/", data)
    ticket = Ticket.objects.get()
    make_clock(ticket, due_at=timezone.now() + timedelta(minutes=90))
    page = client.get(response["Location"]).content.decode()
    promise = reply_time.first_reply(ticket, language="en").text
    assert promise in page and "dave@example.com" in page
    run_worker()
    text, html = parts(mail_server.messages[0])
    assert promise in text and promise in html


def test_the_tracking_page_promises_nothing_once_the_first_reply_is_overdue_or_given(client, customer):
    clock = make_clock(customer.ticket, due_at=timezone.now() + timedelta(hours=1))
    url = f"/en/tickets/{customer.ticket.reference}/"
    assert "We expect to reply by" in customer.client.get(url).content.decode()
    clock.due_at = timezone.now() - timedelta(minutes=1)
    clock.save()
    assert "We expect to reply by" not in customer.client.get(url).content.decode()
    clock.due_at, clock.state = timezone.now() + timedelta(hours=1), clock.State.FULFILLED
    clock.save()
    assert "We expect to reply by" not in customer.client.get(url).content.decode()


def test_a_rolled_back_transaction_sends_nothing(mail_server, run_worker):
    problem_type = deposit_queue()
    with transaction.atomic():
        open_ticket(problem_type)
        transaction.set_rollback(True)
    run_worker()
    assert mail_server.messages == []
    assert not OutgoingEmail.objects.exists() and not DBTaskResult.objects.exists()


def test_an_exception_after_queueing_sends_nothing(mail_server, run_worker):
    problem_type = deposit_queue()
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket, _token = open_ticket(problem_type)
        actions.change_status(ticket=ticket, status=Ticket.Status.SOLVED)
        raise RuntimeError("the caller failed after the emails were queued")
    run_worker()
    assert mail_server.messages == []
    assert not OutgoingEmail.objects.exists() and not DBTaskResult.objects.exists()


def test_no_table_holds_the_tracking_token_readable_and_the_sealed_copy_goes_once_sent(mail_server, run_worker):
    ticket, token = open_ticket(deposit_queue())
    stored = json.dumps([list(DBTaskResult.objects.values()), list(OutgoingEmail.objects.values())], default=str)
    assert token not in stored and ticket.reference not in json.dumps(list(DBTaskResult.objects.values("args_kwargs")))
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [], "kwargs": {}} and the_email(ticket).task_id == task.pk  # found by its id
    sealed = the_email(ticket).sealed_token
    assert notifications.unseal(sealed, reference=ticket.reference) == token
    assert notifications.unseal(sealed, reference="HD-OTHERONE") is None  # bound to its ticket
    run_worker()
    assert the_email(ticket).sealed_token == "" and the_email(ticket).status == Status.SENT


def test_a_task_queued_with_the_email_id_still_sends_its_email_and_only_while_it_is_current(mail_server, run_worker):
    ticket, _token = open_ticket(deposit_queue())
    email = the_email(ticket)
    DBTaskResult.objects.all().delete()
    older = tasks.send_email.enqueue(email.pk)  # as tasks were queued before they were found by their id
    OutgoingEmail.objects.filter(pk=email.pk).update(task_id=older.id)
    stranger = tasks.send_email.enqueue(email.pk)  # not the email's current task: leaves it alone
    run_worker()
    assert len(mail_server.messages) == 1 and the_email(ticket).status == Status.SENT
    assert {str(row.pk): row.return_value for row in DBTaskResult.objects.all()} == {
        str(older.id): "sent",
        str(stranger.id): "skipped",
    }


def test_a_token_sealed_before_a_key_rotation_still_opens_with_the_old_key_as_fallback(settings):
    sealed = notifications.seal("the-token", reference="HD-AAAAAAAA")
    old, settings.SECRET_KEY = settings.SECRET_KEY, "new-" + "y" * 50
    assert notifications.unseal(sealed, reference="HD-AAAAAAAA") is None
    settings.SECRET_KEY_FALLBACKS = [old]
    assert notifications.unseal(sealed, reference="HD-AAAAAAAA") == "the-token"
    assert notifications.unseal("not base64 at all!", reference="HD-AAAAAAAA") is None


def test_emails_queued_while_the_mail_server_is_down_are_each_sent_exactly_once_when_it_is_back(
    mail_server, run_worker
):
    mail_server.down()
    ticket, _token = open_ticket(deposit_queue(), language="en")
    reply = add_message(ticket, author=Message.Author.AGENT, body="We found your deposit.")
    notifications.agent_replied(reply)
    run_worker()
    emails = OutgoingEmail.objects.filter(ticket=ticket)
    assert {(e.status, e.attempts) for e in emails} == {(Status.RETRYING, 1)}
    assert all(e.last_error.startswith("ConnectionRefusedError") for e in emails)

    mail_server.up()
    run_worker()  # not due yet: nothing is tried before its time
    assert mail_server.messages == []
    pass_time(1)
    run_worker()
    pass_time(60)
    run_worker()
    subjects = sorted(message["Subject"] for message in mail_server.messages)
    assert len(subjects) == 2 and "New reply" in subjects[0] and "We received" in subjects[1]
    assert {(e.status, e.attempts) for e in emails.all()} == {(Status.SENT, 2)}


def test_a_4xx_answer_is_tried_again_after_a_doubling_wait_then_sent_once(mail_server, run_worker):
    mail_server.inbox.refuse = "451 4.3.0 Mailbox busy, try again later"
    ticket, _token = open_ticket(deposit_queue())
    waits = []
    for _attempt in range(3):
        run_worker()
        row = the_email(ticket)
        waits.append(row.next_attempt_at - row.updated_at)
        task = DBTaskResult.objects.get(pk=row.task_id)
        assert row.status == Status.RETRYING and task.run_after == row.next_attempt_at
        run_worker()  # the next attempt waits for its time
        assert the_email(ticket).attempts == row.attempts
        pass_time(waits[-1].total_seconds() / 60)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert "451" in the_email(ticket).last_error
    mail_server.inbox.refuse = None
    run_worker()
    run_worker()
    assert len(mail_server.messages) == 1 and the_email(ticket).status == Status.SENT


def test_the_waits_double_up_to_the_cap(settings):
    settings.EMAIL_RETRY_MAX_MINUTES = 60
    assert [tasks.retry_delay(n).total_seconds() / 60 for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_after_the_last_attempt_the_email_is_a_dead_letter_the_admin_shows_and_sends_again(
    mail_server, run_worker, client, supervisor, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    mail_server.inbox.refuse = "421 4.7.0 Too many connections"
    ticket, _token = open_ticket(deposit_queue())
    for _attempt in range(4):
        run_worker()
        pass_time(60)
    row = the_email(ticket)
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0
    assert DBTaskResult.objects.get(pk=row.task_id).status == TaskResultStatus.FAILED

    client.force_login(supervisor)
    page = client.get("/admin/tickets/outgoingemail/?status__exact=failed").content.decode()
    assert ticket.reference in page and "Given up" in page
    detail = client.get(f"/admin/tickets/outgoingemail/{row.pk}/change/").content.decode()
    assert "421" in detail and row.sealed_token not in detail

    mail_server.inbox.refuse = None
    response = client.post(
        "/admin/tickets/outgoingemail/", {"action": "send_again", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 email queued to be sent again." in response.content.decode()
    run_worker()
    assert len(mail_server.messages) == 1 and the_email(ticket).status == Status.SENT
    client.post("/admin/tickets/outgoingemail/", {"action": "send_again", "_selected_action": [row.pk]})
    run_worker()
    assert len(mail_server.messages) == 1  # a sent email is not sent again


def test_agents_cannot_see_the_outgoing_emails(client, agent_a):
    client.force_login(agent_a)
    assert client.get("/admin/tickets/outgoingemail/").status_code == 403


def test_a_permanent_refusal_is_given_up_at_once(mail_server, run_worker):
    mail_server.inbox.refuse = "550 5.1.1 No such user"
    ticket, _token = open_ticket(deposit_queue())
    run_worker()
    row = the_email(ticket)
    assert (row.status, row.attempts) == (Status.FAILED, 1) and "550" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_an_email_committed_before_a_crash_is_sent_by_the_worker_after_the_restart(mail_server, run_worker):
    ticket, _token = open_ticket(deposit_queue())  # committed: the process "crashes" before any worker runs
    connection.close()
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    run_worker()
    assert len(mail_server.messages) == 1 and the_email(ticket).status == Status.SENT


def test_an_email_whose_worker_died_is_queued_again_once_stalled(mail_server, run_worker):
    ticket, _token = open_ticket(deposit_queue())
    row = the_email(ticket)
    # A worker claimed the task and the email, then died before sending.
    DBTaskResult.objects.filter(pk=row.task_id).update(status=TaskResultStatus.RUNNING)
    OutgoingEmail.objects.filter(pk=row.pk).update(status=Status.SENDING, attempts=1)
    assert notifications.requeue_stalled(at=timezone.now()) == 0  # it may still be sending
    later = timezone.now() + timedelta(minutes=16)
    assert notifications.requeue_stalled(at=later) == 1
    run_worker()
    assert len(mail_server.messages) == 1 and the_email(ticket).status == Status.SENT
    assert notifications.requeue_stalled(at=later + timedelta(hours=1)) == 0


def test_an_older_task_of_an_email_sent_again_does_nothing(mail_server, run_worker):
    mail_server.inbox.refuse = "451 4.3.0 Try later"
    ticket, _token = open_ticket(deposit_queue())
    run_worker()
    mail_server.inbox.refuse = None
    assert notifications.send_again([the_email(ticket).pk]) == 1
    run_worker()
    pass_time(60)
    run_worker()  # the retry queued before "send again" runs now, and finds it is no longer the email's task
    assert len(mail_server.messages) == 1
    assert set(DBTaskResult.objects.values_list("return_value", flat=True)) == {"retrying", "sent", "skipped"}


def test_a_public_agent_reply_is_emailed_in_the_thread_with_the_clean_ticket_link_and_escaped_html(
    mail_server, run_worker
):
    ticket, _token = open_ticket(deposit_queue(), language="en")
    body = "Your deposit <b>arrived</b> & is credited.\nCheck your balance."
    notifications.agent_replied(add_message(ticket, author=Message.Author.AGENT, body=body))
    assert notifications.agent_replied(add_message(ticket, kind=Message.Kind.INTERNAL, body="internal")) is None
    assert notifications.agent_replied(add_message(ticket, author=Message.Author.CUSTOMER)) is None
    run_worker()
    first, reply = sorted(mail_server.messages, key=lambda message: "New reply" in message["Subject"])
    text, html = parts(reply)
    assert body in text and "internal" not in text
    assert "Your deposit &lt;b&gt;arrived&lt;/b&gt; &amp; is credited.<br>Check your balance." in html
    assert f"{SITE_URL}/en/tickets/{ticket.reference}/" in text and "/tickets/t/" not in text + html
    assert "use the private link from our first email" in text
    assert reply["In-Reply-To"] == reply["References"] == first["Message-ID"] != reply["Message-ID"]
    assert all(link.startswith(SITE_URL + "/") or link == SITE_URL for link in links(text) + links(html))


def test_the_confirmation_lists_the_files_sent_by_name_and_size_without_attaching_them(mail_server, run_worker):
    uploads = attachments.accept([png_file("deposit <b>proof & txid.png"), png_file("txid.png", size=(60, 40))])
    ticket, _token = open_ticket(deposit_queue(), language="en", attachments=uploads)
    add_message(ticket, author=Message.Author.CUSTOMER, body="one more thing")  # a later message's files are not its
    run_worker()
    [message] = mail_server.messages
    text, html = parts(message)
    stored = list(Attachment.objects.filter(ticket=ticket).order_by("pk"))
    sizes = [filesizeformat(file.size) for file in stored]
    assert "The files you sent with it" in text
    assert f"- deposit <b>proof & txid.png ({sizes[0]})\n- txid.png ({sizes[1]})\n\nYour private link" in text
    assert "deposit &lt;b&gt;proof &amp; txid.png" in html and "<b>proof" not in html and sizes[1] in html
    assert [part.get_content_type() for part in message.walk() if part.get_filename()] == []


def test_a_confirmation_or_reply_without_files_says_nothing_of_files(mail_server, run_worker):
    ticket, _token = open_ticket(deposit_queue(), language="zh-hans")
    notifications.agent_replied(add_message(ticket, author=Message.Author.AGENT, body="已到账"))
    run_worker()
    assert len(mail_server.messages) == 2
    for message in mail_server.messages:
        for part in parts(message):
            assert "文件" not in part and "KB" not in part


@pytest.mark.django_db(transaction=True)
def test_a_reply_with_files_lists_them_in_its_email(mail_server, run_worker):
    ticket, _token = open_ticket(deposit_queue(), language="zh-hans")
    with transaction.atomic():
        reply = add_message(ticket, author=Message.Author.AGENT, body="请看截图")
        attachments.store(ticket=ticket, message=reply, uploads=attachments.accept([png_file("步骤.png")]))
        notifications.agent_replied(reply)
    run_worker()
    reply_email = next(message for message in mail_server.messages if "步骤.png" in parts(message)[0])
    text, html = parts(reply_email)
    assert "本回复附带的文件" in text and "步骤.png" in html
    assert "步骤.png" not in parts(next(m for m in mail_server.messages if m is not reply_email))[0]


def test_solving_a_ticket_emails_the_customer_once(mail_server, run_worker):
    ticket, _token = open_ticket(deposit_queue(), language="zh-hans")
    actions.change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    actions.change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    run_worker()
    solved = [message for message in mail_server.messages if message["Message-ID"] != notifications.thread_id(ticket)]
    assert len(solved) == 1 and ticket.reference in solved[0]["Subject"]
    text, _html = parts(solved[0])
    assert f"{SITE_URL}/zh-hans/tickets/{ticket.reference}/" in text


def test_an_escalation_emails_each_staff_member_the_tickets_of_their_queues_with_admin_links(
    mail_server, run_worker, agent_a, agent_b, supervisor, queue_a, queue_b
):
    a = open_ticket(make_problem_type(queue=queue_a), subject="Withdrawal stuck A")[0]
    b = open_ticket(make_problem_type(queue=queue_b), subject="Withdrawal stuck B")[0]
    Ticket.objects.filter(pk=a.pk).update(sla_due_at=timezone.now() - timedelta(minutes=5))
    Ticket.objects.filter(pk=b.pk).update(sla_due_at=timezone.now() + timedelta(hours=3))
    DBTaskResult.objects.all().delete()
    mail_server.messages.clear()
    rows = notifications.staff_escalation(
        ticket_ids=[a.pk, b.pk], level=2, reason="First response breached", recipient_ids=[agent_a.pk, supervisor.pk]
    )
    assert len(rows) == 2
    run_worker()
    by_recipient = {message["To"]: parts(message)[0] for message in mail_server.messages}
    assert set(by_recipient) == {agent_a.email, supervisor.email}
    agent_text, supervisor_text = by_recipient[agent_a.email], by_recipient[supervisor.email]
    assert a.reference in agent_text and b.reference not in agent_text
    assert a.reference in supervisor_text and b.reference in supervisor_text
    assert f"{SITE_URL}/admin/tickets/ticket/{a.pk}/change/" in supervisor_text
    # Staff emails are in the site's default language (zh-hans): "overdue since …", "due …".
    assert "First response breached" in supervisor_text and "起已超时" in supervisor_text
    assert "到期时间" in supervisor_text
    assert notifications.staff_escalation(ticket_ids=[b.pk], level=1, reason="x", recipient_ids=[agent_a.pk]) == []


def test_the_outgoing_email_changelist_runs_as_many_queries_for_3_emails_as_for_10(
    client, superuser, django_assert_num_queries
):
    client.force_login(superuser)
    problem_type = deposit_queue()
    for _ in range(3):
        open_ticket(problem_type)
    url = "/admin/tickets/outgoingemail/"
    three = _count(client, url)
    for _ in range(7):
        open_ticket(problem_type)
    with django_assert_num_queries(three):
        assert "10 outgoing emails" in client.get(url).content.decode()


def test_the_expected_reply_reads_naturally_in_both_languages():
    due = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
    at = due - timedelta(hours=2, minutes=10)
    assert reply_time.phrase(due, language="en", at=at).text == (
        "We expect to reply by Dec. 3, 2026, 6:30 a.m. (UTC), in about 2 hours."
    )
    chinese = reply_time.phrase(due, language="zh-hans", at=at).text
    assert "2026年12月3日 14:30" in chinese and "UTC+8" in chinese and "2 小时" in chinese


@pytest.mark.parametrize(
    "minutes,words", [(1, "about 1 minute"), (23, "about 25 minutes"), (56, "about 1 hour"), (150, "about 2 hours")]
)
def test_the_time_until_the_reply_is_rounded(minutes, words):
    assert reply_time.about(timedelta(minutes=minutes)) == words


def test_zone_labels_spell_out_the_offset():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert reply_time.zone_label(moment) == "UTC"
    assert reply_time.zone_label(timezone.localtime(moment, reply_time.customer_zone("zh-hans"))) == "UTC+8"
    assert reply_time.zone_label(moment.astimezone(zoneinfo.ZoneInfo("Asia/Kolkata"))) == "UTC+5:30"
    assert reply_time.zone_label(moment.astimezone(zoneinfo.ZoneInfo("America/Sao_Paulo"))) == "UTC-3"


def test_the_desk_actions_and_the_sweep_send_their_emails_through_the_worker(
    mail_server, run_worker, agent_a, supervisor, queue_a
):
    from tests.tickets.factories import every_priority, make_policy
    from tickets.sweep import sweep

    supervisors = supervisor.groups.get()
    make_policy(every_priority(60), rules=[{"level": 1, "trigger": "breach", "notify_group": supervisors}])
    ticket, _token = open_ticket(make_problem_type(queue=queue_a), language="en", email="eve@example.com")
    actions.add_agent_reply(ticket=ticket, author=agent_a, body="We are checking the chain.")
    actions.add_note(ticket=ticket, author=agent_a, body="internal only")
    late, _token = open_ticket(make_problem_type(queue=queue_a), language="en", subject="Still missing")
    sweep(now=timezone.now() + timedelta(hours=2))
    run_worker()
    to = sorted(message["To"] for message in mail_server.messages)
    assert to == sorted(["eve@example.com", "eve@example.com", late.customer_email, supervisor.email])
    reply = next(m for m in mail_server.messages if "We are checking the chain." in parts(m)[0])
    assert reply["Auto-Submitted"] == "auto-generated" and "internal only" not in parts(reply)[0]
    staff = next(m for m in mail_server.messages if m["To"] == supervisor.email)
    assert late.reference in parts(staff)[0]
