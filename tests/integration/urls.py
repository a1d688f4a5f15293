"""A URLconf for the integration tests: one echo view behind ``SignatureAuthentication``.

It depends on no model outside ``signed_api`` and touches no table, so what the tests measure is
the authentication path (key lookup, signature, digest, nonce) and nothing else. The JWKS is
served as a deployment serves it: the Python client verifies every refusal (a replay's 401
included) against the server keys there.
"""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from signed_api.authentication import SignatureAuthentication
from signed_api.views import JWKSView, exception_handler


class EchoView(APIView):
    """Answer with who signed and what the view received (never a secret)."""

    authentication_classes = [SignatureAuthentication]
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return exception_handler

    def _echo(self, request, item=None, status=200):
        return Response(
            {
                "user": request.user.get_username(),
                "key_id": request.auth.key_id,
                "method": request.method,
                "item": item,
                "query": {k: request.GET.getlist(k) for k in request.GET},
                "data": request.data if request.method in ("POST", "PUT", "PATCH") else None,
            },
            status=status,
        )

    def get(self, request, item=None):
        return self._echo(request, item)

    def post(self, request, item=None):
        return self._echo(request, item, status=201)

    def delete(self, request, item=None):
        return self._echo(request, item)


urlpatterns = [
    path("echo/", EchoView.as_view()),
    path("echo/<str:item>/", EchoView.as_view()),
    path(".well-known/signed-api/keys", JWKSView.as_view()),
]
