"""DRF exceptions that carry the stable ``code`` of docs/protocol.md in the JSON body."""

from __future__ import annotations

from rest_framework import exceptions, status

from .core.errors import MESSAGES, SignatureError
from .services.errors import STORE_RETRY_AFTER


class SignatureAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 with ``{"detail": "<sentence>", "code": "<code>"}``."""

    def __init__(self, code: str, detail: str | None = None):
        super().__init__(detail=detail or MESSAGES.get(code, "Authentication failed."), code=code)
        # DRF renders a dict detail as the body as is: our body has exactly these two keys.
        self.detail = {"detail": str(detail or MESSAGES.get(code)), "code": code}  # type: ignore[dict-item]  # stub: ErrorDetail only; DRF renders any dict
        self.signed_api_code = code




class ReplayStoreUnavailable(exceptions.APIException):
    """503: the nonce store cannot be reached, so no request can be accepted (fail closed)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "replay_store_unavailable"
    wait = STORE_RETRY_AFTER  # DRF's exception handler sends it as Retry-After

    def __init__(self):
        code = self.default_code
        super().__init__(detail=MESSAGES[code], code=code)
        self.detail = {"detail": MESSAGES[code], "code": code}
        self.signed_api_code = code


def from_signature_error(error: SignatureError) -> exceptions.APIException:
    if error.status == 503:
        return ReplayStoreUnavailable()
    return SignatureAuthenticationFailed(error.code)


class ScopeMissing(exceptions.PermissionDenied):
    """403 ``scope_missing``: authenticated, but the credential lacks what the view needs."""

    default_code = "scope_missing"

    def __init__(self, detail: str | None = None):
        text = detail or "This key does not carry the scope this request needs."
        super().__init__(detail=text, code=self.default_code)
        self.detail = {"detail": text, "code": self.default_code}  # type: ignore[dict-item]  # stub: ErrorDetail only; DRF renders any dict


class SessionRequired(exceptions.PermissionDenied):
    """403 ``session_required``: account security (sessions, second factor, keys) needs a
    signature by a session; an API key or an enrollment key is refused."""

    default_code = "session_required"

    def __init__(self, detail: str | None = None, *, signed_by: str = "an API key"):
        text = detail or f"This needs a signature by a session (log in): not by {signed_by}."
        super().__init__(detail=text, code=self.default_code)
        self.detail = {"detail": text, "code": self.default_code}  # type: ignore[dict-item]  # stub: ErrorDetail only; DRF renders any dict
