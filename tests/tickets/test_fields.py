"""Problem-type field kinds: one form field per kind, values that mean what they say, definitions that are usable."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.tickets.factories import ADDRESS, TXID
from tickets import fields
from tickets.fields import FieldKind
from tickets.models import ProblemField

EVM_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1bEAed"  # the EIP-55 example address


def row(kind, **attributes):
    return ProblemField(name=attributes.pop("name", "x"), kind=kind, required=True, labels={"en": "X"}, **attributes)


def clean(kind, value, **attributes):
    return fields.build_field(row(kind, **attributes), "en").clean(value)


def error_of(kind, value, **attributes):
    with pytest.raises(ValidationError) as error:
        clean(kind, value, **attributes)
    return " ".join(error.value.messages)


def test_every_kind_has_exactly_one_form_field_factory():
    assert set(fields.KINDS) == set(FieldKind.values)


@pytest.mark.parametrize(
    "value,expected",
    [("1", "1"), ("0.000000000000000001", "0.000000000000000001"), ("12345.67", "12345.67"), (" 250 ", "250")],
)
def test_amounts_in_ascii_digits_with_a_dot_are_accepted(value, expected):
    assert fields.as_text(clean(FieldKind.AMOUNT, value)) == expected


@pytest.mark.parametrize(
    "value,message",
    [
        ("200,5", "Use a dot for decimals: 200.5"),
        ("1,000.50", "without thousands separators"),
        ("１００", "digits 0–9"),
        ("١٢٣", "digits 0–9"),
        ("1e5", "digits 0–9"),
        ("NaN", "digits 0–9"),
        ("0", "greater than zero"),
        ("-3", "greater than zero"),
        ("1.0000000000000000001", "digits 0–9"),
        ("9" * 41, "digits 0–9"),
    ],
)
def test_amounts_written_otherwise_get_a_message_that_says_what_to_do(value, message):
    assert message in error_of(FieldKind.AMOUNT, value)


@pytest.mark.parametrize("value", ["12345", "1" * 20])
def test_a_uid_of_ascii_digits_is_accepted(value):
    assert clean(FieldKind.UID, value) == value


@pytest.mark.parametrize("value", ["1234", "1" * 21, "12a45", "１２３４５６", "١٢٣٤٥٦", "१२३४५६", "12 345"])
def test_a_uid_in_other_digits_or_shapes_is_refused(value):
    assert "5–20 digits (0–9)" in error_of(FieldKind.UID, value)


def test_the_time_of_a_transfer_is_read_in_the_site_time_zone_and_stored_with_its_offset():
    value = clean(FieldKind.DATETIME, "2026-11-30T09:15")
    assert fields.as_text(value) == "2026-11-30T09:15+08:00"
    assert fields.display(row(FieldKind.DATETIME), "2026-11-30T09:15+08:00") == "2026-11-30 09:15 UTC+08:00"


def test_a_transfer_time_in_the_future_or_before_the_first_block_is_refused():
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert "cannot be in the future" in error_of(FieldKind.DATETIME, tomorrow)
    assert "Check the date" in error_of(FieldKind.DATETIME, "2001-01-01T00:00")
    assert "valid date/time" in error_of(FieldKind.DATETIME, "yesterday evening")


def test_choice_fields_accept_only_their_values():
    choices = [{"value": "spot", "label": {"en": "Spot"}}]
    assert clean(FieldKind.CHOICE, "spot", choices=choices) == "spot"
    assert "valid choice" in error_of(FieldKind.CHOICE, "futures", choices=choices)


def test_coin_and_network_are_choices_from_the_networks_table_not_free_text():
    assert clean(FieldKind.COIN, "USDT") == "USDT"
    assert clean(FieldKind.NETWORK, "TRC20") == "TRC20"
    assert "valid choice" in error_of(FieldKind.COIN, "usdt on tron")
    assert "valid choice" in error_of(FieldKind.NETWORK, "tron")


def transfer_rows():
    return [
        row(FieldKind.NETWORK, name="network"),
        row(FieldKind.ADDRESS, name="address"),
        row(FieldKind.TXID, name="txid"),
        row(FieldKind.MEMO, name="memo"),
    ]


def test_addresses_and_txids_are_checked_against_the_chosen_network():
    cleaned = {"network": "TRC20", "address": ADDRESS, "txid": TXID}
    assert fields.check_transfer(transfer_rows(), cleaned) == {}
    errors = fields.check_transfer(transfer_rows(), {"network": "TRC20", "address": EVM_ADDRESS, "txid": TXID})
    assert set(errors) == {"address"} and "TRC20" in " ".join(errors["address"].messages)
    assert set(fields.check_transfer(transfer_rows(), {"network": "ERC20", "address": EVM_ADDRESS, "txid": "0x1"}))
    assert fields.check_transfer(transfer_rows(), {"network": "ERC20", "memo": "123"}).keys() == {"memo"}


def test_without_a_network_the_dependent_fields_wait_for_it():
    assert fields.check_transfer(transfer_rows(), {"network": "", "address": "nonsense"}) == {}


@pytest.mark.parametrize(
    "attributes,key,message",
    [
        ({"name": "Coin Name"}, "name", "lowercase letters"),
        ({"name": "email", "kind": "email"}, "name", "used by every form"),
        ({"name": "submission"}, "name", "used by every form"),
        ({"kind": "colour"}, "kind", "Unknown kind"),
        ({"labels": {}}, "labels", "at least one language"),
        ({"kind": "choice", "choices": []}, "choices", "at least one choice"),
        ({"kind": "choice", "choices": [{"value": "a"}, {"value": "a"}]}, "choices", "its own"),
        ({"kind": "text", "choices": [{"value": "a"}]}, "choices", "Only choice fields"),
    ],
)
def test_unusable_definitions_are_explained(attributes, key, message):
    definition = {"name": "coin", "kind": "text", "labels": {"en": "Coin"}, "choices": [], **attributes}
    errors = fields.definition_errors(**definition)
    assert message in " ".join(str(m) for m in errors[key])


def test_usable_definitions_have_no_errors():
    assert fields.definition_errors(name="uid", kind="uid", labels={"en": "UID"}, choices=[]) == {}
    choices = [{"value": "spot", "label": {"en": "Spot"}}]
    assert fields.definition_errors(name="market", kind="choice", labels={"zh-hans": "市场"}, choices=choices) == {}


def test_a_type_takes_each_name_once_and_at_most_one_network():
    twice = [row("text", name="coin"), row("text", name="coin")]
    assert "used twice: coin" in str(fields.rows_errors(twice))
    networks = [row("network", name="network"), row("network", name="network_2")]
    assert "at most one network" in str(fields.rows_errors(networks))
    assert fields.rows_errors(transfer_rows()) == []
