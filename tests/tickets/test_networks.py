"""Networks offered by the ticket forms: address, TxID and memo rules per network (pure, no database)."""

import base64
import binascii
import random
import string

import base58
import bech32m
import pytest
from bech32m.codecs import Encoding, bech32_encode, convertbits
from Crypto.Hash import keccak
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tickets.networks import (
    COINS,
    NETWORKS,
    clean_address,
    clean_memo,
    clean_txid,
    coin_choices,
    get_network,
    identify_address,
    network_choices,
)

EVM = ["ERC20", "BEP20", "ARB", "POLYGON"]
CHECKED = settings(max_examples=60, deadline=None, database=None)
rng = random.Random(20240601)

# Encoders written from the specifications, independent of the module under test -----------------------------------


def eip55(raw):
    lower = raw.hex()
    digest = keccak.new(digest_bits=256, data=lower.encode()).hexdigest()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest, strict=False))


def tron(raw):
    return base58.b58encode_check(b"\x41" + raw).decode()


def bitcoin_base58(version, raw):
    return base58.b58encode_check(bytes([version]) + raw).decode()


def bech32_with(encoding, version, program, hrp="bc"):
    """A segwit address with the checksum of `encoding`, whichever BIP350 says the version takes."""
    return bech32_encode(hrp, bytes([version]) + bytes(convertbits(program, 8, 5)), encoding)


def ton(account, *, flag=0x11, workchain=0, urlsafe=True):
    data = bytes([flag, workchain & 0xFF]) + account
    data += binascii.crc_hqx(data, 0).to_bytes(2, "big")
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()


def xrp(raw):
    return base58.b58encode_check(b"\x00" + raw, alphabet=base58.RIPPLE_ALPHABET).decode()


def wif(secret, *, compressed=True, version=0x80):
    return base58.b58encode_check(bytes([version]) + secret + (b"\x01" if compressed else b"")).decode()


def random_bytes(size):
    return rng.randbytes(size)


def refusal(clean, network_code, value):
    """The code and English message of the ValidationError that `clean(network_code, value)` raises."""
    with pytest.raises(ValidationError) as caught:
        clean(network_code, value)
    return caught.value.code, caught.value.messages[0]


def replaced(value, index, alphabet, pick):
    """`value` with the character at `index` replaced by another one of `alphabet` (the `pick`-th other)."""
    others = [char for char in alphabet if char != value[index]]
    return value[:index] + others[pick % len(others)] + value[index + 1 :]


B58_ALPHABET = base58.BITCOIN_ALPHABET.decode()
RIPPLE_ALPHABET = base58.RIPPLE_ALPHABET.decode()
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BASE64URL = string.ascii_letters + string.digits + "-_"


# The table ----------------------------------------------------------------------------------------------------------


def test_network_choices_are_in_display_order_and_labelled_in_the_asked_language():
    assert [code for code, _label in network_choices("en")] == list(NETWORKS)
    assert list(NETWORKS)[:5] == [*EVM, "TRC20"]
    assert dict(network_choices("en"))["TRC20"] == "Tron (TRC20)"
    assert dict(network_choices("zh-hans"))["TRC20"] == "波场 (TRC20)"


def test_every_network_and_coin_is_labelled_in_both_languages():
    for network in NETWORKS.values():
        assert set(network.labels) == {"zh-hans", "en"}
        assert (network.memo is None) == (network.memo_labels is None)
        assert network.memo_labels is None or set(network.memo_labels) == {"zh-hans", "en"}
    assert [code for code, _labels in COINS] == [
        "USDT",
        "USDC",
        "BTC",
        "ETH",
        "BNB",
        "TRX",
        "SOL",
        "TON",
        "XRP",
        "other",
    ]
    assert all(set(labels) == {"zh-hans", "en"} for _code, labels in COINS)
    assert dict(coin_choices("zh-hans"))["other"] == "其他币种"


def test_only_ton_xrp_and_other_networks_take_a_memo_and_xrp_calls_it_a_tag():
    assert {code: network.memo for code, network in NETWORKS.items() if network.memo} == {
        "TON": "memo",
        "XRP": "tag",
        "other": "memo",
    }


