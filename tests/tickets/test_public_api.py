"""The public ticket API: ticket types, opening a ticket (idempotent), reading it and replying with its token."""

import json
import uuid
from datetime import datetime, timedelta

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.utils import timezone
from django.views.debug import ExceptionReporter
from mnemonic import Mnemonic

from tests.concurrency import at_once
from tests.tickets.factories import TXID, add_message, deposit_values, every_priority, make_policy, make_problem_type
from tests.tickets.test_secrets_intake import assert_nowhere, stored_text, wif
from tickets import actions, reply_time, views
from tickets.forms import TicketForm
from tickets.models import IdempotentRequest, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/ticket-types/"
TICKETS = "/api/v1/tickets/"
LEVEL_CHOICES = [
    {"value": "basic", "label": {"zh-hans": "初级认证", "en": "Basic"}},
    {"value": "advanced", "label": {"zh-hans": "高级认证", "en": "Advanced"}},
]


@pytest.fixture
def deposit():
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def ticket_body(**overrides):
    body = {
        "type": "deposit",
        "email": "alice@example.com",
        "subject": "USDT deposit missing",
        "description": "Sent yesterday, still not credited.",
        "fields": deposit_values(),
    }
    body.update(overrides)
    return body


def post(client, url, body, key=None, token=None, **headers):
    if key:
        headers["Idempotency-Key"] = key
    if token:
        headers["X-Ticket-Token"] = token
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def opened(client, **overrides):
    response = post(client, TICKETS, ticket_body(**overrides))
    assert response.status_code == 201, response.content
    return response.json()


def new_key():
    return str(uuid.uuid4())


# Ticket types ----------------------------------------------------------------------------------------------------


def test_ticket_types_list_each_active_type_with_its_fields_in_the_language_asked(client, deposit):
    make_problem_type(slug="retired", active=False)
    response = client.get(TYPES, {"language": "zh-hans"})
    assert response.status_code == 200
    by_slug = {listed["slug"]: listed for listed in response.json()}
    assert "retired" not in by_slug and "deposit-not-credited" in by_slug  # a starter type
    listed = by_slug["deposit"]
    assert listed["name"] == "充值未到账"
    by_key = {field["key"]: field for field in listed["fields"]}
    assert list(by_key) == ["coin", "network", "txid", "amount", "address", "memo", "note"]
    assert by_key["txid"] == {
        "key": "txid",
        "type": "txid",
        "required": True,
        "label": "交易哈希",
        "help_text": "",
        "choices": None,
    }
    assert {"value": "TRC20", "label": "波场 (TRC20)"} in by_key["network"]["choices"]
    assert by_key["memo"]["required"] is False


def named(response, slug="deposit"):
    return next(listed for listed in response.json() if listed["slug"] == slug)


def test_ticket_type_names_follow_the_accept_language_header_without_the_parameter(deposit):
    assert named(Client(headers={"accept-language": "zh-hans"}).get(TYPES))["name"] == "充值未到账"
    assert named(Client(headers={"accept-language": "en"}).get(TYPES))["name"] == "Deposit not credited"


def test_choice_labels_and_help_texts_are_translated(client):
    make_problem_type(
        slug="kyc",
        fields=[
            {
                "name": "level",
                "kind": "choice",
                "required": True,
                "labels": {"zh-hans": "认证级别", "en": "Level"},
                "helps": {"zh-hans": "选择您提交的级别", "en": "The level you applied for"},
                "choices": LEVEL_CHOICES,
            }
        ],
    )
    (field,) = named(client.get(TYPES, {"language": "zh-hans"}), "kyc")["fields"]
    assert field["help_text"] == "选择您提交的级别"
    assert field["choices"] == [{"value": "basic", "label": "初级认证"}, {"value": "advanced", "label": "高级认证"}]


def test_an_unknown_language_or_parameter_on_the_types_is_a_400(client, deposit):
    assert client.get(TYPES, {"language": "fr"}).status_code == 400
    response = client.get(TYPES, {"page": "2"})
    assert response.status_code == 400 and response.json() == {"page": ["Unknown parameter."]}


