from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from example_project import views
from example_project.notes.views import NoteViewSet
from signed_api.urls import well_known

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notes", NoteViewSet, basename="note")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", views.api_root, name="api-root"),
    path("api/", include(router.urls)),
    path("api/auth/", include("signed_api.urls")),
    *well_known,
    # The Oblivious HTTP gateway (docs/encryption.md): /.well-known/ohttp-gateway.
    path("", include("signed_api.ohttp_urls")),
]

if find_spec("drf_spectacular") is not None:  # the `openapi` extra (docs/openapi.md)
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    urlpatterns += [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    ]
