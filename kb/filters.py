"""Query-string filters for the help-center API (django-filter), and ordering that pages never shuffle."""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework.filters import OrderingFilter

from kb.models import Announcement, Article, Section


class StorableIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time that stays within years 1 to 9999 once converted to UTC (as databases store it)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(datetime.UTC)
            except OverflowError:
                raise forms.ValidationError(_("Enter a date and time between the years 1 and 9999.")) from None
        return value


class StorableIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableIsoDateTimeField


class StableOrderingFilter(OrderingFilter):
    """The requested ordering, then `id`, so equal values keep one order from page to page."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering = [*ordering, "id"]
        return ordering


class ArticleFilter(django_filters.FilterSet):
    language = django_filters.ChoiceFilter(choices=settings.LANGUAGES)
    category = django_filters.CharFilter(field_name="section__category__slug", help_text=_("Category slug."))
    section = django_filters.CharFilter(field_name="section__slug", help_text=_("Section slug."))
    tag = django_filters.CharFilter(field_name="tags__name", help_text=_("Tag name."))
    updated_since = StorableIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=_("ISO 8601 date and time; articles updated at or after.")
    )
    status = django_filters.ChoiceFilter(
        choices=Article.Status.choices, method="filter_status", help_text=_("Staff only; ignored for the public.")
    )
    promoted = django_filters.BooleanFilter()

    class Meta:
        model = Article
        fields = ["language", "category", "section", "tag", "updated_since", "status", "promoted"]

    def filter_status(self, queryset, name, value):
        if self.request is None or not self.request.user.has_perm("kb.view_article"):
            return queryset
        return queryset.filter(status=value)


class SectionFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug", help_text=_("Category slug."))

    class Meta:
        model = Section
        fields = ["category"]


class AnnouncementFilter(django_filters.FilterSet):
    language = django_filters.ChoiceFilter(choices=settings.LANGUAGES)
    kind = django_filters.ChoiceFilter(choices=Announcement.Kind.choices)
    active = django_filters.BooleanFilter(
        method="filter_active", help_text=_("true: only those active now (not expired); false: all.")
    )

    class Meta:
        model = Announcement
        fields = ["language", "kind", "active"]

    def filter_active(self, queryset, name, value):
        return queryset.active() if value else queryset
