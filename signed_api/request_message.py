"""Turning a Django ``HttpRequest`` into a core :class:`~signed_api.core.Message`.

``@path`` and ``@query`` must be the raw, still-encoded request target the client signed,
not Django's decoded ``path``. Servers hand it over differently:

- gunicorn: ``RAW_URI``; uWSGI (and others): ``REQUEST_URI`` — both ``path?query`` as sent
  (an absolute-form target ``http://host/p?q`` is reduced to its path and query, and
  ``http://host?q`` to ``/`` and ``q``);
- ASGI: ``scope["raw_path"]`` (bytes, without the query) and ``scope["query_string"]``;
- otherwise (Django's test client, runserver): ``SCRIPT_NAME + PATH_INFO`` re-encoded as UTF-8
  with the characters RFC 3986 allows in a path left alone, and the raw ``QUERY_STRING``. This
  canonical form is what ``requests``, ``httpx`` and our clients send; a client that encodes
  differently (``%7E`` for ``~``) must be served by a server that passes the raw target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .core import Message
from .core.message import normalize_authority, split_joined_value

# RFC 3986 pchar and "/": what a client may leave unencoded in a path.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def origin_form(target: str) -> str:
    """``target`` without the ``scheme://authority`` of an absolute-form target (RFC 9112
    §3.2.2, what a client sends to a forward proxy): from the first "/", "?" or "#" after the
    authority on, or "/" when nothing follows it (an empty path is "/", RFC 9421 §2.2.6; the
    query stays what it is: ``http://host?x=1`` delivers, and signs, ``?x=1``). An origin-form
    target comes back as it is."""
    if target.startswith("/") or "://" not in target.split("?", 1)[0]:
        return target
    after_scheme = target.split("://", 1)[1]
    end = min((i for i in map(after_scheme.find, "/?#") if i >= 0), default=-1)
    return "/" if end < 0 else after_scheme[end:]


def _raw_target(meta, request) -> tuple[str, str | None]:
    raw = meta.get("RAW_URI") or meta.get("REQUEST_URI")
    if raw:
        path, sep, target_query = origin_form(raw).split("#", 1)[0].partition("?")
        return path or "/", (target_query if sep else None)
    scope = getattr(request, "scope", None)
    if scope is not None:
        query_string = scope.get("query_string") or b""
        if isinstance(query_string, bytes):  # Django's AsyncRequestFactory gives a str
            query_string = query_string.decode("latin-1")
        query = query_string or None
        if scope.get("raw_path") is not None:
            return scope["raw_path"].decode("latin-1"), query
        # No raw_path (it is optional in ASGI): "path" is decoded, as UTF-8 by servers, but
        # byte-for-byte as Latin-1 by Django's AsyncRequestFactory. A Latin-1 reading that is
        # valid UTF-8 is the latter; anything else the former.
        decoded = scope.get("path", "")  # root_path is already part of it
        try:
            raw = decoded.encode("latin-1")
            raw.decode("utf-8")
        except UnicodeError:
            raw = decoded.encode("utf-8", "surrogateescape")
        return quote(raw, safe=_PATH_SAFE) or "/", query
    # Django's WSGIRequest has already replaced PATH_INFO (and SCRIPT_NAME) with the path
    # decoded as UTF-8: encode it back the same way, percent-encoding what RFC 3986 does not
    # allow in a path (a literal "%" included, which the client sent as "%25").
    path_info = meta.get("SCRIPT_NAME", "") + meta.get("PATH_INFO", "")
    path = quote(path_info.encode("utf-8", "surrogateescape"), safe=_PATH_SAFE)
    query = meta.get("QUERY_STRING", "")
    return path or "/", (query if query else None)


class DjangoMessage(Message):
    """A :class:`Message` whose header fields are read from ``request.META`` on demand.

    A field sent on several lines reaches ``META`` as one value the server joined: gunicorn,
    Django's development server and Django's ASGI handler join with ``","``, others with
    ``", "``, and RFC 9421 §2.1 signs the lines joined with ``", "``. Under ASGI the lines are
    read from ``scope["headers"]``, exactly as sent; under WSGI a value with a comma may be
    such a join, and :meth:`server_joined_lines` offers the verifier the lines it would then
    have been (tried only when the value as it is does not verify).
    """

    __slots__ = ("_meta", "_raw_lines")
    _meta: Mapping[str, Any]  # request.META
    _raw_lines: dict[str, list[str]] | None  # the ASGI header lines, None under WSGI

    def field_lines(self, name: str):
        lines = self._fields.get(name)
        if lines is not None:
            return lines
        raw_lines = self._raw_lines
        if raw_lines is not None:
            return raw_lines.get(name)
        meta = self._meta
        if name == "content-type":
            value = meta.get("CONTENT_TYPE")
        elif name == "content-length":
            value = meta.get("CONTENT_LENGTH")
            value = value or None
        else:
            value = meta.get("HTTP_" + name.upper().replace("-", "_"))
        if value is None:
            return None
        return [value]

    def server_joined_lines(self, name: str):
        if self._raw_lines is not None or name in self._fields:
            return None  # the lines as they were sent
        lines = self.field_lines(name)
        if lines is None or len(lines) != 1:
            return None
        return split_joined_value(lines[0])

    def field_value(self, name: str):
        lines = self.field_lines(name)
        if lines is None:
            return None
        return lines[0].strip(" \t") if len(lines) == 1 else ", ".join(
            line.strip(" \t") for line in lines
        )


def message_from_request(request, body: bytes) -> DjangoMessage:
    """The core view of a Django request (``body``: its raw bytes, read before parsing)."""
    meta = request.META
    path, query = _raw_target(meta, request)
    scheme = request.scheme
    message = DjangoMessage(
        method=request.method,
        scheme=scheme,
        authority=None,
        path=path,
        query=query,
        body=body,
    )
    # get_host() validates against ALLOWED_HOSTS and honours USE_X_FORWARDED_HOST.
    message.authority = normalize_authority(scheme, request.get_host())
    message._meta = meta
    message._raw_lines = _asgi_field_lines(request)
    return message


def _asgi_field_lines(request) -> dict[str, list[str]] | None:
    """Every header line of an ASGI request, by lower-case name, as sent (``None`` for WSGI)."""
    scope = getattr(request, "scope", None)
    headers = scope.get("headers") if isinstance(scope, dict) else None
    if headers is None:
        return None
    lines: dict[str, list[str]] = {}
    for name, value in headers:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        lines.setdefault(name.lower(), []).append(value)
    return lines
