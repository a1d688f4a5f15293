"""The one error type of the services: what they refuse, with a stable code and its status.

Services (login, second factor, remember-me, keys) raise :class:`ServiceError` and never build an
answer; the exception handler of the app's views (``signed_api.views.exception_handler``) renders
it as ``{"detail", "code", ...extra}`` with ``http_status`` (and ``WWW-Authenticate`` on a 401,
``Retry-After`` from ``wait`` on a 429 or 503); management commands and the admin show
``detail``. ``code`` is the stable code of docs/protocol.md.

The subclasses only give their area's default status; catch :class:`ServiceError`.
"""

from __future__ import annotations

#: Codes whose status is the same wherever they are raised.
STATUS_OF_CODE = {"throttled": 429, "database_busy": 503, "replay_store_unavailable": 503}
#: Seconds a client should wait after a 503 ``replay_store_unavailable`` (the store down).
STORE_RETRY_AFTER = 5
#: Seconds to wait (``Retry-After``) for codes that always say it, unless ``wait`` is given.
WAIT_OF_CODE = {"replay_store_unavailable": STORE_RETRY_AFTER}


class ServiceError(Exception):
    default_status = 400

    def __init__(self, code: str, detail: str, *, http_status: int | None = None, **extra):
        self.code = code
        self.detail = detail
        self.http_status = http_status or STATUS_OF_CODE.get(code) or self.default_status
        if code in WAIT_OF_CODE:
            extra.setdefault("wait", WAIT_OF_CODE[code])
        self.extra = extra  # more members of the error body; ``wait`` becomes Retry-After
        super().__init__(detail)


class FlowError(ServiceError):
    """A login flow refused (wrong password or code, expired challenge, bad remember token)."""

    default_status = 401


class SecondFactorError(ServiceError):
    """Enrolling or removing a second factor refused: a state conflict (409), or a wrong code
    from a signed-in user (403: they are authenticated, the code is not)."""

    default_status = 409

    def __init__(self, code: str, detail: str, **kwargs):
        if code == "otp_invalid":
            kwargs.setdefault("http_status", 403)
        super().__init__(code, detail, **kwargs)


class KeyServiceError(ServiceError):
    """A key lifecycle operation that cannot be done (bad public key, revoked key...)."""

    default_status = 400
