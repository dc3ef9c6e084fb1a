import pytest
from django.test import Client
from django.urls import reverse

from kb.search import analytics
from tests.tickets.factories import (
    ADDRESS,
    TXID,
    add_message,
    deposit_values,
    follow_link,
    make_problem_type,
    open_ticket,
)
from tickets import actions
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposit():
    return make_problem_type(
        slug="deposit",
        names={"zh-hans": "充值未到账", "en": "Deposit not credited"},
        descriptions={"zh-hans": "链上已确认", "en": "Confirmed on chain"},
    )


def form_data(**overrides):
    data = {
        "email": "alice@example.com",
        "subject": "USDT deposit missing",
        "description": "Sent yesterday.\nStill missing.",
    }
    data.update(deposit_values())
    data.update(overrides)
    return data


def html_of(response):
    return response.content.decode()


@pytest.mark.parametrize("language,name", [("zh-hans", "充值未到账"), ("en", "Deposit not credited")])
def test_the_type_list_shows_active_types_and_the_search_box_in_both_languages(client, deposit, language, name):
    make_problem_type(slug="retired", names={"en": "Retired type"}, active=False)
    html = html_of(client.get(f"/{language}/tickets/new/"))
    assert name in html and f'href="/{language}/tickets/new/deposit/"' in html
    assert "Retired type" not in html
    assert 'id="q-tickets"' in html and f'action="/{language}/search/"' in html


@pytest.mark.parametrize("language,label", [("zh-hans", "充币地址"), ("en", "Address")])
def test_the_form_renders_the_type_fields_and_the_search_box_in_both_languages(client, deposit, language, label):
    html = html_of(client.get(f"/{language}/tickets/new/deposit/"))
    assert label in html and 'name="txid"' in html and 'name="network"' in html
    assert 'id="q-tickets"' in html
    assert "data-ticket-suggestions" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_an_inactive_or_unknown_type_is_a_404(client, deposit):
    deposit.active = False
    deposit.save()
    assert client.get("/en/tickets/new/deposit/").status_code == 404
    assert client.get("/en/tickets/new/nope/").status_code == 404


def test_a_valid_ticket_redirects_with_303_to_its_clean_page_which_shows_the_link_once(client, deposit):
    client.cookies[analytics.VISIT_COOKIE] = "visit-1"
    response = client.post("/en/tickets/new/deposit/", form_data())
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/en/tickets/{ticket.reference}/?new=1"
    assert "no-store" in response["Cache-Control"]
    assert ticket.customer_email == "alice@example.com" and ticket.language == "en"
    assert ticket.fields == {"coin": "USDT", "network": "TRC20", "txid": TXID, "amount": "12.5", "address": ADDRESS}
    page = client.get(response["Location"])
    html = html_of(page)
    assert ticket.reference in html and "Keep this private link" in html
    assert "Sent yesterday.<br>Still missing." in html
    link = page.context["tracking_url"]
    assert link.startswith("http://testserver/en/tickets/t/") and f">{link}</textarea>" in html
    assert actions.ticket_for_token(link.rstrip("/").rsplit("/", 1)[1]) == ticket
    again = html_of(client.get(response["Location"]))
    assert link not in again and "was shown when you sent it" in again


def test_the_ticket_marks_the_visits_searches(client, deposit):
    from kb.models import SearchLog

    log = SearchLog.objects.create(query="usdt", language="en", results=0, visit=analytics.visit_key("visit-2"))
    client.cookies[analytics.VISIT_COOKIE] = "visit-2"
    client.post("/en/tickets/new/deposit/", form_data())
    assert SearchLog.objects.get(pk=log.pk).ticket_submitted


def test_a_search_then_a_ticket_in_the_same_visit_shows_in_search_analytics(client, deposit):
    from datetime import timedelta

    from django.utils import timezone

    from kb.models import SearchLog
    from tests.factories import make_article

    make_article(slug="deposit-help", language="en", title="Deposit not arrived", body="Check the network.")
    client.get("/en/search/", {"q": "deposit not arrived yet"})  # the results page starts the visit
    other_visitor = Client(headers={"accept-language": "en"})
    other_visitor.get("/en/search/", {"q": "deposit not arrived yet"})
    assert client.post("/en/tickets/new/deposit/", form_data()).status_code == 303
    assert [log.ticket_submitted for log in SearchLog.objects.order_by("pk")] == [True, False]
    now = timezone.now()
    report = analytics.report(now - timedelta(days=1), now + timedelta(minutes=1))
    assert [row["query"] for row in report["tickets"]] == ["deposit not arrived yet"]


