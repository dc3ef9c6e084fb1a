"""Public help-center pages: parse, query, render. Anonymous responses go through the page cache."""

import math
from collections import Counter

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Exists, F, OrderBy, OuterRef, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk import ratelimit
from kb import actions
from kb.forms import FeedbackForm, SearchClickForm, SearchForm
from kb.models import Announcement, Article, Category, Section
from kb.pagecache import cacheable
from kb.search import analytics, engine
from kb.stats import count_view
from tickets import secretguard

TOP_PER_CATEGORY = 5
TOP_PER_SECTION = 8
PAGE_SIZE = 30
SEARCH_PAGE_SIZE = 10
SEARCH_PER_MINUTE = 60
CLICKS_PER_MINUTE = 120


def _top_articles(queryset, field, keys, ordering, limit):
    """The first `limit` articles for each key of `field` (a category or section), in one query.

    On PostgreSQL a UNION of one part per key: each walks an index in `ordering` and stops after `limit` rows, so the
    cost does not grow with the corpus.
    """
    if not keys:
        return {}
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [queryset.filter(**{field: key}).order_by(*ordering)[:limit] for key in keys]
        rows = parts[0].union(*parts[1:], all=True)
    else:  # SQLite: no LIMIT inside UNION parts; rank within each key instead (it sorts every visible row)
        order = [OrderBy(F(name.lstrip("-")), descending=name.startswith("-")) for name in ordering]
        rows = (
            queryset.filter(**{f"{field}__in": keys})
            .annotate(rank=Window(RowNumber(), partition_by=[F(field)], order_by=order))
            .filter(rank__lte=limit)
        )
    grouped = {}
    for article in rows:
        grouped.setdefault(getattr(article, field), []).append(article)
    return grouped


RELATED_POOL = 20
TOP_ORDER = ("-promoted", "-view_count", "-id")
SECTION_ORDER = ("-promoted", "position", "id")


def _home_url(language):
    with override(language):
        return reverse("kb:home")


def _visible(language):
    return Article.objects.published().in_language(language).for_list()


@require_GET
@cacheable
def home(request):
    language = get_language()
    categories = list(Category.objects.all())
    grouped = _top_articles(
        _visible(language).annotate(category_id=F("section__category_id")),
        "category_id",
        [c.id for c in categories],
        TOP_ORDER,
        TOP_PER_CATEGORY,
    )
    for articles in grouped.values():
        articles.sort(key=lambda a: (not a.promoted, -a.view_count, -a.id))
    return render(
        request,
        "kb/home.html",
        {
            "categories": [(category, grouped.get(category.id, [])) for category in categories],
            "promoted": _visible(language).filter(promoted=True).order_by("position", "-publish_at")[:6],
            "announcements": Announcement.objects.active().filter(language=language)[:5],
        },
    )


@require_GET
@cacheable
def category(request, slug):
    language = get_language()
    category = get_object_or_404(Category, slug=slug)
    sections = list(category.sections.all())
    grouped = _top_articles(_visible(language), "section_id", [s.id for s in sections], SECTION_ORDER, TOP_PER_SECTION)
    for articles in grouped.values():
        articles.sort(key=lambda a: (not a.promoted, a.position, a.id))
    return render(
        request,
        "kb/category.html",
        {
            "category": category,
            "sections": [(section, grouped.get(section.id, [])) for section in sections],
            "more_than": TOP_PER_SECTION,
        },
    )


@require_GET
@cacheable
def section(request, category_slug, slug):
    section = get_object_or_404(Section.objects.select_related("category"), category__slug=category_slug, slug=slug)
    articles = _visible(get_language()).filter(section=section).order_by(*SECTION_ORDER)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kb/section.html", {"section": section, "category": section.category, "page": page})


