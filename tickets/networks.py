"""The networks the ticket forms offer, and the shape of their addresses, transaction IDs and memos.

Pure functions over strings: `clean_*` return the normalised value or raise `ValidationError` with a code and a
message that says what is wrong and what to do, naming the network the value fits when it fits another one.
"""

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field

import base58
import bech32m
from Crypto.Hash import keccak
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import pick
from tickets.secretguard import find_secrets


@dataclass(frozen=True)
class Network:
    """A network a customer can choose; `memo` is what it calls the extra deposit field ("memo", "tag") or None."""

    code: str
    labels: dict = field(hash=False)
    family: str
    memo: str | None = None
    memo_labels: dict | None = field(default=None, hash=False)

    @property
    def label(self):
        return pick(self.labels)


NETWORKS = {
    network.code: network
    for network in (
        Network("ERC20", {"zh-hans": "以太坊 (ERC20)", "en": "Ethereum (ERC20)"}, "evm"),
        Network("BEP20", {"zh-hans": "BNB 智能链 (BEP20)", "en": "BNB Smart Chain (BEP20)"}, "evm"),
        Network("ARB", {"zh-hans": "Arbitrum One", "en": "Arbitrum One"}, "evm"),
        Network("POLYGON", {"zh-hans": "Polygon PoS", "en": "Polygon PoS"}, "evm"),
        Network("TRC20", {"zh-hans": "波场 (TRC20)", "en": "Tron (TRC20)"}, "tron"),
        Network("BTC", {"zh-hans": "比特币 (BTC)", "en": "Bitcoin (BTC)"}, "bitcoin"),
        Network("SOL", {"zh-hans": "Solana (SOL)", "en": "Solana (SOL)"}, "solana"),
        Network(
            "TON", {"zh-hans": "TON", "en": "TON"}, "ton", "memo", {"zh-hans": "备注 (Memo)", "en": "Memo (comment)"}
        ),
        Network(
            "XRP",
            {"zh-hans": "瑞波 (XRP Ledger)", "en": "XRP Ledger"},
            "xrp",
            "tag",
            {"zh-hans": "目标标签 (Destination Tag)", "en": "Destination tag"},
        ),
        # An unknown network may well have a memo (EOS, Stellar, Cosmos…), so free text is taken.
        Network(
            "other",
            {"zh-hans": "其他网络", "en": "Other network"},
            "other",
            "memo",
            {"zh-hans": "备注/标签（如有）", "en": "Memo or tag (if any)"},
        ),
    )
}
_BY_CODE = {code.upper(): network for code, network in NETWORKS.items()}
# Family → its networks in display order; the first one names the family in messages.
FAMILIES = {
    family: [network for network in NETWORKS.values() if network.family == family]
    for family in dict.fromkeys(network.family for network in NETWORKS.values())
}

COINS = [
    ("USDT", {"zh-hans": "USDT (泰达币)", "en": "USDT (Tether)"}),
    ("USDC", {"zh-hans": "USDC", "en": "USDC (USD Coin)"}),
    ("BTC", {"zh-hans": "BTC (比特币)", "en": "BTC (Bitcoin)"}),
    ("ETH", {"zh-hans": "ETH (以太币)", "en": "ETH (Ether)"}),
    ("BNB", {"zh-hans": "BNB", "en": "BNB"}),
    ("TRX", {"zh-hans": "TRX (波场币)", "en": "TRX (Tron)"}),
    ("SOL", {"zh-hans": "SOL", "en": "SOL (Solana)"}),
    ("TON", {"zh-hans": "TON", "en": "TON (Toncoin)"}),
    ("XRP", {"zh-hans": "XRP (瑞波币)", "en": "XRP"}),
    ("other", {"zh-hans": "其他币种", "en": "Other coin"}),
]
TAG_MAX = 2**32 - 1
MEMO_MAX = 120


def network_choices(language):
    """(code, label in `language`) for every network, in display order."""
    return [(network.code, pick(network.labels, language)) for network in NETWORKS.values()]


def coin_choices(language):
    """(code, label in `language`) for every coin, in display order."""
    return [(code, pick(labels, language)) for code, labels in COINS]


def get_network(code):
    """The network of `code` (any case); unknown codes are "other"."""
    return _BY_CODE.get(str(code or "").upper(), NETWORKS["other"])


# Messages; %(network)s is the chosen network's label in the active language -----------------------------------

