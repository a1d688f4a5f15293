"""URLconf of ``test_raw_socket_gunicorn.py``: the example project plus a signed echo view at
``/`` that reports what it was handed (query string, a list field as the server joined it)."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from signed_api.authentication import SignatureAuthentication


class RootEcho(APIView):
    authentication_classes = [SignatureAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        meta = request.META
        return Response({
            "key_id": request.auth.key_id,
            "query": meta.get("QUERY_STRING", ""),
            "x_list": meta.get("HTTP_X_LIST"),
        })


urlpatterns = [
    path("", RootEcho.as_view()),
    path("", include("example_project.urls")),
]