def test_the_ticket_types_are_kept_per_process_and_loaded_in_two_queries_after_an_edit(
    client, django_assert_num_queries, commit
):
    starters = len(client.get(TYPES).json())
    with django_assert_num_queries(0):
        assert len(client.get(TYPES).json()) == starters
    make_problem_type()
    make_problem_type()
    commit()
    with django_assert_num_queries(2):
        assert len(client.get(TYPES).json()) == starters + 2
    with django_assert_num_queries(0):
        assert len(client.get(TYPES).json()) == starters + 2


# Opening a ticket ------------------------------------------------------------------------------------------------


def test_opening_a_ticket_answers_201_with_reference_token_status_expected_reply_and_url(client, deposit):
    response = post(client, TICKETS, ticket_body())
    assert response.status_code == 201
    answer = response.json()
    ticket = Ticket.objects.get()
    assert answer["reference"] == ticket.reference
    assert answer["status"] == {"code": "new", "text": "Received: we will reply soon"}
    assert answer["url"] == f"http://testserver/api/v1/tickets/{ticket.reference}/" == response["Location"]
    assert answer["secrets_removed"] == [] and answer["secrets_advice"] == []
    assert set(answer) == {"reference", "token", "status", "expected_reply", "url", "secrets_removed", "secrets_advice"}
    assert actions.ticket_for_token(answer["token"]) == ticket
    assert response["Cache-Control"] == "private, no-store"
    assert ticket.fields == {**deposit_values(), "amount": "12.5"}
    assert ticket.queue_id == deposit.queue_id and ticket.language == "en"
    assert ticket.messages.get().body == "Sent yesterday, still not credited."


def test_the_expected_reply_is_the_one_the_tracking_page_promises_in_the_tickets_language(client, deposit):
    make_policy(every_priority(120))
    answer = opened(client, language="zh-hans")
    ticket = Ticket.objects.get()
    assert ticket.language == "zh-hans"
    expected = reply_time.first_reply(ticket, language="zh-hans")
    assert answer["expected_reply"]["text"] == expected.text
    assert datetime.fromisoformat(answer["expected_reply"]["due_at"]) == expected.due_at
    assert answer["status"]["text"] == "已收到：我们会尽快回复"


def test_an_unknown_ticket_language_is_a_400(client, deposit):
    response = post(client, TICKETS, ticket_body(language="fr"))
    assert response.status_code == 400 and list(response.json()) == ["language"]


def test_a_ticket_sent_as_multipart_form_fields_is_opened_like_json(client, deposit):
    data = {key: value for key, value in ticket_body().items() if key != "fields"}
    data.update({f"fields.{key}": value for key, value in deposit_values().items()})
    response = client.post(TICKETS, data)
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().fields["txid"] == TXID


def test_a_file_under_any_key_but_attachments_is_refused_and_text_under_attachments_too(client, deposit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {key: value for key, value in ticket_body().items() if key != "fields"}
    data.update({f"fields.{key}": value for key, value in deposit_values().items()})
    data["subject"] = SimpleUploadedFile("shot.png", b"\x89PNG\r\n", content_type="image/png")
    response = client.post(TICKETS, data)
    assert response.status_code == 400 and response.json() == {"subject": ["Send text here, not a file."]}
    data.update(subject="Deposit", attachments="screenshot.png")
    response = client.post(TICKETS, data)
    assert response.status_code == 400
    assert response.json() == {"attachments": ["Send files as multipart/form-data, each as a part named attachments."]}
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"txid": ""}, {"txid": ["This field is required."]}),
        ({"coin": "DOGE"}, {"coin": ["Select a valid choice. DOGE is not one of the available choices."]}),
        ({"network": "FTM"}, {"network": ["Select a valid choice. FTM is not one of the available choices."]}),
        ({"amount": "12,5"}, {"amount": ["Use a dot for decimals: 12.5."]}),
        ({"amount": "-3"}, {"amount": ["Enter an amount greater than zero."]}),
        ({"amount": "１００"}, {"amount": ["Enter the amount in digits 0–9, e.g. 250 or 0.015."]}),
    ],
)
def test_each_type_field_is_validated_as_on_the_form(client, deposit, overrides, errors):
    response = post(client, TICKETS, ticket_body(fields=deposit_values(**overrides)))
    assert response.status_code == 400
    assert response.json() == {"fields": errors}
    assert not Ticket.objects.exists()


