"""Admin forms: the article workflow rules, announcement checks, and per-language names for categories and sections."""

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from kb.models import Announcement, Article, Category, Section

EDITOR_STATUSES = (Article.Status.DRAFT, Article.Status.REVIEW)


def language_field(prefix, code):
    """The form field name holding one language's text, e.g. `name_zh_hans`."""
    return f"{prefix}_{code.replace('-', '_')}"


def language_fields(prefix):
    return [language_field(prefix, code) for code, _label in settings.LANGUAGES]


class ArticleAdminForm(forms.ModelForm):
    """Article editing; without `kb.publish_article` the status can only move between draft and in review."""

    can_publish = False  # set per request by ArticleAdmin.get_form

    revision_note = forms.CharField(
        label=_("revision note"),
        max_length=200,
        required=False,
        help_text=_("What changed and why; kept with the revision."),
    )

    class Meta:
        model = Article
        fields = (
            "title", "slug", "summary", "body", "section", "language", "source", "tags", "position",
            "status", "publish_at", "promoted",
        )  # fmt: skip
        help_texts = {
            "publish_at": _(
                "Schedule: a published article stays hidden until this time (your time zone). "
                "Leave empty to show it as soon as it is published."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is None or self.can_publish:
            return
        current = self.instance.status if self.instance.pk else None
        allowed = EDITOR_STATUSES if current in (None, *EDITOR_STATUSES) else (current,)
        if current not in (None, *EDITOR_STATUSES) and "publish_at" in self.fields:
            # Moving a live article's publishing time into the future would take it offline.
            self.fields["publish_at"].disabled = True
        status.choices = [(value, label) for value, label in Article.Status.choices if value in allowed]
        status.error_messages["invalid_choice"] = _(
            "Only a publisher can publish or archive an article, or change the status of a published one."
        )
        status.help_text = _("A publisher publishes the article once it has been reviewed.")

    def clean(self):
        cleaned = super().clean()
        source, language = cleaned.get("source"), cleaned.get("language")
        if source is None:
            return cleaned
        if self.instance.pk and source.pk == self.instance.pk:
            self.add_error("source", _("An article cannot be a translation of itself."))
        elif source.source_id is not None:
            self.add_error("source", _("Choose the original article, not another translation of it."))
        elif language and source.language == language:
            self.add_error("source", _("A translation must be in another language than its source."))
        elif self.instance.pk and self.instance.translations.exists():
            self.add_error("source", _("This article has translations of its own, so it must stay an original."))
        return cleaned


class AnnouncementAdminForm(forms.ModelForm):
    can_publish = False  # set per request by AnnouncementAdmin.get_form

    class Meta:
        model = Announcement
        fields = ("kind", "language", "title", "slug", "body", "status", "publish_at", "expires_at", "pinned", "banner")

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status == Announcement.Status.PUBLISHED and not self.can_publish:
            raise forms.ValidationError(_("You may save drafts only; someone who can change announcements publishes."))
        return status

    def clean(self):
        cleaned = super().clean()
        publish_at, expires_at = cleaned.get("publish_at"), cleaned.get("expires_at")
        if publish_at and expires_at and expires_at <= publish_at:
            self.add_error("expires_at", _("The expiry must come after the publishing time."))
        return cleaned


class TranslatedTextsMixin:
    """Maps the JSON `names`/`descriptions` of a row to one form field per language, and back."""

    translated = {"names": "name", "descriptions": "description"}  # JSON field → form field prefix

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


def _text_fields(prefix, label, *, required_default, textarea):
    fields = {}
    for code, language in settings.LANGUAGES:
        fields[language_field(prefix, code)] = forms.CharField(
            label=format_lazy("{} ({})", label, language),
            max_length=None if textarea else 200,
            required=required_default and code == settings.LANGUAGE_CODE,
            widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})
            if textarea
            else forms.TextInput(attrs={"class": "vTextField"}),
        )
    return fields


def _translated_form(model, *, descriptions):
    """A ModelForm for `model` with the name (and description) fields of every language in settings.LANGUAGES."""
    attrs = {
        "Meta": type("Meta", (), {"model": model, "exclude": ("names", "descriptions")}),
        "translated": {"names": "name", "descriptions": "description"} if descriptions else {"names": "name"},
        **_text_fields("name", _("Name"), required_default=True, textarea=False),
    }
    if descriptions:
        attrs.update(_text_fields("description", _("Description"), required_default=False, textarea=True))
    return type(f"{model.__name__}AdminForm", (TranslatedTextsMixin, forms.ModelForm), attrs)


CategoryAdminForm = _translated_form(Category, descriptions=True)
SectionAdminForm = _translated_form(Section, descriptions=True)
SectionInlineForm = _translated_form(Section, descriptions=False)
