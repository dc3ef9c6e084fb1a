"""Problem-type fields: the one table from a field's kind to its form field, its validators and definition checks.

A problem type's fields are rows (`ProblemField`); the ticket form builds one form field per row through `KINDS`,
and `check_transfer` validates addresses, TxIDs and memos against the network chosen in the same form.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import pick
from tickets import networks

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names of the fields every ticket form has; a type's own fields must not shadow them, except that a "uid" field
# of kind "uid" replaces the optional UID field (a type that needs the account makes it required).
RESERVED_NAMES = frozenset({"name", "email", "uid", "subject", "description", "submission", "earlier_removed"})
# re.ASCII: "\d" would also take fullwidth and Arabic-Indic digits, which no account ID contains.
UID = RegexValidator(
    re.compile(r"^[0-9]{5,20}$", re.ASCII),
    _("Your UID is 5–20 digits (0–9); find it on your account page."),
    code="uid",
)
AMOUNT = re.compile(r"^[0-9]{1,20}(?:\.[0-9]{1,18})?$", re.ASCII)
EARLIEST_TRANSFER = datetime(2009, 1, 3, tzinfo=UTC)  # the first block of the first network
CLOCK_SKEW = timedelta(minutes=10)


class FieldKind(models.TextChoices):
    TEXT = "text", _("Short text")
    TEXTAREA = "textarea", _("Long text")
    CHOICE = "choice", _("Choice")
    COIN = "coin", _("Coin")
    NETWORK = "network", _("Network")
    AMOUNT = "amount", _("Amount")
    TXID = "txid", _("Transaction ID (TxID)")
    ADDRESS = "address", _("Address")
    MEMO = "memo", _("Memo / tag")
    UID = "uid", _("Account UID")
    EMAIL = "email", _("Email")
    DATETIME = "datetime", _("Date and time")


# Kinds whose values are checked by the secrets guard as data of that shape rather than as free text.
SECRET_CONTEXT = {FieldKind.TXID: "txid", FieldKind.ADDRESS: "address", FieldKind.MEMO: "memo"}
FREE_TEXT = frozenset({FieldKind.TEXT, FieldKind.TEXTAREA})


class AmountField(forms.Field):
    """A positive decimal written with a dot, in ASCII digits: "200,5" and "１００" get a message, not a guess."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = str(value or "").strip().replace(" ", "")
        if not text:
            return None
        if len(text) > 40:
            raise ValidationError(_("Enter the amount in digits 0–9, e.g. 250 or 0.015."), code="amount")
        if re.fullmatch(r"[0-9]+,[0-9]{1,18}", text, re.ASCII):
            raise ValidationError(
                _("Use a dot for decimals: %(fixed)s."), code="comma", params={"fixed": text.replace(",", ".")}
            )
        if "," in text:
            raise ValidationError(
                _("Write the amount without thousands separators, with a dot for decimals: %(fixed)s."),
                code="separators",
                params={"fixed": text.replace(",", "")},
            )
        if text.startswith("-") or text.strip("0.") == "":
            raise ValidationError(_("Enter an amount greater than zero."), code="positive")
        if not AMOUNT.fullmatch(text):
            raise ValidationError(_("Enter the amount in digits 0–9, e.g. 250 or 0.015."), code="amount")
        return Decimal(text)  # the pattern admits only well-formed positive decimals


class TransferTimeField(forms.DateTimeField):
    """When a transfer was made, in the site's time zone; not in the future, not before the first block."""

    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        super().__init__(input_formats=self.input_formats, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value > timezone.now() + CLOCK_SKEW:
            raise ValidationError(_("The time of the transfer cannot be in the future."), code="future")
        if value < EARLIEST_TRANSFER:
            raise ValidationError(_("Check the date of the transfer."), code="too_old")


def _text(row, language, options):
    return forms.CharField(max_length=200, **options)


def _textarea(row, language, options):
    return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}), **options)


def _choice(row, language, options):
    choices = [(c["value"], pick(c.get("label") or {}, language) or c["value"]) for c in row.choices]
    return forms.ChoiceField(choices=[("", "—"), *choices], **options)


def _coin(row, language, options):
    return forms.ChoiceField(choices=[("", "—"), *networks.coin_choices(language)], **options)


def _network(row, language, options):
    return forms.ChoiceField(choices=[("", "—"), *networks.network_choices(language)], **options)


def _amount(row, language, options):
    return AmountField(**options)


def _code(max_length, validators=(), **widget_attrs):
    def factory(row, language, options):
        widget = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **widget_attrs})
        return forms.CharField(max_length=max_length, widget=widget, validators=list(validators), **options)

    return factory


