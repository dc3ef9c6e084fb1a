"""The ticket form: fixed fields, the problem type's rows, the submission key and the error summary."""

import pytest

from tests.tickets.factories import ADDRESS, TXID, deposit_values, make_problem_type
from tickets.forms import ReplyForm, TicketForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposit():
    return make_problem_type(slug="deposit")


def form(problem_type, data=None, language="en"):
    base = {"email": "a@example.com", "subject": "Deposit missing", "description": "It did not arrive."}
    return TicketForm(problem_type, language, data=None if data is None else {**base, **data})


def test_a_valid_form_gives_the_type_values_as_strings_without_empty_optional_fields(deposit):
    bound = form(deposit, deposit_values(amount="100.0"))
    assert bound.is_valid(), bound.errors
    assert bound.type_values() == {
        "coin": "USDT",
        "network": "TRC20",
        "txid": TXID,
        "amount": "100",
        "address": ADDRESS,
    }


def test_required_fields_come_from_the_rows(deposit):
    bound = form(deposit, {"coin": "USDT"})
    assert not bound.is_valid()
    assert {"network", "txid", "amount", "address"} <= set(bound.errors)
    assert "note" not in bound.errors and "memo" not in bound.errors


def test_the_type_fields_follow_the_fixed_fields_in_row_order_and_the_files_come_last(deposit):
    assert list(form(deposit).fields) == [
        "earlier_removed", "submission", "name", "email", "uid", "subject", "description",
        "coin", "network", "txid", "amount", "address", "memo", "note", "attachments",
    ]  # fmt: skip


def test_labels_follow_the_language_with_the_default_language_as_fallback():
    problem_type = make_problem_type(
        fields=[
            {"name": "address", "kind": "address", "labels": {"zh-hans": "充币地址", "en": "Address"}},
            {"name": "coin", "kind": "coin", "labels": {"zh-hans": "币种"}},
        ]
    )
    assert form(problem_type, language="zh-hans").fields["address"].label == "充币地址"
    assert form(problem_type, language="en").fields["address"].label == "Address"
    assert form(problem_type, language="en").fields["coin"].label == "币种"


def test_a_uid_row_replaces_the_optional_uid_field():
    problem_type = make_problem_type(fields=[{"name": "uid", "kind": "uid", "required": True, "labels": {"en": "UID"}}])
    bound = form(problem_type, {})
    assert list(bound.fields).count("uid") == 1 and "uid" in bound.errors
    bound = form(problem_type, {"uid": "123456"})
    assert bound.is_valid() and bound.cleaned_data["uid"] == "123456" and bound.type_values() == {}


def test_a_new_form_carries_a_fresh_submission_key_and_a_bound_one_keeps_the_posted_key(deposit):
    first, second = form(deposit), form(deposit)
    assert len(first.initial["submission"]) >= 43 and first.initial["submission"] != second.initial["submission"]
    key = first.initial["submission"]
    bound = form(deposit, {**deposit_values(), "submission": key, "amount": "-1"})
    assert not bound.is_valid()
    assert f'value="{key}"' in str(bound["submission"])
    assert form(deposit, {**deposit_values(), "submission": key}).is_valid()


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "<script>" * 6])
def test_a_missing_or_malformed_submission_key_counts_as_none(deposit, key):
    bound = form(deposit, {**deposit_values(), "submission": key})
    assert bound.is_valid() and bound.cleaned_data["submission"] == ""


def test_the_error_summary_lists_every_wrong_field_in_form_order_with_its_id(deposit):
    bound = form(deposit, {**deposit_values(amount="200,5"), "email": "nope"})
    assert not bound.is_valid()
    summary = bound.error_summary()
    assert [field_id for field_id, _label, _message in summary] == ["id_email", "id_amount"]
    assert "Use a dot" in summary[1][2]


def test_the_reply_form_has_a_submission_key_and_a_summary():
    bound = ReplyForm({"body": ""})
    assert not bound.is_valid() and bound.error_summary()[0][0] == "id_body"
    assert ReplyForm().initial["submission"]


@pytest.mark.django_db
def test_the_optional_name_reaches_the_ticket_through_the_secrets_guard(deposit):
    from tickets import actions

    opened = actions.open_ticket(
        problem_type=deposit,
        language="en",
        email="li@example.com",
        name="  Li Wei ",
        subject="Deposit missing",
        description="Sent 20 USDT an hour ago.",
        fields={},
    )
    assert opened.ticket.customer_name == "Li Wei"
    password = actions.open_ticket(
        problem_type=deposit,
        language="en",
        email="li@example.com",
        name="my password is Hunter2-Xy!",
        subject="Deposit missing",
        description="Sent 20 USDT an hour ago.",
        fields={},
    ).ticket
    assert "Hunter2" not in password.customer_name and password.secrets_removed == ["password"]