def _related(article, limit=5):
    """Published articles of the same language that share the most tags, drawn from the same section and from the
    most popular articles sharing a tag; ties go to the same section, then to popularity."""
    base = (
        Article.objects.published()
        .in_language(article.language)
        .exclude(pk=article.pk)
        .only("slug", "language", "title", "section_id", "promoted", "view_count")
    )
    tag_ids = {tag.id for tag in article.tags.all()}
    candidates = {a.pk: a for a in base.filter(section_id=article.section_id).order_by(*SECTION_ORDER)[:RELATED_POOL]}
    if tag_ids:
        sharing = Exists(Article.tags.through.objects.filter(article_id=OuterRef("pk"), tag_id__in=tag_ids))
        candidates.update((a.pk, a) for a in base.filter(sharing).order_by(*TOP_ORDER)[:RELATED_POOL])
    links = Article.tags.through.objects.filter(article_id__in=candidates, tag_id__in=tag_ids).values_list(
        "article_id", flat=True
    )
    shared = Counter(links) if tag_ids else Counter()

    def rank(other):
        return (-shared[other.pk], other.section_id != article.section_id, not other.promoted, -other.view_count)

    return sorted(candidates.values(), key=rank)[:limit]


@require_GET
@cacheable
def article(request, slug):
    language = get_language()
    article = get_object_or_404(
        Article.objects.select_related("section__category", "source").prefetch_related("tags"),
        language=language,
        slug=slug,
    )
    preview = not article.is_visible()
    if preview and not request.user.has_perm("kb.view_article"):
        raise Http404(_("No such article."))
    translations = {
        a.language: a
        for a in Article.objects.published().filter(slug=slug).exclude(pk=article.pk).only("slug", "language")
    }
    alternates = {
        code: translations[code].get_absolute_url() if code in translations else _home_url(code)
        for code, _name in settings.LANGUAGES
        if code != language
    }
    response = render(
        request,
        "kb/article.html",
        {
            "article": article,
            "section": article.section,
            "category": article.section.category,
            "related": _related(article),
            "translations": translations,
            "alternates": alternates,
            "preview": preview,
            "show_toc": len(article.toc) >= 3,
            "form": FeedbackForm(),
        },
    )
    if preview:
        response.page_cacheable = False
    else:
        count_view(article.pk)
        response.counted_article = article.pk
    return response