def test_txid_and_address_are_checked_against_the_network_chosen(client, deposit):
    evm_address = "0x" + "a" * 40
    response = post(client, TICKETS, ticket_body(fields=deposit_values(txid="ab" * 20, address=evm_address)))
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert set(errors) == {"txid", "address"}
    assert "Tron (TRC20)" in errors["txid"][0]
    form = TicketForm(deposit, "en", data={**ticket_body(), **deposit_values(txid="ab" * 20, address=evm_address)})
    assert not form.is_valid()
    assert {name: list(messages) for name, messages in form.errors.items()} == errors  # the form's own messages
    fixed = post(client, TICKETS, ticket_body(fields=deposit_values(network="ERC20", txid="0x" + "ab" * 32)))
    assert fixed.status_code == 400 and set(fixed.json()["fields"]) == {"address"}  # a Tron address on Ethereum


def test_required_fixed_fields_an_unknown_type_and_a_bad_email_are_400s(client, deposit):
    response = post(client, TICKETS, {"type": "deposit", "fields": deposit_values()})
    assert response.status_code == 400
    assert set(response.json()) == {"email", "subject", "description"}
    response = post(client, TICKETS, ticket_body(email="not-an-email"))
    assert response.json() == {"email": ["Enter a valid email address."]}
    response = post(client, TICKETS, ticket_body(type="no-such-type"))
    assert response.status_code == 400 and list(response.json()) == ["type"]
    response = post(client, TICKETS, ticket_body(uid="12ab"))
    assert list(response.json()) == ["uid"]
    assert not Ticket.objects.exists()


def test_unknown_keys_are_a_400_naming_them_and_nothing_is_stored(client, deposit):
    response = post(client, TICKETS, ticket_body(colour="blue", note="x"))
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."], "note": ["Unknown field."]}
    response = post(client, TICKETS, ticket_body(fields={**deposit_values(), "wallet": "mine"}))
    assert response.json() == {"fields": {"wallet": ["Unknown field."]}}
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("key", ["status", "priority", "queue", "tier", "customer_tier", "assignee", "reference"])
def test_no_client_sets_what_the_desk_decides(client, deposit, key):
    response = post(client, TICKETS, ticket_body(**{key: "urgent"}))
    assert response.status_code == 400
    assert response.json() == {key: ["Set by our team, never by the request."]}
    response = post(client, TICKETS, ticket_body(fields={**deposit_values(), key: "urgent"}))
    assert response.status_code == 400 and list(response.json()["fields"]) == [key]
    assert not Ticket.objects.exists()


def test_values_that_are_not_strings_are_refused_with_a_message(client, deposit):
    response = post(client, TICKETS, ticket_body(fields={**deposit_values(), "amount": 12.5}))
    assert response.status_code == 400
    assert list(response.json()) == ["fields"] and "as a string" in response.json()["fields"]["amount"][0]
    response = post(client, TICKETS, ticket_body(subject=["a", "b"]))
    assert list(response.json()) == ["subject"]
    response = post(client, TICKETS, ticket_body(type=["deposit"]))
    assert list(response.json()) == ["type"]
    whole = post(client, TICKETS, ticket_body(fields={**deposit_values(), "amount": 250}))
    assert whole.status_code == 201 and Ticket.objects.get().fields["amount"] == "250"


