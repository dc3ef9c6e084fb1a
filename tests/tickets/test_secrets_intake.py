"""The secrets guard on every path a customer's text takes into the desk: redacted, flagged, never echoed or stored."""

import logging
import secrets

import base58
import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from mnemonic import Mnemonic

from tests.tickets.factories import ADDRESS, DEPOSIT_FIELDS, TXID, deposit_values, make_problem_type
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposit():
    return make_problem_type(slug="deposit", names={"zh-hans": "充值未到账", "en": "Deposit not credited"})


def seed_phrase(language="english"):
    return Mnemonic(language).generate(128)


def wif():
    return base58.b58encode_check(b"\x80" + secrets.token_bytes(32) + b"\x01").decode()


def form_data(**overrides):
    data = {"email": "alice@example.com", "subject": "USDT deposit missing", "description": "Sent yesterday."}
    data.update(deposit_values())
    data.update(overrides)
    return data


def fragments(secret):
    """Pieces of a secret that must not survive anywhere: any 4 consecutive words, or any 12 characters."""
    words = secret.split()
    if len(words) >= 12:
        return [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
    return [secret[i : i + 12] for i in range(0, len(secret) - 11, 4)]


def stored_text():
    """Every text column of every table of the project and of sessions, as one string."""
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label not in {"tickets", "kb", "sessions", "axes"}:
                continue
            columns = [f.column for f in model._meta.concrete_fields if f.get_internal_type() in TEXTUAL]
            if not columns:
                continue
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(model._meta.db_table)}")
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


TEXTUAL = {"CharField", "TextField", "JSONField", "EmailField", "SlugField"}


def assert_nowhere(secret, *texts):
    for text in texts:
        for piece in fragments(secret):
            assert piece not in text


def test_a_seed_phrase_in_the_description_is_removed_and_the_ticket_is_filed_and_flagged(client, deposit, caplog):
    phrase = seed_phrase()
    caplog.set_level(logging.DEBUG)
    response = client.post("/en/tickets/new/deposit/", form_data(description=f"Support asked for it: {phrase}"))
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert ticket.secrets_removed == ["seed_phrase"] and ticket.secret_exposed
    assert ticket.messages.get().body == "Support asked for it: [removed: seed phrase]"
    event = ticket.events.get(kind=TicketEvent.Kind.SECRET_REMOVED)
    assert event.data == {"removed": {"description": ["seed_phrase"]}}
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "We removed a secret from your message" in html and "Removed: seed phrase." in html
    assert "[removed: seed phrase]" in html
    assert_nowhere(phrase, html, stored_text(), caplog.text)
    again = client.get(response["Location"]).content.decode()
    assert "We removed a secret" not in again  # told once, right after sending


@pytest.mark.parametrize("language", ["english", "chinese_simplified", "japanese", "spanish"])
def test_phrases_of_every_wordlist_are_removed_from_subject_and_type_fields(client, deposit, language):
    phrase = seed_phrase(language)
    separated = ", ".join(phrase.split()) if language.startswith("chinese") else phrase
    response = client.post("/en/tickets/new/deposit/", form_data(subject=separated[:150], note=f"words: {separated}"))
    assert response.status_code in (200, 303)
    assert_nowhere(separated, response.content.decode(), stored_text())


def test_a_key_in_a_structured_field_empties_it_with_an_error_and_is_never_echoed(client, deposit, caplog):
    key = wif()
    caplog.set_level(logging.DEBUG)
    response = client.post("/en/tickets/new/deposit/", form_data(txid=key, address=key))
    assert response.status_code == 200
    html = response.content.decode()
    assert key not in html and "We removed a private key from this field" in html
    assert "We removed a secret from your message" in html
    assert not Ticket.objects.exists()
    assert_nowhere(key, html, stored_text(), caplog.text)
    fixed = client.post("/en/tickets/new/deposit/", form_data(txid=TXID, address=ADDRESS))
    assert fixed.status_code == 303


