import pytest
from django.urls import reverse

from tests.tickets.factories import add_message, make_problem_type, make_queue, open_ticket
from tickets.fields import rows_errors
from tickets.models import Message, ProblemType

pytestmark = pytest.mark.django_db


def problem_type_data(rows, **overrides):
    """The admin's add form for a problem type with its field rows as inline forms."""
    data = {
        "slug": "deposit",
        "name_zh_hans": "充值未到账",
        "name_en": "Deposit not credited",
        "queue": make_queue().pk,
        "position": 1,
        "active": "on",
        "fields-TOTAL_FORMS": len(rows),
        "fields-INITIAL_FORMS": 0,
        "fields-MIN_NUM_FORMS": 0,
        "fields-MAX_NUM_FORMS": 1000,
    }
    for number, row in enumerate(rows):
        data.update({f"fields-{number}-{key}": value for key, value in row.items()})
    data.update(overrides)
    return data


def row(**values):
    return {"position": 10, "name": "market", "kind": "choice", "label_zh_hans": "交易类型", "label_en": "Market",
            "choice_lines": "spot | 现货 | Spot\nfutures | 合约 | Futures", **values}  # fmt: skip


def test_field_rows_are_edited_inline_with_labels_per_language_and_choices_as_lines(client, superuser):
    client.force_login(superuser)
    rows = [row(), row(name="txid", kind="txid", choice_lines="", label_en="TxID", required="on", position=20)]
    response = client.post(reverse("admin:tickets_problemtype_add"), problem_type_data(rows))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    problem_type = ProblemType.objects.get(slug="deposit")
    assert problem_type.names == {"zh-hans": "充值未到账", "en": "Deposit not credited"}
    market, txid = problem_type.fields.all()
    assert market.labels == {"zh-hans": "交易类型", "en": "Market"}
    assert market.choices == [
        {"value": "spot", "label": {"zh-hans": "现货", "en": "Spot"}},
        {"value": "futures", "label": {"zh-hans": "合约", "en": "Futures"}},
    ]
    assert (txid.kind, txid.required, txid.choices) == ("txid", True, [])
    page = client.get(reverse("admin:tickets_problemtype_change", args=[problem_type.pk])).content.decode()
    assert "spot | 现货 | Spot" in page and 'value="交易类型"' in page


@pytest.mark.parametrize(
    "rows,message",
    [
        ([row(choice_lines="")], "A choice field needs at least one choice."),
        ([row(name="Market Type")], "lowercase letters"),
        ([row(name="email")], "used by every form"),
        ([row(kind="text")], "Only choice fields take choices."),
        ([row(label_zh_hans="", label_en="")], "This field is required."),
        ([row(choice_lines="| 现货")], "Line 1: start with the stored value"),
        ([row(), row(position=20)], "Please correct the duplicate data for name."),
        (
            [row(name="network", kind="network", choice_lines=""), row(name="net2", kind="network", choice_lines="")],
            "at most one network field",
        ),
    ],
)
def test_a_bad_field_row_is_a_form_error_in_the_admin(client, superuser, rows, message):
    client.force_login(superuser)
    response = client.post(reverse("admin:tickets_problemtype_add"), problem_type_data(rows))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProblemType.objects.filter(slug="deposit").exists()


def test_the_ticket_page_shows_the_conversation_and_tickets_are_not_added_in_the_admin(client, superuser):
    client.force_login(superuser)
    ticket, token = open_ticket(make_problem_type())
    add_message(ticket, kind=Message.Kind.INTERNAL, body="note for colleagues")
    html = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert ticket.reference in html and "note for colleagues" in html
    assert token not in html
    assert client.get(reverse("admin:tickets_ticket_add")).status_code == 403


def test_the_starter_problem_types_are_installed_as_rows_and_valid():
    slugs = set(ProblemType.objects.values_list("slug", flat=True))
    assert {"deposit-not-credited", "withdrawal-problem", "identity-verification", "account-security",
            "trading-futures", "promotions-rewards", "complaint", "something-else"} <= slugs  # fmt: skip
    for problem_type in ProblemType.objects.filter(slug__in=slugs).prefetch_related("fields"):
        problem_type.full_clean()
        assert set(problem_type.names) == {"zh-hans", "en"}
        rows = list(problem_type.fields.all())
        assert rows_errors(rows) == []
        for field in rows:
            field.full_clean()
            assert set(field.labels) == {"zh-hans", "en"}
    deposit = ProblemType.objects.get(slug="deposit-not-credited")
    assert [(f.name, f.kind) for f in deposit.fields.all()] == [
        ("coin", "coin"), ("network", "network"), ("txid", "txid"), ("amount", "amount"),
        ("deposit_address", "address"), ("memo", "memo"), ("transfer_time", "datetime"),
    ]  # fmt: skip


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
