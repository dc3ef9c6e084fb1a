"""Attachments end to end: the form and the reply, the actions' files and rows together, downloads only for the
ticket's own customer and staff, the orphan sweep, and the problem types that require a file."""

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from mnemonic import Mnemonic
from PIL import Image

from tests.tickets.factories import deposit_values, follow_link, make_problem_type, open_ticket
from tickets import actions, attachments
from tickets.admin_forms import ProblemTypeForm
from tickets.models import Attachment, ProblemType, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def png(color=(10, 120, 200), size=(30, 20)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def png_file(name="screenshot.png", **kwargs):
    return SimpleUploadedFile(name, png(**kwargs), content_type="image/png")


def uploads(*files):
    return attachments.accept(list(files))


def stored_files():
    return sorted(attachments._stored_names())


def form_data(**overrides):
    data = {"email": "alice@example.com", "subject": "USDT deposit missing", "description": "Sent yesterday."}
    data.update(deposit_values())
    data.update(overrides)
    return data


@pytest.fixture
def deposit():
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def file_url(ticket, attachment):
    return reverse("tickets:file", args=[ticket.reference, attachment.public_id])


def admin_file_url(ticket, attachment):
    return reverse("admin:tickets_ticket_file", args=[ticket.pk, attachment.public_id])


# The new-ticket form


def test_a_ticket_sent_with_a_screenshot_stores_it_on_the_first_message(client, deposit):
    response = client.post("/en/tickets/new/deposit/", {**form_data(), "attachments": [png_file(), png_file("b.png")]})
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    files = list(ticket.attachments.order_by("id"))
    assert [f.original_name for f in files] == ["screenshot.png", "b.png"]
    assert {f.message for f in files} == {ticket.messages.get()}
    assert all(f.content_type == "image/png" and f.size > 0 and len(f.sha256) == 64 for f in files)
    assert stored_files() == sorted(f.stored_name for f in files)
    assert all("." not in f.stored_name and f.public_id not in f.stored_name for f in files)
    page = client.get(response["Location"]).content.decode()
    assert file_url(ticket, files[0]) in page and "screenshot.png" in page


def test_the_form_is_multipart_and_names_the_limits(client, deposit):
    page = client.get("/en/tickets/new/deposit/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "multiple" in page
    assert "Up to 5 files" in page


def test_a_refused_file_is_a_form_error_that_keeps_every_typed_value(client, deposit):
    svg = SimpleUploadedFile("pic.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post("/en/tickets/new/deposit/", {**form_data(subject="Still missing"), "attachments": [svg]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "pic.png contains web page code" in page and 'value="Still missing"' in page
    assert "choose them again" in page
    assert not Ticket.objects.exists() and stored_files() == []


def test_files_sent_with_an_error_elsewhere_must_be_chosen_again_and_nothing_is_stored(client, deposit):
    response = client.post("/en/tickets/new/deposit/", {**form_data(email="not-an-email"), "attachments": [png_file()]})
    assert response.status_code == 200
    assert "Your files were not kept" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files() == []


def test_a_text_file_with_a_seed_phrase_is_redacted_and_flags_the_ticket(client, deposit):
    phrase = Mnemonic("english").generate(128)
    note = SimpleUploadedFile("wallet.txt", f"backup:\n{phrase}\n".encode(), content_type="text/plain")
    response = client.post("/en/tickets/new/deposit/", {**form_data(), "attachments": [note]})
    ticket = Ticket.objects.get()
    assert ticket.secrets_removed == ["seed_phrase"]
    event = ticket.events.get(kind=TicketEvent.Kind.SECRET_REMOVED)
    assert event.data["removed"] == {"attachments": ["seed_phrase"]}
    [file] = ticket.attachments.all()
    assert file.secrets_removed == ["seed_phrase"]
    with attachments.storage().open(file.stored_name) as handle:
        assert phrase.split()[5] not in handle.read().decode()
    page = client.get(response["Location"]).content.decode()
    assert "We removed a secret" in page and "a secret was removed from this file" in page


# Required per problem type


def test_the_starter_identity_type_requires_a_screenshot_of_the_rejection(client):
    kyc = ProblemType.objects.get(slug="identity-verification")
    assert kyc.attachment_required and kyc.attachment_hints["zh-hans"]
    assert not ProblemType.objects.get(slug="deposit-not-credited").attachment_required
    data = {"email": "bob@example.com", "subject": "KYC rejected", "description": "Rejected twice.",
            "kyc_issue": "rejected", "uid": "12345678"}  # fmt: skip
    page = client.get("/en/tickets/new/identity-verification/").content.decode()
    assert "A screenshot of the rejection notice or of your verification page. Up to 5 files" in page
    response = client.post("/en/tickets/new/identity-verification/", data)
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "Attach a screenshot of the rejection notice or of your verification page." in response.content.decode()
    zh = client.post("/zh-hans/tickets/new/identity-verification/", data).content.decode()
    assert "请附上认证页面或拒绝通知的截图" in zh
    response = client.post("/en/tickets/new/identity-verification/", {**data, "attachments": [png_file()]})
    assert response.status_code == 303 and Ticket.objects.get().attachments.count() == 1


def test_check_required_refuses_the_same_way_for_any_caller():
    kyc = ProblemType.objects.get(slug="identity-verification")
    with pytest.raises(Exception) as caught:
        attachments.check_required(kyc, [], "en")
    assert caught.value.code == "required"
    attachments.check_required(kyc, uploads(png_file()), "en")
    attachments.check_required(ProblemType.objects.get(slug="complaint"), [], "en")


def test_the_admin_edits_whether_a_type_requires_a_file_and_its_hint_per_language(queue_a):
    kind = make_problem_type(queue=queue_a)
    data = {"slug": kind.slug, "queue": queue_a.pk, "position": 1, "active": "on", "attachment_required": "on",
            "name_zh_hans": "类型", "name_en": "Type",
            "attachment_hint_zh_hans": "截图", "attachment_hint_en": "a photo"}  # fmt: skip
    form = ProblemTypeForm(data, instance=kind)
    assert form.is_valid(), form.errors
    form.save()
    kind.refresh_from_db()
    assert kind.attachment_required and kind.attachment_hints == {"zh-hans": "截图", "en": "a photo"}


# Replies


def test_a_reply_with_a_file_keeps_it_on_the_reply(customer):
    url = f"/en/tickets/{customer.ticket.reference}/"
    response = customer.client.post(url, {"body": "Here it is", "attachments": [png_file("proof.png")]})
    assert response.status_code == 303
    reply = customer.ticket.messages.get(body="Here it is")
    assert [f.original_name for f in reply.attachments.all()] == ["proof.png"]
    page = customer.client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and "proof.png" in page


def test_a_reply_with_a_secret_in_a_text_file_flags_the_ticket(customer):
    phrase = Mnemonic("english").generate(128)
    message = actions.add_customer_reply(
        ticket=customer.ticket, body="see file", attachments=uploads(SimpleUploadedFile("a.txt", phrase.encode()))
    )
    customer.ticket.refresh_from_db()
    assert "seed_phrase" in customer.ticket.secrets_removed and message.secrets_removed == []
    event = customer.ticket.events.filter(kind=TicketEvent.Kind.SECRET_REMOVED).last()
    assert event.data == {"removed": {"attachments": ["seed_phrase"]}, "message_id": message.pk}


def test_a_reply_form_sent_twice_stores_its_files_once(customer):
    files = uploads(png_file())
    first = actions.add_customer_reply(ticket=customer.ticket, body="x", submission="k" * 40, attachments=files)
    again = actions.add_customer_reply(ticket=customer.ticket, body="x", submission="k" * 40, attachments=files)
    assert first == again and Attachment.objects.count() == 1 and len(stored_files()) == 1


def test_a_ticket_form_sent_twice_stores_its_files_once(deposit):
    files = uploads(png_file())
    open_ticket(deposit, submission="s" * 40, attachments=files)
    open_ticket(deposit, submission="s" * 40, attachments=files)
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1 and len(stored_files()) == 1


# Files and rows together


def test_a_failing_open_leaves_no_file_and_no_row(deposit, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("tickets.clocks.start", broken)  # after the files are stored
    with pytest.raises(RuntimeError):
        open_ticket(deposit, attachments=uploads(png_file(), png_file("b.png")))
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == []


def test_a_failing_reply_leaves_no_file_and_no_row(customer, monkeypatch):
    def broken(tickets, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("tickets.clocks.refresh", broken)
    with pytest.raises(RuntimeError):
        actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file()))
    assert not Attachment.objects.exists() and stored_files() == []


def test_a_reply_to_a_closed_ticket_writes_no_file(customer):
    Ticket.objects.filter(pk=customer.ticket.pk).update(status=Ticket.Status.CLOSED)
    with pytest.raises(Exception, match="closed"):
        actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file()))
    assert stored_files() == []


def _age(name, hours):
    path = attachments.storage().path(name)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_orphan_sweep_removes_only_old_files_without_a_row(deposit):
    ticket, _token = open_ticket(deposit, attachments=uploads(png_file()))
    kept = ticket.attachments.get().stored_name
    old_orphan = attachments.storage().save(attachments.new_stored_name(), ContentFile(b"left behind"))
    young_orphan = attachments.storage().save(attachments.new_stored_name(), ContentFile(b"still committing"))
    _age(kept, 5)
    _age(old_orphan, 2)
    assert attachments.remove_orphans() == 1
    assert sorted(stored_files()) == sorted([kept, young_orphan])


def test_the_orphan_command_removes_files_of_a_deleted_ticket(deposit, capsys):
    ticket, _token = open_ticket(deposit, attachments=uploads(png_file()))
    name = ticket.attachments.get().stored_name
    Ticket.objects.filter(pk=ticket.pk).delete()
    _age(name, 2)
    call_command("remove_orphan_attachments")
    assert stored_files() == [] and "removed 1" in capsys.readouterr().out


# Downloads: the customer


def test_the_customer_downloads_their_file_with_safe_headers(customer):
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file("截图 1.png")))
    file = Attachment.objects.get()
    response = customer.client.get(file_url(customer.ticket, file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == attachments.storage().open(file.stored_name).read()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%88%AA%E5%9B%BE%201.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert not getattr(response, "page_cacheable", False)


def test_a_text_file_downloads_as_utf8_text(customer):
    note = SimpleUploadedFile("说明.txt", "充值没到账".encode("gb18030"))
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(note))
    response = customer.client.get(file_url(customer.ticket, Attachment.objects.get()))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(response.streaming_content).decode() == "充值没到账"


def test_a_download_changes_nothing_and_answers_only_get(customer):
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file()))
    file = Attachment.objects.get()
    assert customer.client.post(file_url(customer.ticket, file)).status_code == 405


