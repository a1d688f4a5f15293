from importlib.util import find_spec

from django.contrib import admin
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path
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
    # The demo page (docs/quickstart.md): the JavaScript client in a browser, signing every request.
    path("demo/", include("example_project.demo.urls")),
    # A demo convenience, not a way to serve static files: the three files /demo/ loads (the
    # client's bundle, the page's script and style sheet) are served by Django itself even with
    # DEBUG off (gunicorn serves nothing else); a deployment serves STATIC_ROOT from its web server.
    re_path(
        r"^static/(?P<path>signed_api/signed-api\.js|demo/demo\.(?:js|css))$",
        serve_static,
        {"insecure": True},
    ),
]

if find_spec("drf_spectacular") is not None:  # the `openapi` extra (docs/openapi.md)
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    urlpatterns += [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    ]
