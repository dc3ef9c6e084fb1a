"""Secrets guard: finds seed phrases, private keys, API secrets, passwords and one-time codes in customer text and
redacts them, so they are never stored, indexed, logged or emailed.

Every detector is a regex with bounded repetition or a single pass over the text, so it runs on each search query and
on long descriptions alike. A finding is `certain` when a checksum or an explicit label confirms it.
"""

import hashlib
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

import base58
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from mnemonic import Mnemonic

KINDS = ("seed_phrase", "private_key", "keystore", "api_secret", "password", "one_time_code", "possible_key")
LABELS = {
    "seed_phrase": _("seed phrase"),
    "private_key": _("private key"),
    "keystore": _("wallet keystore file"),
    "api_secret": _("API secret"),
    "password": _("password"),
    "one_time_code": _("one-time code"),
    "possible_key": _("possible private key"),
}
_FUNDS = _("Anyone who saw it can take your funds: move them now to a new wallet with a new seed phrase.")
ADVICE = {
    "seed_phrase": _FUNDS,
    "private_key": _FUNDS,
    "keystore": _FUNDS,
    "api_secret": _("Delete that API key in your account settings now and create a new one."),
    "password": _("Change this password now, and everywhere else you use it."),
    "one_time_code": _(
        "The code may still be valid: never share a code with anyone, and change your password now if you did not "
        "request it."
    ),
    "possible_key": _("If this was a private key, treat it as exposed: move your funds now to a new wallet."),
}
REMINDER = _(
    "Our staff never ask for your seed phrase, private keys, passwords or verification codes. Anyone who does is a "
    "scammer."
)


# Field kinds whose values are data (TxIDs, addresses) that may look like a bare key.
DATA_FIELDS = {"txid", "address"}


def notice(kinds):
    """What the customer is told about the secrets the guard removed: which, what to do now, and the reminder."""
    if not kinds:
        return None
    return {
        "items": [{"label": LABELS[kind], "advice": ADVICE[kind]} for kind in kinds],
        "reminder": REMINDER,
    }


@dataclass(frozen=True)
class Finding:
    """A secret's kind and its span in the original text; certain when a checksum or a label confirms it."""

    kind: str
    start: int
    end: int
    certain: bool


@dataclass(frozen=True)
class Redacted:
    """The text with a marker in each secret's place, and the kinds removed (false when none)."""

    text: str
    kinds: tuple[str, ...]

    def __bool__(self):
        return bool(self.kinds)


# Texts found clean lately, as digests (never the text itself) with their field kind: a value checked twice in one
# request (the form's check, then the action's) or sent again (a retried form, a query typed on) is scanned once.
# Only clean texts are remembered; a text that held a secret is scanned each time.
CLEAN_REMEMBERED = 4096
_clean, _clean_lock = {}, threading.Lock()


def find_secrets(text, *, field="text"):
    """The secrets in `text` (a value of a field of kind `field`): non-overlapping findings, sorted by start."""
    if not text:
        return []
    key = (field, hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=16).digest())
    if key in _clean:
        return []
    found = _scan(text, field)
    if not found:
        with _clean_lock:
            if len(_clean) >= CLEAN_REMEMBERED:
                del _clean[next(iter(_clean))]  # the oldest
            _clean[key] = None
    return found


def _scan(text, field):
    found = [
        *_seed_phrases(text),
        *_context_keys(text, field),
        *_wif_keys(text),
        *_extended_keys(text),
        *_pem_blocks(text),
        *_keystores(text),
        *_api_secrets(text),
        *_passwords(text),
        *_one_time_codes(text),
    ]
    return _merge(found)


def redact(text, *, field="text", masks=None):
    """`text` with each secret replaced by a marker naming it (or by `masks[kind]` when given)."""
    findings = find_secrets(text, field=field)
    if not findings:
        return Redacted(text, ())
    parts, last = [], 0
    for finding in findings:
        marker = masks[finding.kind] if masks else _marker(text, finding)
        parts += [text[last : finding.start], marker]
        last = finding.end
    parts.append(text[last:])
    kinds = {finding.kind for finding in findings}
    return Redacted("".join(parts), tuple(kind for kind in KINDS if kind in kinds))


