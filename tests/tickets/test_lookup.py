"""Looking up one's tickets by email: the same answer for every address, a short-lived single-use link by email, a
list of that address's tickets only, rate limits that reveal nothing, no token in a log or in the database."""

import io
import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.concurrency import at_once
from tests.tickets.factories import make_problem_type, open_ticket
from tickets import actions
from tickets.models import LookupLink, OutgoingEmail, Ticket, hash_token

pytestmark = pytest.mark.django_db

SITE_URL = "https://help.example.com"
LINK = re.compile(re.escape(SITE_URL) + r"(/(?:en|zh-hans)/tickets/l/([A-Za-z0-9_-]+)/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def carol(db):
    """Two tickets of carol@example.com (one spelt in capitals) and one of someone else."""
    problem_type = make_problem_type()
    first, _ = open_ticket(problem_type, email="carol@example.com", subject="Deposit missing", language="en")
    second, _ = open_ticket(problem_type, email="Carol@Example.com", subject="Withdrawal stuck", language="en")
    other, _ = open_ticket(problem_type, email="dave@example.com", subject="Dave's own", language="en")
    mail.outbox.clear()
    OutgoingEmail.objects.all().delete()
    DBTaskResult.objects.all().delete()
    return {"first": first, "second": second, "other": other}


def browser():
    return Client(headers={"accept-language": "en"})


def ask(client, email, language="en"):
    return client.post(f"/{language}/tickets/lookup/", {"email": email})


def lookup_emails():
    return [message for message in mail.outbox if "/tickets/l/" in message.body]


def link_in(message):
    """The path of the lookup link in an email, and its token."""
    match = LINK.search(message.body)
    return match.group(1), match.group(2)


def emailed_link(client, run_worker, email="carol@example.com"):  # noqa: F811
    assert ask(client, email).status_code == 303
    run_worker()
    return link_in(lookup_emails()[-1])


def use(client, path):
    """Open the emailed link and press its button; returns the button's response."""
    assert client.get(path).status_code == 303
    return client.post("/en/tickets/lookup/open/")


# The answer never tells whether an address has tickets


def _answer(email):
    client = browser()
    client.get("/en/tickets/lookup/")
    with CaptureQueriesContext(connection) as queries:
        response = ask(client, email)
    sent = client.get(response["Location"])
    headers = dict(response.items())
    return {
        "status": response.status_code,
        "headers": headers,
        "cookies": sorted(response.cookies),
        "body": response.content,
        "queries": len(queries),
        "sent_status": sent.status_code,
        "sent_page": sent.content.decode().replace(email, "ADDRESS"),
    }


def test_an_address_with_tickets_and_one_without_get_the_same_answer_headers_and_query_count(carol):
    with_tickets, without = _answer("carol@example.com"), _answer("nobody@example.com")
    assert with_tickets["status"] == 303 and with_tickets["headers"]["Location"] == "/en/tickets/lookup/sent/"
    with_tickets["sent_page"] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", with_tickets["sent_page"])
    without["sent_page"] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", without["sent_page"])
    assert with_tickets == without
    assert "If ADDRESS has tickets with us, we are sending it a link to them now." in without["sent_page"]


def test_both_answers_queue_one_task_and_nothing_else(carol):
    ask(browser(), "carol@example.com")
    ask(browser(), "nobody@example.com")
    assert DBTaskResult.objects.count() == 2
    assert LookupLink.objects.count() == 0 and OutgoingEmail.objects.count() == 0


def test_the_worker_emails_a_link_to_an_address_with_tickets_and_nothing_to_one_without(carol, run_worker):  # noqa: F811
    ask(browser(), "nobody@example.com")
    ask(browser(), "CAROL@example.COM")
    run_worker()
    [message] = lookup_emails()
    assert message.to == ["Carol@Example.com"]  # as the latest ticket spells it: the case of the address is ignored
    assert message.subject == "Your link to your tickets"
    assert "works once" in message.body and "30 minutes" in message.body
    [link] = LookupLink.objects.all()
    assert link.email == "Carol@Example.com" and link.used_at is None
    assert link.expires_at - link.created_at == timedelta(minutes=30)


def test_the_email_is_in_the_language_of_the_page(carol, run_worker):  # noqa: F811
    ask(browser(), "carol@example.com", language="zh-hans")
    run_worker()
    [message] = lookup_emails()
    path, _token = link_in(message)
    assert path.startswith("/zh-hans/tickets/l/")
    assert "查看" in message.subject or "工单" in message.subject


def test_the_token_is_stored_only_as_its_hash_and_the_sealed_copy_is_forgotten_once_sent(carol, run_worker):  # noqa: F811
    _path, token = emailed_link(browser(), run_worker)
    assert len(token) >= 32  # 192 random bits, URL-safe base64
    link = LookupLink.objects.get()
    assert link.token_hash == hash_token(token)
    email = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.LOOKUP_LINK)
    assert email.status == OutgoingEmail.Status.SENT and email.sealed_token == ""
    for table in ("tickets_lookuplink", "tickets_outgoingemail", "django_tasks_database_dbtaskresult"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            assert token not in repr(cursor.fetchall()), table


# The link: a button uses it, once, within 30 minutes


def test_opening_the_link_moves_to_a_clean_page_without_using_it_up(carol, run_worker):  # noqa: F811
    client = browser()
    path, token = emailed_link(client, run_worker)
    response = client.get(path)
    assert response.status_code == 303 and response["Location"] == "/en/tickets/lookup/open/"
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    page = client.get("/en/tickets/lookup/open/")
    assert page.status_code == 200 and token not in page.content.decode()
    assert "Show my tickets" in page.content.decode()
    assert LookupLink.objects.get().used_at is None  # a mail filter fetching the link leaves it for the customer


def test_the_button_lists_that_addresss_tickets_only_and_each_opens(carol, run_worker):  # noqa: F811
    client = browser()
    path, _token = emailed_link(client, run_worker)
    response = use(client, path)
    assert response.status_code == 303 and response["Location"] == "/en/tickets/mine/"
    page = client.get("/en/tickets/mine/")
    text = page.content.decode()
    assert page.status_code == 200
    assert list(page.context["tickets"]) == [carol["second"], carol["first"]]
    assert carol["first"].reference in text and "Withdrawal stuck" in text
    assert "Received: we will reply soon" in text
    assert carol["other"].reference not in text and "Dave" not in text
    for ticket in (carol["first"], carol["second"]):
        assert client.get(f"/en/tickets/{ticket.reference}/").status_code == 200
    assert client.get(f"/en/tickets/{carol['other'].reference}/").status_code == 404


def test_the_list_runs_a_constant_number_of_queries(carol, run_worker, django_assert_num_queries):  # noqa: F811
    client = browser()
    use(client, emailed_link(client, run_worker)[0])
    client.get("/en/tickets/mine/")
    with CaptureQueriesContext(connection) as few:
        client.get("/en/tickets/mine/")
    problem_type = carol["first"].problem_type
    for number in range(8):
        open_ticket(problem_type, email="carol@example.com", subject=f"More {number}", language="en")
    with django_assert_num_queries(len(few)):
        page = client.get("/en/tickets/mine/")
    assert len(page.context["tickets"]) == 10


def test_a_used_link_says_so_and_offers_a_new_one(carol, run_worker):  # noqa: F811
    path, _token = emailed_link(browser(), run_worker)
    assert use(browser(), path).status_code == 303
    late = browser()
    response = use(late, path)
    text = response.content.decode()
    assert response.status_code == 410
    assert "This link was already used" in text and 'action="/en/tickets/lookup/"' in text
    assert late.get("/en/tickets/mine/")["Location"] == "/en/tickets/lookup/"
    assert late.get(f"/en/tickets/{carol['first'].reference}/").status_code == 404


def test_an_expired_link_says_so_and_grants_nothing(carol, run_worker):  # noqa: F811
    client = browser()
    path, _token = emailed_link(client, run_worker)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = use(client, path)
        assert response.status_code == 410 and "This link has expired" in response.content.decode()
        assert client.get("/en/tickets/mine/").status_code == 303
    assert LookupLink.objects.get().used_at is None


def test_a_link_just_inside_its_half_hour_still_works(carol, run_worker):  # noqa: F811
    client = browser()
    path, _token = emailed_link(client, run_worker)
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert use(client, path).status_code == 303


def test_a_made_up_or_mangled_link_is_a_404_that_offers_a_new_one(carol, run_worker):  # noqa: F811
    client = browser()
    path, token = emailed_link(client, run_worker)
    for bad in (path.replace(token, token[:-2] + "xx"), "/en/tickets/l/" + "A" * 5000 + "/"):
        response = use(client, bad)
        assert response.status_code == 404 and "This link is not valid" in response.content.decode()
    assert browser().get("/en/tickets/lookup/open/").status_code == 404
    assert browser().post("/en/tickets/lookup/open/").status_code == 404
    assert LookupLink.objects.get().used_at is None


def test_the_access_the_link_gave_ends_after_two_hours(carol, run_worker):  # noqa: F811
    client = browser()
    use(client, emailed_link(client, run_worker)[0])
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        assert client.get("/en/tickets/mine/").status_code == 303
        assert client.get(f"/en/tickets/{carol['first'].reference}/").status_code == 404


def test_using_the_link_gives_the_session_a_new_key(carol, run_worker):  # noqa: F811
    client = browser()
    path, _token = emailed_link(client, run_worker)
    client.get(path)
    before = client.cookies["sessionid"].value
    client.post("/en/tickets/lookup/open/")
    assert client.cookies["sessionid"].value != before


def test_opening_the_link_changes_nothing_and_the_button_needs_csrf(carol, run_worker):  # noqa: F811
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    path, _token = emailed_link(browser(), run_worker)
    client.get(path)
    assert client.post("/en/tickets/lookup/open/").status_code == 403
    assert client.head(path).status_code == 303
    assert LookupLink.objects.get().used_at is None


@pytest.mark.django_db(transaction=True)
def test_five_browsers_pressing_the_button_at_once_use_the_link_once(run_worker):  # noqa: F811
    open_ticket(email="erin@example.com", language="en")
    path, _token = emailed_link(browser(), run_worker, email="erin@example.com")
    browsers = [browser() for _ in range(5)]
    for each in browsers:
        each.get(path)
    responses = at_once(lambda number: browsers[number].post("/en/tickets/lookup/open/"), len(browsers))
    assert sorted(response.status_code for response in responses) == [303, 410, 410, 410, 410]


@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_link_at_once_let_exactly_one_through():
    token = "t" * 32
    now = timezone.now()
    LookupLink.objects.create(
        email="f@example.com", token_hash=hash_token(token), language="en", expires_at=now + timedelta(minutes=30)
    )
    results = at_once(lambda _number: actions.use_lookup_link(token_hash=hash_token(token)), 2)
    assert sorted(result is None for result in results) == [False, True]


# Rate limits


def test_an_address_gets_at_most_three_links_an_hour_whoever_asks(carol, run_worker):  # noqa: F811
    for _ in range(5):
        assert ask(browser(), "carol@example.com").status_code == 303
    run_worker()
    assert len(lookup_emails()) == 3 and LookupLink.objects.count() == 3


def test_the_address_limit_answers_alike_for_an_address_with_and_without_tickets(carol):
    for _ in range(3):
        ask(browser(), "carol@example.com")
        ask(browser(), "nobody@example.com")
    # Both over their address's limit now; counted in the worker, so the page cannot show the difference.
    answers = {ask(browser(), email).status_code for email in ("carol@example.com", "nobody@example.com")}
    assert answers == {303}


def test_a_client_asking_for_too_many_addresses_gets_a_429_with_the_form_kept(carol):
    client = browser()
    for number in range(10):
        assert ask(client, f"someone{number}@example.com").status_code == 303
    response = ask(client, "carol@example.com")
    text = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many lookups were asked for from your network" in text and 'value="carol@example.com"' in text
    assert DBTaskResult.objects.count() == 10


def test_the_client_limit_is_the_same_for_an_address_with_and_without_tickets(carol):
    first, second = browser(), Client(headers={"accept-language": "en"}, REMOTE_ADDR="10.0.0.9")
    for number in range(10):
        ask(first, f"a{number}@example.com")
        ask(second, f"b{number}@example.com")
    assert ask(first, "carol@example.com").status_code == ask(second, "nobody@example.com").status_code == 429


# Bad input


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("not-an-address", "Enter a valid email address."),
        ("a@b", "Enter a valid email address."),
        ("x" * 250 + "@example.com", "Ensure this value has at most 254 characters"),
        ("x" * 100_000 + "@example.com", "This is too long to be an email address."),
    ],
)
def test_bad_input_is_a_form_error_and_queues_nothing(client, value, message):
    response = client.post("/en/tickets/lookup/", {"email": value})
    text = response.content.decode()
    assert response.status_code == 200 and message in text
    assert "x" * 1000 not in text
    assert DBTaskResult.objects.count() == 0


