"""A request body limit for ASGI, where Django reads the whole body before any code of ours runs.

Under WSGI the body stays on the socket until something reads it, so a ``Content-Length`` over
the limit is refused (413) with nothing read, and a body of unknown length is read up to the
limit and one byte more. Django's ``ASGIHandler`` instead copies every body into a temporary
file (spilling to disk past ``FILE_UPLOAD_MAX_MEMORY_SIZE``) before the middleware, the views or
the parsers see the request: a client declaring a gigabyte is read, and written to disk, to the
end before it is refused. :func:`get_asgi_application` (or :class:`RequestBodyLimit` around any
ASGI application) restores the WSGI behaviour:

- a declared ``Content-Length`` over the limit reaches Django with an empty body: the parsers,
  ``request.body`` and the Oblivious HTTP gateway refuse the declared size as they do under
  WSGI (the signed ``413 request_too_large`` or ``ohttp_request_too_large``), and nothing of the
  body is read;
- a body of unknown length (chunked) is handed on up to the limit and one byte more, then ends
  there: the same checks see it is over and refuse it. The rest is never buffered.

The limit, by default, is the larger of ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and the gateway's
``OHTTP_MAX_REQUEST_BYTES`` (no limit when ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is ``None``). Django's
setting does not count uploaded files: a project that takes larger uploads under ASGI passes
``max_body_bytes`` (or ``None``) and limits the size in its proxy instead.

    # asgi.py
    from signed_api.asgi import get_asgi_application
    application = get_asgi_application()
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .request_message import origin_form

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # (scope, receive, send); Django's has its own types

#: ``max_body_bytes`` left to the settings (:func:`default_limit`, read on each request).
FROM_SETTINGS: Any = object()


def default_limit() -> int | None:
    """The larger of ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and ``OHTTP_MAX_REQUEST_BYTES``, or ``None``
    when the first is ``None`` (the project set no limit)."""
    from django.conf import settings

    from .conf import signed_api_settings

    data = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if data is None:
        return None
    return max(int(data), int(signed_api_settings.OHTTP_MAX_REQUEST_BYTES))


def get_asgi_application(*, max_body_bytes: int | None = FROM_SETTINGS) -> RequestBodyLimit:
    """Django's ``get_asgi_application()`` inside :class:`RequestBodyLimit` and
    :class:`OriginFormTarget`."""
    from django.core.asgi import get_asgi_application as django_asgi_application

    return RequestBodyLimit(
        OriginFormTarget(django_asgi_application()), max_body_bytes=max_body_bytes
    )


class OriginFormTarget:
    """ASGI middleware: a request target in absolute-form (``GET http://host/path``, what a
    client sends to a forward proxy, and which RFC 9112 §3.2.2 says a server must accept)
    reaches the application as its path, ``/path``, as gunicorn and uvicorn's httptools parser
    give it. uvicorn's h11 parser hands the whole URL on as the path, which Django resolved to
    no view: a 404 with no code, outside the app's URLs and so unsigned. The ``Host`` header is
    left as it came (what ``ALLOWED_HOSTS`` and the signature's ``@authority`` are checked
    against, as under gunicorn)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope.get("type") == "http" and isinstance(path, str) and origin_form(path) != path:
            scope = {**scope, "path": origin_form(path)}
            raw = scope.get("raw_path")
            if isinstance(raw, bytes):
                scope["raw_path"] = origin_form(raw.decode("latin-1")).encode("latin-1")
        await self.app(scope, receive, send)


class RequestBodyLimit:
    """ASGI middleware: an HTTP request's body reaches ``app`` only up to ``max_body_bytes``
    (and one byte more, so the application can tell it was over); a declared ``Content-Length``
    over it reaches ``app`` with an empty body. Other scopes (``lifespan``, ``websocket``) pass
    untouched."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int | None = FROM_SETTINGS):
        if max_body_bytes is not FROM_SETTINGS and max_body_bytes is not None:
            if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
                raise TypeError("max_body_bytes must be an int or None")
            if max_body_bytes < 0:
                raise ValueError("max_body_bytes must not be negative")
        self.app = app
        self.max_body_bytes = max_body_bytes

    def limit(self) -> int | None:
        if self.max_body_bytes is FROM_SETTINGS:
            return default_limit()
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared <= limit:
            # The server frames the body by its Content-Length: no more than that arrives.
            await self.app(scope, receive, send)
            return
        # A copy of the scope, whose headers gain a Content-Length of limit + 1 when a body of
        # unknown length is cut there: Django builds the request from the headers after it has
        # read the body, so the parsers and request.body refuse the size as a declared one (DRF
        # reads no body at all from a request without Content-Length).
        scope = {**scope, "headers": list(scope.get("headers") or ())}
        limited = _LimitedReceive(receive, limit, skip=declared is not None, scope=scope)
        await self.app(scope, limited, limited.watch(send))


def _declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length`` as a number, or ``None`` (absent, repeated with other
    values, or not a number: the body is then counted as it comes)."""
    found = None
    for name, value in scope.get("headers") or ():
        if bytes(name).lower() != b"content-length":
            continue
        text = bytes(value).strip()
        if not text.isdigit() or (found is not None and int(text) != found):
            return None
        found = int(text)
    return found


class _LimitedReceive:
    """The ``receive`` handed to the application: the body up to ``limit + 1`` bytes (none at
    all when ``skip``), then the end of the body. The rest is never asked of the server: an
    application that asks for more (Django 5 listens for a disconnect while the view runs) waits
    until its answer is sent, then gets ``http.disconnect`` (the server closes a connection
    whose body was left unread)."""

    def __init__(self, receive: Receive, limit: int, *, skip: bool, scope: Scope):
        self._receive = receive
        self._scope = scope
        self._limit = limit
        self._left = limit + 1
        self._skip = skip
        self._cut = False
        self._answered = asyncio.Event()

    def watch(self, send: Send) -> Send:
        async def watched(message: Message) -> None:
            try:
                await send(message)
            finally:
                if message.get("type") == "http.response.body" and not message.get(
                    "more_body", False
                ):
                    self._answered.set()

        return watched

    async def __call__(self) -> Message:
        if self._cut:
            await self._answered.wait()
            return {"type": "http.disconnect"}
        if self._skip:
            self._cut = True
            return {"type": "http.request", "body": b"", "more_body": False}
        message = await self._receive()
        if message.get("type") != "http.request":
            return message
        body = message.get("body", b"")
        if len(body) < self._left:
            self._left -= len(body)
            return message
        # This message reaches (or passes) limit + 1 bytes: it ends the body as the app sees it.
        kept = body[: self._left]
        self._left = 0
        headers = [
            (k, v) for k, v in self._scope["headers"] if bytes(k).lower() != b"content-length"
        ]
        total = str(self._limit + 1).encode("ascii")  # what the application is handed in all
        self._scope["headers"] = [*headers, (b"content-length", total)]
        self._cut = bool(message.get("more_body", False))
        return {"type": "http.request", "body": kept, "more_body": False}