def redact_values(values, fields=None):
    """Redact every string value of `values`, each with its field kind from `fields` (default "text").

    Returns the redacted values and, for each key where something was removed, its kinds.
    """
    fields = fields or {}
    redacted, removed = {}, {}
    for key, value in values.items():
        if isinstance(value, str):
            result = redact(value, field=fields.get(key, "text"))
            value = result.text
            if result:
                removed[key] = list(result.kinds)
        redacted[key] = value
    return redacted, removed


def ordered(kinds):
    """The distinct kinds among `kinds`, in the order of KINDS."""
    found = set(kinds)
    return [kind for kind in KINDS if kind in found]


def _marker(text, finding):
    """What stands in a secret's place; a possible key keeps its first and last 4 digits for review (32 bits)."""
    if finding.kind == "possible_key":
        value = text[finding.start : finding.end]
        prefix, digits = ("0x", value[2:]) if value[:2].lower() == "0x" else ("", value)
        masked = gettext("[masked: %(what)s]") % {"what": LABELS[finding.kind]}
        return f"{prefix}{digits[:4]}…{digits[-4:]} {masked}"
    return gettext("[removed: %(what)s]") % {"what": LABELS[finding.kind]}


@cache
def marker_pattern():
    """A pattern finding the markers `redact` leaves ("[removed: …]", "[masked: …]"), in every site language."""
    forms = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            forms.update(gettext(text) for text in ("[removed: %(what)s]", "[masked: %(what)s]"))
    return re.compile(
        "|".join(
            re.escape(before) + r"[^\[\]\n]{1,60}?" + re.escape(after)
            for before, after in sorted(form.split("%(what)s") for form in forms)
        )
    )


def _merge(findings):
    """Overlapping findings become one span, named by the longest (then certain, then first kind) among them."""
    groups = []
    for finding in sorted(findings, key=lambda f: f.start):
        if groups and finding.start < max(f.end for f in groups[-1]):
            groups[-1].append(finding)
        else:
            groups.append([finding])
    result = []
    for group in groups:
        best = min(group, key=lambda f: (f.start - f.end, not f.certain, KINDS.index(f.kind)))
        result.append(Finding(best.kind, group[0].start, max(f.end for f in group), best.certain))
    return result


# Seed phrases ---------------------------------------------------------------------------------------------------

# Letters with their combining marks (text pasted decomposed keeps its accents and kana voicing marks in the word).
WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u3099\u309a])+")
ACCENTS = re.compile(r"[\u0300-\u036f]")
# Between two words of a phrase: a short stretch of separators and numbering (code punctuation such as "_", "=" or
# "->" ends a run).
GAP = re.compile(r"[\s\d.,，、:：;；()（）\[\]［］．#|/+\-–—·•・*\"'“”‘’]{0,24}")
# A gap with one of these makes the words a list (numbered, one per line, comma separated), where a typo is tolerated.
LIST_GAP = re.compile(r"[\d\n,，、;；|#]")
LABEL_WORDS = {"word", "words", "seed", "phrase", "mnemonic", "recovery", "助记词", "单词", "第", "个"}
LABEL_AFTER = re.compile(r"\s*(?:#\s*)?\d|\s*[:：]")
DIGIT = re.compile(r"\d")
GLUED = re.compile(r"[A-Za-z][0-9]+[A-Za-z]")
# The first word's own numbering or label ("Word 1:", "#1", "(1)", "第1个：", "seed phrase:") belongs to the phrase.
LEADING = re.compile(
    r"(?:(?:(?<![^\W\d_])(?:words?|seed|phrase|mnemonic|recovery)|助记词|单词|第)\s*[:：]?\s*)*"
    r"(?:[#(]?\s*\d{1,2}\s*[)个]?\s*[.):：、]?)?\s*$",
    re.IGNORECASE,
)
PHRASE_LENGTHS = (12, 15, 18, 21, 24)


def _fold(word):
    """A word as wordlists are compared: NFKD, case-folded, without Latin accents (Turkish "ı" upper-cases to "I")."""
    return ACCENTS.sub("", unicodedata.normalize("NFKD", word).casefold()).replace("ı", "i")


