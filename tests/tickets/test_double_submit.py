"""A form sent several times at once (a double click, an impatient retry) makes one ticket and leads to it."""

import pytest
from django.test import Client

from tests.concurrency import at_once
from tests.tickets.factories import deposit_values, make_problem_type
from tickets.models import Message, Ticket

CONCURRENT = 5


def send_concurrently(url, data, cookies):
    """POST the same form from CONCURRENT threads released together; returns the responses."""

    def send(number):
        client = Client(headers={"accept-language": "en"})
        client.cookies.update(cookies)
        return client.post(url, data)

    return at_once(send, CONCURRENT)


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_posts_of_one_form_make_one_ticket_and_all_lead_to_it(client):
    make_problem_type(slug="deposit")
    form = client.get("/en/tickets/new/deposit/").context["form"]
    data = {
        "submission": form.initial["submission"],
        "email": "alice@example.com",
        "subject": "Deposit missing",
        "description": "Clicked twice.",
        **deposit_values(),
    }
    responses = send_concurrently("/en/tickets/new/deposit/", data, client.cookies)
    assert [response.status_code for response in responses] == [303] * CONCURRENT
    ticket = Ticket.objects.get()
    assert Message.objects.count() == 1
    assert {response["Location"] for response in responses} == {f"/en/tickets/{ticket.reference}/?new=1"}
    for response in responses:  # whichever answer the browser keeps, its session opens the ticket and its link
        follower = Client()
        follower.cookies.update(response.cookies)
        page = follower.get(response["Location"])
        assert page.status_code == 200 and page.context["tracking_url"]


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_posts_of_one_reply_form_add_one_reply(client):
    make_problem_type(slug="deposit")
    form = client.get("/en/tickets/new/deposit/").context["form"]
    data = {"submission": form.initial["submission"], "email": "a@example.com", "subject": "s", "description": "d"}
    client.post("/en/tickets/new/deposit/", {**data, **deposit_values()})
    ticket = Ticket.objects.get()
    reply_key = client.get(f"/en/tickets/{ticket.reference}/").context["form"].initial["submission"]
    responses = send_concurrently(
        f"/en/tickets/{ticket.reference}/", {"body": "Any news?", "submission": reply_key}, client.cookies
    )
    assert [response.status_code for response in responses] == [303] * CONCURRENT
    assert list(ticket.messages.values_list("body", flat=True)) == ["d", "Any news?"]