def test_other_peoples_files_are_the_same_404_as_missing_ones(customer, deposit):
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file()))
    mine = Attachment.objects.get()
    other_ticket, other_token = open_ticket(deposit, attachments=uploads(png_file("theirs.png")))
    theirs = other_ticket.attachments.get()
    stranger = Client(headers={"accept-language": "en"})
    follow_link(stranger, other_token)
    assert stranger.get(file_url(other_ticket, theirs)).status_code == 200  # their own file works
    answers = [
        stranger.get(file_url(customer.ticket, mine)),  # another ticket's file, under its own reference
        stranger.get(reverse("tickets:file", args=[other_ticket.reference, mine.public_id])),  # under mine
        customer.client.get(file_url(other_ticket, theirs)),
        customer.client.get(reverse("tickets:file", args=[customer.ticket.reference, "x" * 22])),  # no such id
        Client().get(file_url(customer.ticket, mine)),  # no session at all
    ]
    assert [r.status_code for r in answers] == [404] * 5
    attachments.storage().delete(mine.stored_name)
    missing = customer.client.get(file_url(customer.ticket, mine))
    assert missing.status_code == 404
    assert {r.content for r in [*answers, missing]} == {answers[0].content}  # nothing tells them apart


def test_the_tracking_page_lists_files_in_a_constant_number_of_queries(customer, django_assert_num_queries):
    url = f"/en/tickets/{customer.ticket.reference}/"
    actions.add_customer_reply(ticket=customer.ticket, body="one", attachments=uploads(png_file()))
    customer.client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        customer.client.get(url)
    for n in range(3):
        actions.add_customer_reply(
            ticket=customer.ticket, body=f"more {n}", attachments=uploads(png_file(), png_file())
        )
    with django_assert_num_queries(len(few)):
        page = customer.client.get(url).content.decode()
    assert page.count('class="message-files"') == 4