def test_a_missing_field_or_other_method_is_a_clear_4xx(client):
    assert client.post("/en/tickets/lookup/", {}).status_code == 200
    assert client.put("/en/tickets/lookup/").status_code == 405
    assert client.post("/en/tickets/lookup/sent/").status_code == 405
    assert client.post("/en/tickets/mine/").status_code == 405


def test_a_secret_typed_into_the_address_field_is_not_shown_again(client):
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    response = client.post("/en/tickets/lookup/", {"email": phrase})
    text = response.content.decode()
    assert response.status_code == 200 and "abandon" not in text
    assert DBTaskResult.objects.count() == 0


# Secrets stay out of logs


@pytest.fixture
def handler_output():
    stream = io.StringIO()
    handlers = [logging.getLogger("django.server").handlers[0], logging.getLogger().handlers[0]]
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_no_lookup_token_reaches_a_log_line(carol, run_worker, handler_output):  # noqa: F811
    client = browser()
    path, token = emailed_link(client, run_worker)
    logging.getLogger("django.server").info('"%s" %s %s', f"GET {path} HTTP/1.1", 303, 0)
    client.get(path.replace(token, token[:-2] + "xx"))
    client.get(path)
    client.post("/en/tickets/lookup/open/")
    client.post("/en/tickets/lookup/open/")  # used now: a 410, which django.request logs with its path
    written = handler_output.getvalue()
    assert "/tickets/l/…/" in written and token not in written and token[:-2] not in written