def _email(row, language, options):
    return forms.EmailField(**options)


def _datetime(row, language, options):
    return TransferTimeField(**options)


# Field kind → form field factory: every kind `FieldKind` names has exactly one entry.
KINDS = {
    FieldKind.TEXT: _text,
    FieldKind.TEXTAREA: _textarea,
    FieldKind.CHOICE: _choice,
    FieldKind.COIN: _coin,
    FieldKind.NETWORK: _network,
    FieldKind.AMOUNT: _amount,
    FieldKind.TXID: _code(130),
    FieldKind.ADDRESS: _code(130),
    FieldKind.MEMO: _code(120),
    FieldKind.UID: _code(20, [UID], inputmode="numeric"),
    FieldKind.EMAIL: _email,
    FieldKind.DATETIME: _datetime,
}


def build_field(row, language):
    """The form field for one field row, labelled in `language` (the default language as fallback)."""
    options = {
        "label": pick(row.labels, language) or row.name,
        "help_text": pick(row.helps, language),
        "required": row.required,
    }
    return KINDS[row.kind](row, language, options)


def as_text(value):
    """A cleaned value as stored with the ticket: amounts in plain notation, times as ISO 8601 with their offset."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return str(value)


def display(row, value):
    """A stored value as the customer and agents read it: choices, coins and networks in words."""
    if row.kind == FieldKind.CHOICE:
        labels = {c.get("value"): pick(c.get("label") or {}) for c in row.choices}
        return labels.get(value) or value
    if row.kind == FieldKind.COIN:
        return dict(networks.coin_choices(None)).get(value) or value
    if row.kind == FieldKind.NETWORK:
        network = networks.NETWORKS.get(value)
        return network.label if network else value
    if row.kind == FieldKind.DATETIME:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return value
        offset = moment.strftime("%z")
        return f"{moment:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}" if offset else f"{moment:%Y-%m-%d %H:%M}"
    return value


CHECKS = {
    FieldKind.ADDRESS: networks.clean_address,
    FieldKind.TXID: networks.clean_txid,
    FieldKind.MEMO: networks.clean_memo,
}


def check_transfer(rows, cleaned):
    """Validate addresses, TxIDs and memos against the network chosen in the same form; returns {name: error}.

    Cleaned values are normalised in place. Without a network field the generic ("other") rules apply; when the
    network itself is missing or invalid its own error stands and the dependent fields are not judged.
    """
    network_rows = [row for row in rows if row.kind == FieldKind.NETWORK]
    if network_rows:
        network = cleaned.get(network_rows[0].name)
        if not network:
            return {}
    else:
        network = "other"
    errors = {}
    for row in rows:
        check = CHECKS.get(row.kind)
        value = cleaned.get(row.name)
        if check is None or not value:
            continue
        try:
            cleaned[row.name] = check(network, value)
        except ValidationError as error:
            errors[row.name] = error
    return errors


def definition_errors(*, name, kind, labels, choices):
    """Everything wrong with one field definition, as {attribute: [messages]} (empty when it is usable)."""
    errors = {}
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        errors["name"] = [_("The name must start with a letter and use lowercase letters, digits and _ (max. 40).")]
    elif name in RESERVED_NAMES and (name, kind) != ("uid", FieldKind.UID):
        errors["name"] = [_("“%(name)s” is used by every form; choose another name.") % {"name": name}]
    if kind not in KINDS:
        errors["kind"] = [_("Unknown kind “%(kind)s”.") % {"kind": kind}]
    if not isinstance(labels, dict) or not any(isinstance(v, str) and v.strip() for v in labels.values()):
        errors["labels"] = [_("Give the field a label in at least one language.")]
    if kind == FieldKind.CHOICE:
        values = [c.get("value") for c in choices] if isinstance(choices, list) else []
        if not values or not all(isinstance(c, dict) for c in choices):
            errors["choices"] = [_("A choice field needs at least one choice.")]
        elif not all(isinstance(v, str) and v for v in values) or len(set(values)) != len(values):
            errors["choices"] = [_("Every choice needs its own non-empty value.")]
    elif choices:
        errors["choices"] = [_("Only choice fields take choices.")]
    return errors


def rows_errors(rows):
    """What is wrong with a problem type's fields taken together (names are unique, one network at most)."""
    errors = []
    names = [row.name for row in rows]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        errors.append(_("Each field needs its own name; used twice: %(names)s.") % {"names": ", ".join(duplicates)})
    if sum(row.kind == FieldKind.NETWORK for row in rows) > 1:
        errors.append(_("A problem type has at most one network field: addresses and TxIDs are checked against it."))
    return errors
