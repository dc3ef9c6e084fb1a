"""What one ticket submission costs: a bounded number of queries, SLA policies loaded once until they change."""

import pytest
from django.db import transaction
from django.test import Client

from tests.tickets.factories import ADDRESS, TXID, make_problem_type, open_ticket
from tickets import clocks
from tickets.models import Metric, SLAClock, SLAPolicy, SLATarget, Ticket

pytestmark = pytest.mark.django_db

URL = "/en/tickets/new/deposit/"
# Once the process keeps the problem types: the ticket (its due times with it), its first message, its opening event,
# its clocks, the email's task and the email row, then the new session's row. A later submission cycles the session
# key: the old row is deleted, the new one inserted. Here each transaction is a savepoint (two statements more: the
# ticket's and the session's); in production the ticket's is BEGIN and COMMIT and the session's insert needs none.
FIRST_SUBMISSION, LATER_SUBMISSION = 11, 12


@pytest.fixture
def deposit():
    return make_problem_type(slug="deposit")


def form_data(client, number):
    key = client.get(URL).context["form"].initial["submission"]
    return {
        "submission": key,
        "email": f"customer{number}@example.com",
        "subject": "USDT deposit missing",
        "description": "Sent two hours ago, confirmed on chain.",
        "coin": "USDT",
        "network": "TRC20",
        "txid": TXID,
        "amount": "12.5",
        "address": ADDRESS,
    }


def standard_target(metric=Metric.FIRST_RESPONSE, priority="normal"):
    return SLATarget.objects.get(policy=SLAPolicy.objects.get(name="Standard"), metric=metric, priority=priority)


def first_response(ticket):
    return SLAClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE).target_seconds


def test_a_submission_runs_a_fixed_number_of_queries_first_and_again(
    client, deposit, commit, django_assert_num_queries
):
    commit()  # the problem type's creation: the process keeps the types from now on
    open_ticket(deposit)  # this process has loaded the SLA policies
    data = form_data(client, 1)
    with django_assert_num_queries(FIRST_SUBMISSION):
        assert client.post(URL, data).status_code == 303
    data = form_data(client, 2)
    with django_assert_num_queries(LATER_SUBMISSION):
        assert client.post(URL, data).status_code == 303


def test_sla_policies_are_loaded_once_until_an_sla_setting_changes(deposit, django_assert_num_queries):
    first, _token = open_ticket(deposit)
    with django_assert_num_queries(0):
        assert clocks.current_policies() is clocks.current_policies()
    assert first_response(first) == standard_target().minutes * 60


def test_a_committed_target_change_reaches_the_next_ticket(deposit, django_capture_on_commit_callbacks):
    before, _token = open_ticket(deposit)
    target = standard_target()
    with django_capture_on_commit_callbacks(execute=True):
        target.minutes += 7
        target.save()
    after, _token = open_ticket(deposit)
    assert first_response(after) == first_response(before) + 7 * 60


def test_a_deleted_rule_or_policy_reaches_the_next_ticket(deposit, django_capture_on_commit_callbacks):
    open_ticket(deposit)
    with django_capture_on_commit_callbacks(execute=True):
        SLAPolicy.objects.all().delete()
    after, _token = open_ticket(deposit)
    assert not SLAClock.objects.filter(ticket=after).exists()


def test_the_transaction_that_changes_a_target_opens_tickets_under_the_new_target(deposit):
    open_ticket(deposit)  # policies kept by this process
    target = standard_target()
    target.minutes += 11
    target.save()  # not committed yet: the test's transaction is still open
    ticket, _token = open_ticket(deposit)
    assert first_response(ticket) == target.minutes * 60


def test_a_target_change_that_rolls_back_is_not_kept(deposit):
    before, _token = open_ticket(deposit)
    target = standard_target()
    with pytest.raises(RuntimeError), transaction.atomic():
        target.minutes += 13
        target.save()
        inside, _token = open_ticket(deposit)
        assert first_response(inside) == first_response(before) + 13 * 60
        raise RuntimeError("the edit fails later on")
    after, _token = open_ticket(deposit)
    assert first_response(after) == first_response(before)


def test_a_ticket_just_opened_gets_the_clocks_a_full_recompute_finds(deposit):
    ticket, _token = open_ticket(deposit)
    stored = list(SLAClock.objects.filter(ticket=ticket).order_by("metric").values())
    due = Ticket.objects.values_list("sla_due_at", "sla_warn_at").get(pk=ticket.pk)
    assert {row["metric"] for row in stored} == {Metric.FIRST_RESPONSE, Metric.RESOLUTION}
    clocks.refresh([Ticket.objects.get(pk=ticket.pk)])
    assert list(SLAClock.objects.filter(ticket=ticket).order_by("metric").values()) == stored
    assert Ticket.objects.values_list("sla_due_at", "sla_warn_at").get(pk=ticket.pk) == due


def test_a_planted_session_does_not_ride_along_with_a_submission(client, deposit):
    attacker = Client()
    mine, token = open_ticket(deposit)
    attacker.get(f"/en/tickets/t/{token}/")  # the attacker's own session, holding a grant
    planted = attacker.cookies["sessionid"].value
    client.cookies["sessionid"] = planted
    answer = client.post(URL, form_data(client, 3))
    assert answer.status_code == 303
    assert client.cookies["sessionid"].value != planted
    attacker.cookies["sessionid"] = planted
    assert attacker.get(answer["Location"]).status_code == 404


def test_a_made_up_session_key_is_never_adopted(client, deposit):
    made_up = "a" * 32
    client.cookies["sessionid"] = made_up
    answer = client.post(URL, form_data(client, 4))
    assert answer.status_code == 303
    assert client.cookies["sessionid"].value not in ("", made_up)
    assert client.get(answer["Location"]).status_code == 200
    stranger = Client()
    stranger.cookies["sessionid"] = made_up
    assert stranger.get(answer["Location"]).status_code == 404
