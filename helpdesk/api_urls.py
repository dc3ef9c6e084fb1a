from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from kb import api as kb_api
from tickets import api as tickets_api
from tickets import public_api

router = DefaultRouter()
kb_api.register(router)
tickets_api.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    *public_api.urlpatterns,
    path("", include(router.urls)),
]
