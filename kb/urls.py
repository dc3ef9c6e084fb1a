from django.urls import path

from kb import feeds, views

app_name = "kb"
urlpatterns = [
    path("", views.home, name="home"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("categories/<slug:category_slug>/<slug:slug>/", views.section, name="section"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("announcements/", views.announcements, name="announcements"),
    path("announcements/feed/rss/", feeds.AnnouncementsFeed(), name="announcements-rss"),
    path("announcements/feed/atom/", feeds.AnnouncementsAtomFeed(), name="announcements-atom"),
    path("announcements/<slug:slug>/", views.announcement, name="announcement"),
    path("search/", views.search, name="search"),
    path("search/click/", views.search_click, name="search-click"),
]
