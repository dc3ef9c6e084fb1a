from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from helpdesk import staff_login, two_factor
from helpdesk.views import favicon, healthz, readyz
from kb import views as kb_views
from kb.sitemaps import SITEMAPS
from tickets import admin_dashboard

admin.site.site_header = _("Helpdesk administration")
admin.site.site_title = _("Helpdesk")
admin.site.index_title = _("Help center and ticket desk")
admin.site.login_form = staff_login.StaffLoginForm


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/two-factor/", admin.site.admin_view(two_factor.two_factor_page), name="staff-two-factor"),
    path("admin/tickets/dashboard/", admin.site.admin_view(admin_dashboard.dashboard), name="tickets-dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpdesk.api_urls")),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("robots.txt", kb_views.robots_txt, name="robots"),
]
urlpatterns += i18n_patterns(path("tickets/", include("tickets.urls")), path("", include("kb.urls")))

handler404 = kb_views.page_not_found
