"""Admin for editors: articles (workflow, preview, revisions), announcements, the category tree, reader feedback."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, F, FloatField, Q
from django.db.models.functions import Cast, NullIf
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import language_field, language_fields
from helpdesk.markdown import render_markdown
from kb import actions, revisions
from kb.admin_forms import (
    AnnouncementAdminForm,
    ArticleAdminForm,
    CategoryAdminForm,
    SectionAdminForm,
    SectionInlineForm,
)
from kb.models import Announcement, Article, ArticleFeedback, Category, Section, Tag

RECENT_FEEDBACK = 10
REVISIONS_PER_PAGE = 50
NAME_SEARCH = [f"names__{code}" for code, _label in settings.LANGUAGES]


def markdown_preview(request, allowed):
    """POST `body` → the sanitised HTML the public page would show, as JSON."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not allowed:
        raise PermissionDenied
    html, _toc = render_markdown(request.POST.get("body", ""))
    return JsonResponse({"html": html})


def preview_attrs(url):
    """Attributes that let static/kb-admin/preview.js add a Preview button to a Markdown textarea."""
    return {
        "data-preview-url": url,
        "data-preview-label": gettext("Preview"),
        "data-preview-error": gettext("The preview could not be loaded."),
        "rows": 20,
    }


# Article


