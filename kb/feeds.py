from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kb.models import Announcement


class AnnouncementsFeed(Feed):
    title = _("Announcements")
    description = _("Maintenance, listings, promotions and security notices.")

    def link(self):
        return reverse("kb:announcements")

    def items(self):
        return Announcement.objects.published().filter(language=get_language()).order_by("-publish_at", "-id")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body_html

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_kind_display()]


class AnnouncementsAtomFeed(AnnouncementsFeed):
    feed_type = Atom1Feed
    subtitle = AnnouncementsFeed.description
