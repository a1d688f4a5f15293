from rest_framework import mixins, permissions, viewsets

from signed_api.permissions import HasScope

from .models import Note
from .serializers import NoteSerializer


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

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