# Downloads: staff


def test_staff_of_the_queue_download_and_see_the_warning(client, agent_a, customer):
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file("id.png")))
    file = Attachment.objects.get()
    client.force_login(agent_a)
    page = client.get(reverse("admin:tickets_ticket_change", args=[customer.ticket.pk])).content.decode()
    assert admin_file_url(customer.ticket, file) in page and "id.png" in page
    assert "Screenshots and photos can show secrets" in page
    response = client.get(admin_file_url(customer.ticket, file))
    assert response.status_code == 200 and response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"] == 'attachment; filename="id.png"'


def test_a_ticket_without_files_shows_no_warning(client, agent_a, customer):
    client.force_login(agent_a)
    page = client.get(reverse("admin:tickets_ticket_change", args=[customer.ticket.pk])).content.decode()
    assert "Screenshots and photos can show secrets" not in page


def test_staff_of_another_queue_get_a_404_for_the_file(client, agent_b, supervisor, customer):
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file()))
    file = Attachment.objects.get()
    client.force_login(agent_b)
    assert client.get(admin_file_url(customer.ticket, file)).status_code == 404
    assert (
        client.get(reverse("admin:tickets_ticket_file", args=[customer.ticket.pk + 1000, file.public_id])).status_code
        == 404
    )
    client.force_login(supervisor)
    assert client.get(admin_file_url(customer.ticket, file)).status_code == 200


