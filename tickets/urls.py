from django.urls import path, re_path

from tickets import views
from tickets.models import REFERENCE_PATTERN

app_name = "tickets"
urlpatterns = [
    path("new/", views.choose_type, name="new"),
    path("new/<slug:slug>/", views.new_ticket, name="form"),
    path("t/<str:token>/", views.follow_link, name="link"),
    re_path(rf"^(?P<reference>{REFERENCE_PATTERN})/$", views.ticket_page, name="ticket"),
    re_path(
        rf"^(?P<reference>{REFERENCE_PATTERN})/files/(?P<public_id>[A-Za-z0-9_-]{{10,32}})/$",
        views.download,
        name="file",
    ),
]