def test_a_secret_in_another_fields_error_page_is_not_echoed(client, deposit):
    phrase = seed_phrase()
    response = client.post("/en/tickets/new/deposit/", form_data(description=phrase, amount="-1"))
    html = response.content.decode()
    assert response.status_code == 200 and "greater than zero" in html
    assert "[removed: seed phrase]" in html
    assert_nowhere(phrase, html)


def test_a_reply_with_a_password_is_redacted_and_the_ticket_flagged(client, deposit):
    response = client.post("/en/tickets/new/deposit/", form_data())
    ticket = Ticket.objects.get()
    url = reverse("tickets:ticket", args=[ticket.reference])
    response = client.post(url, {"body": "my password is Vx93-kLmq!zz, please check"})
    assert response.status_code == 303
    message = ticket.messages.last()
    assert "Vx93-kLmq!zz" not in message.body and "[removed: password]" in message.body
    assert message.secrets_removed == ["password"]
    assert Ticket.objects.get(pk=ticket.pk).secrets_removed == ["password"]
    html = client.get(url).content.decode()
    assert "Removed: password." in html and "Vx93-kLmq!zz" not in html
    assert "Vx93-kLmq!zz" not in stored_text()


def test_the_agents_see_the_flag_in_the_admin_and_never_the_secret(client, deposit, superuser):
    phrase = seed_phrase()
    client.post("/en/tickets/new/deposit/", form_data(description=phrase))
    ticket = Ticket.objects.get()
    client.force_login(superuser)
    listing = client.get(reverse("admin:tickets_ticket_changelist") + "?secret_exposed=yes").content.decode()
    assert ticket.reference in listing
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert "[removed: seed phrase]" in page
    assert_nowhere(phrase, listing, page)


def test_the_ticket_views_hide_post_data_and_locals_from_error_reports(rf, deposit):
    from django.contrib.sessions.backends.db import SessionStore

    from tickets import views

    request = rf.post("/en/tickets/new/deposit/", form_data())
    request.session = SessionStore()
    views.new_ticket(request, slug="deposit")
    assert request.sensitive_post_parameters == "__ALL__"
    ticket = Ticket.objects.get()
    request = rf.post(f"/en/tickets/{ticket.reference}/", {"body": "x"})
    request.session = SessionStore()
    request.session["ticket_grants"] = [ticket.pk]
    views.ticket_page(request, reference=ticket.reference)
    assert request.sensitive_post_parameters == "__ALL__"


def test_messages_and_events_of_a_cleaned_ticket_hold_only_markers():
    from tickets import actions

    phrase, key = seed_phrase(), wif()
    problem_type = make_problem_type(fields=DEPOSIT_FIELDS)
    opened = actions.open_ticket(
        problem_type=problem_type,
        language="en",
        email="a@example.com",
        subject="help",
        description=f"{phrase}\nkey {key}",
        fields={"note": phrase, "txid": key},
    )
    ticket = opened.ticket
    assert ticket.fields["note"] == "[removed: seed phrase]"
    assert key not in ticket.fields["txid"]
    assert set(ticket.secrets_removed) == {"seed_phrase", "private_key"}
    assert Message.objects.get().secrets_removed
    assert_nowhere(phrase, stored_text())
    assert_nowhere(key, stored_text())


def test_a_secret_removed_on_an_earlier_try_of_the_form_still_flags_the_ticket(client, deposit):
    phrase = seed_phrase()
    first = client.post("/en/tickets/new/deposit/", form_data(description=phrase, amount="-1"))
    form = first.context["form"]
    assert form["earlier_removed"].value() == "seed_phrase"
    again = {**form_data(description=form["description"].value()), "earlier_removed": "seed_phrase,bogus"}
    assert client.post("/en/tickets/new/deposit/", again).status_code == 303
    ticket = Ticket.objects.get()
    assert ticket.secrets_removed == ["seed_phrase"]
    assert ticket.events.get(kind="secret_removed").data == {"removed": {"earlier": ["seed_phrase"]}}
