"""Admin forms for problem types: each field a row with its label and help per language and its choices as lines."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import language_codes
from helpdesk.i18n_forms import TranslatedTextsMixin, add_translated_fields
from tickets import fields as field_kinds
from tickets.models import ProblemField, ProblemType

SEPARATOR = "|"


def choices_as_lines(choices):
    """[{"value": "spot", "label": {"zh-hans": "现货", "en": "Spot"}}] → "spot | 现货 | Spot" lines."""
    lines = []
    for choice in choices or []:
        labels = choice.get("label") or {}
        lines.append(
            f" {SEPARATOR} ".join([choice.get("value", ""), *(labels.get(code, "") for code in language_codes())])
        )
    return "\n".join(lines)


def lines_as_choices(text):
    """The inverse of `choices_as_lines`; a ValidationError names the line that is wrong."""
    choices = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        value, *labels = (part.strip() for part in line.split(SEPARATOR))
        if not value:
            raise forms.ValidationError(_("Line %(n)s: start with the stored value, e.g. spot."), params={"n": number})
        if len(labels) > len(language_codes()):
            raise forms.ValidationError(
                _("Line %(n)s: one value and at most one label per language, separated by |."), params={"n": number}
            )
        names = {code: label for code, label in zip(language_codes(), labels, strict=False) if label}
        choices.append({"value": value, "label": names})
    return choices


class ProblemFieldForm(TranslatedTextsMixin, forms.ModelForm):
    translated = {"labels": "label", "helps": "help"}

    choice_lines = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 36}),
    )

    class Meta:
        model = ProblemField
        fields = ("position", "name", "kind", "required")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("choice_lines", choices_as_lines(self.instance.choices))
        # Interpolated per request, so the text follows the staff member's language.
        self.fields["choice_lines"].help_text = _("Choice fields only: one per line, value | %(languages)s.") % {
            "languages": " | ".join(name for _code, name in settings.LANGUAGES)
        }

    def clean_choice_lines(self):
        return lines_as_choices(self.cleaned_data["choice_lines"])

    def clean(self):
        cleaned = super().clean()
        self.instance.choices = cleaned.get("choice_lines") or []
        return cleaned

    def _update_errors(self, errors):
        # The model reports on `choices`, which this form edits as lines.
        if hasattr(errors, "error_dict") and "choices" in errors.error_dict:
            errors.error_dict["choice_lines"] = errors.error_dict.pop("choices")
        super()._update_errors(errors)


add_translated_fields(ProblemFieldForm, "label", _("Label"), required_default=True, textarea=False)
add_translated_fields(ProblemFieldForm, "help", _("Help"), required_default=False, textarea=False, max_length=300)


class ProblemFieldFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = [
            form.instance
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if errors := field_kinds.rows_errors(rows):
            raise forms.ValidationError(errors)


class ProblemTypeForm(TranslatedTextsMixin, forms.ModelForm):
    class Meta:
        model = ProblemType
        fields = ("slug", "queue", "position", "active")


add_translated_fields(ProblemTypeForm, "name", _("Name"), required_default=True, textarea=False)
add_translated_fields(ProblemTypeForm, "description", _("Description"), required_default=False, textarea=True)
