from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

import signed_api


@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def api_root(request):
    """What this server offers; open to anyone, so it doubles as a health check."""
    return Response(
        {
            "service": "signed_api example project",
            "version": signed_api.__version__,
            "status": "ok",
            "admin": reverse("admin:index", request=request),
        }
    )
