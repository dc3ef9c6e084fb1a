"""Staff attach files to replies and internal notes: checked like a customer's, stored with the message, the customer
downloads a reply's files as their own and never a note's."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.tickets.factories import follow_link, make_problem_type, open_ticket
from tests.tickets.test_attachment_flow import png_file
from tests.tickets.test_desk_ticket_page import notes, page_url, submit
from tests.tickets.test_staff_api import api
from tickets import actions, attachments
from tickets.models import Attachment, Message, OutgoingEmail, Ticket

pytestmark = pytest.mark.django_db


def png(name="steps.png"):
    return png_file(name, size=(40, 30))


@pytest.fixture
def opened(queue_a):
    return open_ticket(make_problem_type(queue=queue_a), language="en", email="carol@example.com")


def stored_files():
    return sorted(attachments._stored_names())


def test_a_reply_with_a_screenshot_reaches_the_customer_as_a_download_and_in_the_email(client, agent_a, opened):
    ticket, token = opened
    client.force_login(agent_a)
    response = submit(client, ticket, "reply", reply="Here is where to find the TxID.", reply_files=[png()])
    assert response.status_code == 303 and f"Your reply was sent to {ticket.customer_email}." in notes(response)
    message = ticket.messages.get(author=Message.Author.AGENT)
    [file] = message.attachments.all()
    assert (file.original_name, file.content_type, file.ticket_id) == ("steps.png", "image/png", ticket.pk)
    assert len(stored_files()) == 1
    assert "steps.png" in client.get(page_url(ticket)).content.decode()  # the desk shows it with the reply

    customer = Client()
    page = follow_link(customer, token).content.decode()
    url = reverse("tickets:file", args=[ticket.reference, file.public_id])
    assert url in page
    download = customer.get(url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.AGENT_REPLIED, message=message)


def test_a_note_file_is_for_staff_only_the_customer_gets_the_same_404_as_for_a_missing_file(client, agent_a, opened):
    ticket, token = opened
    client.force_login(agent_a)
    response = submit(client, ticket, "note", note="The explorer shows it pending.", note_files=[png("internal.png")])
    assert response.status_code == 303 and "Your internal note was added." in notes(response)
    [file] = Attachment.objects.filter(message__kind=Message.Kind.INTERNAL)
    assert client.get(reverse("admin:tickets_ticket_file", args=[ticket.pk, file.public_id])).status_code == 200

    customer = Client()
    page = follow_link(customer, token).content.decode()
    assert "internal.png" not in page and file.public_id not in page
    missing = customer.get(reverse("tickets:file", args=[ticket.reference, "x" * 22]))
    hidden = customer.get(reverse("tickets:file", args=[ticket.reference, file.public_id]))
    assert hidden.status_code == missing.status_code == 404
    api = Client().get(
        reverse("public-ticket-attachment", args=[ticket.reference, file.public_id]),
        headers={"X-Ticket-Token": token},
    )
    assert api.status_code == 404
    detail = Client().get(reverse("public-ticket", args=[ticket.reference]), headers={"X-Ticket-Token": token})
    assert detail.status_code == 200 and file.public_id not in detail.content.decode()


@pytest.mark.parametrize(
    "name,content",
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.png", b"<!doctype html><html><script>alert(1)</script></html>"),
    ],
)
def test_a_refused_file_is_a_form_error_that_keeps_the_reply_and_stores_nothing(client, agent_a, opened, name, content):
    ticket, _token = opened
    client.force_login(agent_a)
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = submit(client, ticket, "reply", reply="typed reply kept", reply_files=[upload])
    text = response.content.decode()
    [error] = response.context["form"].errors["reply_files"]
    assert response.status_code == 200 and name in error and "web page code" in error and name in text
    assert "typed reply kept" in text and "choose them again" in text
    assert not ticket.messages.filter(author=Message.Author.AGENT).exists() and stored_files() == []


def test_a_file_alone_is_a_reply_and_nothing_at_all_is_still_refused(client, agent_a, opened):
    ticket, _token = opened
    client.force_login(agent_a)
    assert submit(client, ticket, "reply", reply="", reply_files=[png()]).status_code == 303
    assert ticket.messages.get(author=Message.Author.AGENT).attachments.count() == 1
    response = submit(client, ticket, "reply", reply="  ")
    assert response.status_code == 200 and "Write something first." in response.content.decode()


def test_a_staff_text_file_goes_through_the_secrets_guard(agent_a, opened):
    ticket, _token = opened
    text = SimpleUploadedFile("notes.txt", b"customer said: my password: Hunter2-Quartz!\n", content_type="text/plain")
    message = actions.add_note(ticket=ticket, author=agent_a, body="", attachments=attachments.accept([text]))
    [file] = message.attachments.all()
    assert file.secrets_removed == ["password"]
    assert b"Hunter2" not in attachments.storage().open(file.stored_name).read()


def test_a_refused_action_leaves_no_file_behind(agent_a, opened):
    ticket, _token = opened
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        actions.add_agent_reply(ticket=ticket, author=agent_a, body="too late", attachments=attachments.accept([png()]))
    assert stored_files() == [] and not Attachment.objects.exists()


# The staff API -------------------------------------------------------------------------------------------------------


def staff_api(user):
    return api(user, token=True)


def test_the_staff_api_takes_files_on_replies_and_notes_lists_them_and_serves_them_to_the_queue_only(
    agent_a, agent_b, opened
):
    ticket, _token = opened
    client = staff_api(agent_a)
    base = f"/api/v1/staff/tickets/{ticket.pk}/"
    answer = client.post(f"{base}reply/", {"body": "See the picture.", "attachments": [png()]}, format="multipart")
    assert answer.status_code == 200, answer.content
    assert client.post(f"{base}note/", {"attachments": [png("mine.png")]}, format="multipart").status_code == 200
    messages = client.get(base).json()["messages"]
    files = {message["kind"]: message["attachments"] for message in messages if message["attachments"]}
    assert [file["name"] for file in files["public"]] == ["steps.png"]
    assert [file["name"] for file in files["internal"]] == ["mine.png"]
    url = files["internal"][0]["url"]
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert staff_api(agent_b).get(url).status_code == 404  # another queue's agent: the ticket is not theirs
    assert client.get(f"{base}attachments/{'x' * 22}/").status_code == 404


def test_the_staff_api_refuses_bad_files_with_a_400_and_stores_nothing(agent_a, opened):
    ticket, _token = opened
    client = staff_api(agent_a)
    base = f"/api/v1/staff/tickets/{ticket.pk}/"
    svg = SimpleUploadedFile("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', content_type="image/svg+xml")
    answer = client.post(f"{base}reply/", {"body": "hi", "attachments": [svg]}, format="multipart")
    assert answer.status_code == 400 and "x.svg" in answer.json()["attachments"][0]
    not_a_file = client.post(f"{base}note/", {"body": "hi", "attachments": ["text"]}, format="json")
    assert not_a_file.status_code == 400 and "attachments" in not_a_file.json()
    assert not ticket.messages.filter(author=Message.Author.AGENT).exists() and stored_files() == []