def test_a_file_under_another_tickets_number_is_a_404_for_staff(client, supervisor, customer, deposit):
    actions.add_customer_reply(ticket=customer.ticket, body="x", attachments=uploads(png_file()))
    file = Attachment.objects.get()
    other = open_ticket(deposit)[0]
    client.force_login(supervisor)
    assert client.get(reverse("admin:tickets_ticket_file", args=[other.pk, file.public_id])).status_code == 404


def test_the_secret_removed_event_names_the_attachments(client, agent_a, customer):
    phrase = Mnemonic("english").generate(128)
    actions.add_customer_reply(
        ticket=customer.ticket, body="x", attachments=uploads(SimpleUploadedFile("k.txt", phrase.encode()))
    )
    client.force_login(agent_a)
    page = client.get(reverse("admin:tickets_ticket_change", args=[customer.ticket.pk])).content.decode()
    assert "seed phrase (attachments)" in page and "secret removed from this file" in page


def test_the_problem_type_admin_page_offers_the_attachment_settings(client, superuser):
    client.force_login(superuser)
    kyc = ProblemType.objects.get(slug="identity-verification")
    page = client.get(reverse("admin:tickets_problemtype_change", args=[kyc.pk])).content.decode()
    assert 'name="attachment_required"' in page and 'name="attachment_hint_en"' in page
    assert "a screenshot of the rejection notice" in page


def test_attachments_are_stored_outside_the_static_files():
    from django.conf import settings as project

    root = project.ATTACHMENTS_ROOT
    assert root.name == "attachments" and root.parent.name == "var"
    assert not root.is_relative_to(project.STATIC_ROOT)
    assert all(not root.is_relative_to(path) for path in project.STATICFILES_DIRS)


def test_a_file_on_an_internal_note_is_never_the_customers_to_download(customer, agent_a):
    note = actions.add_note(ticket=customer.ticket, author=agent_a, body="checked the screenshot")
    [file] = attachments.store(ticket=customer.ticket, message=note, uploads=uploads(png_file()))
    assert customer.client.get(file_url(customer.ticket, file)).status_code == 404
    page = customer.client.get(f"/en/tickets/{customer.ticket.reference}/").content.decode()
    assert file.public_id not in page


def test_a_flood_of_files_is_a_clear_400_not_a_500(client, deposit):
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(101)]
    response = client.post("/en/tickets/new/deposit/", {**form_data(), "attachments": files})
    assert response.status_code == 400 and not Ticket.objects.exists()


def test_a_text_value_posted_as_attachments_is_no_file_and_no_error(client, deposit):
    response = client.post("/en/tickets/new/deposit/", {**form_data(), "attachments": "C:\\secret.png"})
    assert response.status_code == 303 and not Attachment.objects.exists()


class OneRound:
    """Stands in for the loop's stop event: the first wait ends the loop."""

    def __init__(self):
        self.stopped = False

    def is_set(self):
        return self.stopped

    def set(self):
        self.stopped = True

    def wait(self, seconds):
        self.stopped = True


def test_the_sweep_loop_also_removes_orphan_files(monkeypatch, capsys):
    name = attachments.storage().save(attachments.new_stored_name(), ContentFile(b"left behind"))
    _age(name, 2)
    monkeypatch.setattr("tickets.management.commands.sla_sweep.threading.Event", OneRound)
    monkeypatch.setattr("tickets.management.commands.sla_sweep.signal.signal", lambda *args: None)
    monkeypatch.setattr("tickets.management.commands.sla_sweep.close_old_connections", lambda: None)
    call_command("sla_sweep", "--loop", "60")
    assert stored_files() == [] and "removed 1 attachment files" in capsys.readouterr().out