ADDRESS_SHAPE = {
    "evm": _(
        "%(network)s addresses are 0x followed by 40 characters 0–9 and a–f (42 in all). Copy the address again from "
        "your wallet or the block explorer."
    ),
    "tron": _(
        "%(network)s addresses start with T and have 34 letters and digits. Copy the address again from your wallet "
        "or the block explorer."
    ),
    "bitcoin": _(
        "%(network)s addresses start with 1, 3 or bc1. Copy the address again from your wallet or the block explorer."
    ),
    "solana": _(
        "%(network)s addresses have 32 to 44 letters and digits (never 0, O, I or l). Copy the address again from "
        "your wallet or the block explorer."
    ),
    "ton": _(
        "%(network)s addresses have 48 letters, digits, - and _ (such as EQ… or UQ…), or the raw form 0:… with 64 "
        "characters 0–9 and a–f. Copy the address again from your wallet or the block explorer."
    ),
    "xrp": _(
        "%(network)s addresses start with r and have 25 to 35 letters and digits. Copy the address again from your "
        "wallet or the block explorer."
    ),
    "other": _("Enter the address as one piece of 10 to 128 letters, digits or symbols, without spaces."),
}
TXID_SHAPE = {
    "evm": _(
        "On %(network)s the transaction ID (TxID, hash) is 0x followed by 64 characters 0–9 and a–f. Copy it from "
        "the withdrawal record or the block explorer; if you sent on another network, choose that one."
    ),
    "hex": _(
        "On %(network)s the transaction ID (TxID, hash) has 64 characters 0–9 and a–f. Copy it from the withdrawal "
        "record or the block explorer; if you sent on another network, choose that one."
    ),
    "solana": _(
        "On %(network)s the transaction ID (signature) has about 88 letters and digits (never 0, O, I or l). Copy it "
        "from the withdrawal record or the block explorer; if you sent on another network, choose that one."
    ),
    "ton": _(
        "On %(network)s the transaction ID (hash) has 64 characters 0–9 and a–f, or 44 characters of base64. Copy it "
        "from the withdrawal record or the block explorer; if you sent on another network, choose that one."
    ),
    "other": _("Enter the transaction ID as one piece of 10 to 128 letters, digits or symbols, without spaces."),
}
WRONG_NETWORK = {
    "evm": _(
        "This is an Ethereum-style (ERC20/BEP20/ARB/POLYGON) address, but you chose %(network)s. Check the network "
        "you sent on: if it was BEP20, choose BEP20; if it was ERC20, ARB or POLYGON, choose that one."
    ),
    "tron": _(
        "This is a Tron (TRC20) address, but you chose %(network)s. Check the network you sent on: if it was TRC20, "
        "choose Tron (TRC20)."
    ),
    "bitcoin": _(
        "This is a Bitcoin address, but you chose %(network)s. Check the network you sent on: if it was Bitcoin, "
        "choose Bitcoin (BTC)."
    ),
    "solana": _(
        "This is a Solana address, but you chose %(network)s. Check the network you sent on: if it was Solana, "
        "choose Solana (SOL)."
    ),
    "ton": _(
        "This is a TON address, but you chose %(network)s. Check the network you sent on: if it was TON, choose TON."
    ),
    "xrp": _(
        "This is an XRP Ledger address, but you chose %(network)s. Check the network you sent on: if it was the XRP "
        "Ledger, choose XRP Ledger."
    ),
}
CHECKSUM = _(
    "One character is wrong (checksum mismatch): copy the address again from your wallet or the block explorer."
)
BECH32_INVALID = _(
    "This bc1 address is not valid: a character is wrong, missing or extra. Copy it again from your wallet or the "
    "block explorer."
)
MIXED_CASE = _(
    "A bc1 address is all lower case (or all upper case); this one mixes both. Copy it again from your wallet or the "
    "block explorer."
)
BTC_TESTNET = _(
    "This is a Bitcoin testnet address (tb1…, m…, n… or 2…). Testnet coins are not real bitcoin: enter a mainnet "
    "address, starting with 1, 3 or bc1."
)
TON_TESTNET = _("This is a TON testnet address. Enter a mainnet address (starting with EQ or UQ).")
TRON_HEX = _(
    "This is the hex form of a Tron address (41…). Enter the form that starts with T, as your wallet shows it."
)
X_ADDRESS = _(
    "This is an X-address, which packs the address and the tag together. Enter the classic address (starting with r) "
    "here and the destination tag in its own field."
)
TXID_NOT_ADDRESS = _(
    "This looks like a transaction ID (hash) or a private key, not an address. Enter the address; if this is a "
    "private key, never share it and move your funds to a new wallet now."
)
ADDRESS_NOT_TXID = _(
    "This is an address, not a transaction ID. The TxID (hash) is on the deposit or withdrawal record, or on the "
    "block explorer page of the transfer."
)
WHITESPACE = _(
    "There is a space or line break inside. Paste it again as one unbroken piece, straight from your wallet or the "
    "block explorer."
)
INVISIBLE = _(
    "There is an invisible character inside (such as a zero-width space), a sign that the value was altered or "
    "copied from a spoofed page. Copy it again from your wallet or the block explorer, or type it."
)
FULLWIDTH = _(
    "There are full-width characters inside (such as ０ or ｘ), which a Chinese input method types. Switch to "
    "half-width (English) input and paste or type it again."
)
FOREIGN_CHARACTERS = _(
    "There are characters inside that never appear in an address or TxID (such as letters of another script that "
    "look like Latin ones), a sign of a spoofed value. Copy it again from your wallet or the block explorer."
)