@cache
def _wordlists():
    """Each BIP39 language of the `mnemonic` package: {folded word: index}."""
    return {lang: {_fold(w): i for i, w in enumerate(Mnemonic(lang).wordlist)} for lang in Mnemonic.list_languages()}


@cache
def _one_letter_less(lang):
    """Every word of `lang` with one letter dropped: a token within one edit of a word meets it here."""
    return {w[:i] + w[i + 1 :] for w in _wordlists()[lang] if len(w) >= 4 for i in range(len(w))}


@cache
def _script(word):
    """The writing system of a word's first letter ("LATIN", "CYRILLIC", "HANGUL"…; Chinese and kana are "CJK").

    A mistyped word is written in its list's script: "HD" after a Chinese phrase is a reference, not a typo.
    """
    script = unicodedata.name(word[0], "").split(" ")[0]
    return "CJK" if script in {"CJK", "HIRAGANA", "KATAKANA"} else script


def _near_miss(key, lang):
    """Whether a non-list token reads as a mistyped word of `lang` (or, in Chinese, a word glued to its neighbour)."""
    words = _wordlists()[lang]
    if lang.startswith("chinese"):
        return key[0] in words or key[-1] in words
    if len(key) < 3:
        return False
    near = _one_letter_less(lang)
    shorter = (key[:i] + key[i + 1 :] for i in range(len(key)))
    return key in near or any(word in words or word in near for word in shorter)


def _checksum_ok(indices):
    """BIP39 checksum: the last len/3 bits of the 11-bit indices start the SHA-256 of the bits before them."""
    bits = len(indices) * 11
    checksum_bits = bits // 33
    number = 0
    for index in indices:
        number = number << 11 | index
    entropy = (number >> checksum_bits).to_bytes((bits - checksum_bits) // 8, "big")
    return number & ((1 << checksum_bits) - 1) == hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)


def _seed_phrases(text):
    """BIP39 phrases of 12+ words in every wordlist language, whatever the separators, case, numbering or labels.

    Chinese and Japanese words count only as separate tokens, the way wallets show them: prose is one run of letters.
    """
    tokens = [(m.start(), m.end(), _fold(m.group())) for m in WORD.finditer(text)]
    if len(tokens) < 11:  # most field values: no list can have 11 words in them
        return []
    languages = _languages_of_words()
    counts = Counter(lang for _start, _end, key in tokens for lang in languages.get(key, ()))
    findings = []
    for lang in _wordlists():
        if counts[lang] >= 11:
            findings += _phrases_in(text, tokens, lang)
    return findings


@cache
def _languages_of_words():
    """{folded word: the wordlist languages that have it}: one pass over a text counts its words for every list."""
    languages = defaultdict(list)
    for lang, words in _wordlists().items():
        for word in words:
            languages[word].append(lang)
    return dict(languages)


def _phrases_in(text, tokens, lang):
    """Runs of `lang` words (labels skipped, a tolerated typo kept) that form a phrase."""
    words = _wordlists()[lang]
    runs, run, prev_end, prev_label = [], [], None, False
    for start, end, key in tokens:
        gap = text[prev_end:start] if prev_end is not None else ""
        if prev_end is not None and GLUED.fullmatch(text, prev_end - 1, start + 1):
            # Latin letters glued to digits ("L5JtW") are pieces of a key or code, never words of a numbered list:
            # the pieces on both sides of the digits leave the run.
            if run and run[-1][1] == prev_end:
                run.pop()
            runs.append(run)
            run, prev_label, prev_end = [], False, end
            continue
        if not GAP.fullmatch(gap):
            runs.append(run)
            run, prev_label = [], False
        prev_end = end
        if key in LABEL_WORDS and LABEL_AFTER.match(text, end) and (prev_label or not DIGIT.search(gap)):
            prev_label = True
            continue
        index = words.get(key)
        tolerated = _script(key) == _script(next(iter(words))) and (
            prev_label or LIST_GAP.search(gap) or _near_miss(key, lang)
        )
        if index is None and not tolerated:
            runs.append(run)
            run = []
        else:
            run.append((start, end, index, key))
        prev_label = False
    runs.append(run)
    return [finding for run in runs if (finding := _trimmed_finding(text, run, lang))]


