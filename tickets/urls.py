from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("new/", views.choose_type, name="new"),
    path("new/<slug:slug>/", views.new_ticket, name="form"),
    path("t/<str:token>/", views.track, name="track"),
]
