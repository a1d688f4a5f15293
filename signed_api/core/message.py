"""A framework-neutral view of one HTTP message, as RFC 9421 needs to see it.

Adapters (the Django authentication class, the requests/httpx client) build a :class:`Message`
from their own request objects; the signature base is then computed from this view only, so the
client and the server cannot disagree about what a component means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

__all__ = ["Message", "normalize_authority", "split_joined_value"]

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalize_authority(scheme: str | None, authority: str) -> str:
    """RFC 9421 §2.2.3 / RFC 9110 §4.2.3: lower-case host, default port removed."""
    authority = authority.strip().lower()
    if "@" in authority:  # userinfo is never part of @authority
        authority = authority.rsplit("@", 1)[1]
    default = _DEFAULT_PORTS.get((scheme or "").lower())
    if default and authority.endswith(":" + default):
        host = authority[: -len(default) - 1]
        if host and (not host.startswith("[") or host.endswith("]")):
            authority = host
    return authority


def split_joined_value(value: str) -> list[str] | None:
    """The field lines a value joined by a server may have come from: one per comma, each
    trimmed (``"a,b"`` -> ``["a", "b"]``); ``None`` when there is no comma to split at."""
    if "," not in value:
        return None
    return [part.strip(" \t") for part in value.split(",")]


class Message:
    """An HTTP request or response.

    ``path`` is the raw, still percent-encoded path as it appeared in the request target;
    ``query`` the raw query string without its ``?`` (``None`` when the target had no ``?``).
    ``headers`` may repeat a name: each pair is one field line, kept in order.
    A response may carry the ``request`` it answers, for components with the ``req`` flag.
    """

    __slots__ = (
        "method",
        "scheme",
        "authority",
        "path",
        "query",
        "status",
        "body",
        "request",
        "_fields",
        "target_uri_override",
    )

    def __init__(
        self,
        *,
        method: str | None = None,
        scheme: str | None = None,
        authority: str | None = None,
        path: str | None = None,
        query: str | None = None,
        status: int | None = None,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes | None = None,
        request: Message | None = None,
        target_uri: str | None = None,
    ):
        self.method = method
        self.scheme = scheme.lower() if scheme else scheme
        self.authority = normalize_authority(scheme, authority) if authority is not None else None
        self.path = path
        self.query = query
        self.status = status
        self.body = body
        self.request = request
        self.target_uri_override = target_uri
        fields: dict[str, list[str]] = {}
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            fields.setdefault(name.lower(), []).append(value)
        self._fields = fields

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_url(
        cls,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes | None = b"",
    ) -> Message:
        """A request for an absolute URL, with the path and query kept exactly as written."""
        parts = urlsplit(url)
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"not an absolute URL: {url!r}")
        # urlsplit cannot tell "/p?" from "/p": look for the "?" ourselves.
        before_fragment = url.split("#", 1)[0]
        query = parts.query if "?" in before_fragment else None
        return cls(
            method=method,
            scheme=parts.scheme,
            authority=parts.netloc,
            path=parts.path,
            query=query,
            headers=headers,
            body=body,
        )

    @classmethod
    def for_response(
        cls,
        status: int,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes | None = b"",
        request: Message | None = None,
    ) -> Message:
        return cls(status=status, headers=headers, body=body, request=request)

    # -- access -----------------------------------------------------------------------------
    @property
    def is_request(self) -> bool:
        return self.status is None

    def field_lines(self, name: str) -> list[str] | None:
        """The values of every field line named ``name`` (lower-case), or ``None`` if absent."""
        return self._fields.get(name)

    def field_value(self, name: str) -> str | None:
        """RFC 9110 §5.3 combined value: each line trimmed, joined with ``", "``."""
        lines = self._fields.get(name)
        if lines is None:
            return None
        return ", ".join(line.strip(" \t") for line in lines)

    def server_joined_lines(self, name: str) -> list[str] | None:
        """The field lines of ``name`` as they may have been sent, when the server that handed
        the message over joined repeated lines into one value and the separator it used is no
        longer known (WSGI servers join with ``","``, some with ``", "``); ``None`` when the
        lines are as sent. The default: they are."""
        return None

    def set_field(self, name: str, value: str) -> None:
        self._fields[name.lower()] = [value]

    @property
    def target_uri(self) -> str | None:
        if self.target_uri_override is not None:
            return self.target_uri_override
        if self.scheme is None or self.authority is None:
            return None
        query = "" if self.query is None else "?" + self.query
        return f"{self.scheme}://{self.authority}{self.path or '/'}{query}"

    def __repr__(self) -> str:  # never includes header values: they may carry credentials
        if self.is_request:
            return f"<Message {self.method} {self.authority}{self.path}>"
        return f"<Message {self.status}>"