@require_POST
def feedback(request, slug):
    """Record a "was this helpful?" vote (CSRF-protected POST, one per visitor per article)."""
    article = get_object_or_404(Article.objects.published(), language=get_language(), slug=slug)
    form = FeedbackForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"errors": form.errors}, status=400)
        return render(request, "kb/feedback.html", {"article": article, "form": form}, status=400)
    allowed, retry_after = ratelimit.hit("feedback", ratelimit.client_ip(request), limit=30, period=3600)
    if not allowed:
        message = _("Too many votes from your network. Please try again later.")
        if wants_json:
            response = JsonResponse({"detail": message}, status=429)
        else:
            response = render(
                request, "kb/feedback.html", {"article": article, "form": form, "error": message}, status=429
            )
        response["Retry-After"] = str(retry_after)
        return response
    visitor_id = request.COOKIES.get(actions.VISITOR_COOKIE) or actions.new_visitor_id()
    actions.record_feedback(
        article=article,
        visitor=actions.visitor_key(visitor_id),
        helpful=form.cleaned_data["helpful"],
        comment=form.cleaned_data["comment"],
    )
    if wants_json:
        response = JsonResponse({"ok": True, "helpful": form.cleaned_data["helpful"]})
    else:
        response = render(
            request,
            "kb/feedback.html",
            {"article": article, "form": FeedbackForm(initial={"helpful": form.cleaned_data["helpful"]}), "done": True},
        )
    if actions.VISITOR_COOKIE not in request.COOKIES:
        response.set_cookie(
            actions.VISITOR_COOKIE,
            visitor_id,
            max_age=2 * 365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_GET
@cacheable
def announcements(request):
    now = timezone.now()
    items = Announcement.objects.published(now).filter(language=get_language())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kb/announcements.html", {"page": page, "now": now})


@require_GET
@cacheable
def announcement(request, slug):
    item = get_object_or_404(Announcement.objects.published(), language=get_language(), slug=slug)
    others = {
        a.language: a.get_absolute_url()
        for a in Announcement.objects.published().filter(slug=slug).exclude(pk=item.pk).only("slug", "language")
    }
    alternates = {
        code: others.get(code) or _home_url(code) for code, _name in settings.LANGUAGES if code != item.language
    }
    return render(request, "kb/announcement.html", {"item": item, "alternates": alternates, "translations": others})


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def _search_limited(request, scope, limit):
    """Apply the per-client search rate limit; a 429 response with Retry-After, or None."""
    allowed, retry_after = ratelimit.hit(scope, ratelimit.client_ip(request), limit=limit, period=60)
    if allowed:
        return None
    response = render(request, "kb/search.html", {"throttled": True, "query": ""}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def visit_id(request):
    return request.COOKIES.get(analytics.VISIT_COOKIE) or actions.new_visitor_id()


def remember_visit(request, response, raw):
    if request.COOKIES.get(analytics.VISIT_COOKIE) != raw:
        response.set_cookie(analytics.VISIT_COOKIE, raw, httponly=True, samesite="Lax", secure=request.is_secure())


def _removed_notice(value):
    kinds = secretguard.ordered(value.split(","))
    return analytics.secrets_message(kinds) if kinds else ""


@require_GET
def search(request):
    """Results page: highlighted snippets, category filter, pagination; an exact title goes straight to it."""
    if (limited := _search_limited(request, "search", SEARCH_PER_MINUTE)) is not None:
        return limited
    language = get_language()
    if kinds := analytics.secrets_in(request.GET.get("q", "")):
        # Out of the address bar and history at once; the page says what was removed.
        response = redirect(reverse("kb:search") + "?removed=" + ",".join(kinds))
        response["Referrer-Policy"] = "no-referrer"
        return response
    form = SearchForm(request.GET)
    form.is_valid()
    query, category, page_number = form.cleaned_query(), form.cleaned_category(), form.cleaned_page()
    categories = list(Category.objects.all())
    results = engine.search(
        query, language=language, page=page_number, per_page=SEARCH_PAGE_SIZE, category_id=category and category.id
    )
    raw_visit = visit_id(request)
    log = None
    if results.query and page_number == 1 and not category:
        log = analytics.log_search(
            query=results.query,
            language=language,
            results=results.count,
            corrected_query=results.corrected_query,
            visit=analytics.visit_key(raw_visit),
        )
        if results.exact is not None:
            analytics.record_click(log_id=log.pk, visit=log.visit, article_id=results.exact.pk, rank=1)
            response = redirect(results.exact.get_absolute_url())
            remember_visit(request, response, raw_visit)
            return response
    pages = max(1, min(math.ceil(results.count / SEARCH_PAGE_SIZE), engine.CANDIDATES // SEARCH_PAGE_SIZE))
    response = render(
        request,
        "kb/search.html",
        {
            "query": results.query,
            "results": results,
            "categories": categories,
            "category": category,
            "page_number": page_number,
            "pages": pages,
            "previous_page": page_number - 1 if page_number > 1 else None,
            "next_page": page_number + 1 if page_number < pages else None,
            "log": log,
            "secrets_notice": _removed_notice(request.GET.get("removed", "")),
        },
    )
    remember_visit(request, response, raw_visit)
    return response


@require_POST
def search_click(request):
    """Record which result a search led to (sent by the results page as a beacon)."""
    allowed, retry_after = ratelimit.hit(
        "search-click", ratelimit.client_ip(request), limit=CLICKS_PER_MINUTE, period=60
    )
    if not allowed:
        response = JsonResponse({"detail": _("Too many requests. Please try again later.")}, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    form = SearchClickForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    visit = analytics.visit_key(request.COOKIES.get(analytics.VISIT_COOKIE, ""))
    recorded = analytics.record_click(
        log_id=form.cleaned_data["log"],
        visit=visit,
        article_id=form.cleaned_data["article"],
        rank=form.cleaned_data["rank"],
    )
    return HttpResponse(status=204 if recorded else 404)