def test_an_invalid_form_answers_200_with_the_errors_and_every_value_kept(client, deposit):
    response = client.post("/en/tickets/new/deposit/", form_data(txid="not-a-hash", amount="-3"))
    assert response.status_code == 200
    html = html_of(response)
    assert "greater than zero" in html and 'id="error-summary"' in html
    assert 'value="alice@example.com"' in html and 'value="USDT deposit missing"' in html
    assert 'value="not-a-hash"' in html and 'value="-3"' in html and f'value="{ADDRESS}"' in html
    assert "Sent yesterday.\nStill missing.</textarea>" in html
    assert '<option value="TRC20" selected>' in html
    assert not Ticket.objects.exists()


def test_the_eleventh_ticket_in_an_hour_gets_429_and_keeps_the_values(client, deposit):
    for _ in range(10):
        assert client.post("/en/tickets/new/deposit/", form_data()).status_code == 303
    response = client.post("/en/tickets/new/deposit/", form_data(subject="Eleventh ticket"))
    assert response.status_code == 429 and response["Retry-After"]
    html = html_of(response)
    assert "Too many tickets" in html and 'value="Eleventh ticket"' in html and f'value="{TXID}"' in html
    assert Ticket.objects.count() == 10


def test_the_tracking_link_grants_the_session_and_moves_to_the_clean_url(client, deposit):
    ticket, token = open_ticket(deposit, language="en")
    response = client.get(f"/en/tickets/t/{token}/")
    assert response.status_code == 303 and response["Location"] == f"/en/tickets/{ticket.reference}/"
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    assert client.get(response["Location"]).status_code == 200
    assert Client().get(response["Location"]).status_code == 404  # the clean URL alone opens nothing
    assert client.get(f"/en/tickets/t/{token}/").status_code == 303  # the link keeps working


def test_the_session_changes_key_when_it_is_granted_a_ticket(client, deposit):
    ticket, token = open_ticket(deposit)
    client.get("/en/tickets/new/deposit/")
    client.session["planted"] = 1
    before = client.session.session_key
    follow_link(client, token)
    assert client.session.session_key != before


def test_the_tracking_page_is_private_and_shows_the_public_conversation(client, deposit):
    ticket, token = open_ticket(deposit, language="en", subject="Where is my USDT")
    add_message(ticket, body="We are checking with the network.")
    add_message(ticket, kind=Message.Kind.INTERNAL, body="INTERNAL: customer looks legit")
    response = follow_link(client, token)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert "Referrer-Policy" not in response or response["Referrer-Policy"] == "same-origin"
    html = html_of(response)
    assert '<meta name="robots" content="noindex">' in html
    assert ticket.reference in html and "Where is my USDT" in html and "Received" in html
    assert "We are checking with the network." in html and "Tron (TRC20)" in html
    assert "INTERNAL" not in html
    assert "Keep this private link" not in html and token not in html


def test_unknown_tokens_and_references_are_404(client, deposit):
    ticket, token = open_ticket(deposit)
    for wrong in [
        "x" * 32,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        ticket.reference,
        ticket.tracking_token_hash,
    ]:
        response = client.get(f"/en/tickets/t/{wrong}/")
        assert response.status_code == 404, wrong
        assert ticket.subject not in html_of(response)
    for reference in [ticket.reference, "HD-AAAAAAAA"]:
        assert client.get(f"/en/tickets/{reference}/").status_code == 404


def test_a_token_opens_only_its_own_ticket(client, deposit):
    mine, my_token = open_ticket(deposit, subject="Mine")
    theirs, _token = open_ticket(deposit, subject="Somebody else's")
    html = html_of(follow_link(client, my_token, "zh-hans"))
    assert "Mine" in html and "Somebody else" not in html
    assert client.get(f"/zh-hans/tickets/{theirs.reference}/").status_code == 404


def test_markup_in_subject_description_and_fields_is_escaped(client):
    script = "<script>alert(1)</script>"
    make_problem_type(fields=[{"name": "coin", "kind": "text", "labels": {"en": "<b>Coin</b>"}}], slug="xss")
    data = {"email": "a@example.com", "subject": script, "description": f"{script}\n<img src=x onerror=alert(1)>",
            "coin": script}  # fmt: skip
    response = client.post("/en/tickets/new/xss/", data)
    html = html_of(client.get(response["Location"]))
    assert script not in html and "<img src=x" not in html and "<b>Coin</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_reply_is_added_and_redirects_back_with_303(client, deposit):
    ticket, token = open_ticket(deposit)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.PENDING)
    follow_link(client, token)
    url = f"/en/tickets/{ticket.reference}/"
    response = client.post(url, {"body": "Here is the screenshot link"})
    assert response.status_code == 303 and response["Location"] == f"{url}#latest"
    assert ticket.messages.last().body == "Here is the screenshot link"
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_a_closed_ticket_shows_no_reply_form_and_refuses_a_posted_reply(client, deposit):
    ticket, token = open_ticket(deposit)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    html = html_of(follow_link(client, token))
    assert 'name="body"' not in html and "This ticket is closed" in html
    response = client.post(f"/en/tickets/{ticket.reference}/", {"body": "Hello?"})
    assert response.status_code == 200 and "closed and takes no more replies" in html_of(response)
    assert ticket.messages.count() == 1


