"""Help-center REST API: the public reads what is published and due; staff with kb permissions read and write all."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, Throttled
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from helpdesk import ratelimit
from helpdesk.i18n import language_codes
from kb import actions
from kb.filters import AnnouncementFilter, ArticleFilter, SectionFilter, StableOrderingFilter
from kb.models import Announcement, Article, Category, Section
from kb.search import analytics, engine, related
from kb.serializers import (
    AnnouncementSerializer,
    ArticleListSerializer,
    ArticleSerializer,
    CategorySerializer,
    FeedbackSerializer,
    SectionSerializer,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This cannot be deleted while other content depends on it.")
    default_code = "conflict"


class HelpCenterPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class FeedbackThrottle(ScopedRateThrottle):
    """Counts per address as the server saw it: a client-sent X-Forwarded-For must not buy a fresh quota."""

    def get_ident(self, request):
        return ratelimit.client_ip(request)


LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    OpenApiTypes.STR,
    enum=language_codes(),
    description=_("Language of `name` and `url`; defaults to the Accept-Language header."),
)


def requested_language(request):
    """The `language` query parameter if given (400 when unknown), else the language negotiated for the request."""
    value = request.query_params.get("language") if request is not None else None
    if not value:
        return get_language()
    if value not in language_codes():
        raise serializers.ValidationError(
            {"language": [_("Unknown language. Use one of: %(codes)s.") % {"codes": ", ".join(language_codes())}]}
        )
    return value


def save_through(save, obj, **kwargs):
    """Call a save action; a rule it refuses becomes 403 (publishing without the right to) or 400 (anything else)."""
    try:
        return save(obj, **kwargs)
    except DjangoValidationError as error:
        codes = {e.code for errors in getattr(error, "error_dict", {}).values() for e in errors}
        if "publish_permission" in codes:
            raise PermissionDenied(" ".join(error.messages)) from None
        raise serializers.ValidationError(serializers.as_serializer_error(error)) from None


class ProtectedDestroyMixin:
    """Deleting a row that other rows still use answers 409 instead of failing."""

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise Conflict(
                _("%(object)s still has content in it; move or delete that first.") % {"object": instance}
            ) from None


@extend_schema_view(
    list=extend_schema(parameters=[LANGUAGE_PARAMETER]), retrieve=extend_schema(parameters=[LANGUAGE_PARAMETER])
)
class CategoryViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    """Categories with their sections; `name` in the requested language, `names` in all."""

    queryset = Category.objects.prefetch_related("sections")
    serializer_class = CategorySerializer
    pagination_class = HelpCenterPagination
    filter_backends = []

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "language": requested_language(self.request)}


@extend_schema_view(
    list=extend_schema(parameters=[LANGUAGE_PARAMETER]), retrieve=extend_schema(parameters=[LANGUAGE_PARAMETER])
)
class SectionViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    queryset = Section.objects.select_related("category")
    serializer_class = SectionSerializer
    pagination_class = HelpCenterPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SectionFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "language": requested_language(self.request)}


class ArticleViewSet(viewsets.ModelViewSet):
    """Articles: the public sees published, due ones; staff with kb permissions see all and write (with revisions)."""

    pagination_class = HelpCenterPagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = ArticleFilter
    ordering_fields = ["position", "updated_at", "publish_at", "view_count", "title"]
    throttle_scope = None  # set per action: only feedback is throttled

    def sees_everything(self):
        return self.request is not None and self.request.user.has_perm("kb.view_article")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Article.objects.none()
        articles = Article.objects.all() if self.sees_everything() else Article.objects.published()
        if self.action == "list":
            return articles.for_list().prefetch_related("tags")
        return articles.select_related("section__category", "source").prefetch_related("tags")

    def get_serializer_class(self):
        if self.action == "list":
            return ArticleListSerializer
        if self.action == "feedback":
            return FeedbackSerializer
        return ArticleSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "sees_everything": self.sees_everything()}

    @transaction.atomic
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        tags = data.pop("tags", None)
        serializer.instance = save_through(
            actions.save_article, Article(**data), user=self.request.user, note="API", tags=tags
        )

    @transaction.atomic
    def perform_update(self, serializer):
        article = serializer.instance
        data = dict(serializer.validated_data)
        tags = data.pop("tags", None)
        for field, value in data.items():
            setattr(article, field, value)
        save_through(actions.save_article, article, user=self.request.user, note="API", tags=tags)

    @extend_schema(
        request=FeedbackSerializer,
        responses={
            201: FeedbackSerializer,
            400: OpenApiResponse(description=_("Invalid vote.")),
            404: OpenApiResponse(description=_("No published article with this id.")),
            429: OpenApiResponse(description=_("Too many votes; see the Retry-After header.")),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[AllowAny],
        throttle_classes=[FeedbackThrottle],
        throttle_scope="feedback",
    )
    def feedback(self, request, pk=None):
        """Vote "was this helpful?"; one vote per visitor per article, a second vote replaces the first."""
        article = get_object_or_404(Article.objects.published(), pk=pk)
        serializer = FeedbackSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        feedback = actions.record_feedback(
            article=article,
            visitor=_visitor(request),
            helpful=serializer.validated_data["helpful"],
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


def _visitor(request):
    """The visitor cookie if the help center set one, else address and browser; stored only as a keyed hash."""
    raw = request.COOKIES.get(actions.VISITOR_COOKIE) or (
        f"{request.META.get('REMOTE_ADDR', '')}|{request.headers.get('User-Agent', '')}"
    )
    return actions.visitor_key(raw)


class AnnouncementViewSet(viewsets.ModelViewSet):
    """Announcements: the public sees published ones whose time has come (expired ones included unless `active`)."""

    serializer_class = AnnouncementSerializer
    pagination_class = HelpCenterPagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = AnnouncementFilter
    ordering_fields = ["publish_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Announcement.objects.none()
        if self.request.user.has_perm("kb.view_announcement"):
            return Announcement.objects.all()
        return Announcement.objects.published()

    def perform_create(self, serializer):
        announcement = Announcement(**serializer.validated_data)
        serializer.instance = save_through(actions.save_announcement, announcement, user=self.request.user)

    def perform_update(self, serializer):
        announcement = serializer.instance
        for field, value in serializer.validated_data.items():
            setattr(announcement, field, value)
        save_through(actions.save_announcement, announcement, user=self.request.user)


class QueryField(serializers.CharField):
    """Any text: control characters (NUL included) are dropped; a query carrying a secret is refused, unsearched."""

    def to_internal_value(self, data):
        if kinds := analytics.secrets_in(str(data)):
            raise serializers.ValidationError(analytics.secrets_message(kinds))
        return engine.clean(str(data))


class SearchQuerySerializer(serializers.Serializer):
    q = QueryField(required=False, allow_blank=True, default="")
    lang = serializers.ChoiceField(choices=language_codes(), required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=100, default=1)
    category = serializers.SlugField(required=False)


class SuggestQuerySerializer(SearchQuerySerializer):
    mode = serializers.ChoiceField(
        choices=[
            ("title", _("Titles that match every word typed so far, the last one as a prefix (a search box).")),
            ("ticket", _("Articles ranked on title and body for a sentence, such as a ticket's subject.")),
        ],
        required=False,
        default="title",
    )


class SearchResultSerializer(serializers.Serializer):
    slug = serializers.CharField()
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    title = serializers.CharField()
    url = serializers.URLField()
    snippet = serializers.CharField(help_text=_("Escaped text with matches wrapped in <mark>."))
    score = serializers.FloatField(allow_null=True, help_text=_("Relevance; null for a result an editor pinned."))
    best_bet = serializers.BooleanField(help_text=_("Pinned to the top for this query by an editor."))
    category = serializers.SlugField(help_text=_("Slug of the article's category."))


# The search is the viewset's `list` action, which the schema would otherwise describe as an array of these.
@extend_schema_serializer(many=False)
class SearchResponseSerializer(serializers.Serializer):
    """One page of results: the query as searched, its spelling correction, the number of matches, the hits."""

    query = serializers.CharField(help_text=_("The query as searched (cleaned of control characters)."))
    corrected_query = serializers.CharField(allow_blank=True, help_text=_("The corrected query, or empty."))
    count = serializers.IntegerField(min_value=0)
    results = SearchResultSerializer(many=True)


class SuggestionSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.URLField()


class SuggestResponseSerializer(serializers.Serializer):
    """Titles for what has been typed so far."""

    query = serializers.CharField()
    suggestions = SuggestionSerializer(many=True)


SEARCH_ERRORS = {
    400: OpenApiResponse(description=_("A parameter is invalid; the body names it.")),
    429: OpenApiResponse(description=_("Too many searches; see the Retry-After header.")),
}


class SearchViewSet(viewsets.ViewSet):
    """Bilingual full-text search over published articles (best first), and as-you-type title suggestions."""

    permission_classes = [AllowAny]
    RATE = {"list": 60, "suggest": 120}

    def _params(self, request, serializer=SearchQuerySerializer):
        params = serializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        allowed, retry_after = ratelimit.hit(
            f"api-search-{self.action}", ratelimit.client_ip(request), limit=self.RATE[self.action], period=60
        )
        if not allowed:
            raise Throttled(wait=retry_after)
        data = params.validated_data
        data.setdefault("lang", get_language() if get_language() in language_codes() else language_codes()[0])
        return data

    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses={200: SearchResponseSerializer, **SEARCH_ERRORS},
    )
    def list(self, request):
        params = self._params(request)
        category = Category.objects.filter(slug=params["category"]).first() if params.get("category") else None
        if params.get("category") and category is None:
            raise serializers.ValidationError({"category": [_("No such category.")]})
        found = engine.search(
            params["q"], language=params["lang"], page=params["page"], category_id=category and category.id
        )
        if found.query and params["page"] == 1 and category is None:
            analytics.log_search(
                query=found.query,
                language=params["lang"],
                results=found.count,
                corrected_query=found.corrected_query,
                visit=analytics.visit_key(request.COOKIES.get(analytics.VISIT_COOKIE, "")),
            )
        results = [
            {
                "slug": hit.article.slug,
                "language": hit.article.language,
                "title": hit.article.title,
                "url": request.build_absolute_uri(hit.article.get_absolute_url()),
                "snippet": str(hit.snippet),
                "score": round(hit.score, 4) if hit.score != float("inf") else None,
                "best_bet": hit.best_bet,
                "category": hit.article.section.category.slug,
            }
            for hit in found.all_hits
        ]
        return Response(
            {"query": found.query, "corrected_query": found.corrected_query, "count": found.count, "results": results}
        )

    @extend_schema(
        parameters=[SuggestQuerySerializer],
        responses={200: SuggestResponseSerializer, **SEARCH_ERRORS},
    )
    @action(detail=False)
    def suggest(self, request):
        params = self._params(request, SuggestQuerySerializer)
        if params["mode"] == "ticket":
            titles = related.articles(params["q"], language=params["lang"])
        else:
            titles = engine.suggest(params["q"], language=params["lang"])
        return Response(
            {
                "query": params["q"],
                "suggestions": [
                    {"title": a.title, "url": request.build_absolute_uri(a.get_absolute_url())} for a in titles
                ],
            }
        )


def register(router):
    """Register the help-center viewsets on the API router."""
    router.register("categories", CategoryViewSet, basename="category")
    router.register("sections", SectionViewSet, basename="section")
    router.register("articles", ArticleViewSet, basename="article")
    router.register("announcements", AnnouncementViewSet, basename="announcement")
    router.register("search", SearchViewSet, basename="search")
