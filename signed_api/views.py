"""Views and the exception handler of signed_api."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from .core.errors import MESSAGES, SIGNATURE_MISSING


def _uses_signatures(context) -> bool:
    from .authentication import SignatureAuthentication

    view = context.get("view")
    request = context.get("request")
    authenticators = getattr(request, "authenticators", None) or (
        view.get_authenticators() if view is not None and hasattr(view, "get_authenticators")
        else ()
    )
    return any(isinstance(a, SignatureAuthentication) for a in authenticators)


def exception_handler(exc, context):
    """DRF's handler, plus DESIGN §4 for views that accept signatures.

    - an unauthenticated request (no signature at all) gets ``code: signature_missing``;
    - every 401 of such a view carries ``Accept-Signature``, naming what a signature must cover.
    """
    is_unauthenticated = isinstance(exc, exceptions.NotAuthenticated)
    response = drf_exception_handler(exc, context)
    if response is None or not _uses_signatures(context):
        return response
    if is_unauthenticated and response.status_code == 401:
        response.data = {"detail": MESSAGES[SIGNATURE_MISSING], "code": SIGNATURE_MISSING}
    if response.status_code == 401:
        from .authentication import accept_signature_value

        response["Accept-Signature"] = accept_signature_value()
    return response