def _trimmed_finding(text, run, lang):
    """The run's phrase, also when words before or after it ("Help, my words are …") made the run too loose.

    Tries the whole run, then without its first list words one at a time, then without its last ones: each try
    keeps at least 11 list words, so a run is tried at most once per list word on each side.
    """
    finding = _phrase_finding(text, run, lang)
    if finding:
        return finding
    listed = [i for i, item in enumerate(run) if item[2] is not None]
    for first in listed[1:-10]:
        if finding := _phrase_finding(text, run[first:], lang):
            return finding
    for last in reversed(listed[10:-1]):
        if finding := _phrase_finding(text, run[: last + 1], lang):
            return finding
    return None


def _phrase_shaped(text, span, lang):
    """12+ words, at most one per 12 off the list, and those only in a list layout or as near misses of a word."""
    typos = [key for _start, _end, index, key in span if index is None]
    if len(span) < 12 or len(typos) > len(span) // 12:
        return False
    gaps = [text[a[1] : b[0]] for a, b in zip(span, span[1:], strict=False)]
    listed_layout = 2 * sum(bool(LIST_GAP.search(gap)) for gap in gaps) >= len(gaps)
    return not typos or listed_layout or all(_near_miss(key, lang) for key in typos)


def _phrase_finding(text, run, lang):
    """A finding for a run with at least 11 list words and at most one non-list word per 12, else None.

    The span runs from the first to the last list word, widened to the tolerated word just before or after them when
    that is needed or makes a phrase length. Certain when no word needed tolerating and the first or last 12, 15… 24
    words have a valid checksum (a customer may add a listed word before or after the phrase).
    """
    listed = [i for i, item in enumerate(run) if item[2] is not None]
    if len(listed) < 11:
        return None
    core = run[listed[0] : listed[-1] + 1]
    first, last = max(listed[0] - 1, 0), listed[-1] + 1
    spans = (core, run[first:last], run[listed[0] : last + 1], run[first : last + 1])
    fits = [span for span in spans if _phrase_shaped(text, span, lang)]
    if not fits:
        return None
    span = next((span for span in fits if len(span) in PHRASE_LENGTHS), fits[0])
    indices = [item[2] for item in span]
    ends = {tuple(part) for n in PHRASE_LENGTHS if n <= len(indices) for part in (indices[:n], indices[-n:])}
    certain = None not in indices and any(_checksum_ok(part) for part in ends)
    start = span[0][0]
    leading = LEADING.search(text, max(start - 40, 0), start)
    if leading:
        start = leading.start() + len(leading.group()) - len(leading.group().lstrip())
    return Finding("seed_phrase", start, span[-1][1], certain)


# Private keys ---------------------------------------------------------------------------------------------------

B58 = "1-9A-HJ-NP-Za-km-z"
HEX_KEY = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
# A Solana keypair exported as base58 (64 bytes, 86–88 characters), a key only where the text calls it one.
SOLANA_KEY = re.compile(rf"(?<![{B58}])[{B58}]{{86,88}}(?![{B58}])")
# The last of these before a value says what it is; at one position the first alternative wins ("api key" is API).
CONTEXT = re.compile(
    r"(?P<api>api[\s_-]*(?:key|secret|密钥)|apikey|access[\s_-]*key|secret(?:[\s_-]*key)?)"
    r"|(?P<data>public[\s_-]*key|pubkey|tx[\s_-]*(?:id|hash)|txn|\btx\b|hash|transaction|signature|block|address"
    r"|contract|交易|哈希|地址|区块|签名|公钥)"
    r"|(?P<key>private[\s_-]*key|priv[\s_-]*key|privkey|\bpk\b|私钥|密钥|秘钥)",
    re.IGNORECASE,
)
CONTEXT_WINDOW = 48
WIF = re.compile(rf"(?<![{B58}])[5KL9c][{B58}]{{50,51}}(?![{B58}])")
EXTENDED_KEY = re.compile(rf"(?<![{B58}])(?:[xyztuv]prv|[YZ]prv)[{B58}]{{103,111}}(?![{B58}])")
PEM_BEGIN = re.compile(r"(?<!-)-{2,}\s*BEGIN [A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?\s*-{2,}")
PEM_END = re.compile(r"(?<!-)-{2,}\s*END [A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?\s*-{2,}")
KEYSTORE_CRYPTO = re.compile(r"[\"'][Cc]rypto[\"']\s*:")
KEYSTORE_PARTS = re.compile(r"[\"'](?:ciphertext|cipherparams|kdf)[\"']")


