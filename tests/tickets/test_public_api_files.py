"""Files in the public ticket API: multipart uploads on opening and replying, the types' file rules, the file list
on a ticket and downloads with its token."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from mnemonic import Mnemonic
from PIL import ExifTags, Image

from tests.tickets.factories import deposit_values, make_problem_type
from tests.tickets.test_attachments import gps_exif
from tests.tickets.test_secrets_intake import assert_nowhere, stored_text
from tickets import actions, attachments
from tickets.models import Attachment, Message, ProblemType, Ticket, TicketEvent
from tickets.models.idempotency import IdempotentRequestQuerySet

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/ticket-types/"
TICKETS = "/api/v1/tickets/"


@pytest.fixture
def deposit():
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def png(color=(10, 120, 200), **save):
    out = io.BytesIO()
    Image.new("RGB", (30, 20), color).save(out, "PNG", **save)
    return out.getvalue()


def png_with_gps():
    exif = gps_exif()
    data = png(exif=exif)
    with Image.open(io.BytesIO(data)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test image really carries a location
    return data


def upload(data=None, name="screenshot.png", content_type="image/png"):
    return SimpleUploadedFile(name, png() if data is None else data, content_type=content_type)


def form_body(**overrides):
    """A ticket as multipart form fields (the type's own as fields.<key>)."""
    body = {"type": "deposit", "email": "alice@example.com", "subject": "USDT deposit missing",
            "description": "Sent yesterday, still not credited."}  # fmt: skip
    body.update({f"fields.{key}": value for key, value in deposit_values().items()})
    body.update(overrides)
    return body


def open_with(client, files, key=None, **overrides):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(TICKETS, {**form_body(**overrides), "attachments": files}, headers=headers)


def opened(client, files=(), **overrides):
    response = open_with(client, list(files), **overrides)
    assert response.status_code == 201, response.content
    return response.json()


def read(client, answer):
    response = client.get(answer["url"], headers={"X-Ticket-Token": answer["token"]})
    assert response.status_code == 200
    return response.json()


def download(client, url, token):
    return client.get(url, headers={"X-Ticket-Token": token})


# Opening with files ----------------------------------------------------------------------------------------------


def test_a_png_with_gps_sent_through_the_api_downloads_back_without_the_location(client, deposit):
    answer = opened(client, [upload(png_with_gps(), name="IMG_0001.png")])
    [message] = read(client, answer)["messages"]
    [file] = message["attachments"]
    stored = Attachment.objects.get()
    assert file["name"] == "IMG_0001.png" and file["content_type"] == "image/png"
    assert file["size"] == stored.size and file["secrets_removed"] == []
    assert file["url"] == f"http://testserver/api/v1/tickets/{answer['reference']}/attachments/{stored.public_id}/"
    response = download(client, file["url"], answer["token"])
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert len(data) == file["size"] and b"SecretPhoneCo" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (30, 20) and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="IMG_0001.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_several_files_are_stored_on_the_first_message_in_the_order_sent(client, deposit):
    answer = opened(client, [upload(name="a.png"), upload(b"log line\n", name="b.log", content_type="text/plain")])
    [message] = read(client, answer)["messages"]
    assert [(f["name"], f["content_type"]) for f in message["attachments"]] == [
        ("a.png", "image/png"),
        ("b.txt", "text/plain"),
    ]
    assert Ticket.objects.get().messages.get().attachments.count() == 2


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "logo.svg",
            "logo.svg contains web page code (HTML, SVG or script) and cannot be accepted. Send a screenshot instead.",
        ),
        (
            b"<html><body><script>steal()</script></body></html>",
            "screenshot.png",
            "screenshot.png contains web page code (HTML, SVG or script) and cannot be accepted. "
            "Send a screenshot instead.",
        ),
        (
            b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
            "tool.png",
            "tool.png is not a file type we accept. Send a PNG, JPEG, WebP or GIF image, a PDF, or a plain text file.",
        ),
    ],
)
def test_an_svg_an_html_page_named_png_or_a_program_is_a_400_under_attachments(client, deposit, data, name, message):
    response = open_with(client, [upload(data, name=name)])
    assert response.status_code == 400
    assert response.json() == {"attachments": [message]}
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_too_many_or_too_large_files_are_a_400_with_the_forms_message(client, deposit, settings):
    response = open_with(client, [upload(name=f"{n}.png") for n in range(6)])
    assert response.status_code == 400
    assert response.json() == {"attachments": ["Attach at most 5 files to one message."]}
    big = SimpleUploadedFile("huge.png", b"\x89PNG" + bytes(attachments.MAX_FILE_SIZE), content_type="image/png")
    response = open_with(client, [big])
    assert response.status_code == 400
    assert response.json() == {"attachments": ["huge.png is larger than 10 MB."]}
    assert not Ticket.objects.exists()


