"""URLs of the lifecycle tests: small views guarded by ``HasScope``, next to the real app.

Used with ``@pytest.mark.urls("tests.lifecycle.urls")``. The example project's URLs (the notes API,
``api/auth/`` with the signed_api endpoints) come after them, so the same clients work on both.
"""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from example_project import urls as example_urls
from signed_api.permissions import HasScope


class _Echo(APIView):
    permission_classes = [IsAuthenticated, HasScope]

    def _answer(self, request):
        return Response({"method": request.method})

    get = post = put = patch = delete = _answer


class ByMethodView(_Echo):
    """``required_scopes`` as a dict: per method, ``"*"`` for the rest, HEAD/OPTIONS as GET."""

    required_scopes = {"GET": ["a:read"], "POST": ["a:write"], "*": ["a:admin"]}


class ByMethodNoDefaultView(_Echo):
    """A dict without ``"*"``: methods not listed need no scope."""

    required_scopes = {"POST": ["a:write"]}


class ListView(_Echo):
    """``required_scopes`` as a list: every method needs all of them."""

    required_scopes = ["a:read", "b:read"]


class OnlyHasScopeView(_Echo):
    """``HasScope`` alone, without ``IsAuthenticated`` (as ``EnrollView`` is guarded)."""

    permission_classes = [HasScope]
    required_scopes = ["a:read"]


class NoScopeView(_Echo):
    """``HasScope`` without ``required_scopes``: nothing to check."""


urlpatterns = [
    path("scoped/by-method/", ByMethodView.as_view()),
    path("scoped/by-method-no-default/", ByMethodNoDefaultView.as_view()),
    path("scoped/list/", ListView.as_view()),
    path("scoped/none/", NoScopeView.as_view()),
    path("scoped/only-has-scope/", OnlyHasScopeView.as_view()),
    *example_urls.urlpatterns,
]
