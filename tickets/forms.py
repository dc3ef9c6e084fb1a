"""Ticket forms: the fixed customer fields plus the problem type's own fields, built through one type table."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from kb.i18n import pick
from tickets.secretguard import reject_secrets

TXID = RegexValidator(
    r"^(?:(?:0x)?[0-9a-fA-F]{64}|[1-9A-HJ-NP-Za-km-z]{43,100})$",
    _("Enter the transaction ID (TxID/hash) exactly as the wallet or block explorer shows it."),
    code="txid",
)
ADDRESS = RegexValidator(
    r"^[0-9A-Za-z:_-]{25,100}$",
    _("Enter the full address: 25–100 letters and digits, without spaces."),
    code="address",
)
UID = RegexValidator(r"^\d{5,20}$", _("Your UID is 5–20 digits; find it on your account page."), code="uid")


def positive(value):
    if value is not None and value <= 0:
        raise ValidationError(_("Enter an amount greater than zero."), code="positive")


def _text(definition, language, options):
    return forms.CharField(max_length=200, validators=[reject_secrets], **options)


def _textarea(definition, language, options):
    widget = forms.Textarea(attrs={"rows": 4, "maxlength": 5000})
    return forms.CharField(max_length=5000, widget=widget, validators=[reject_secrets], **options)


def _choice(definition, language, options):
    choices = [(c["value"], pick(c.get("label") or {}, language) or c["value"]) for c in definition["choices"]]
    return forms.ChoiceField(choices=[("", "—"), *choices], **options)


def _amount(definition, language, options):
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    return forms.DecimalField(max_digits=38, decimal_places=18, widget=widget, validators=[positive], **options)


def _code(validator, **widget_attrs):
    def factory(definition, language, options):
        widget = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **widget_attrs})
        return forms.CharField(max_length=100, widget=widget, validators=[validator], **options)

    return factory


def _email(definition, language, options):
    return forms.EmailField(**options)


# Field type → form field factory. `ProblemType.clean()` accepts exactly these type names.
FIELD_TYPES = {
    "text": _text,
    "textarea": _textarea,
    "choice": _choice,
    "amount": _amount,
    "txid": _code(TXID),
    "address": _code(ADDRESS),
    "uid": _code(UID, inputmode="numeric"),
    "email": _email,
}
# Names of the fields every ticket form has; a type's own fields must not shadow them, except that a "uid"
# definition of type "uid" replaces the optional UID field (a type that needs the account makes it required).
RESERVED_NAMES = frozenset({"email", "uid", "subject", "description"})


def build_field(definition, language):
    """The form field for one definition, labelled in `language` (the other language as fallback)."""
    options = {
        "label": pick(definition.get("label") or {}, language) or definition["name"],
        "help_text": pick(definition.get("help") or {}, language),
        "required": bool(definition.get("required", False)),
    }
    return FIELD_TYPES[definition["type"]](definition, language, options)


def as_text(value):
    """A cleaned value as stored with the ticket: amounts in plain notation, never exponents."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


class TicketForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"),
        help_text=_("We reply to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    uid = forms.CharField(
        label=_("Your UID (optional)"),
        required=False,
        max_length=20,
        validators=[UID],
        help_text=_("The numeric ID on your account page. Never send your password."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        validators=[reject_secrets],
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-ticket-suggest": ""}),
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=10_000,
        validators=[reject_secrets],
        help_text=_("What happened, when, and what you have tried. Do not include passwords, keys or 2FA codes."),
        widget=forms.Textarea(attrs={"rows": 7, "maxlength": 10_000}),
    )

    def __init__(self, problem_type, language, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.problem_type = problem_type
        self.type_field_names = []
        for definition in problem_type.fields or []:
            self.fields[definition["name"]] = build_field(definition, language)
            if definition["name"] != "uid":
                self.type_field_names.append(definition["name"])

    def type_values(self):
        """The problem type's submitted values as strings; empty optional fields are left out."""
        values = {}
        for name in self.type_field_names:
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                values[name] = as_text(value)
        return values


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=10_000,
        validators=[reject_secrets],
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 10_000}),
    )