def test_a_flood_of_files_is_a_400_not_a_500(client, deposit):
    response = open_with(client, [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(101)])
    assert response.status_code == 400 and response.json() == {"detail": "The request has too many files."}
    assert not Ticket.objects.exists()


def test_a_refused_file_and_a_refused_field_are_reported_together(client, deposit):
    response = open_with(client, [upload(b"<svg/>", name="x.svg")], **{"fields.amount": "-1"})
    assert response.status_code == 400
    assert set(response.json()) == {"attachments", "fields"}


def test_the_type_that_requires_a_file_refuses_a_ticket_without_one_in_the_language_of_the_ticket(client):
    body = {"type": "identity-verification", "email": "bob@example.com", "subject": "KYC rejected",
            "description": "Rejected twice.", "fields.kyc_issue": "rejected", "uid": "12345678"}  # fmt: skip
    response = client.post(TICKETS, body)
    assert response.status_code == 400
    assert response.json() == {
        "attachments": ["Attach a screenshot of the rejection notice or of your verification page."]
    }
    chinese = client.post(TICKETS, {**body, "language": "zh-hans"})
    assert "请附上认证页面或拒绝通知的截图" in chinese.json()["attachments"][0]
    json_body = {key: value for key, value in body.items() if not key.startswith("fields.")}
    response = client.post(TICKETS, {**json_body, "fields": {"kyc_issue": "rejected"}}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["attachments"]
    assert not Ticket.objects.exists()
    response = client.post(TICKETS, {**body, "attachments": [upload()]})
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().attachments.count() == 1


def test_attachments_in_a_json_body_are_a_400_saying_to_send_multipart(client, deposit):
    body = {"type": "deposit", "email": "a@example.com", "subject": "S", "description": "D",
            "fields": deposit_values(), "attachments": ["iVBORw0KGgo="]}  # fmt: skip
    response = client.post(TICKETS, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"attachments": ["Send files as multipart/form-data, each as a part named attachments."]}
    assert not Ticket.objects.exists()


def test_a_text_file_with_a_seed_phrase_is_redacted_and_reported_in_secrets_removed(client, deposit):
    phrase = Mnemonic("english").generate(128)
    note = upload(f"my backup:\n{phrase}\n".encode(), name="wallet.txt", content_type="text/plain")
    response = open_with(client, [note])
    assert response.status_code == 201
    answer = response.json()
    assert answer["secrets_removed"] == ["seed_phrase"]
    assert [advice["kind"] for advice in answer["secrets_advice"]] == ["seed_phrase"]
    ticket = Ticket.objects.get()
    assert ticket.events.get(kind=TicketEvent.Kind.SECRET_REMOVED).data["removed"] == {"attachments": ["seed_phrase"]}
    [message] = read(client, answer)["messages"]
    assert message["secrets_removed"] == ["seed_phrase"]
    assert message["attachments"][0]["secrets_removed"] == ["seed_phrase"]
    text = b"".join(download(client, message["attachments"][0]["url"], answer["token"]).streaming_content).decode()
    assert "my backup:" in text
    assert_nowhere(phrase, stored_text(), text, json.dumps(answer), json.dumps(message))


def test_a_secret_in_a_file_name_is_redacted_from_the_name(client, deposit):
    phrase = Mnemonic("english").generate(128)
    answer = opened(client, [upload(name=f"{phrase}.png")])
    [file] = read(client, answer)["messages"][0]["attachments"]
    assert phrase.split()[3] not in file["name"] and file["name"].endswith(".png")
    assert answer["secrets_removed"] == ["seed_phrase"]


# Idempotency -----------------------------------------------------------------------------------------------------


def test_a_replay_with_the_same_files_replays_and_other_files_under_the_key_are_a_422(client, deposit):
    key = "files-key-0123456789"
    first = open_with(client, [upload(), upload(b"a log\n", name="log.txt")], key=key)
    again = open_with(client, [upload(), upload(b"a log\n", name="log.txt")], key=key)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert {k: v for k, v in again.json().items() if k != "token"} == {
        k: v for k, v in first.json().items() if k != "token"
    }
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 2
    other_file = open_with(client, [upload(png((1, 2, 3))), upload(b"a log\n", name="log.txt")], key=key)
    fewer = open_with(client, [upload()], key=key)
    none = open_with(client, [], key=key)
    reordered = open_with(client, [upload(b"a log\n", name="log.txt"), upload()], key=key)
    assert [r.status_code for r in (other_file, fewer, none, reordered)] == [422] * 4
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 2
    assert sorted(attachments._stored_names()) == sorted(Attachment.objects.values_list("stored_name", flat=True))


def test_the_fingerprint_reads_a_file_without_moving_its_position():
    sent = upload(b"some text\n", name="a.txt", content_type="text/plain")
    sent.seek(4)
    assert attachments.digest(sent) == attachments.digest(upload(b"some text\n"))
    assert sent.tell() == 4
    assert attachments.digest(sent) != attachments.digest(upload(b"other text\n"))


# Replies ---------------------------------------------------------------------------------------------------------


def reply(client, answer, body="Here is the screenshot.", files=(), key=None):
    headers = {"X-Ticket-Token": answer["token"]}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(answer["url"] + "replies/", {"body": body, "attachments": list(files)}, headers=headers)


def test_a_reply_with_a_file_keeps_it_on_the_reply_and_lists_it(client, deposit):
    answer = opened(client)
    response = reply(client, answer, files=[upload(name="later.png")])
    assert response.status_code == 201, response.content
    [file] = response.json()["attachments"]
    assert file["name"] == "later.png"
    reply_message = Message.objects.get(body="Here is the screenshot.")
    assert reply_message.attachments.get().original_name == "later.png"
    messages = read(client, answer)["messages"]
    assert [len(m["attachments"]) for m in messages] == [0, 1]
    assert download(client, file["url"], answer["token"]).status_code == 200


def test_a_reply_with_a_refused_file_is_a_400_and_adds_nothing(client, deposit):
    answer = opened(client)
    response = reply(client, answer, files=[upload(b"<svg onload=alert(1)>", name="x.svg")])
    assert response.status_code == 400 and list(response.json()) == ["attachments"]
    assert Message.objects.count() == 1 and not Attachment.objects.exists()
    response = client.post(
        answer["url"] + "replies/",
        json.dumps({"body": "hi", "attachments": []}),
        content_type="application/json",
        headers={"X-Ticket-Token": answer["token"]},
    )
    assert response.status_code == 400 and list(response.json()) == ["attachments"]


def test_a_reply_with_a_seed_phrase_in_a_text_file_reports_it(client, deposit):
    answer = opened(client)
    phrase = Mnemonic("english").generate(128)
    note = upload(f"{phrase}\n".encode(), name="backup.txt", content_type="text/plain")
    response = reply(client, answer, body="See the file.", files=[note])
    assert response.status_code == 201
    added = response.json()
    assert added["secrets_removed"] == ["seed_phrase"] and added["secrets_advice"][0]["kind"] == "seed_phrase"
    assert Ticket.objects.get().secrets_removed == ["seed_phrase"]
    assert_nowhere(phrase, stored_text(), json.dumps(added))


def test_a_reply_replayed_with_its_files_adds_them_once_and_other_files_are_a_422(client, deposit):
    answer = opened(client)
    key = "reply-files-0123456789"
    first = reply(client, answer, files=[upload()], key=key)
    again = reply(client, answer, files=[upload()], key=key)
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert reply(client, answer, files=[upload(png((9, 9, 9)))], key=key).status_code == 422
    assert reply(client, answer, key=key).status_code == 422
    assert Message.objects.count() == 2 and Attachment.objects.count() == 1


# Downloads -------------------------------------------------------------------------------------------------------


def test_a_file_is_the_same_404_for_a_wrong_token_another_ticket_a_note_or_an_unknown_id(client, deposit, agent_a):
    mine = opened(client, [upload(name="mine.png")])
    theirs = opened(client, [upload(name="theirs.png")])
    my_file = read(client, mine)["messages"][0]["attachments"][0]
    their_file = read(client, theirs)["messages"][0]["attachments"][0]
    assert download(client, my_file["url"], mine["token"]).status_code == 200
    ticket = Ticket.objects.get(reference=mine["reference"])
    note = actions.add_note(ticket=ticket, author=agent_a, body="checked")
    [noted] = attachments.store(ticket=ticket, message=note, uploads=attachments.accept([upload(name="note.png")]))
    base = f"/api/v1/tickets/{mine['reference']}/attachments/"
    their_id = their_file["url"].rstrip("/").rsplit("/", 1)[1]
    answers = [
        download(client, my_file["url"], "wrong-token"),
        client.get(my_file["url"]),  # no token at all
        download(client, my_file["url"], theirs["token"]),  # another ticket's token
        download(client, base + their_id + "/", mine["token"]),  # another ticket's file under mine
        download(client, their_file["url"], mine["token"]),
        download(client, base + noted.public_id + "/", mine["token"]),  # a file on an internal note
        download(client, base + "x" * 22 + "/", mine["token"]),  # no such file
        download(client, base + "x" * 5000 + "/", mine["token"]),  # far too long to be an id
        download(client, my_file["url"].replace(mine["reference"], "HD-AAAAAAAA"), mine["token"]),
    ]
    assert [r.status_code for r in answers] == [404] * len(answers)
    assert {r.content for r in answers} == {answers[0].content}
    assert answers[0].json() == {"detail": "No such file, or the X-Ticket-Token header does not open its ticket."}
    stored = Attachment.objects.get(original_name="mine.png")
    attachments.storage().delete(stored.stored_name)
    missing = download(client, my_file["url"], mine["token"])
    assert missing.status_code == 404 and missing.content == answers[0].content
    assert noted.public_id not in json.dumps(read(client, mine))


def test_a_download_answers_whatever_the_client_accepts_changes_nothing_and_takes_no_query_parameter(client, deposit):
    answer = opened(client, [upload()])
    url = read(client, answer)["messages"][0]["attachments"][0]["url"]
    headers = {"X-Ticket-Token": answer["token"], "Accept": "image/png"}
    assert client.get(url, headers=headers).status_code == 200
    assert client.head(url, headers=headers).status_code == 200
    assert client.post(url, headers=headers).status_code == 405
    assert client.delete(url, headers=headers).status_code == 405
    response = client.get(url, {"token": answer["token"]}, headers=headers)
    assert response.status_code == 400 and "token" in response.json()
    assert Attachment.objects.count() == 1


def test_reading_a_ticket_lists_files_in_a_constant_number_of_queries(client, deposit, django_assert_num_queries):
    answer = opened(client, [upload()])
    ticket = Ticket.objects.get()
    read(client, answer)  # warms the per-process caches
    with django_assert_num_queries(5):
        read(client, answer)
    for n in range(3):
        actions.add_customer_reply(
            ticket=ticket, body=f"more {n}", attachments=attachments.accept([upload(), upload(name="b.png")])
        )
    with django_assert_num_queries(5):
        messages = read(client, answer)["messages"]
    assert [len(m["attachments"]) for m in messages] == [1, 2, 2, 2]


# Ticket types ----------------------------------------------------------------------------------------------------


def test_each_ticket_type_says_what_it_takes_in_files_in_the_language_asked(client, django_assert_num_queries):
    make_problem_type()
    with django_assert_num_queries(2):
        listed = {t["slug"]: t for t in client.get(TYPES, {"language": "zh-hans"}).json()}
    kyc = ProblemType.objects.get(slug="identity-verification")
    assert listed["identity-verification"]["attachments"] == {
        "required": True,
        "hint": kyc.attachment_hints["zh-hans"],
        "max_files": 5,
        "max_file_bytes": 10 * 1024 * 1024,
        "max_total_bytes": 25 * 1024 * 1024,
        "max_text_bytes": 256 * 1024,
        "types": ["image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain"],
    }
    english = {t["slug"]: t for t in client.get(TYPES, {"language": "en"}).json()}
    assert english["identity-verification"]["attachments"]["hint"] == kyc.attachment_hints["en"]
    assert listed["deposit-not-credited"]["attachments"]["required"] is False


# Schema ----------------------------------------------------------------------------------------------------------


def test_the_schema_shows_the_files_on_multipart_bodies_and_the_download(client, tmp_path):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]

    def body(path, media_type):
        ref = schema["paths"][path]["post"]["requestBody"]["content"][media_type]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    for path in ("/api/v1/tickets/", "/api/v1/tickets/{reference}/replies/"):
        files = body(path, "multipart/form-data")["properties"]["attachments"]
        assert files["type"] == "array" and files["items"]["format"] == "binary"
        assert "attachments" not in body(path, "application/json")["properties"]
    download_path = schema["paths"]["/api/v1/tickets/{reference}/attachments/{public_id}/"]["get"]
    assert "X-Ticket-Token" in {parameter["name"] for parameter in download_path["parameters"]}
    assert {"200", "404"} <= set(download_path["responses"])
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


