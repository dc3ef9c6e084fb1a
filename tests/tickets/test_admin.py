import json

import pytest
from django.urls import reverse

from tests.tickets.factories import add_message, make_problem_type, make_queue, open_ticket
from tickets.models import Message, ProblemType

pytestmark = pytest.mark.django_db


def problem_type_data(fields, **overrides):
    data = {
        "slug": "deposit",
        "names": json.dumps({"zh-hans": "充值未到账", "en": "Deposit not credited"}),
        "descriptions": "{}",
        "queue": make_queue().pk,
        "position": 1,
        "active": "on",
        "fields": json.dumps(fields),
    }
    data.update(overrides)
    return data


def test_a_bad_field_definition_is_a_form_error_in_the_admin(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:tickets_problemtype_add"), problem_type_data([{"name": "network", "type": "choice"}])
    )
    assert response.status_code == 200
    assert "a choice field needs a non-empty list of choices" in response.content.decode()
    assert not ProblemType.objects.filter(slug="deposit").exists()


def test_a_good_field_definition_is_saved_from_the_admin(client, superuser):
    client.force_login(superuser)
    fields = [{"name": "coin", "type": "text", "required": True, "label": {"en": "Coin"}}]
    response = client.post(reverse("admin:tickets_problemtype_add"), problem_type_data(fields))
    assert response.status_code == 302
    assert ProblemType.objects.get(slug="deposit").fields == fields


def test_the_ticket_change_page_shows_the_conversation_read_only(client, superuser):
    client.force_login(superuser)
    ticket, token = open_ticket(make_problem_type())
    add_message(ticket, kind=Message.Kind.INTERNAL, body="note for colleagues")
    html = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert ticket.reference in html and "note for colleagues" in html
    assert token not in html
    assert client.get(reverse("admin:tickets_ticket_add")).status_code == 403


def test_the_starter_problem_types_are_installed_and_valid():
    slugs = set(ProblemType.objects.values_list("slug", flat=True))
    assert {"deposit-not-credited", "withdrawal-problem", "identity-verification", "account-security",
            "trading-futures", "promotions-rewards", "complaint", "something-else"} <= slugs  # fmt: skip
    for problem_type in ProblemType.objects.filter(slug__in=slugs):
        problem_type.full_clean()
        assert set(problem_type.names) == {"zh-hans", "en"}


@pytest.mark.parametrize("changelist", ["tickets_problemtype_changelist", "tickets_queue_changelist"])
def test_configuration_changelists_run_a_constant_number_of_queries(
    changelist, client, superuser, django_assert_num_queries
):
    from tests.tickets.test_views import _count

    client.force_login(superuser)
    url = reverse(f"admin:{changelist}")
    few = _count(client, url)
    for _ in range(5):
        make_problem_type()
    with django_assert_num_queries(few):
        client.get(url)