def _context(text, start):
    """What the words just before `start` call the value there: "key", "data", "api" or None."""
    said = list(CONTEXT.finditer(text, max(start - CONTEXT_WINDOW, 0), start))
    return said[-1].lastgroup if said else None


def _context_keys(text, field):
    """64-hex after key words ("private key", "私钥"…), and bare 64-hex outside TxID context as a possible key."""
    for match in HEX_KEY.finditer(text):
        context = _context(text, match.start())
        if context == "key":
            yield Finding("private_key", match.start(), match.end(), True)
        elif context is None and field not in DATA_FIELDS:
            yield Finding("possible_key", match.start(), match.end(), False)
    for match in SOLANA_KEY.finditer(text):
        if _context(text, match.start()) == "key" and len(base58.b58decode(match.group())) == 64:
            yield Finding("private_key", match.start(), match.end(), True)


def _wif_keys(text):
    """Wallet import format keys with a valid base58check checksum (mainnet or testnet, compressed or not)."""
    for match in WIF.finditer(text):
        try:
            payload = base58.b58decode_check(match.group())
        except ValueError:
            continue
        if payload[0] in (0x80, 0xEF) and (len(payload) == 33 or (len(payload) == 34 and payload[-1] == 1)):
            yield Finding("private_key", match.start(), match.end(), True)


def _extended_keys(text):
    """BIP32 extended private keys (xprv, yprv, zprv, tprv…): certain with a valid checksum, redacted either way."""
    for match in EXTENDED_KEY.finditer(text):
        try:
            certain = len(base58.b58decode_check(match.group())) == 78
        except ValueError:
            certain = False
        yield Finding("private_key", match.start(), match.end(), certain)


def _pem_blocks(text):
    """PEM private-key blocks, from BEGIN through END, or to the end of the text when END is missing."""
    end = 0
    for match in PEM_BEGIN.finditer(text):
        if match.start() < end:
            continue
        closing = PEM_END.search(text, match.end())
        end = closing.end() if closing else len(text)
        yield Finding("private_key", match.start(), end, True)


def _keystores(text):
    """Keystore JSON (a "crypto" object with its ciphertext, cipherparams or kdf): the whole enclosing object."""
    end = 0
    for match in KEYSTORE_CRYPTO.finditer(text):
        if match.start() < end or not KEYSTORE_PARTS.search(text, match.end(), match.end() + 2000):
            continue
        start, end = _json_object(text, match.start())
        yield Finding("keystore", start, end, True)


