"""Editors' search tools in the admin: synonym groups, best bets, and the search log with its analytics page."""

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.models import BestBet, SearchLog, SynonymGroup
from kb.search import analytics


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("__str__", "language", "updated_at")
    list_filter = ("language",)
    search_fields = ("terms",)
    fields = ("language", "terms")


@admin.register(BestBet)
class BestBetAdmin(admin.ModelAdmin):
    list_display = ("query", "language", "article", "position")
    list_filter = ("language",)
    search_fields = ("query", "article__title")
    autocomplete_fields = ("article",)
    list_select_related = ("article",)


class PeriodForm(forms.Form):
    PERIODS = [("7", _("Last 7 days")), ("30", _("Last 30 days")), ("90", _("Last 90 days")), ("custom", _("Dates"))]
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="30")
    start = forms.DateField(label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("All languages")), *settings.LANGUAGES]
    )

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            if not data.get("start") or not data.get("end"):
                raise forms.ValidationError(_("Pick both dates."))
            if data["start"] > data["end"]:
                raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def bounds(self):
        """(start, end) as aware datetimes; the last 30 days unless the form says otherwise."""
        now = timezone.now()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("period") == "custom":
            zone = timezone.get_current_timezone()
            start = datetime.combine(data["start"], time.min, zone)
            return start, datetime.combine(data["end"], time.min, zone) + timedelta(days=1)
        return now - timedelta(days=int(data.get("period") or 30)), now


class ZeroResultsFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "found"

    def lookups(self, request, model_admin):
        return [("no", _("No results")), ("yes", _("Some results"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(results=0)
        if self.value() == "yes":
            return queryset.filter(results__gt=0)
        return queryset


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = (
        "query",
        "language",
        "results",
        "corrected_query",
        "clicked_article",
        "ticket_submitted",
        "created_at",
    )
    list_filter = ("language", ZeroResultsFilter, "ticket_submitted", "created_at")
    search_fields = ("query",)
    date_hierarchy = "created_at"
    list_select_related = ("clicked_article",)
    readonly_fields = [field.name for field in SearchLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.analytics_view)
        return [path("analytics/", view, name="kb_searchlog_analytics"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"analytics_url": reverse("admin:kb_searchlog_analytics"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def analytics_view(self, request):
        """Top, zero-result, low-click and ticket-ending queries over a chosen period."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        start, end = form.bounds()
        language = form.cleaned_data.get("language") if form.is_bound and form.is_valid() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Search analytics"),
            "form": form,
            "start": start,
            "end": end,
            "report": analytics.report(start, end, language=language or None),
        }
        return TemplateResponse(request, "admin/kb/searchlog/analytics.html", context)
