"""URLs for the exception-handler tests: the example project plus views that do not (or do
not only) use ``SignatureAuthentication``."""

from django.urls import include, path
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from signed_api.authentication import SignatureAuthentication


class Deny(BasePermission):
    def has_permission(self, request, view):
        return False


class _Ok(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class TokenOnly(_Ok):
    authentication_classes = [TokenAuthentication]


class BasicOnly(_Ok):
    authentication_classes = [BasicAuthentication]


class TokenThenSignature(_Ok):
    authentication_classes = [TokenAuthentication, SignatureAuthentication]


class SignedButForbidden(_Ok):
    authentication_classes = [SignatureAuthentication]
    permission_classes = [IsAuthenticated, Deny]


urlpatterns = [
    path("test/token-only/", TokenOnly.as_view()),
    path("test/basic-only/", BasicOnly.as_view()),
    path("test/token-then-signature/", TokenThenSignature.as_view()),
    path("test/signed-forbidden/", SignedButForbidden.as_view()),
    path("", include("example_project.urls")),
]