# Where customers find it


def test_the_help_center_footer_and_the_choose_type_page_link_to_the_lookup(client):
    make_problem_type()
    for url in ("/en/", "/en/tickets/new/"):
        assert 'href="/en/tickets/lookup/"' in client.get(url).content.decode(), url
    page = client.get("/zh-hans/tickets/lookup/")
    assert page.status_code == 200 and "查" in page.content.decode()


def test_the_lookup_pages_are_private(client):
    for url in ("/en/tickets/lookup/", "/en/tickets/lookup/sent/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex", url


def test_tickets_opened_by_tracking_link_still_open_alongside_the_lookup_grant(carol, run_worker):  # noqa: F811
    client = browser()
    _ticket, token = open_ticket(email="zed@example.com", language="en")
    client.get(f"/en/tickets/t/{token}/")
    use(client, emailed_link(client, run_worker)[0])
    zed = Ticket.objects.get(customer_email="zed@example.com")
    assert client.get(f"/en/tickets/{zed.reference}/").status_code == 200
    assert client.get(f"/en/tickets/{carol['first'].reference}/").status_code == 200


# An attacker's tries


@pytest.mark.parametrize("pattern", ["%@example.com", "_arol@example.com", "c%@example.com", "carol%@example.com"])
def test_wildcards_in_an_address_match_no_one_elses_tickets(carol, run_worker, pattern):  # noqa: F811
    assert ask(browser(), pattern).status_code == 303
    run_worker()
    assert lookup_emails() == [] and LookupLink.objects.count() == 0


def test_the_button_in_a_browser_that_never_opened_the_link_does_nothing(carol, run_worker):  # noqa: F811
    path, _token = emailed_link(browser(), run_worker)
    browser().get(path)  # a mail filter fetched it
    stranger = browser()
    assert stranger.post("/en/tickets/lookup/open/").status_code == 404
    assert LookupLink.objects.get().used_at is None


def test_a_planted_session_does_not_ride_along_on_the_grant(carol, run_worker):  # noqa: F811
    path, _token = emailed_link(browser(), run_worker)
    attacker = browser()
    attacker.get(path)
    victim = browser()
    victim.cookies["sessionid"] = attacker.cookies["sessionid"].value  # fixed on the victim by the attacker
    assert victim.post("/en/tickets/lookup/open/").status_code == 303
    assert attacker.get("/en/tickets/mine/").status_code == 303  # the old key opens nothing
    assert victim.get("/en/tickets/mine/").status_code == 200


def test_links_that_ran_out_a_day_ago_are_removed_when_a_new_one_is_made(carol):
    old = timezone.now() - timedelta(days=2)
    LookupLink.objects.create(email="x@example.com", token_hash="0" * 64, language="en", expires_at=old)
    LookupLink.objects.create(
        email="x@example.com", token_hash="1" * 64, language="en", expires_at=timezone.now() - timedelta(hours=1)
    )
    link = actions.send_lookup_link(email="carol@example.com", language="en")
    assert sorted(LookupLink.objects.values_list("token_hash", flat=True)) == sorted(["1" * 64, link.token_hash])


def test_the_list_and_ticket_pages_show_nothing_to_a_browser_without_the_grant(carol):
    client = browser()
    assert client.get("/en/tickets/mine/")["Location"] == "/en/tickets/lookup/"
    assert client.get(f"/en/tickets/{carol['first'].reference}/").status_code == 404


def test_going_back_to_the_button_after_using_the_link_shows_the_list_again(carol, run_worker):  # noqa: F811
    client = browser()
    use(client, emailed_link(client, run_worker)[0])
    for response in (client.get("/en/tickets/lookup/open/"), client.post("/en/tickets/lookup/open/")):
        assert response.status_code == 303 and response["Location"] == "/en/tickets/mine/"
