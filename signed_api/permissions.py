"""``HasScope``: a DRF permission that checks the credential's scopes (403 ``scope_missing``).

    class NoteViewSet(viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated, HasScope]
        required_scopes = {"GET": ["notes:read"], "POST": ["notes:write"], "*": ["notes:read"]}

``required_scopes`` is a list (every method) or a dict by method, where ``"*"`` is the default
for methods not listed (HEAD and OPTIONS fall back to GET's). An API key carries the scopes it
was created with; a session acts as its user and carries every scope; a request authenticated
some other way (not by signed_api) is refused.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .exceptions import ScopeMissing


def scopes_of(request) -> frozenset | None:
    """The scopes of the credential that signed ``request``; ``None`` means all of them."""
    from .models import ApiKey, EnrollmentKey, Session

    auth = getattr(request, "auth", None)
    if isinstance(auth, Session):
        return None
    if isinstance(auth, ApiKey):
        return frozenset(auth.scopes or ())
    if isinstance(auth, EnrollmentKey):
        return frozenset({"enroll"})
    return frozenset()


def _by_signed_api(request) -> bool:
    """True when a signed_api credential authenticated ``request``."""
    from .models import ApiKey, EnrollmentKey, Session

    return isinstance(getattr(request, "auth", None), (ApiKey, EnrollmentKey, Session))


def required_scopes(view, method: str) -> list[str]:
    wanted = getattr(view, "required_scopes", None)
    if wanted is None:
        return []
    if isinstance(wanted, dict):
        if method in wanted:
            return list(wanted[method])
        if method in ("HEAD", "OPTIONS") and "GET" in wanted:
            return list(wanted["GET"])
        return list(wanted.get("*", []))
    return list(wanted)


class HasScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        needed = required_scopes(view, request.method)
        if not needed:
            return True
        user = getattr(request, "user", None)
        if request.auth is None and not getattr(user, "is_authenticated", False):
            return False  # not authenticated: DRF answers 401, not a scope 403
        granted = scopes_of(request)
        if granted is None:
            return True
        missing = [scope for scope in needed if scope not in granted]
        if missing and _by_signed_api(request):
            raise ScopeMissing(f"This key lacks the scope(s): {', '.join(missing)}.")
        if missing:
            raise ScopeMissing(
                f"This needs the scope(s) {', '.join(missing)}, which only a signed_api key or "
                "session carries: this request was authenticated another way."
            )
        return True