def test_network_codes_are_looked_up_in_any_case_and_unknown_ones_are_other():
    assert get_network("trc20") is NETWORKS["TRC20"]
    assert get_network("DOGE") is NETWORKS["other"]
    assert get_network(None) is NETWORKS["other"]


# EVM ----------------------------------------------------------------------------------------------------------------

EIP55_EXAMPLES = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_EXAMPLES)
@pytest.mark.parametrize("network_code", EVM)
def test_eip55_examples_pass_on_every_evm_network(network_code, address):
    assert clean_address(network_code, address) == address


@pytest.mark.parametrize("address", EIP55_EXAMPLES[4:])
def test_the_eip55_examples_are_what_the_encoder_here_produces(address):
    assert eip55(bytes.fromhex(address[2:])) == address


def test_a_mixed_case_address_with_two_letters_swapped_in_case_is_a_checksum_mismatch():
    code, message = refusal(clean_address, "ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1bEAed")
    assert code == "checksum"
    assert message.startswith("One character is wrong (checksum mismatch): copy the address again")


def test_evm_addresses_fit_all_four_evm_networks():
    assert identify_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") == EVM
    assert identify_address(" 0xde709f2102306220921060314715629080e2fb77\n") == EVM


@pytest.mark.parametrize(
    "value",
    ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x" + "g" * 40],
)
def test_an_evm_address_of_the_wrong_shape_gets_the_shape_message(value):
    code, message = refusal(clean_address, "BEP20", value)
    assert code == "format"
    assert message.startswith("BNB Smart Chain (BEP20) addresses are 0x followed by 40 characters")


@CHECKED
@given(st.binary(min_size=20, max_size=20))
def test_any_20_bytes_spelled_eip55_or_in_one_case_pass(raw):
    address = eip55(raw)
    assert clean_address("ERC20", address) == address
    assert clean_address("POLYGON", address.lower()) == address.lower()
    assert clean_address("ARB", "0x" + address[2:].upper()) == "0x" + address[2:].upper()


@CHECKED
@given(st.binary(min_size=20, max_size=20), st.data())
def test_flipping_the_case_of_one_letter_of_a_checksummed_address_fails(raw, data):
    address = eip55(raw)
    letters = [i for i, char in enumerate(address) if i > 1 and char.isalpha()]
    assume(letters)
    i = data.draw(st.sampled_from(letters))
    mutated = address[:i] + address[i].swapcase() + address[i + 1 :]
    digits = mutated[2:]
    assume(digits not in (digits.lower(), digits.upper()))
    assert refusal(clean_address, "ERC20", mutated)[0] == "checksum"


# Tron ---------------------------------------------------------------------------------------------------------------