def _error(message, code, network=None, **params):
    if network is not None:
        params["network"] = pick(network.labels)
    return ValidationError(message, code=code, params=params or None)


def _stripped(value):
    return "" if value is None else str(value).strip()


def _refuse_odd_characters(value, *, free_text=False, foreign_allowed=False):
    """Refuse invisible characters; unless `free_text`, also inner whitespace, full-width and (unless allowed)
    other non-ASCII characters."""
    for char in value:
        if char.isspace():
            if not free_text:
                raise _error(WHITESPACE, "whitespace")
        elif unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn"):
            raise _error(INVISIBLE, "invisible")
        elif free_text or char.isascii():
            continue
        elif "\uff01" <= char <= "\uff5e":
            raise _error(FULLWIDTH, "fullwidth")
        elif not foreign_allowed:
            raise _error(FOREIGN_CHARACTERS, "characters")


SECRET_MESSAGE = _(
    "This is a private key or seed phrase, not what this field asks for. Never share it with anyone: anyone who has "
    "it can take your funds."
)


def _refuse_secrets(value, kind):
    """Refuse a private key or seed phrase (WIF and xprv have checksums; a bare 64-hex is data in these fields)."""
    if any(finding.kind != "possible_key" for finding in find_secrets(value, field=kind)):
        raise _error(SECRET_MESSAGE, "secret")


# Formats: each takes (network, stripped value) and returns the normalised value or raises ValidationError -------

B58 = "1-9A-HJ-NP-Za-km-z"
RIPPLE = re.escape(base58.RIPPLE_ALPHABET.decode())
EVM_RE = re.compile(r"0x[0-9a-fA-F]{40}")
HEX_64_RE = re.compile(r"(0x)?([0-9a-fA-F]{64})")
TRON_RE = re.compile(rf"T[{B58}]{{33}}")
TRON_HEX_RE = re.compile(r"(0x)?41[0-9a-fA-F]{40}")
BTC_BASE58_RE = re.compile(rf"[13mn2][{B58}]{{24,34}}")
SOLANA_RE = re.compile(rf"[{B58}]{{32,44}}")
SOLANA_SIGNATURE_RE = re.compile(rf"[{B58}]{{64,90}}")
TON_RAW_RE = re.compile(r"(0|-1):([0-9a-fA-F]{64})")
TON_FRIENDLY_RE = re.compile(r"[A-Za-z0-9+/_-]{48}")
TON_HASH_RE = re.compile(r"[A-Za-z0-9+/_-]{43}=?")
XRP_RE = re.compile(rf"r[{RIPPLE}]{{24,34}}")
X_ADDRESS_RE = re.compile(rf"X[{RIPPLE}]{{46}}")
TOKEN_RE = re.compile(r"[!-~]{10,128}")


def _base58check(value, alphabet=base58.BITCOIN_ALPHABET):
    try:
        return base58.b58decode_check(value, alphabet=alphabet)
    except ValueError:
        raise _error(CHECKSUM, "checksum") from None


def _base64(value):
    """The bytes of standard or URL-safe base64 (one alphabet, padding optional), or None."""
    if set("+/") & set(value) and set("-_") & set(value):
        return None
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return None


def eip55(hex_digits):
    """The EIP-55 mixed-case spelling of 40 hex digits."""
    lower = hex_digits.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode()).hexdigest()
    return "".join(
        char.upper() if int(nibble, 16) >= 8 else char for char, nibble in zip(lower, digest[:40], strict=True)
    )