class OutdatedFilter(admin.SimpleListFilter):
    title = _("translation state")
    parameter_name = "outdated"

    def lookups(self, request, model_admin):
        return [("yes", _("Outdated translation")), ("no", _("Up-to-date translation"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(outdated=True)
        if self.value() == "no":
            return queryset.filter(source__isnull=False, outdated=False)
        return queryset


class ScheduledFilter(admin.SimpleListFilter):
    title = _("scheduled")
    parameter_name = "scheduled"

    def lookups(self, request, model_admin):
        return [("yes", _("Publishes in the future")), ("no", _("Not scheduled"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(publish_at__gt=now)
        if self.value() == "no":
            return queryset.filter(Q(publish_at__isnull=True) | Q(publish_at__lte=now))
        return queryset


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "language",
        "status",
        "section_path",
        "updated_at",
        "helpfulness",
        "view_count",
        "outdated_flag",
        "promoted",
        "publish_at",
    )
    list_filter = (
        "language",
        "status",
        ("section__category", admin.RelatedFieldListFilter),
        "promoted",
        OutdatedFilter,
        ScheduledFilter,
    )
    list_select_related = ("section__category",)
    search_fields = ("title", "slug", "summary")
    ordering = ("-updated_at",)
    autocomplete_fields = ("section", "source", "tags")
    readonly_fields = ("translation_info", "feedback_summary", "view_count")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body")}),
        (_("Placement"), {"fields": ("section", "language", "source", "translation_info", "tags", "position")}),
        (_("Publishing"), {"fields": ("status", "publish_at", "promoted", "revision_note")}),
        (_("Readers"), {"fields": ("view_count", "feedback_summary")}),
    )
    actions = ("submit_for_review", "publish", "archive", "mark_translation_current")

    class Media:
        css = {"all": ("kb-admin/admin.css", "kb-admin/preview.css")}
        js = ("kb-admin/preview.js",)

    def get_queryset(self, request):
        total = F("helpful_yes") + F("helpful_no")
        return (
            super()
            .get_queryset(request)
            .with_outdated()
            .annotate(
                helpful_total=total,
                helpful_percent=Cast("helpful_yes", FloatField()) * 100.0 / NullIf(total, 0),
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.can_publish = self.has_publish_permission(request)
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            field.widget.attrs.update(preview_attrs(reverse("admin:kb_article_preview")))
        return field

    def has_publish_permission(self, request):
        return Article.may_publish(request.user)

    def save_model(self, request, obj, form, change):
        # Through the action so every content change keeps a revision and search sees the tags in the same save.
        tags = [tag.name for tag in form.cleaned_data["tags"]] if "tags" in form.cleaned_data else None
        actions.save_article(obj, user=request.user, note=form.cleaned_data.get("revision_note", ""), tags=tags)

    # Columns

    @admin.display(description=_("section"), ordering="section")
    def section_path(self, obj):
        return str(obj.section)

    @admin.display(description=_("helpful"), ordering=F("helpful_percent").asc(nulls_first=True))
    def helpfulness(self, obj):
        if not obj.helpful_total:
            return "—"
        return f"{obj.helpful_yes} / {obj.helpful_no} ({obj.helpful_percent:.0f}%)"

    @admin.display(description=_("outdated"), boolean=True, ordering="outdated")
    def outdated_flag(self, obj):
        return obj.outdated

    # Change form

    @admin.display(description=_("translations"))
    def translation_info(self, obj):
        if obj.pk is None:
            return "—"
        items = []
        if obj.source_id:
            source = obj.source
            state = (
                format_html('<strong class="kb-outdated">{}</strong>', gettext("Outdated: the source has changed."))
                if obj.outdated
                else gettext("Up to date with the source.")
            )
            items.append(
                format_html(
                    '{} <a href="{}">{}</a> ({}). {}',
                    gettext("Translation of"),
                    reverse("admin:kb_article_change", args=[source.pk]),
                    source.title,
                    source.get_language_display(),
                    state,
                )
            )
        translations = list(obj.translations.with_outdated().only("title", "language", "source"))
        for translation in translations:
            items.append(
                format_html(
                    '<a href="{}">{}</a> ({}){}',
                    reverse("admin:kb_article_change", args=[translation.pk]),
                    translation.title,
                    translation.get_language_display(),
                    format_html(' <strong class="kb-outdated">{}</strong>', gettext("outdated"))
                    if translation.outdated
                    else "",
                )
            )
        if not obj.source_id:
            present = {obj.language} | {t.language for t in translations}
            for code, name in settings.LANGUAGES:
                if code not in present:
                    query = urlencode({"source": obj.pk, "language": code, "slug": obj.slug, "section": obj.section_id})
                    items.append(
                        format_html(
                            '<a href="{}?{}">{}</a>',
                            reverse("admin:kb_article_add"),
                            query,
                            gettext("Add a translation (%(language)s)") % {"language": name},
                        )
                    )
        if not items:
            return "—"
        return format_html(
            '<ul class="kb-plain-list">{}</ul>', format_html_join("", "<li>{}</li>", ((i,) for i in items))
        )

    @admin.display(description=_("reader feedback"))
    def feedback_summary(self, obj):
        if obj.pk is None:
            return "—"
        recent = obj.feedback.exclude(comment="")[:RECENT_FEEDBACK]
        rows = format_html_join(
            "",
            '<li><span class="kb-vote">{}</span> <time>{}</time> {}</li>',
            (
                (
                    "👍" if item.helpful else "👎",
                    timezone.localtime(item.created_at).strftime("%Y-%m-%d %H:%M"),
                    item.comment,
                )
                for item in recent
            ),
        )
        link = reverse("admin:kb_articlefeedback_changelist") + "?" + urlencode({"article__id__exact": obj.pk})
        return format_html(
            '<p>{}</p><ul class="kb-plain-list kb-feedback">{}</ul><p><a href="{}">{}</a></p>',
            gettext("%(yes)d found it helpful, %(no)d did not.") % {"yes": obj.helpful_yes, "no": obj.helpful_no},
            rows,
            link,
            gettext("All feedback on this article"),
        )

    # Actions

    def _move(self, request, queryset, status):
        return actions.change_status(
            Article.objects.filter(pk__in=queryset.values("pk")), status=status, user=request.user
        )

    @admin.action(description=_("Submit for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        count = self._move(request, queryset.filter(status=Article.Status.DRAFT), Article.Status.REVIEW)
        message = ngettext(
            "%(count)d draft was submitted for review.", "%(count)d drafts were submitted for review.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Publish"), permissions=["publish"])
    def publish(self, request, queryset):
        if not self.has_publish_permission(request):
            raise PermissionDenied
        count = self._move(request, queryset, Article.Status.PUBLISHED)
        message = ngettext("%(count)d article was published.", "%(count)d articles were published.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Archive"), permissions=["publish"])
    def archive(self, request, queryset):
        if not self.has_publish_permission(request):
            raise PermissionDenied
        count = self._move(request, queryset, Article.Status.ARCHIVED)
        message = ngettext("%(count)d article was archived.", "%(count)d articles were archived.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Mark translation up to date"), permissions=["change"])
    def mark_translation_current(self, request, queryset):
        count = actions.mark_translation_current(Article.objects.filter(pk__in=queryset.values("pk")))
        message = ngettext(
            "%(count)d translation was marked up to date.", "%(count)d translations were marked up to date.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    # Extra pages: preview, revisions, diff, restore

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="kb_article_preview"),
            path("<path:object_id>/revisions/", view(self.revisions_view), name="kb_article_revisions"),
            path("<path:object_id>/revisions/diff/", view(self.diff_view), name="kb_article_diff"),
            path(
                "<path:object_id>/revisions/<int:number>/restore/",
                view(self.restore_view),
                name="kb_article_restore",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        return markdown_preview(request, self.has_add_permission(request) or self.has_change_permission(request))

    def _article_or_404(self, request, object_id):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404(gettext("No such article."))
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def _context(self, request, article, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": title,
            "subtitle": article.title,
            "has_change_permission": self.has_change_permission(request, article),
            **extra,
        }

    def revisions_view(self, request, object_id):
        article = self._article_or_404(request, object_id)
        revisions = article.revisions.select_related("author")
        page = Paginator(revisions, REVISIONS_PER_PAGE).get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            "admin/kb/article/revisions.html",
            self._context(request, article, gettext("Revisions"), page=page),
        )

    def diff_view(self, request, object_id):
        article = self._article_or_404(request, object_id)
        old = revisions.side(article, request.GET.get("a", ""))
        new = revisions.side(article, request.GET.get("b", "current"))
        fields = [
            (label, revisions.side_by_side(old[name], new[name]))
            for name, label in (("title", _("title")), ("summary", _("summary")), ("body", _("body")))
        ]
        return TemplateResponse(
            request,
            "admin/kb/article/revision_diff.html",
            self._context(
                request, article, gettext("Compare revisions"), old=old, new=new, sides=[old, new], fields=fields
            ),
        )

    def restore_view(self, request, object_id, number):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self._article_or_404(request, object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        revision = get_object_or_404(article.revisions, number=number)
        actions.restore_revision(revision, user=request.user)
        message = gettext("Restored revision %(number)d.") % {"number": number}
        self.log_change(request, article, message)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:kb_article_change", args=[article.pk]))


# Announcements


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    form = AnnouncementAdminForm
    list_display = (
        "title",
        "kind",
        "language",
        "status",
        "publish_at",
        "expires_at",
        "pinned",
        "banner",
        "active_now",
    )
    list_filter = ("kind", "language", "status", "banner")
    search_fields = ("title", "slug")
    readonly_fields = ("preview_link",)
    fieldsets = (
        (None, {"fields": ("kind", "language", "title", "slug", "body")}),
        (_("Publishing"), {"fields": ("status", "publish_at", "expires_at", "pinned", "banner", "preview_link")}),
    )

    class Media:
        css = {"all": ("kb-admin/preview.css",)}
        js = ("kb-admin/preview.js",)

    def get_queryset(self, request):
        now = timezone.now()
        active = Q(status=Announcement.Status.PUBLISHED, publish_at__lte=now) & (
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
        return super().get_queryset(request).annotate(active=ExpressionWrapper(active, output_field=BooleanField()))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.can_publish = Announcement.may_publish(request.user)
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            field.widget.attrs.update(preview_attrs(reverse("admin:kb_announcement_preview")))
        return field

    def get_urls(self):
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="kb_announcement_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        return markdown_preview(request, self.has_add_permission(request) or self.has_change_permission(request))

    def save_model(self, request, obj, form, change):
        actions.save_announcement(obj, user=request.user)

    @admin.display(description=_("active now"), boolean=True, ordering="active")
    def active_now(self, obj):
        return obj.active

    @admin.display(description=_("public page"))
    def preview_link(self, obj):
        if obj.pk and obj.status == Announcement.Status.PUBLISHED and obj.publish_at <= timezone.now():
            return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), gettext("View on the help center"))
        return gettext("Not public yet: use Preview under the body to see how it will look.")


# Category tree


def _text_display(attr, code, label):
    @admin.display(description=label)
    def show(self, obj):
        return (getattr(obj, attr) or {}).get(code, "")

    return show


def _translated_texts_display():
    """A mixin with one read-only display per language field: the admin looks them up when a user may only view."""
    displays = {}
    for code, language in settings.LANGUAGES:
        for attr, prefix, label in (("names", "name", _("Name")), ("descriptions", "description", _("Description"))):
            displays[language_field(prefix, code)] = _text_display(attr, code, format_lazy("{} ({})", label, language))
    return type("TranslatedTextsDisplay", (), displays)


TranslatedTextsDisplay = _translated_texts_display()


class SectionInline(TranslatedTextsDisplay, admin.TabularInline):
    model = Section
    form = SectionInlineForm
    fields = ("position", "slug", *language_fields("name"))
    ordering = ("position", "id")
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(TranslatedTextsDisplay, admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = ("__str__", "slug", "position", "icon", "section_count")
    search_fields = ("slug", *NAME_SEARCH)
    ordering = ("position", "id")
    inlines = (SectionInline,)
    fieldsets = (
        (None, {"fields": ("slug", "position", "icon")}),
        (_("Names"), {"fields": language_fields("name")}),
        (_("Descriptions"), {"fields": language_fields("description")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(section_total=Count("sections"))

    @admin.display(description=_("sections"), ordering="section_total")
    def section_count(self, obj):
        return obj.section_total


@admin.register(Section)
class SectionAdmin(TranslatedTextsDisplay, admin.ModelAdmin):
    form = SectionAdminForm
    list_display = ("__str__", "category", "slug", "position", "article_count")
    list_filter = ("category",)
    list_select_related = ("category",)
    search_fields = ("slug", *NAME_SEARCH, "category__slug")
    ordering = ("category__position", "position", "id")
    fieldsets = (
        (None, {"fields": ("category", "slug", "position")}),
        (_("Names"), {"fields": language_fields("name")}),
        (_("Descriptions"), {"fields": language_fields("description")}),
    )

    def get_queryset(self, request):
        # The category is part of every section's name, in lists and in the article form's autocomplete alike.
        return super().get_queryset(request).select_related("category").annotate(article_total=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_total")
    def article_count(self, obj):
        return obj.article_total


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "article_count")
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_total=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_total")
    def article_count(self, obj):
        return obj.article_total


# Feedback


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ("article_link", "language", "helpful", "comment_excerpt", "created_at")
    list_filter = ("helpful", "article__language")
    list_select_related = ("article",)
    search_fields = ("comment",)
    fields = ("article", "helpful", "comment", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("article"), ordering="article__title")
    def article_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:kb_article_change", args=[obj.article_id]), obj.article.title
        )

    @admin.display(description=_("language"), ordering="article__language")
    def language(self, obj):
        return obj.article.get_language_display()

    @admin.display(description=_("comment"))
    def comment_excerpt(self, obj):
        return Truncator(obj.comment).chars(120)


# Admin strings new in this Django release that its own catalogues do not translate yet; ours do.
gettext_noop("- Select an option -")
gettext_noop("Filter by %(field_name)s")

from kb.search import admin as search_admin  # noqa: E402, F401  (registers the search models)