def test_an_empty_reply_is_a_form_error(client, deposit):
    ticket, token = open_ticket(deposit)
    follow_link(client, token)
    response = client.post(f"/en/tickets/{ticket.reference}/", {"body": ""})
    assert response.status_code == 200 and 'id="error-summary"' in html_of(response)
    assert ticket.messages.count() == 1


def test_the_reply_form_posts_to_the_clean_url_and_passes_the_csrf_origin_check(deposit):
    ticket, token = open_ticket(deposit)
    browser = Client(enforce_csrf_checks=True)
    page = follow_link(browser, token)
    html = html_of(page)
    assert f'action="/en/tickets/{ticket.reference}/"' in html and token not in html
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/en/tickets/{ticket.reference}/",
        {"body": "Still waiting", "csrfmiddlewaretoken": csrf},
        headers={"origin": "http://testserver", "referer": f"http://testserver/en/tickets/{ticket.reference}/"},
    )
    assert response.status_code == 303
    forged = browser.post(
        f"/en/tickets/{ticket.reference}/",
        {"body": "forged", "csrfmiddlewaretoken": csrf},
        headers={"origin": "null"},
    )
    assert forged.status_code == 403
    assert list(ticket.messages.values_list("body", flat=True)) == [ticket.messages.first().body, "Still waiting"]


def test_submitting_requires_the_csrf_token(deposit):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/en/tickets/new/deposit/", form_data()).status_code == 403
    assert not Ticket.objects.exists()


def test_submit_a_ticket_links_lead_to_the_ticket_form(client):
    assert 'href="/en/tickets/new/"' in html_of(client.get("/en/"))
    assert 'href="/zh-hans/tickets/new/"' in html_of(client.get("/zh-hans/search/?q=nothing-matches-this"))


def test_ticket_pages_never_enter_the_page_cache(client, deposit):
    ticket, token = open_ticket(deposit)
    follow_link(client, token)
    for url in ["/en/tickets/new/", "/en/tickets/new/deposit/", f"/en/tickets/{ticket.reference}/"]:
        assert not getattr(client.get(url), "page_cacheable", False), url


def _queries(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def test_the_type_list_is_kept_and_loads_again_in_two_queries_however_many_types(
    client, deposit, commit, django_assert_num_queries
):
    client.get("/en/tickets/new/")  # the page's announcements and publishing times are cached
    for _ in range(10):
        make_problem_type()
    commit()
    _queries(client, "/en/tickets/new/", django_assert_num_queries, 2)  # the types and their fields, once
    _queries(client, "/en/tickets/new/", django_assert_num_queries, 0)


def test_the_form_page_loads_the_types_after_an_edit_and_then_runs_no_query(
    client, deposit, commit, django_assert_num_queries
):
    client.get("/en/tickets/new/deposit/")
    make_problem_type()
    commit()
    _queries(client, "/en/tickets/new/deposit/", django_assert_num_queries, 2)  # the types and their fields
    _queries(client, "/en/tickets/new/deposit/", django_assert_num_queries, 0)
    deposit.names = {**deposit.names, "en": "Deposit still missing"}
    deposit.save()
    commit()
    assert "Deposit still missing" in client.get("/en/tickets/new/deposit/").content.decode()


def test_a_type_switched_off_is_gone_from_the_form_once_its_edit_commits(client, deposit, commit):
    commit()
    assert client.get("/en/tickets/new/deposit/").status_code == 200
    deposit.active = False
    deposit.save()
    commit()
    assert client.get("/en/tickets/new/deposit/").status_code == 404
    assert "/en/tickets/new/deposit/" not in client.get("/en/tickets/new/").content.decode()


def test_the_tracking_page_runs_as_many_queries_for_3_messages_as_for_10(client, deposit, django_assert_num_queries):
    ticket, token = open_ticket(deposit)
    follow_link(client, token)
    url = f"/en/tickets/{ticket.reference}/"
    for _ in range(2):
        add_message(ticket)
    three = _count(client, url)
    assert three == 5  # the ticket, its field rows, its messages, their files, its first-reply clock (session: cache)
    for _ in range(7):
        add_message(ticket, kind=Message.Kind.INTERNAL if _ % 2 else Message.Kind.PUBLIC)
    _queries(client, url, django_assert_num_queries, three)


def test_the_admin_ticket_changelist_runs_as_many_queries_for_3_tickets_as_for_10(
    client, superuser, deposit, django_assert_num_queries
):
    client.force_login(superuser)
    url = reverse("admin:tickets_ticket_changelist")
    for _ in range(3):
        open_ticket(make_problem_type())
    three = _count(client, url)
    assert client.get(url).context["cl"].result_count == 3
    for _ in range(7):
        open_ticket(make_problem_type())
    _queries(client, url, django_assert_num_queries, three)
    assert client.get(url).context["cl"].result_count == 10