def test_a_body_that_is_not_an_object_or_not_json_is_a_400(client, deposit):
    assert post(client, TICKETS, ["a"]).status_code == 400
    response = client.post(TICKETS, "{not json", content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()
    assert post(client, TICKETS, ticket_body(fields="txid")).status_code == 400


def test_the_api_needs_no_csrf_token_and_ignores_a_logged_in_session(superuser, deposit):
    browser = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    browser.force_login(superuser)
    response = post(browser, TICKETS, ticket_body())
    assert response.status_code == 201
    assert Ticket.objects.get().customer_email == "alice@example.com"


# Idempotency -----------------------------------------------------------------------------------------------------


def test_a_replay_with_the_same_key_and_body_returns_the_first_answer_and_creates_nothing(client, deposit):
    key = new_key()
    first = post(client, TICKETS, ticket_body(), key=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    reordered = dict(reversed(list(ticket_body().items())))
    again = post(client, TICKETS, reordered, key=key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the token too
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.OPENED).count() == 1


def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(client, deposit):
    key = new_key()
    post(client, TICKETS, ticket_body(), key=key)
    response = post(client, TICKETS, ticket_body(subject="Another problem"), key=key)
    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["USDT deposit missing"]


def test_different_keys_open_different_tickets(client, deposit):
    post(client, TICKETS, ticket_body(), key=new_key())
    post(client, TICKETS, ticket_body(), key=new_key())
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    "key", ["short", "x" * 129, "x" * 20 + "\n", "has space in it....", "ключ-ключ-ключ-ключ", "a/b" * 8]
)
def test_a_malformed_idempotency_key_is_a_400(client, deposit, key):
    response = client.post(
        TICKETS, json.dumps(ticket_body()), content_type="application/json", headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400 and list(response.json()) == ["Idempotency-Key"]
    assert not Ticket.objects.exists()


def test_neither_the_key_nor_the_token_is_stored(client, deposit):
    key = new_key()
    answer = post(client, TICKETS, ticket_body(), key=key).json()
    record = IdempotentRequest.objects.get()
    assert record.ticket.reference == answer["reference"]
    assert "token" not in record.response
    text = stored_text()
    assert key not in text and answer["token"] not in text


def test_an_idempotent_replay_is_not_counted_by_the_rate_limit(client, deposit, monkeypatch):
    monkeypatch.setattr(views, "OPEN_LIMIT", 1)
    key = new_key()
    assert post(client, TICKETS, ticket_body(), key=key).status_code == 201
    assert post(client, TICKETS, ticket_body(), key=key).status_code == 201
    assert post(client, TICKETS, ticket_body(), key=new_key()).status_code == 429


CONCURRENT = 5


def send_concurrently(url, body, headers, bodies=None):
    """POST from CONCURRENT threads released together (`bodies`: one each, else `body` for all)."""
    bodies = bodies or [body] * CONCURRENT

    def send(number):
        client = Client(headers={"accept-language": "en"})
        return client.post(url, json.dumps(bodies[number]), content_type="application/json", headers=headers)

    return at_once(send, CONCURRENT)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_open_one_ticket_and_all_get_its_answer():
    make_problem_type(slug="deposit")
    responses = send_concurrently(TICKETS, ticket_body(), {"Idempotency-Key": new_key()})
    assert [response.status_code for response in responses] == [201] * CONCURRENT
    assert len({json.dumps(response.json(), sort_keys=True) for response in responses}) == 1
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1 and IdempotentRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_and_different_bodies_open_one_ticket_and_the_others_get_422():
    make_problem_type(slug="deposit")
    bodies = [ticket_body(subject=f"Deposit {number % 2}") for number in range(CONCURRENT)]
    responses = send_concurrently(TICKETS, None, {"Idempotency-Key": new_key()}, bodies=bodies)
    ticket = Ticket.objects.get()
    assert Message.objects.count() == 1 and IdempotentRequest.objects.count() == 1
    for body, response in zip(bodies, responses, strict=True):
        if body["subject"] == ticket.subject:
            assert response.status_code == 201 and response.json()["reference"] == ticket.reference
        else:
            assert response.status_code == 422


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_with_one_key_add_one_message():
    make_problem_type(slug="deposit")
    answer = opened(Client(headers={"accept-language": "en"}))
    headers = {"Idempotency-Key": new_key(), "X-Ticket-Token": answer["token"]}
    responses = send_concurrently(answer["url"] + "replies/", {"body": "Any news?"}, headers)
    assert [response.status_code for response in responses] == [201] * CONCURRENT
    assert list(Message.objects.values_list("body", flat=True)) == ["Sent yesterday, still not credited.", "Any news?"]


# Rate limits -----------------------------------------------------------------------------------------------------


def test_too_many_tickets_from_one_address_are_a_429_with_retry_after_counted_with_the_form(
    client, deposit, monkeypatch
):
    monkeypatch.setattr(views, "OPEN_LIMIT", 2)
    form = {"email": "a@example.com", "subject": "s", "description": "d", **deposit_values()}
    assert client.post("/en/tickets/new/deposit/", form).status_code == 303
    assert post(client, TICKETS, ticket_body()).status_code == 201
    response = post(client, TICKETS, ticket_body())
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many tickets" in response.json()["detail"]
    assert Ticket.objects.count() == 2
    assert client.post("/en/tickets/new/deposit/", form).status_code == 429


def test_invalid_submissions_do_not_use_up_the_limit(client, deposit, monkeypatch):
    monkeypatch.setattr(views, "OPEN_LIMIT", 1)
    for _ in range(3):
        assert post(client, TICKETS, ticket_body(email="bad")).status_code == 400
    assert post(client, TICKETS, ticket_body()).status_code == 201


def test_too_many_replies_are_a_429_shared_with_the_tracking_page(client, deposit, monkeypatch):
    monkeypatch.setattr(views, "REPLY_LIMIT", 1)
    answer = opened(client)
    url = answer["url"] + "replies/"
    assert post(client, url, {"body": "one"}, token=answer["token"]).status_code == 201
    response = post(client, url, {"body": "two"}, token=answer["token"])
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert Message.objects.count() == 2


# Secrets ---------------------------------------------------------------------------------------------------------


def test_a_seed_phrase_in_the_description_is_redacted_exactly_as_on_the_form(client, deposit, caplog):
    phrase = Mnemonic("english").generate(128)
    description = f"Support asked for it: {phrase}"
    answer = opened(client, description=description)
    assert answer["secrets_removed"] == ["seed_phrase"]
    assert answer["secrets_advice"][0]["kind"] == "seed_phrase"
    assert "new wallet" in answer["secrets_advice"][0]["advice"]
    api_ticket = Ticket.objects.get(reference=answer["reference"])
    form = {"email": "a@example.com", "subject": "s", "description": description, **deposit_values()}
    client.post("/en/tickets/new/deposit/", form)
    form_ticket = Ticket.objects.exclude(pk=api_ticket.pk).get()
    redacted = "Support asked for it: [removed: seed phrase]"
    assert api_ticket.messages.get().body == form_ticket.messages.get().body == redacted
    assert api_ticket.secrets_removed == form_ticket.secrets_removed == ["seed_phrase"]
    event = api_ticket.events.get(kind=TicketEvent.Kind.SECRET_REMOVED)
    assert event.data == {"removed": {"description": ["seed_phrase"]}}
    assert_nowhere(phrase, json.dumps(answer), stored_text(), caplog.text)


def test_a_key_in_a_structured_field_is_a_400_that_never_echoes_it(client, deposit, caplog):
    key = wif()
    response = post(client, TICKETS, ticket_body(fields=deposit_values(txid=key)))
    assert response.status_code == 400
    assert any("We removed a private key from this field" in m for m in response.json()["fields"]["txid"])
    assert key not in response.content.decode() and key not in caplog.text
    assert not Ticket.objects.exists()


def test_a_secret_sent_with_an_invalid_body_is_not_echoed_in_the_errors(client, deposit):
    phrase = Mnemonic("english").generate(128)
    response = post(client, TICKETS, ticket_body(description=phrase, fields=deposit_values(amount="-1")))
    assert response.status_code == 400
    assert_nowhere(phrase, response.content.decode())


def test_a_reply_with_a_password_is_redacted_and_says_what_was_removed(client, deposit):
    answer = opened(client)
    body = {"body": "my password is Hunter2Secret!"}
    response = post(client, answer["url"] + "replies/", body, token=answer["token"])
    assert response.status_code == 201
    assert response.json()["secrets_removed"] == ["password"]
    assert "Hunter2Secret" not in response.content.decode() and "Hunter2Secret" not in stored_text()
    assert Ticket.objects.get().secrets_removed == ["password"]


def test_the_body_and_locals_stay_out_of_error_reports(client, deposit, monkeypatch):
    phrase = Mnemonic("english").generate(128)
    reports = []

    def report(sender, request, **kwargs):
        import sys

        reports.append(ExceptionReporter(request, *sys.exc_info()).get_traceback_text())

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "open_ticket", broken)  # the form of the API without a key
    monkeypatch.setattr(actions.customer, "open_ticket", broken)  # with a key, through open_ticket_for_request
    got_request_exception.connect(report)
    try:
        failing = Client(raise_request_exception=False)
        data = {key: value for key, value in ticket_body(description=phrase).items() if key != "fields"}
        data.update({f"fields.{key}": value for key, value in deposit_values().items()})
        assert failing.post(TICKETS, data).status_code == 500
        assert post(failing, TICKETS, ticket_body(description=phrase)).status_code == 500
    finally:
        got_request_exception.disconnect(report)
    assert len(reports) == 2
    for text in reports:
        assert "the database went away" in text
        assert_nowhere(phrase, text)
        assert "alice@example.com" not in text


# Reading and replying with the token -----------------------------------------------------------------------------


def test_the_customer_reads_status_fields_public_messages_and_expected_reply(client, deposit, agent_a):
    answer = opened(client)
    ticket = Ticket.objects.get()
    add_message(ticket, body="We are checking the network.", author_user=agent_a)
    add_message(ticket, body="Customer seems upset", kind=Message.Kind.INTERNAL, author_user=agent_a)
    response = client.get(answer["url"], headers={"X-Ticket-Token": answer["token"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert data["reference"] == ticket.reference and data["subject"] == "USDT deposit missing"
    assert data["status"] == {"code": "new", "text": "Received: we will reply soon"}
    assert data["type"] == {"slug": "deposit", "name": "Deposit not credited"}
    assert {"key": "network", "label": "Network", "value": "TRC20", "text": "Tron (TRC20)"} in data["fields"]
    assert [(m["author"], m["body"]) for m in data["messages"]] == [
        ("customer", "Sent yesterday, still not credited."),
        ("agent", "We are checking the network."),
    ]
    text = response.content.decode()
    for internal in ("Customer seems upset", agent_a.username, "priority", "queue", "assignee", "alice@example.com"):
        assert internal not in text


def test_field_labels_follow_the_language_asked(client, deposit):
    answer = opened(client)
    data = client.get(answer["url"], {"language": "zh-hans"}, headers={"X-Ticket-Token": answer["token"]}).json()
    assert data["type"]["name"] == "充值未到账"
    assert data["fields"][0]["label"] == "币种"


def test_reading_a_ticket_takes_a_bounded_number_of_queries(client, deposit, django_assert_num_queries):
    answer = opened(client)
    ticket = Ticket.objects.get()
    for n in range(5):
        add_message(ticket, body=f"reply {n}")
    with django_assert_num_queries(5):  # one of them for the files of every message
        assert client.get(answer["url"], headers={"X-Ticket-Token": answer["token"]}).status_code == 200


def test_a_wrong_or_missing_token_and_an_unknown_reference_are_the_same_404(client, deposit):
    answer = opened(client)
    other = opened(client)
    url = answer["url"]
    responses = [
        client.get(url),
        client.get(url, headers={"X-Ticket-Token": "wrong"}),
        client.get(url, headers={"X-Ticket-Token": other["token"]}),
        client.get(url, headers={"X-Ticket-Token": "x" * 5000}),
        client.get(TICKETS + "HD-AAAAAAAA/", headers={"X-Ticket-Token": answer["token"]}),
        client.get(TICKETS + "nonsense/", headers={"X-Ticket-Token": answer["token"]}),
        post(client, url + "replies/", {"body": "hi"}, token=other["token"]),
        post(client, TICKETS + "HD-AAAAAAAA/replies/", {"body": "hi"}, token=answer["token"]),
    ]
    assert {response.status_code for response in responses} == {404}
    assert {response.content for response in responses} == {responses[0].content}
    assert Message.objects.count() == 2


def test_a_token_in_the_query_string_is_refused_and_not_looked_up(client, deposit, django_assert_num_queries):
    answer = opened(client)
    with django_assert_num_queries(0):
        response = client.get(answer["url"], {"token": answer["token"]})
    assert response.status_code == 400
    assert response.json() == {"token": ["Send the ticket's token in the X-Ticket-Token header, never in the URL."]}
    response = post(client, answer["url"] + f"replies/?token={answer['token']}", {"body": "hi"}, token=answer["token"])
    assert response.status_code == 400 and Message.objects.count() == 1


def test_the_customer_replies_with_the_token_and_a_pending_ticket_reopens(client, deposit):
    answer = opened(client)
    ticket = Ticket.objects.get()
    actions.change_status(ticket=ticket, status=Ticket.Status.PENDING)
    response = post(client, answer["url"] + "replies/", {"body": "Here is the screenshot link."}, token=answer["token"])
    assert response.status_code == 201
    assert response.json()["body"] == "Here is the screenshot link."
    assert response.json()["author"] == "customer"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.last().body == "Here is the screenshot link."


def test_a_reply_is_validated_and_unknown_keys_are_refused(client, deposit):
    answer = opened(client)
    url = answer["url"] + "replies/"
    assert post(client, url, {"body": ""}, token=answer["token"]).json() == {"body": ["This field is required."]}
    response = post(client, url, {"body": "hi", "status": "solved"}, token=answer["token"])
    assert response.json() == {"status": ["Set by our team, never by the request."]}
    response = post(client, url, {"body": "x" * 10_001}, token=answer["token"])
    assert response.status_code == 400 and list(response.json()) == ["body"]
    assert Message.objects.count() == 1


def test_a_closed_ticket_refuses_replies_with_a_409(client, deposit):
    answer = opened(client)
    actions.change_status(ticket=Ticket.objects.get(), status=Ticket.Status.CLOSED)
    response = post(client, answer["url"] + "replies/", {"body": "hello?"}, token=answer["token"])
    assert response.status_code == 409 and "closed" in response.json()["detail"]
    assert Message.objects.count() == 1


def test_a_reply_replayed_with_its_key_adds_one_message_and_another_body_is_a_422(client, deposit):
    answer = opened(client)
    url, key = answer["url"] + "replies/", new_key()
    first = post(client, url, {"body": "Any news?"}, key=key, token=answer["token"])
    again = post(client, url, {"body": "Any news?"}, key=key, token=answer["token"])
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert post(client, url, {"body": "Other"}, key=key, token=answer["token"]).status_code == 422
    other = opened(client)
    elsewhere = post(client, other["url"] + "replies/", {"body": "Any news?"}, key=key, token=other["token"])
    assert elsewhere.status_code == 422
    assert Message.objects.filter(body="Any news?").count() == 1
    assert Message.objects.count() == 3


# Schema and cost -------------------------------------------------------------------------------------------------


def test_the_schema_documents_the_public_endpoints_with_their_headers(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/ticket-types/"]
    opening = paths["/api/v1/tickets/"]["post"]
    assert {"201", "400", "422", "429"} <= set(opening["responses"])
    assert "Idempotency-Key" in {parameter["name"] for parameter in opening["parameters"]}
    assert {"application/json", "multipart/form-data"} <= set(opening["requestBody"]["content"])
    reading = paths["/api/v1/tickets/{reference}/"]["get"]
    assert "X-Ticket-Token" in {parameter["name"] for parameter in reading["parameters"]}
    assert "404" in reading["responses"]
    replying = paths["/api/v1/tickets/{reference}/replies/"]["post"]
    assert {"201", "404", "409", "422", "429"} <= set(replying["responses"])
    assert not opening.get("security") or opening["security"] == [{}]


# SQL statements per ticket once the problem types are kept by the process: the ticket (in a savepoint here, as the
# test runs in a transaction: BEGIN and COMMIT in production), its message, its events, its SLA clocks, the
# confirmation email's task and the email. An Idempotency-Key adds 2: its lookup and recording the request.
QUERIES_PER_TICKET = 8
KEYED_EXTRA = 2


def test_opening_a_ticket_takes_a_bounded_number_of_queries(client, deposit, commit, django_assert_num_queries):
    commit()  # the new problem type is kept by the process from now on
    opened(client)  # the first request warms the per-process caches (translations, content types)
    with django_assert_num_queries(QUERIES_PER_TICKET):
        post(client, TICKETS, ticket_body())
    with django_assert_num_queries(QUERIES_PER_TICKET + KEYED_EXTRA):
        post(client, TICKETS, ticket_body(), key=new_key())
    with django_assert_num_queries(QUERIES_PER_TICKET):
        post(client, TICKETS, ticket_body(description="Another one, longer " * 20))


def test_errors_and_the_404_speak_the_language_of_the_request(deposit):
    chinese = Client(headers={"accept-language": "zh-hans"})
    response = post(chinese, TICKETS, ticket_body(colour="blue", language="zh-hans"))
    assert response.json() == {"colour": ["未知字段。"]}
    response = post(chinese, TICKETS, ticket_body(language="zh-hans", fields=deposit_values(amount="-1")))
    assert response.json() == {"fields": {"amount": ["请输入大于零的数量。"]}}
    missing = chinese.get(TICKETS + "HD-AAAAAAAA/")
    assert missing.json() == {"detail": "没有这个工单，或 X-Ticket-Token 请求头无法打开它。"}


def test_secrets_in_the_subject_name_and_a_free_text_field_are_redacted_too(client, deposit):
    phrase = Mnemonic("english").generate(128)
    answer = opened(client, subject=phrase, name=f"Bob {phrase}", fields=deposit_values(note=f"words: {phrase}"))
    ticket = Ticket.objects.get()
    assert answer["secrets_removed"] == ["seed_phrase"]
    assert "[removed: seed phrase]" in ticket.subject and "[removed: seed phrase]" in ticket.fields["note"]
    assert ticket.customer_name.startswith("Bob")
    assert_nowhere(phrase, stored_text(), json.dumps(answer))


def test_a_body_nested_too_deeply_or_too_large_is_refused_with_a_message(client, deposit, settings):
    deep = {"type": "deposit", "fields": {}}
    inner = deep["fields"]
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]
    response = post(client, TICKETS, deep)
    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, TICKETS, ticket_body(description="x" * 2000))
    assert response.status_code == 413
    assert not Ticket.objects.exists()


def test_other_methods_on_a_ticket_change_nothing(client, deposit):
    answer = opened(client)
    headers = {"X-Ticket-Token": answer["token"]}
    for method in (client.put, client.patch, client.delete):
        response = method(answer["url"], '{"status": "solved"}', content_type="application/json", headers=headers)
        assert response.status_code == 405
    assert post(client, answer["url"], {"status": "solved"}, token=answer["token"]).status_code == 405
    assert Ticket.objects.get().status == Ticket.Status.NEW


def test_an_over_long_reference_is_the_same_404(client, deposit):
    answer = opened(client)
    plain = client.get(TICKETS + "HD-AAAAAAAA/", headers={"X-Ticket-Token": answer["token"]})
    long = client.get(TICKETS + "HD-" + "A" * 5000 + "/", headers={"X-Ticket-Token": answer["token"]})
    assert long.status_code == plain.status_code == 404 and long.content == plain.content


def test_a_type_that_asks_for_the_uid_takes_it_in_fields_or_at_the_top_but_once(client):
    uid_row = {"name": "uid", "kind": "uid", "required": True, "labels": {"zh-hans": "UID", "en": "UID"}}
    make_problem_type(slug="kyc", fields=[uid_row])
    body = {"type": "kyc", "email": "a@example.com", "subject": "KYC", "description": "Rejected."}
    assert post(client, TICKETS, body).json() == {"fields": {"uid": ["This field is required."]}}
    assert post(client, TICKETS, {**body, "fields": {"uid": "１２３４５"}}).status_code == 400
    assert post(client, TICKETS, {**body, "uid": "12345", "fields": {"uid": "12345"}}).status_code == 400
    assert post(client, TICKETS, {**body, "fields": {"uid": "12345"}}).status_code == 201
    assert post(client, TICKETS, {**body, "uid": "67890"}).status_code == 201
    assert sorted(Ticket.objects.values_list("customer_uid", flat=True)) == ["12345", "67890"]


@pytest.mark.parametrize("same_body", [True, False])
def test_a_key_replayed_after_the_resubmit_window_still_gets_its_first_answer(client, deposit, same_body):
    from tickets import actions

    key = new_key()
    first = post(client, TICKETS, ticket_body(), key=key)
    Ticket.objects.update(created_at=timezone.now() - actions.RESUBMIT_WINDOW - timedelta(hours=1))
    again = post(client, TICKETS, ticket_body() if same_body else ticket_body(subject="Another problem"), key=key)
    if same_body:
        assert again.status_code == 201 and again.json() == first.json()
    else:
        assert again.status_code == 422
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
