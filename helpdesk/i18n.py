"""Per-language text stored as {language code: text} on rows shared by all languages, used by both apps."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def pick(texts, language=None):
    """The text for the active (or given) language, else the default language's, else any."""
    if not texts:
        return ""
    language = language or get_language() or settings.LANGUAGE_CODE
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), "")


def language_codes():
    return [code for code, _name in settings.LANGUAGES]


def language_field(prefix, code):
    """The form field name holding one language's text, e.g. `name_zh_hans`."""
    return f"{prefix}_{code.replace('-', '_')}"


def language_fields(prefix):
    return [language_field(prefix, code) for code in language_codes()]


class NamedInLanguages(models.Model):
    """A row shared by all languages whose name and description are given per language (categories, sections,
    problem types)."""

    names = models.JSONField(_("names"), default=dict, help_text=_("Name per language code."))
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick(self.names)

    @property
    def description(self):
        return pick(self.descriptions)
