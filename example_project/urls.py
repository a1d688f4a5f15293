from django.contrib import admin
from django.urls import path

from example_project import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", views.api_root, name="api-root"),
    # The signed endpoints mount here (DESIGN §5):
    # path("api/auth/", include("signed_api.urls")),
]
