"""A URLconf with DRF's browsable-API login mounted (for check signed_api.W010)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
]
