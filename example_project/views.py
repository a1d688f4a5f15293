from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

import signed_api


class ApiRoot(APIView):
    """What this server offers; open to anyone, so it doubles as a health check.

    A class rather than ``@api_view``: the decorator binds the schema class in force when the
    module is imported, a class reads ``DEFAULT_SCHEMA_CLASS`` when the schema is generated."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(
            {
                "service": "signed_api example project",
                "version": signed_api.__version__,
                "status": "ok",
                "admin": reverse("admin:index", request=request),
            }
        )


api_root = ApiRoot.as_view()


try:  # the `openapi` extra (docs/openapi.md): describe the root for drf-spectacular
    from drf_spectacular.extensions import OpenApiViewExtension
    from drf_spectacular.utils import (
        OpenApiParameter,
        extend_schema,
        extend_schema_view,
        inline_serializer,
    )
    from rest_framework import serializers
except ImportError:  # pragma: no cover - exercised only without the extra
    pass
else:

    class ApiRootSchema(OpenApiViewExtension):
        target_class = "example_project.views.ApiRoot"

        def view_replacement(self):
            body = inline_serializer("ApiRoot", {
                "service": serializers.CharField(),
                "version": serializers.CharField(),
                "status": serializers.CharField(),
                "admin": serializers.URLField(),
            })  # fmt: skip
            return extend_schema(summary="What this server offers (a health check)",
                                 responses={200: body})(self.target)

    class NoteViewSetSchema(OpenApiViewExtension):
        """The notes' ids are integers (the queryset depends on the signed-in user, so
        drf-spectacular cannot read the type from it)."""

        target_class = "example_project.notes.views.NoteViewSet"

        def view_replacement(self):
            note_id = OpenApiParameter("id", int, OpenApiParameter.PATH)
            by_id = extend_schema(parameters=[note_id])
            return extend_schema_view(retrieve=by_id, destroy=by_id)(
                type("NoteViewSet", (self.target,), {"__doc__": self.target.__doc__})
            )