def _evm_address(network, value):
    if not EVM_RE.fullmatch(value):
        raise _error(ADDRESS_SHAPE["evm"], "format", network)
    digits = value[2:]
    # All one case carries no checksum (older wallets, explorers); mixed case must be the EIP-55 spelling.
    if digits not in (digits.lower(), digits.upper()) and digits != eip55(digits):
        raise _error(CHECKSUM, "checksum")
    return value


def _tron_address(network, value):
    if TRON_HEX_RE.fullmatch(value):
        raise _error(TRON_HEX, "hex_address")
    if not TRON_RE.fullmatch(value):
        raise _error(ADDRESS_SHAPE["tron"], "format", network)
    payload = _base58check(value)
    if len(payload) != 21 or payload[0] != 0x41:
        raise _error(CHECKSUM, "checksum")
    return value


def _bitcoin_address(network, value):
    lower = value.lower()
    if lower.startswith(("tb1", "bcrt1")):
        raise _error(BTC_TESTNET, "testnet")
    if lower.startswith("bc1"):
        if value not in (lower, value.upper()):
            raise _error(MIXED_CASE, "case")
        try:
            # Also enforces BIP350: bech32 for witness version 0, bech32m for 1 to 16, and the program lengths.
            bech32m.decode("bc", lower)
        except bech32m.DecodeError:
            raise _error(BECH32_INVALID, "checksum") from None
        return lower
    if BTC_BASE58_RE.fullmatch(value):
        payload = _base58check(value)
        version = payload[0] if len(payload) == 21 else None
        if version in (0x6F, 0xC4):
            raise _error(BTC_TESTNET, "testnet")
        if version in (0x00, 0x05):
            return value
    raise _error(ADDRESS_SHAPE["bitcoin"], "format", network)


def _solana_address(network, value):
    # A public key without a checksum: a typo that keeps 32 bytes cannot be caught here.
    if not (SOLANA_RE.fullmatch(value) and len(base58.b58decode(value)) == 32):
        raise _error(ADDRESS_SHAPE["solana"], "format", network)
    return value


def _ton_address(network, value):
    if match := TON_RAW_RE.fullmatch(value):
        return f"{match[1]}:{match[2].lower()}"
    data = _base64(value) if TON_FRIENDLY_RE.fullmatch(value) else None
    if data is None or len(data) != 36:
        raise _error(ADDRESS_SHAPE["ton"], "format", network)
    # Flag, workchain, 32-byte account, CRC-16/XMODEM of those 34 bytes.
    if binascii.crc_hqx(data[:34], 0) != int.from_bytes(data[34:], "big"):
        raise _error(CHECKSUM, "checksum")
    if data[0] & 0x80:
        raise _error(TON_TESTNET, "testnet")
    if data[0] not in (0x11, 0x51) or data[1] not in (0x00, 0xFF):
        raise _error(ADDRESS_SHAPE["ton"], "format", network)
    return value


def _xrp_address(network, value):
    if X_ADDRESS_RE.fullmatch(value):
        raise _error(X_ADDRESS, "x_address")
    if not XRP_RE.fullmatch(value):
        raise _error(ADDRESS_SHAPE["xrp"], "format", network)
    payload = _base58check(value, alphabet=base58.RIPPLE_ALPHABET)
    if len(payload) != 21 or payload[0] != 0x00:
        raise _error(CHECKSUM, "checksum")
    return value


def _other_address(network, value):
    if not TOKEN_RE.fullmatch(value):
        raise _error(ADDRESS_SHAPE["other"], "format")
    return value


def _evm_txid(network, value):
    if not (value.startswith("0x") and HEX_64_RE.fullmatch(value)):
        raise _error(TXID_SHAPE["evm"], "format", network)
    return value.lower()


def _hex_txid(network, value, *, prefix_allowed=False):
    match = HEX_64_RE.fullmatch(value)
    if not match or (match[1] and not prefix_allowed):
        raise _error(TXID_SHAPE["hex"], "format", network)
    return match[2]


def _tron_txid(network, value):
    return _hex_txid(network, value, prefix_allowed=True).lower()


def _bitcoin_txid(network, value):
    return _hex_txid(network, value).lower()


def _solana_txid(network, value):
    if not (SOLANA_SIGNATURE_RE.fullmatch(value) and len(base58.b58decode(value)) == 64):
        raise _error(TXID_SHAPE["solana"], "format", network)
    return value


