from django.urls import path, re_path

from tickets import views
from tickets.models import REFERENCE_PATTERN

app_name = "tickets"
urlpatterns = [
    path("new/", views.choose_type, name="new"),
    path("new/<slug:slug>/", views.new_ticket, name="form"),
    path("t/<str:token>/", views.follow_link, name="link"),
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/sent/", views.lookup_sent, name="lookup_sent"),
    path("l/<str:token>/", views.lookup_link, name="lookup_link"),
    path("lookup/open/", views.lookup_open, name="lookup_open"),
    path("mine/", views.my_tickets, name="mine"),
    path("rate/<str:token>/", views.rate_link, name="rate_link"),
    re_path(rf"^(?P<reference>{REFERENCE_PATTERN})/$", views.ticket_page, name="ticket"),
    re_path(rf"^(?P<reference>{REFERENCE_PATTERN})/rate/$", views.rate_ticket, name="rate"),
    re_path(rf"^(?P<reference>{REFERENCE_PATTERN})/reopen/$", views.reopen_ticket, name="reopen"),
    re_path(rf"^(?P<reference>{REFERENCE_PATTERN})/solved/$", views.solve_ticket, name="solve"),
    re_path(
        rf"^(?P<reference>{REFERENCE_PATTERN})/files/(?P<public_id>[A-Za-z0-9_-]{{10,32}})/$",
        views.download,
        name="file",
    ),
]
