"""Admin forms: articles and announcements (their rules live on the models), names per language for the tree."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n_forms import TranslatedTextsMixin, add_translated_fields
from kb.models import Announcement, Article, Category, Section


class PublishingCheckMixin:
    """Runs the model's publishing check on the submitted values; a refusal is an error on the field concerned."""

    can_publish = False  # set per request by the ModelAdmin's get_form

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values, and the model's clean() has run
        try:
            self.instance.check_publishing(can_publish=self.can_publish)
        except ValidationError as error:
            self._update_errors(error)


class ArticleAdminForm(PublishingCheckMixin, forms.ModelForm):
    """Article editing: the workflow and translation rules are the model's; the form offers what they allow."""

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
        allowed = Article.allowed_statuses(current, can_publish=False)
        status.choices = [(value, label) for value, label in Article.Status.choices if value in allowed]
        status.error_messages["invalid_choice"] = Article.STATUS_LOCKED
        status.help_text = _("A publisher publishes the article once it has been reviewed.")
        if Article.schedule_locked(current, can_publish=False) and "publish_at" in self.fields:
            self.fields["publish_at"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.fields.get("publish_at") and self.fields["publish_at"].disabled:
            # A disabled field posts back its shown value, which has no microseconds: keep the stored time exactly.
            cleaned["publish_at"] = self.instance.publish_at
        return cleaned


class AnnouncementAdminForm(PublishingCheckMixin, forms.ModelForm):
    """Announcement editing: expiry and who may publish are the model's rules."""

    class Meta:
        model = Announcement
        fields = ("kind", "language", "title", "slug", "body", "status", "publish_at", "expires_at", "pinned", "banner")


def _translated_form(model, *, descriptions):
    """A ModelForm for `model` with the name (and description) fields of every language in settings.LANGUAGES."""
    translated = {"names": "name", "descriptions": "description"} if descriptions else {"names": "name"}
    meta = type("Meta", (), {"model": model, "exclude": ("names", "descriptions")})
    form = type(
        f"{model.__name__}AdminForm", (TranslatedTextsMixin, forms.ModelForm), {"Meta": meta, "translated": translated}
    )
    add_translated_fields(form, "name", _("Name"), required_default=True, textarea=False)
    if descriptions:
        add_translated_fields(form, "description", _("Description"), required_default=False, textarea=True)
    return form


CategoryAdminForm = _translated_form(Category, descriptions=True)
SectionAdminForm = _translated_form(Section, descriptions=True)
SectionInlineForm = _translated_form(Section, descriptions=False)