def test_the_usdt_contract_address_is_a_tron_address():
    assert clean_address("TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert identify_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == ["TRC20"]


def test_a_tron_address_in_hex_form_is_refused_with_the_form_to_use():
    code, message = refusal(clean_address, "TRC20", "41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
    assert code == "hex_address"
    assert "starts with T" in message


def test_a_base58check_address_with_another_version_byte_is_not_tron():
    other_version = base58.b58encode_check(b"\x42" + bytes(20)).decode()
    assert refusal(clean_address, "TRC20", other_version)[0] in {"checksum", "format"}


@CHECKED
@given(st.binary(min_size=20, max_size=20), st.integers(0, 33), st.integers(0, 57))
def test_generated_tron_addresses_pass_and_fail_after_any_one_character_change(raw, index, pick):
    address = tron(raw)
    assert clean_address("TRC20", address) == address
    with pytest.raises(ValidationError):
        clean_address("TRC20", replaced(address, index, B58_ALPHABET, pick))


# Bitcoin ------------------------------------------------------------------------------------------------------------

BIP_VALID_MAINNET = [
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
    "BC1SW50QGDZ25J",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
]
BIP_INVALID_MAINNET = [
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bad checksum
    "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",  # invalid witness version
    "bc1rw5uspcuh",  # invalid program length
    "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",  # program too long
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 program of 16 bytes
    "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",  # zero padding of more than 4 bits
    "bc1gmk9yu",  # empty data
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with a bech32 checksum
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with a bech32 checksum
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with a bech32m checksum
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # invalid character
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # witness version 17
    "bc1pw5dgrnzv",  # program of 1 byte
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # program of 41 bytes
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # zero padding of more than 4 bits
]
BIP_TESTNET = [
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
    "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
]


@pytest.mark.parametrize("address", BIP_VALID_MAINNET)
def test_bip173_and_bip350_valid_mainnet_addresses_pass_in_lower_case(address):
    assert clean_address("BTC", address) == address.lower()
    assert identify_address(address) == ["BTC"]


@pytest.mark.parametrize("address", BIP_INVALID_MAINNET)
def test_bip173_and_bip350_invalid_mainnet_addresses_fail(address):
    code, message = refusal(clean_address, "BTC", address)
    assert code == "checksum"
    assert message.startswith("This bc1 address is not valid")


@pytest.mark.parametrize("address", BIP_TESTNET)
def test_bitcoin_testnet_bech32_addresses_are_refused_as_testnet(address):
    code, message = refusal(clean_address, "BTC", address)
    assert code == "testnet"
    assert "testnet" in message


def test_a_bc1_address_mixing_cases_is_refused_as_mixed_case():
    mixed = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmV3"
    assert refusal(clean_address, "BTC", mixed)[0] == "case"


@pytest.mark.parametrize("address", ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"])
def test_well_known_legacy_bitcoin_addresses_pass(address):
    assert clean_address("BTC", address) == address


@pytest.mark.parametrize("version", [0x6F, 0xC4])
def test_bitcoin_testnet_base58_addresses_are_refused_as_testnet(version):
    address = bitcoin_base58(version, random_bytes(20))
    assert address[0] in "mn2"
    assert refusal(clean_address, "BTC", address)[0] == "testnet"


def test_the_checksum_must_match_the_witness_version():
    program = random_bytes(32)
    assert refusal(clean_address, "BTC", bech32_with(Encoding.BECH32M, 0, program))[0] == "checksum"
    assert refusal(clean_address, "BTC", bech32_with(Encoding.BECH32, 1, program))[0] == "checksum"
    assert clean_address("BTC", bech32_with(Encoding.BECH32, 0, program)) == bech32m.encode("bc", 0, program)
    assert clean_address("BTC", bech32_with(Encoding.BECH32M, 1, program)) == bech32m.encode("bc", 1, program)


@CHECKED
@given(st.sampled_from([0x00, 0x05]), st.binary(min_size=20, max_size=20), st.integers(0, 40), st.integers(0, 57))
def test_generated_legacy_bitcoin_addresses_pass_and_fail_after_any_one_character_change(version, raw, index, pick):
    address = bitcoin_base58(version, raw)
    assert address[0] == ("1" if version == 0 else "3")
    assert clean_address("BTC", address) == address
    with pytest.raises(ValidationError):
        clean_address("BTC", replaced(address, index % len(address), B58_ALPHABET, pick))


@CHECKED
@given(st.sampled_from([(0, 20), (0, 32), (1, 32)]), st.data())
def test_generated_segwit_addresses_pass_and_fail_after_any_one_character_change(kind, data):
    version, size = kind
    address = bech32m.encode("bc", version, data.draw(st.binary(min_size=size, max_size=size)))
    assert clean_address("BTC", address.upper()) == address
    index = data.draw(st.integers(3, len(address) - 1))
    mutated = replaced(address, index, BECH32_CHARSET, data.draw(st.integers(0, 31)))
    assert refusal(clean_address, "BTC", mutated)[0] == "checksum"


# Solana -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "11111111111111111111111111111111"])
def test_well_known_solana_programs_are_solana_addresses(address):
    assert clean_address("SOL", address) == address
    assert identify_address(address) == ["SOL"]


@CHECKED
@given(st.binary(min_size=32, max_size=32))
def test_any_32_bytes_in_base58_are_a_solana_address(raw):
    address = base58.b58encode(raw).decode()
    assert clean_address("SOL", address) == address


@pytest.mark.parametrize("size", [31, 33])
def test_base58_of_another_length_is_not_a_solana_address(size):
    code, message = refusal(clean_address, "SOL", base58.b58encode(b"\xff" * size).decode())
    assert code == "format"
    assert message.startswith("Solana (SOL) addresses have 32 to 44 letters and digits")


# TON ----------------------------------------------------------------------------------------------------------------


def test_a_published_ton_address_and_its_raw_form_pass():
    assert clean_address("TON", "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N").startswith("EQCD")
    raw = "0:83DFD552E63729B472FCBCC8C45EBCC6691702558B68EC7527E1BA403A0F31A8"
    assert clean_address("TON", raw) == raw.lower()
    assert clean_address("TON", "-1:" + "ab" * 32) == "-1:" + "ab" * 32
    assert identify_address(raw) == ["TON"]


@pytest.mark.parametrize(
    ("flag", "workchain", "urlsafe"), [(0x11, 0, True), (0x51, 0, True), (0x11, -1, True), (0x51, 0, False)]
)
def test_generated_ton_addresses_pass_bounceable_or_not_in_either_base64(flag, workchain, urlsafe):
    address = ton(random_bytes(32), flag=flag, workchain=workchain, urlsafe=urlsafe)
    assert len(address) == 48
    assert clean_address("TON", address) == address


def test_a_ton_testnet_address_is_refused_as_testnet():
    assert refusal(clean_address, "TON", ton(random_bytes(32), flag=0x91))[0] == "testnet"


def test_a_ton_address_with_an_unknown_workchain_is_refused():
    assert refusal(clean_address, "TON", ton(random_bytes(32), workchain=5))[0] == "format"


@CHECKED
@given(st.binary(min_size=32, max_size=32), st.integers(0, 47), st.integers(0, 63))
def test_generated_ton_addresses_fail_after_any_one_character_change(account, index, pick):
    address = ton(account)
    assert clean_address("TON", address) == address
    with pytest.raises(ValidationError):
        clean_address("TON", replaced(address, index, BASE64URL, pick))


# XRP ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "rrrrrrrrrrrrrrrrrrrrrhoLvTp"])
def test_well_known_xrp_addresses_pass(address):
    assert clean_address("XRP", address) == address
    assert identify_address(address) == ["XRP"]


def test_an_xrp_x_address_is_refused_with_where_the_tag_goes():
    code, message = refusal(clean_address, "XRP", "X7AcgcsBL6XDcUb289X4mJ8djcdyKaB5hJDWMArnXr61cqZ")
    assert code == "x_address"
    assert "destination tag in its own field" in message


def test_an_xrp_address_needs_the_ripple_alphabet_and_in_the_bitcoin_one_it_is_a_bitcoin_address():
    assert refusal(clean_address, "XRP", "rrrrrrrrrrrrrrrrrrrrrhoLvTp".replace("r", "1", 1))[0] == "format"
    same_account = base58.b58encode_check(b"\x00" + bytes(20)).decode()
    assert same_account == "1111111111111111111114oLvT2"
    code, message = refusal(clean_address, "XRP", same_account)
    assert code == "wrong_network"
    assert message.startswith("This is a Bitcoin address, but you chose XRP Ledger.")


@CHECKED
@given(st.binary(min_size=20, max_size=20), st.integers(0, 40), st.integers(0, 57))
def test_generated_xrp_addresses_pass_and_fail_after_any_one_character_change(raw, index, pick):
    address = xrp(raw)
    assert address[0] == "r"
    assert clean_address("XRP", address) == address
    with pytest.raises(ValidationError):
        clean_address("XRP", replaced(address, index % len(address), RIPPLE_ALPHABET, pick))


# An address of one network under another -------------------------------------------------------------------------


def test_an_erc20_address_under_trc20_says_it_is_ethereum_style_and_what_to_choose():
    code, message = refusal(clean_address, "TRC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    assert code == "wrong_network"
    assert message.startswith(
        "This is an Ethereum-style (ERC20/BEP20/ARB/POLYGON) address, but you chose Tron (TRC20). Check the network "
        "you sent on: if it was BEP20, choose BEP20"
    )


def test_a_tron_address_under_erc20_says_it_is_tron():
    code, message = refusal(clean_address, "ERC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert code == "wrong_network"
    assert message.startswith("This is a Tron (TRC20) address, but you chose Ethereum (ERC20).")


def test_a_bc1_address_under_erc20_says_it_is_bitcoin():
    code, message = refusal(clean_address, "ERC20", BIP_VALID_MAINNET[-1])
    assert code == "wrong_network"
    assert message.startswith("This is a Bitcoin address, but you chose Ethereum (ERC20).")


def test_an_evm_address_under_btc_says_it_is_ethereum_style():
    code, message = refusal(clean_address, "BTC", "0xde709f2102306220921060314715629080e2fb77")
    assert code == "wrong_network"
    assert "but you chose Bitcoin (BTC)" in message


@pytest.mark.parametrize(
    ("network_code", "address", "family_says"),
    [
        ("SOL", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "a Tron (TRC20) address"),
        ("TON", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "an XRP Ledger address"),
        ("XRP", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "a Solana address"),
        ("BTC", "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N", "a TON address"),
    ],
)
def test_every_family_is_named_when_its_address_is_under_another_network(network_code, address, family_says):
    code, message = refusal(clean_address, network_code, address)
    assert code == "wrong_network"
    assert message.startswith(f"This is {family_says}, but you chose {NETWORKS[network_code].labels['en']}.")


def test_the_chosen_network_is_named_in_the_active_language():
    with translation.override("zh-hans"):
        _code, message = refusal(clean_address, "TRC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    assert "波场 (TRC20)" in message


def test_a_transaction_id_in_the_address_field_is_refused_as_one():
    code, message = refusal(clean_address, "ERC20", "0x" + "ab" * 32)
    assert code == "txid_not_address"
    assert "not an address" in message
    assert refusal(clean_address, "SOL", base58.b58encode(random_bytes(64)).decode())[0] == "txid_not_address"


def test_an_address_that_fits_no_network_gets_the_chosen_networks_shape_message():
    code, message = refusal(clean_address, "TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6")
    assert code == "format"
    assert message.startswith("Tron (TRC20) addresses start with T and have 34 letters and digits.")
    assert identify_address("not an address") == []


# TxIDs --------------------------------------------------------------------------------------------------------------

HASH = "A1b2" * 16


@pytest.mark.parametrize("network_code", EVM)
def test_evm_txids_are_0x_and_64_hex_in_lower_case(network_code):
    assert clean_txid(network_code, "0x" + HASH) == "0x" + HASH.lower()
    code, message = refusal(clean_txid, network_code, HASH)
    assert code == "format"
    assert "0x followed by 64 characters" in message


def test_tron_txids_take_an_optional_0x_that_is_normalised_away():
    assert clean_txid("TRC20", "0x" + HASH) == HASH.lower()
    assert clean_txid("TRC20", HASH) == HASH.lower()


def test_bitcoin_txids_are_64_hex_without_a_prefix():
    assert clean_txid("BTC", HASH) == HASH.lower()
    assert refusal(clean_txid, "BTC", "0x" + HASH)[0] == "format"
    assert refusal(clean_txid, "BTC", HASH[:-1])[0] == "format"


def test_xrp_txids_are_64_hex_in_upper_case():
    assert clean_txid("XRP", HASH) == HASH.upper()


def test_solana_txids_are_base58_signatures_of_64_bytes():
    signature = base58.b58encode(random_bytes(64)).decode()
    assert clean_txid("SOL", signature) == signature
    assert refusal(clean_txid, "SOL", base58.b58encode(random_bytes(48)).decode())[0] == "format"


def test_ton_txids_are_64_hex_or_base64_of_32_bytes():
    digest = random_bytes(32)
    assert clean_txid("TON", HASH) == HASH.lower()
    for encoded in (base64.b64encode(digest).decode(), base64.urlsafe_b64encode(digest).decode().rstrip("=")):
        assert clean_txid("TON", encoded) == encoded
    assert refusal(clean_txid, "TON", base64.b64encode(random_bytes(31)).decode())[0] == "format"


@pytest.mark.parametrize(
    ("network_code", "address"),
    [
        ("ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
        ("TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("SOL", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"),
        ("XRP", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"),
    ],
)
def test_an_address_in_the_txid_field_is_refused_as_an_address(network_code, address):
    code, message = refusal(clean_txid, network_code, address)
    assert code == "address_not_txid"
    assert message.startswith("This is an address, not a transaction ID.")


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("network_code", ["BTC", "SOL", "other"])
def test_a_wif_private_key_in_the_txid_or_address_field_is_refused_as_a_secret(network_code, compressed):
    key = wif(random_bytes(32), compressed=compressed)
    for clean in (clean_txid, clean_address):
        code, message = refusal(clean, network_code, key)
        assert code == "secret"
        assert "private key" in message


# Memos and tags -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "cleaned"), [("0", "0"), (" 104518 ", "104518"), ("007", "7"), ("4294967295", "4294967295")]
)
def test_xrp_destination_tags_are_numbers_up_to_2_to_the_32_minus_1(tag, cleaned):
    assert clean_memo("XRP", tag) == cleaned


@pytest.mark.parametrize(
    ("tag", "code"),
    [("4294967296", "tag_range"), ("99999999999999999999", "tag_range"), ("12a", "tag"), ("-1", "tag"),
     ("1.5", "tag"), ("１２３", "fullwidth"), ("12 34", "whitespace"), ("一二三", "tag"), ("١٢٣", "tag")],
)  # fmt: skip
def test_xrp_destination_tags_that_are_not_such_numbers_are_refused(tag, code):
    assert refusal(clean_memo, "XRP", tag)[0] == code


def test_a_ton_memo_is_free_text_up_to_120_characters():
    assert clean_memo("TON", "  深圳 deposit 123 ") == "深圳 deposit 123"
    assert clean_memo("TON", "m" * 120) == "m" * 120
    code, message = refusal(clean_memo, "TON", "m" * 121)
    assert code == "memo_length"
    assert "at most 120 characters" in message
    assert refusal(clean_memo, "TON", "123\u200b456")[0] == "invisible"


def test_a_memo_on_a_network_without_one_is_refused_and_an_empty_one_is_fine():
    code, message = refusal(clean_memo, "ERC20", "123456")
    assert code == "no_memo"
    assert message == "Ethereum (ERC20) transfers have no memo or tag: leave this field empty."
    assert clean_memo("ERC20", "  ") == ""
    assert clean_memo("XRP", None) == ""


def test_a_private_key_in_the_memo_is_refused():
    assert refusal(clean_memo, "TON", wif(random_bytes(32)))[0] == "secret"


# Pasted and spoofed characters --------------------------------------------------------------------------------------


def test_whitespace_around_a_value_is_stripped():
    assert (
        clean_address("TRC20", "\t TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\u3000\n") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    )
    assert clean_txid("BTC", f"  {HASH}\n") == HASH.lower()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("TR7NHqjeKQxGTCi8q8 ZY4pL8otSzgjLj6t", "whitespace"),
        ("TR7NHqjeKQxGTCi8q8\nZY4pL8otSzgjLj6t", "whitespace"),
        ("TR7NHqjeKQxGTCi8q8\u200bZY4pL8otSzgjLj6t", "invisible"),
        ("\ufeffTR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "invisible"),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\u2060", "invisible"),
        ("TR7NHqjeKQxGTCi8q8\u202eZY4pL8otSzgjLj6t", "invisible"),
        ("ＴR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "fullwidth"),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6ｔ", "fullwidth"),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8оtSzgjLj6t", "characters"),  # a Cyrillic о
    ],
)
@pytest.mark.parametrize("clean", [clean_address, clean_txid])
def test_inner_whitespace_invisible_fullwidth_and_lookalike_characters_are_refused(clean, value, code):
    assert refusal(clean, "TRC20", value)[0] == code
    assert refusal(clean, "other", value)[0] == code


def test_lookalike_and_invisible_characters_keep_a_value_from_fitting_any_network():
    assert identify_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\u200b") == []


def test_an_empty_address_or_txid_is_refused():
    assert refusal(clean_address, "ERC20", "  ")[0] == "required"
    assert refusal(clean_txid, "ERC20", None)[0] == "required"


# Other networks -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3x",
        "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ],
)
def test_other_networks_take_any_plausible_token(value):
    assert clean_address("other", f" {value} ") == value
    assert clean_address("DOGE", value) == value
    assert clean_txid("other", value) == value


@pytest.mark.parametrize("value", ["short1234", "x" * 129, "tx: abcdef12345"])
def test_other_networks_refuse_tokens_too_short_too_long_or_in_pieces(value):
    assert refusal(clean_address, "other", value)[0] in {"format", "whitespace"}
    assert refusal(clean_txid, "other", value)[0] in {"format", "whitespace"}


def test_other_networks_take_a_free_text_memo():
    assert clean_memo("other", "memo 12345") == "memo 12345"
