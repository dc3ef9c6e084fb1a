"""Per-language text stored as {language code: text} on rows that are shared by all languages."""

from django.conf import settings
from django.utils.translation import get_language


def pick(texts, language=None):
    """The text for the active (or given) language, else the default language's, else any."""
    if not texts:
        return ""
    language = language or get_language() or settings.LANGUAGE_CODE
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), "")


def language_codes():
    return [code for code, _name in settings.LANGUAGES]
