from django import forms
from django.utils.translation import gettext_lazy as _


class FeedbackForm(forms.Form):
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