# Attacks ---------------------------------------------------------------------------------------------------------


def test_a_closed_ticket_refuses_a_reply_with_files_and_writes_none(client, deposit):
    answer = opened(client)
    actions.change_status(ticket=Ticket.objects.get(), status=Ticket.Status.CLOSED)
    response = reply(client, answer, files=[upload()])
    assert response.status_code == 409
    assert not Attachment.objects.exists() and list(attachments._stored_names()) == []


def test_text_beside_files_under_attachments_is_a_400_and_opens_nothing(client, deposit):
    response = client.post(TICKETS, {**form_body(), "attachments": [upload(), "C:\\secret.png"]})
    assert response.status_code == 400 and list(response.json()) == ["attachments"]
    assert not Ticket.objects.exists() and list(attachments._stored_names()) == []


def test_a_file_name_with_a_path_and_markup_is_served_under_a_safe_name(client, deposit):
    answer = opened(client, [upload(name='../../etc/<img src=x onerror=alert(1)>"x.png')])
    [file] = read(client, answer)["messages"][0]["attachments"]
    assert "/" not in file["name"] and ".." not in file["name"] and file["name"].endswith(".png")
    response = download(client, file["url"], answer["token"])
    assert response.status_code == 200 and "/" not in response["Content-Disposition"].split("filename", 1)[1]


def test_a_request_that_loses_the_idempotency_race_with_another_body_stores_no_file(client, deposit, monkeypatch):
    first = open_with(client, [], key="race-key-0123456789")
    assert first.status_code == 201
    # The second request looked for the key before the first committed, so it found nothing and went on.
    monkeypatch.setattr(IdempotentRequestQuerySet, "for_key", lambda self, scope, key: None)
    response = open_with(client, [upload()], key="race-key-0123456789")
    assert response.status_code == 422
    assert Ticket.objects.count() == 1 and not Attachment.objects.exists()
    assert list(attachments._stored_names()) == []