def _ton_txid(network, value):
    if HEX_64_RE.fullmatch(value) and not value.startswith("0x"):
        return value.lower()
    data = _base64(value) if TON_HASH_RE.fullmatch(value) else None
    if data is None or len(data) != 32:
        raise _error(TXID_SHAPE["ton"], "format", network)
    return value


def _xrp_txid(network, value):
    return _hex_txid(network, value).upper()


def _other_txid(network, value):
    if not TOKEN_RE.fullmatch(value):
        raise _error(TXID_SHAPE["other"], "format")
    return value


ADDRESS_FORMATS = {
    "evm": _evm_address,
    "tron": _tron_address,
    "bitcoin": _bitcoin_address,
    "solana": _solana_address,
    "ton": _ton_address,
    "xrp": _xrp_address,
    "other": _other_address,
}
# The TxID shapes no address has (64 hex with or without 0x, 64-byte signatures); TON's base64 hashes look like
# any 43 letters and digits.
DISTINCT_TXIDS = ("evm", "tron", "solana")
TXID_FORMATS = {
    "evm": _evm_txid,
    "tron": _tron_txid,
    "bitcoin": _bitcoin_txid,
    "solana": _solana_txid,
    "ton": _ton_txid,
    "xrp": _xrp_txid,
    "other": _other_txid,
}


def _fits(formats, value, families=None):
    """The families (default: all but "other") whose format in `formats` accepts `value`."""
    fitting = []
    for family, members in FAMILIES.items():
        if family == "other" or (families and family not in families):
            continue
        try:
            formats[family](members[0], value)
        except ValidationError:
            continue
        fitting.append(family)
    return fitting


# What the forms call ----------------------------------------------------------------------------------------------


def identify_address(value):
    """Codes of the networks whose address format `value` fits, in display order ("other" is never listed)."""
    value = _stripped(value)
    try:
        _refuse_odd_characters(value)
    except ValidationError:
        return []
    return [member.code for family in _fits(ADDRESS_FORMATS, value) for member in FAMILIES[family]]


def clean_address(network_code, value):
    """`value` as an address on the network of `network_code`, normalised; else ValidationError."""
    chosen = get_network(network_code)
    value = _stripped(value)
    if not value:
        raise _error(_("Enter the address."), "required")
    _refuse_odd_characters(value)
    _refuse_secrets(value, "address")
    try:
        return ADDRESS_FORMATS[chosen.family](chosen, value)
    except ValidationError:
        if chosen.family == "other":
            raise
        if families := _fits(ADDRESS_FORMATS, value):
            raise _error(WRONG_NETWORK[families[0]], "wrong_network", chosen) from None
        if _fits(TXID_FORMATS, value, DISTINCT_TXIDS):
            raise _error(TXID_NOT_ADDRESS, "txid_not_address") from None
        raise


def clean_txid(network_code, value):
    """`value` as a transaction ID on the network of `network_code`, normalised; else ValidationError."""
    chosen = get_network(network_code)
    value = _stripped(value)
    if not value:
        raise _error(_("Enter the transaction ID (TxID)."), "required")
    _refuse_odd_characters(value)
    _refuse_secrets(value, "txid")
    try:
        return TXID_FORMATS[chosen.family](chosen, value)
    except ValidationError:
        if chosen.family != "other" and _fits(ADDRESS_FORMATS, value):
            raise _error(ADDRESS_NOT_TXID, "address_not_txid") from None
        raise


def clean_memo(network_code, value):
    """`value` as the memo or destination tag of the network of `network_code`; "" when empty."""
    chosen = get_network(network_code)
    value = _stripped(value)
    if not value:
        return ""
    if chosen.memo is None:
        raise _error(_("%(network)s transfers have no memo or tag: leave this field empty."), "no_memo", chosen)
    if chosen.memo == "tag":
        _refuse_odd_characters(value, foreign_allowed=True)
        if not (value.isascii() and value.isdigit()):
            message = _("The destination tag is a number (digits only), such as 104518. Copy it from the deposit page.")
            raise _error(message, "tag")
        if len(value) > 10 or int(value) > TAG_MAX:
            message = _("The destination tag is at most 4294967295: check it against the deposit page.")
            raise _error(message, "tag_range")
        return str(int(value))
    _refuse_odd_characters(value, free_text=True)
    if len(value) > MEMO_MAX:
        message = _("The memo has at most %(limit)s characters: copy it again from the deposit page.")
        raise _error(message, "memo_length", limit=MEMO_MAX)
    _refuse_secrets(value, "text")
    return value