def _json_object(text, at):
    """The span of the JSON object around `at`: back to its opening "{", on to its closing "}" (or the text's end)."""
    start, depth = at, 0
    for i in range(at - 1, max(at - 4000, 0) - 1, -1):
        if text[i] == "}":
            depth += 1
        elif text[i] == "{":
            if depth == 0:
                start = i
                break
            depth -= 1
    depth = 1
    for i in range(start + (text[start] == "{"), len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return start, i + 1
    return start, len(text)


# Credentials ----------------------------------------------------------------------------------------------------

# "is", "是", ":" … between a label and its value; the opening quote stays outside the value.
SAID = r"(?:\s*(?:is\b|was\b|是|为|為|[:：=])){0,3}\s*[\"'“”‘’`]?"
# A Latin label is a whole word followed by a separator ("libsecret", "secret_service" are not labels).
AFTER_LABEL = r"(?![A-Za-z0-9_])(?=[\s:：=\"'“”‘’`是为為])"
API_SECRET = re.compile(
    r"(?:(?<![A-Za-z0-9])(?:api[\s_-]*(?:key|secret)|apikey|access[\s_-]*key(?:[\s_-]*id)?|secret[\s_-]*key|secret)"
    + AFTER_LABEL
    + r"|api\s*密钥|密钥|秘钥)"
    + SAID
    + r"(?P<value>[A-Za-z0-9+/=_-]{16,128})(?![A-Za-z0-9+/=_-])",
    re.IGNORECASE,
)
PASSWORD_EN = re.compile(
    r"(?:\b(?:password|passwd|passphrase)\b(?=\s*(?:is\b|was\b|[:：=]))|\b(?:pwd|pass|pw)\b(?=\s*[:：=]))"
    + SAID
    + r"(?P<value>[^\s\"'“”‘’,，。；;]{1,64})",
    re.IGNORECASE,
)
PASSWORD_ZH = re.compile(r"密码" + SAID + r"(?P<value>[A-Za-z0-9][!-~]{0,63})")
# What follows "password is" in a sentence about a password (not the password itself).
DESCRIPTIONS = (
    "wrong incorrect correct right not invalid valid expired locked blocked too very still being been already now the "
    "a an same different fine ok okay working weak strong long short required missing lost forgotten forgot changed "
    "reset set case empty blank also just only no never always in on at for of with and or but to my your this that "
    "it known unknown there here secure safe unsafe easy hard simple good bad mine active sent gone broken stuck true "
    "false none null please help what why how when where which who"
)
NOT_PASSWORDS = set(DESCRIPTIONS.split())
# "the password is limited / shared / changing": a participle or adverb describes the password.
DESCRIBING = re.compile(r"[a-z]+(?:ed|ing|ly)")
CODE_CONTEXT = (
    r"(?:短信|邮箱|邮件|手机|谷歌|google\s*)?(?:验证码|校验码|动态码|动态口令|安全码|确认码)|谷歌验证|二次验证"
    r"|\b(?:(?:google\s+)?authenticator|2fa|mfa|otp|totp)(?:\s+code)?"
    r"|\b(?:sms|e-?mail|verification|security|auth|google|2-step|two[\s-]factor|one[\s-]time)\s+(?:code|pin|passcode)"
)
ONE_TIME_CODE = re.compile(
    r"(?:" + CODE_CONTEXT + r")(?![A-Za-z0-9])" + SAID + r"(?P<value>\d{2,8}(?: \d{2,8}){0,3})(?!\d|[.,:/-]\d)",
    re.IGNORECASE,
)
DECIMAL = re.compile(r"\d+[.,]\d+")
PUNCTUATION_AFTER = ".,;:!?)]}>。，；：！？）】"


def _looks_random(value):
    """Generated, not a word or a path: letters with digits, or upper and lower case beyond a capital initial."""
    letters = any(c.isalpha() for c in value)
    mixed_case = any(c.islower() for c in value) and any(c.isupper() for c in value[1:])
    return letters and (any(c.isdigit() for c in value) or mixed_case)


def _api_secrets(text):
    """Exchange API keys and secrets after their labels ("API key", "Secret Key", "API密钥"…)."""
    for match in API_SECRET.finditer(text):
        if _looks_random(match.group("value")):
            yield Finding("api_secret", match.start("value"), match.end("value"), True)


def _passwords(text):
    """The one token after "my password is", "password:", "pwd=", "密码是", "登录密码："… unless it describes it."""
    for match in [*PASSWORD_EN.finditer(text), *PASSWORD_ZH.finditer(text)]:
        value = match.group("value").rstrip(PUNCTUATION_AFTER)
        labelled = any(c in ":：=" for c in text[match.start() : match.start("value")])
        describes = value.casefold() in NOT_PASSWORDS or (DESCRIBING.fullmatch(value) and not labelled)
        if len(value) < 4 or describes or DECIMAL.fullmatch(value):
            continue
        start = match.start("value")
        yield Finding("password", start, start + len(value), True)


def _one_time_codes(text):
    """4–8 digit codes (maybe split by spaces) right after "验证码", "2FA code", "OTP", "authenticator code"…"""
    for match in ONE_TIME_CODE.finditer(text):
        if 4 <= sum(c.isdigit() for c in match.group("value")) <= 8:
            yield Finding("one_time_code", match.start("value"), match.end("value"), True)
