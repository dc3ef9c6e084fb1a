from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils.translation import override

from helpdesk.i18n import language_codes
from kb.models import Announcement, Article, Category, Section


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        return Article.objects.published().only("slug", "language", "updated_at").order_by("id")

    def lastmod(self, item):
        return item.updated_at


class AnnouncementSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Announcement.objects.active().only("slug", "language", "updated_at").order_by("id")

    def lastmod(self, item):
        return item.updated_at


class PageSitemap(Sitemap):
    """Home, announcements, categories and sections in every language."""

    changefreq = "daily"

    def items(self):
        pages = []
        for language in language_codes():
            pages += [(language, "kb:home", ()), (language, "kb:announcements", ())]
            pages += [(language, "kb:category", (c.slug,)) for c in Category.objects.all()]
            pages += [
                (language, "kb:section", (s.category.slug, s.slug)) for s in Section.objects.select_related("category")
            ]
        return pages

    def location(self, item):
        language, name, args = item
        with override(language):
            return reverse(name, args=args)


SITEMAPS = {"pages": PageSitemap, "articles": ArticleSitemap, "announcements": AnnouncementSitemap}
