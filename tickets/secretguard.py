"""Secrets guard: text that looks like a seed phrase or a private key is refused before it is stored."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kb.search.analytics import SCRUBBERS

# The same word-run shape search analytics masks, so a phrase is treated alike wherever a customer pastes it.
SEED_PHRASE = next(pattern for pattern, mask in SCRUBBERS if mask == "<phrase>")
# Wallets show phrases as a numbered grid ("1. word 2. word" or "1) word"); the numbers would break the word run.
WORD_NUMBERS = re.compile(r"(?<![\w.])\d{1,2}[.):、]\s*")
PRIVATE_KEY = re.compile(
    r"(?:private[\s_-]*key|priv[\s_-]*key|secret[\s_-]*key|私钥|密钥)"
    r"[\s:：=\"'“”是为的]{0,12}"
    r"(?:(?:0x)?[0-9a-f]{64}(?![0-9a-f])|[5KL][1-9A-HJ-NP-Za-km-z]{50,51}\b)",
    re.IGNORECASE,
)
MESSAGE = _(
    "This looks like a seed phrase or private key. Our staff never need your seed phrase, private keys, passwords "
    "or 2FA codes: please remove it. Anyone who asks you for them is a scammer."
)


def find_secret(text):
    """The kind of secret found in `text` ("seed phrase" or "private key"), or None."""
    if not text:
        return None
    if PRIVATE_KEY.search(text):
        return "private key"
    if SEED_PHRASE.search(WORD_NUMBERS.sub(" ", text)):
        return "seed phrase"
    return None


def reject_secrets(value):
    """Form validator: refuse text that carries a secret."""
    if find_secret(value):
        raise ValidationError(MESSAGE, code="secret")
