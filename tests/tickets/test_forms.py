import pytest
from django.core.exceptions import ValidationError

from tests.tickets.factories import ADDRESS, DEPOSIT_FIELDS, TXID, deposit_values
from tickets.forms import FIELD_TYPES, TicketForm, build_field
from tickets.models import ProblemType, Queue
from tickets.secretguard import find_secret

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"


def problem_type(fields=DEPOSIT_FIELDS, **extra):
    return ProblemType(slug="deposit", names={"en": "Deposit", "zh-hans": "充值"}, fields=fields, **extra)


def form(data=None, fields=DEPOSIT_FIELDS, language="en"):
    base = {"email": "a@example.com", "subject": "Deposit missing", "description": "It did not arrive."}
    return TicketForm(problem_type(fields), language, data=None if data is None else {**base, **data})


def field_accepts(kind, value, **definition):
    field = build_field({"name": "x", "type": kind, "required": True, **definition}, "en")
    try:
        field.clean(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "kind,good,bad",
    [
        (
            "txid",
            ["0x" + "a" * 64, "F" * 64, "5" + "K" * 87],
            ["0x" + "a" * 63, "0x" + "g" * 64, "0x" + "a" * 65, "abc"],
        ),
        (
            "address",
            [ADDRESS, "0x" + "a" * 40, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
            ["short", "a" * 101, "T" + " x" * 20],
        ),
        ("uid", ["12345", "1" * 20], ["1234", "1" * 21, "12a45"]),
        ("amount", ["1", "0.000000000000000001", "12345.67"], ["0", "-1", "abc", "1.0000000000000000001", "NaN"]),
        ("email", ["a@example.com"], ["not-an-email"]),
        ("text", ["USDT"], ["x" * 201]),
        ("textarea", ["line one\nline two"], ["x" * 5001]),
    ],
)
def test_each_field_type_accepts_good_values_and_rejects_bad_ones(kind, good, bad):
    for value in good:
        assert field_accepts(kind, value), value
    for value in bad:
        assert not field_accepts(kind, value), value


def test_choice_fields_accept_only_their_values():
    choices = [{"value": "TRC20", "label": {"en": "Tron"}}]
    assert field_accepts("choice", "TRC20", choices=choices)
    assert not field_accepts("choice", "ERC20", choices=choices)


def test_the_type_table_covers_every_documented_field_type():
    assert set(FIELD_TYPES) == {"text", "textarea", "choice", "amount", "txid", "address", "uid", "email"}


def test_a_valid_form_gives_the_type_values_as_strings_without_empty_optional_fields():
    bound = form(deposit_values(amount="1E+2"))
    assert bound.is_valid(), bound.errors
    assert bound.type_values() == {
        "coin": "USDT",
        "network": "TRC20",
        "txid": TXID,
        "amount": "100",
        "address": ADDRESS,
    }


def test_required_fields_come_from_the_definitions():
    bound = form({"coin": "USDT"})
    assert not bound.is_valid()
    assert {"network", "txid", "amount", "address"} <= set(bound.errors)
    assert "note" not in bound.errors


def test_the_type_fields_follow_the_fixed_fields_in_definition_order():
    assert list(form().fields) == ["email", "uid", "subject", "description", "coin", "network", "txid", "amount",
                                   "address", "note"]  # fmt: skip


def test_labels_follow_the_language_with_the_other_as_fallback():
    assert form(language="zh-hans").fields["address"].label == "充币地址"
    assert form(language="en").fields["address"].label == "Address"
    only_zh = [{"name": "coin", "type": "text", "label": {"zh-hans": "币种"}}]
    assert form(fields=only_zh, language="en").fields["coin"].label == "币种"


def test_a_uid_definition_replaces_the_optional_uid_field():
    fields = [{"name": "uid", "type": "uid", "required": True, "label": {"en": "Your UID"}}]
    bound = form({}, fields=fields)
    assert list(bound.fields).count("uid") == 1 and "uid" in bound.errors
    bound = form({"uid": "123456"}, fields=fields)
    assert bound.is_valid() and bound.cleaned_data["uid"] == "123456" and bound.type_values() == {}


@pytest.mark.parametrize(
    "text",
    [
        SEED,
        SEED.upper().lower() + " zoo",
        "my words: 1. abandon 2. ability 3. able 4. about 5. above 6. absent 7. absorb 8. abstract 9. absurd "
        "10. abuse 11. access 12. accident",
        "private key: " + "a1" * 32,
        "here is my privkey 0x" + "b2" * 32,
        "我的私钥是" + "c3" * 32,
        "secret key = " + "D4" * 32,
    ],
)
def test_the_secret_guard_refuses_seed_phrases_and_private_keys_in_free_text(text):
    assert find_secret(text)
    bound = form({**deposit_values(), "description": text})
    assert not bound.is_valid()
    assert "seed phrase" in str(bound.errors["description"])
    assert not form({**deposit_values(), "subject": text[:150]}).is_valid()
    assert not form({**deposit_values(), "note": text}).is_valid()


@pytest.mark.parametrize(
    "text",
    [
        "I sent 100 USDT on TRC20 yesterday and it has not arrived yet, please help.",
        "TxID " + "a1" * 32 + " is confirmed on chain",
        "我在 2024 年 3 月充值了 USDT，交易哈希 " + "ab" * 32,
        "Abandon Ability Able About Above Absent Absorb Abstract Absurd Abuse Access",
    ],
)
def test_the_secret_guard_lets_ordinary_text_and_hashes_through(text):
    assert find_secret(text) is None


def test_a_txid_field_is_exempt_from_the_secret_guard():
    bound = form(deposit_values(txid="a1" * 32))
    assert bound.is_valid(), bound.errors


def test_the_secret_guard_speaks_the_customers_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        bound = form({**deposit_values(), "description": SEED}, language="zh-hans")
        assert not bound.is_valid()
        assert "助记词" in str(bound.errors["description"])


@pytest.mark.parametrize(
    "fields,message",
    [
        ("not a list", "must be a list"),
        ([{"name": "coin", "type": "colour"}], "unknown type"),
        ([{"name": "coin", "type": "text"}, {"name": "coin", "type": "text"}], "used twice"),
        ([{"name": "network", "type": "choice"}], "non-empty list of choices"),
        ([{"name": "network", "type": "choice", "choices": []}], "non-empty list of choices"),
        ([{"name": "network", "type": "choice", "choices": [{"value": "a"}, {"value": "a"}]}], "its own"),
        ([{"name": "coin", "type": "text", "choices": [{"value": "a"}]}], "only choice fields"),
        ([{"name": "Coin Name", "type": "text"}], "lowercase letters"),
        ([{"name": "email", "type": "email"}], "used by every form"),
        ([{"name": "coin", "type": "text", "required": "yes"}], "true or false"),
        ([{"name": "coin", "type": "text", "label": "Coin"}], "map language codes"),
        (["coin"], "must be an object"),
    ],
)
def test_bad_problem_type_definitions_are_rejected_by_clean(fields, message):
    with pytest.raises(ValidationError) as error:
        problem_type(fields, queue=Queue(slug="q", name="Q")).clean()
    assert message in str(error.value.message_dict["fields"])


def test_good_definitions_pass_clean():
    problem_type(queue=Queue(slug="q", name="Q")).clean()
    problem_type([{"name": "uid", "type": "uid", "required": True}]).clean()


def test_a_problem_type_needs_a_name():
    with pytest.raises(ValidationError) as error:
        ProblemType(slug="x", names={}, fields=[]).clean()
    assert "names" in error.value.message_dict
