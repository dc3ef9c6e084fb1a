"""Help-center API representations: compact lists, full details, and the writable fields staff may send."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from helpdesk.i18n import language_codes, pick
from kb.models import Announcement, Article, ArticleFeedback, Category, Section

MAX_TAGS = 20


class NamesField(serializers.DictField):
    """Text per language code, e.g. {"zh-hans": "充币", "en": "Deposit"}."""

    def __init__(self, *, require_one=True, **kwargs):
        self.require_one = require_one
        super().__init__(child=serializers.CharField(max_length=200, allow_blank=not require_one), **kwargs)

    def to_internal_value(self, data):
        texts = super().to_internal_value(data)
        unknown = sorted(set(texts) - set(language_codes()))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown language code(s): %(codes)s. Use: %(known)s.")
                % {"codes": ", ".join(unknown), "known": ", ".join(language_codes())}
            )
        texts = {code: text.strip() for code, text in texts.items() if text.strip()}
        if self.require_one and not texts:
            raise serializers.ValidationError(_("Give a name in at least one language."))
        return texts


class RequiredBooleanField(serializers.BooleanField):
    """A boolean that must be sent: a missing form field is an error, not `false`."""

    default_empty_html = empty


@extend_schema_field({"type": "string", "enum": Article.Status.values}, component_name="ArticleStatus")
class ArticleStatusField(serializers.ChoiceField):
    """Article workflow status (its own schema component: announcements have a different `status`)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Article.Status.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": Announcement.Status.values}, component_name="AnnouncementStatus")
class AnnouncementStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Announcement.Status.choices, **kwargs)


class RefSerializer(serializers.Serializer):
    """A category or section as an article shows it."""

    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class TranslationSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    slug = serializers.SlugField()
    url = serializers.URLField()


def _absolute(request, path):
    return request.build_absolute_uri(path) if request is not None else path


def _url_in(language, name, args):
    with override(language):
        return reverse(name, args=args)


class SectionSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    name = serializers.SerializerMethodField()
    names = NamesField()
    descriptions = NamesField(require_one=False, required=False)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Section
        fields = ["id", "category", "slug", "position", "name", "names", "descriptions", "url"]

    def get_name(self, section) -> str:
        return pick(section.names, self.context.get("language"))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, section):
        path = _url_in(self.context.get("language"), "kb:section", [section.category.slug, section.slug])
        return _absolute(self.context.get("request"), path)


class NestedSectionSerializer(SectionSerializer):
    """A section inside its category (the category is implied)."""

    class Meta(SectionSerializer.Meta):
        fields = ["id", "slug", "position", "name", "names", "url"]


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    names = NamesField()
    descriptions = NamesField(require_one=False, required=False)
    url = serializers.SerializerMethodField()
    sections = NestedSectionSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "position", "icon", "name", "names", "descriptions", "url", "sections"]

    def get_name(self, category) -> str:
        return pick(category.names, self.context.get("language"))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, category):
        path = _url_in(self.context.get("language"), "kb:category", [category.slug])
        return _absolute(self.context.get("request"), path)


class TagsField(serializers.ListField):
    """Tags as a list of names; unknown names are created on write."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(max_length=50), max_length=MAX_TAGS, **kwargs)

    def to_representation(self, tags):
        return [tag.name for tag in tags.all()]

    def to_internal_value(self, data):
        names = [name.strip() for name in super().to_internal_value(data)]
        return list(dict.fromkeys(name for name in names if name))


class TocEntrySerializer(serializers.Serializer):
    level = serializers.IntegerField()
    title = serializers.CharField()
    anchor = serializers.CharField()


class ArticleListSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    section = serializers.SerializerMethodField()
    tags = TagsField(required=False)
    status = ArticleStatusField(required=False)

    class Meta:
        model = Article
        fields = [
            "id", "slug", "language", "title", "summary", "url", "category", "section", "tags", "status",
            "promoted", "position", "updated_at", "publish_at", "helpful_yes", "helpful_no", "view_count",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, article):
        return _absolute(self.context.get("request"), article.get_absolute_url())

    @extend_schema_field(RefSerializer)
    def get_category(self, article):
        category = article.section.category
        return {"id": category.id, "slug": category.slug, "name": pick(category.names, article.language)}

    @extend_schema_field(RefSerializer)
    def get_section(self, article):
        section = article.section
        return {"id": section.id, "slug": section.slug, "name": pick(section.names, article.language)}


class ArticleSerializer(ArticleListSerializer):
    """One article in full; also what staff send to create or change one (`section_id`, `tags` as names)."""

    section_id = serializers.PrimaryKeyRelatedField(source="section", queryset=Section.objects.all(), write_only=True)
    toc = TocEntrySerializer(many=True, read_only=True)
    translations = serializers.SerializerMethodField()

    class Meta(ArticleListSerializer.Meta):
        fields = [
            *ArticleListSerializer.Meta.fields,
            "section_id",
            "body",
            "body_html",
            "toc",
            "translations",
            "source",
        ]

    def _sees_everything(self):
        return self.context.get("sees_everything", False)

    @extend_schema_field(TranslationSerializer(many=True))
    def get_translations(self, article):
        """The same article in other languages (shared slug); the public sees only visible ones."""
        others = Article.objects.filter(slug=article.slug).exclude(pk=article.pk).only("slug", "language")
        if not self._sees_everything():
            others = others.published()
        order = language_codes()
        others = sorted(others, key=lambda a: order.index(a.language) if a.language in order else len(order))
        request = self.context.get("request")
        return [
            {"language": a.language, "slug": a.slug, "url": _absolute(request, a.get_absolute_url())} for a in others
        ]

    def to_representation(self, article):
        data = super().to_representation(article)
        if article.source_id and not self._sees_everything() and not article.source.is_visible():
            data["source"] = None
        return data


class AnnouncementSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()
    status = AnnouncementStatusField(required=False)

    class Meta:
        model = Announcement
        fields = [
            "id", "slug", "language", "kind", "title", "body", "body_html", "status", "publish_at", "expires_at",
            "pinned", "banner", "active", "url",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, announcement):
        return _absolute(self.context.get("request"), announcement.get_absolute_url())

    def get_active(self, announcement) -> bool:
        return announcement.is_active()


class FeedbackSerializer(serializers.ModelSerializer):
    """A "was this helpful?" vote; `comment` says what was missing."""

    helpful = RequiredBooleanField()
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    class Meta:
        model = ArticleFeedback
        fields = ["article", "helpful", "comment", "created_at"]
        read_only_fields = ["article", "created_at"]
