from rest_framework import exceptions, mixins, permissions, viewsets

from signed_api.permissions import HasScope

from .models import Note
from .serializers import NoteSerializer

#: The largest id a BigAutoField (64-bit, signed) can hold.
_MAX_ID = 2**63 - 1


class NoteViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """List, create, retrieve and delete your own notes; every request must be signed.

    Authentication comes from REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    (``SignatureAuthentication``); another user's note answers 404, not 403. An API key needs
    ``notes:read`` to read and ``notes:write`` to change (403 ``scope_missing``); a session
    acts as its user and may do both.
    """

    serializer_class = NoteSerializer
    permission_classes = [permissions.IsAuthenticated, HasScope]
    required_scopes = {"GET": ["notes:read"], "*": ["notes:write"]}

    def get_object(self):
        # An id that no row can have is a 404 before any query: Django 4.2 sends an integer
        # beyond the database's (64-bit) range to the database, which answers it with an
        # error (a 500); newer Django versions already find nothing.
        pk = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if not (pk.isascii() and pk.isdigit() and int(pk) <= _MAX_ID):
            raise exceptions.NotFound()
        return super().get_object()

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
