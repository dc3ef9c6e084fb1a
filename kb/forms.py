from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import GuardedForm

MAX_ID = 2**63 - 1  # the largest id a row can have (64-bit keys)
MAX_RANK = 2**15 - 1  # the largest rank the search log keeps (a small integer column)


class FeedbackForm(GuardedForm):
    """A vote and an optional comment; the comment passes the secrets guard before it is validated or shown again."""

    free_text = frozenset({"comment"})
    helpful = forms.TypedChoiceField(
        label=_("Was this article helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What was missing?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )


class SearchForm(forms.Form):
    """Lenient by design: any query string is accepted (the engine cleans it); a bad page or category is ignored."""

    category = forms.SlugField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=1000)

    def cleaned_query(self):
        return self.data.get("q", "")

    def cleaned_category(self):
        from kb.models import Category

        slug = self.cleaned_data.get("category")
        return Category.objects.filter(slug=slug).first() if slug else None

    def cleaned_page(self):
        return self.cleaned_data.get("page") or 1


class SearchClickForm(forms.Form):
    """What a results page's beacon sends: which logged search led to which published article, at which rank."""

    log = forms.IntegerField(min_value=1, max_value=MAX_ID)
    article = forms.IntegerField(min_value=1, max_value=MAX_ID)
    rank = forms.IntegerField(min_value=1, max_value=MAX_RANK)

    def clean_article(self):
        from kb.models import Article

        pk = self.cleaned_data["article"]
        if not Article.objects.published().filter(pk=pk).exists():
            raise forms.ValidationError(_("No published article has this id."))
        return pk
