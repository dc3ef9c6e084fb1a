"""Form fields for per-language text: one input per language in settings.LANGUAGES, mapped to a JSON dict."""

from django import forms
from django.conf import settings
from django.utils.text import format_lazy

from helpdesk.i18n import language_field


class TranslatedTextsMixin:
    """Maps JSON {language: text} attributes of a row to one form field per language, and back.

    `translated` maps the model attribute to the form field prefix, e.g. {"names": "name"} → `name_zh_hans`, `name_en`.
    """

    translated = {"names": "name", "descriptions": "description"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for attr, prefix in self.translated.items():
            texts = getattr(self.instance, attr) or {}
            for code, _label in settings.LANGUAGES:
                self.initial.setdefault(language_field(prefix, code), texts.get(code, ""))

    def clean(self):
        cleaned = super().clean()
        for attr, prefix in self.translated.items():
            texts = dict(getattr(self.instance, attr) or {})
            for code, _label in settings.LANGUAGES:
                value = (cleaned.get(language_field(prefix, code)) or "").strip()
                if value:
                    texts[code] = value
                else:
                    texts.pop(code, None)
            setattr(self.instance, attr, texts)
        return cleaned

    def _update_errors(self, errors):
        # The model reports on its JSON attribute; the form shows it as the default language's field.
        if hasattr(errors, "error_dict"):
            shown_as = {
                attr: language_field(prefix, settings.LANGUAGE_CODE) for attr, prefix in self.translated.items()
            }
            errors = forms.ValidationError({shown_as.get(k, k): v for k, v in errors.error_dict.items()})
        super()._update_errors(errors)


def translated_text_fields(prefix, label, *, required_default, textarea, max_length=200):
    """One CharField per language named `<prefix>_<code>`; only the default language's is required, if any."""
    fields = {}
    for code, language in settings.LANGUAGES:
        fields[language_field(prefix, code)] = forms.CharField(
            label=format_lazy("{} ({})", label, language),
            max_length=None if textarea else max_length,
            required=required_default and code == settings.LANGUAGE_CODE,
            widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})
            if textarea
            else forms.TextInput(attrs={"class": "vTextField"}),
        )
    return fields


def add_translated_fields(form_class, prefix, label, **options):
    """Declare `translated_text_fields` on an existing form class (subclasses, like the admin's, inherit them)."""
    fields = translated_text_fields(prefix, label, **options)
    form_class.declared_fields.update(fields)
    form_class.base_fields.update(fields)
