"""Oblivious HTTP (RFC 9458) for the client: each request, signed as usual, is encrypted whole to
the server's gateway key, so a proxy on the way sees only the gateway's URL and sizes.

    from signed_api.client import SignatureAuth, ohttp_session

    with ohttp_session("https://api.example.com", auth=auth) as http:
        note = http.post("https://api.example.com/api/notes/", json={"text": "hi"}).json()

``SignatureAuth`` signs the inner request exactly as it would in the clear (method, authority,
path, query, ``Content-Digest``); the adapter encodes the signed request as a Binary HTTP
message (RFC 9292), encapsulates it with HPKE (RFC 9180) to one of the keys the gateway
publishes at ``/.well-known/ohttp-gateway`` (RFC 9540), POSTs it as ``message/ohttp-req`` and
opens the ``message/ohttp-res`` answer. The response handed back is the *inner* one: its status,
headers and body, with the signed request as ``response.request``, so
``auth.verify_response(response)`` checks the server's signature on it as it would in the clear.

- :class:`OHTTPAdapter` does this for ``requests`` (mount it on a ``requests.Session``, or use
  :func:`ohttp_session`); :class:`OHTTPTransport` and :class:`AsyncOHTTPTransport` for ``httpx``.
- ``padding=N`` pads every inner request to a multiple of ``N`` bytes, so that sizes say less.
- A gateway that no longer knows the key (RFC 9458 §5.3's ``ohttp-key`` problem) makes the client
  fetch the key configurations again and retry once; any other answer that is not an
  encapsulated response raises :class:`OHTTPError`, whose message names only the gateway URL,
  the outer status and a code, never anything of the inner request or response.
- ``relay_url``: send the encapsulated requests to an OHTTP relay, which forwards them to the
  gateway (the relay sees the client's address, the gateway does not).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..core import SignatureError, bhttp
from ..core import hpke as _hpke
from ..core import ohttp as _ohttp
from ..core.ohttp import KEYS_MEDIA_TYPE, REQUEST_MEDIA_TYPE, RESPONSE_MEDIA_TYPE, KeyConfig
from .refusals import ClientError

try:  # the ``client`` extra; each class needs only its own library
    import requests
    from requests.adapters import BaseAdapter as _RequestsAdapter
    from requests.sessions import merge_setting
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers
except ImportError:  # pragma: no cover - exercised only without the extra
    _RequestsAdapter = object  # type: ignore[assignment,misc]
try:
    import httpx

    _HttpxTransport: type = httpx.BaseTransport
    _AsyncHttpxTransport: type = httpx.AsyncBaseTransport
except ImportError:  # pragma: no cover - exercised only without the extra
    _HttpxTransport = _AsyncHttpxTransport = object

__all__ = [
    "GATEWAY_PATH",
    "KEY_PROBLEM_TYPE",
    "AsyncOHTTPTransport",
    "OHTTPAdapter",
    "OHTTPError",
    "OHTTPTransport",
    "choose_config",
    "fetch_key_configs",
    "gateway_url_for",
    "ohttp_session",
]

#: Where the gateway is, on the origin of the service (RFC 9540).
GATEWAY_PATH = "/.well-known/ohttp-gateway"
#: RFC 9458 §5.3: the problem type of a 400 for a key configuration the gateway does not have.
KEY_PROBLEM_TYPE = "https://iana.org/assignments/http-problem-types#ohttp-key"
#: How long fetched key configurations are used when the gateway's answer names no max-age.
DEFAULT_KEY_LIFETIME = 3600.0
#: Connection-specific fields: they describe one hop, and have no place in the encapsulated
#: message (RFC 9292 §3.8, RFC 9110 §7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"}
)


class OHTTPError(ClientError):
    """The gateway gave no encapsulated response that opens. ``status`` is the outer HTTP status
    (``None`` when the answer was a 200 that could not be opened), ``code`` says why:

    - ``ohttp_key``: the gateway refused the key configuration, even after fetching them anew;
    - ``key_configs_unusable``: the gateway publishes no configuration this client supports;
    - ``gateway_refused``: any other outer status (or the gateway's own error code, when its
      answer carries one, such as ``ohttp_malformed``);
    - ``not_ohttp``: a 200 that is not ``message/ohttp-res``;
    - ``ohttp_malformed``, ``ohttp_decryption_failed``, ``binary_http_malformed``: the answer
      does not open, or its content is no Binary HTTP response.

    ``key_request`` is true when it was the answer to the key configuration request (``GET``
    of the gateway URL) that was not a usable ``application/ohttp-keys``, whatever its status:
    most likely, the URL is not a gateway at all.

    The message names the gateway URL, the status and the code only."""

    def __init__(
        self, message: str, *, code: str, status: int | None = None, key_request: bool = False
    ):
        super().__init__(message)
        self.code = code
        self.status = status
        self.key_request = key_request


# -- URLs ---------------------------------------------------------------------------------------
def gateway_url_for(url: str) -> str:
    """The gateway of the service at ``url``: its origin and ``/.well-known/ohttp-gateway``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, GATEWAY_PATH, "", ""))


def _host_of(url: str) -> tuple[str, str]:
    """``(scheme, host[:port])`` of an absolute URL, lowercased, userinfo left out."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rpartition("@")[2].lower()


def _split_target(url: str) -> tuple[str, str, str]:
    """``(scheme, authority, target)`` of an absolute URL, with the path and query exactly as
    written (what ``SignatureAuth`` signed); no userinfo, no fragment."""
    before_fragment = url.split("#", 1)[0]
    parts = urlsplit(before_fragment)
    if not parts.scheme or not parts.netloc:
        raise ValueError("the request URL is not absolute")
    prefix = f"{parts.scheme}://{parts.netloc}"
    if not before_fragment.lower().startswith(prefix.lower()):  # pragma: no cover - defensive
        raise ValueError("the request URL cannot be split")
    target = before_fragment[len(prefix):] or "/"
    if not target.startswith("/"):  # "http://host?q" has an empty path
        target = "/" + target
    return parts.scheme.lower(), parts.netloc.rpartition("@")[2], target


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _max_age(cache_control: str | None) -> float | None:
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", cache_control or "", re.I)
    return float(match.group(1)) if match else None


# -- key configurations --------------------------------------------------------------------------
def choose_config(configs: Iterable[KeyConfig]) -> tuple[KeyConfig, tuple[int, int]]:
    """The first configuration, in the gateway's order, with a KEM and a (KDF, AEAD) pair that
    :mod:`signed_api.core.hpke` implements, and the first such pair of it (the gateway lists
    what it prefers first). Raises :class:`OHTTPError` (``key_configs_unusable``)."""
    for config in configs:
        if config.kem_id not in _hpke.supported_kems():
            continue
        suites = config.supported_suites()
        if suites:
            return config, suites[0]
    raise OHTTPError(
        "the gateway offers no key configuration this client supports",
        code="key_configs_unusable",
    )


def _decode_configs(status: int, content_type: str | None, data: bytes, url: str):
    if status != 200:
        raise OHTTPError(
            f"the gateway {url} answered HTTP {status} to the key configuration request",
            code="gateway_refused", status=status, key_request=True,
        )  # fmt: skip
    if _media_type(content_type) != KEYS_MEDIA_TYPE:
        raise OHTTPError(
            f"the gateway {url} did not answer with {KEYS_MEDIA_TYPE}",
            code="key_configs_unusable", status=status, key_request=True,
        )  # fmt: skip
    try:
        configs = _ohttp.decode_key_configs(data)
    except SignatureError as exc:
        raise OHTTPError(
            f"the key configurations of {url} do not decode ({exc.code})",
            code="key_configs_unusable", status=status, key_request=True,
        ) from None  # fmt: skip
    try:
        choose_config(configs)  # at least one usable
    except OHTTPError as exc:
        exc.key_request = True
        raise
    return configs


def fetch_key_configs(
    gateway_url: str, session: Any = None, *, timeout: float | None = 30.0
) -> list[KeyConfig]:
    """``GET`` the gateway's key configurations (``application/ohttp-keys``, RFC 9458 §3.2)
    with ``requests`` (``session``: a ``requests.Session`` to use). Raises
    :class:`OHTTPError` when the answer is not one, or none is usable (:func:`choose_config`)."""
    http = session if session is not None else requests
    response = http.get(gateway_url, headers={"Accept": KEYS_MEDIA_TYPE}, timeout=timeout)
    return _decode_configs(
        response.status_code, response.headers.get("Content-Type"), response.content, gateway_url
    )


@dataclass
class _KeyConfigs:
    """The configurations in use and until when; fetched lazily, again when they expire or when
    the gateway no longer knows the one used."""

    pinned: bool = False
    configs: list[KeyConfig] = field(default_factory=list)
    expires: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> tuple[KeyConfig, tuple[int, int]] | None:
        if self.configs and (self.pinned or time.monotonic() < self.expires):
            return choose_config(self.configs)
        return None

    def store(self, configs: list[KeyConfig], cache_control: str | None) -> None:
        lifetime = _max_age(cache_control)
        self.configs = configs
        self.expires = time.monotonic() + (DEFAULT_KEY_LIFETIME if lifetime is None else lifetime)

    def forget(self) -> None:
        self.expires = 0.0


# -- the shared work: encoding, encapsulation, the outer answer ----------------------------------
class _Gateway:
    def __init__(
        self,
        gateway_url: str,
        *,
        relay_url: str | None,
        padding: int,
        key_configs: Iterable[KeyConfig] | None,
    ):
        gateway_url_for(gateway_url)  # an absolute http(s) URL
        if padding < 0:
            raise ValueError("padding is a number of bytes, 0 for none")
        self.gateway_url = gateway_url
        self.post_url = relay_url or gateway_url
        self.padding = padding
        pinned = list(key_configs) if key_configs is not None else []
        if pinned:
            choose_config(pinned)
        self.keys = _KeyConfigs(pinned=bool(pinned), configs=pinned)

    def encode(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str | bytes, str | bytes]],
        body: bytes,
    ) -> bytes:
        """The Binary HTTP request, padded with zeros to a multiple of ``padding`` bytes."""
        scheme, authority, target = _split_target(url)
        lines: list[tuple[str, str]] = []
        for name, value in headers:
            name = name.decode("latin-1") if isinstance(name, bytes) else name
            value = value.decode("latin-1") if isinstance(value, bytes) else value
            name = name.lower()
            if name in HOP_BY_HOP:
                continue
            if name == "content-length":
                # The length of the content as sent: requests 2.31 (and any with urllib3 1.x)
                # counts the characters of a str body, which goes out as UTF-8, and the
                # gateway refuses a Content-Length that is not the content's.
                if any(line[0] == "content-length" for line in lines):
                    continue
                value = str(len(body))
            lines.append((name, value))
        message = bhttp.Request(
            method=method, scheme=scheme, authority=authority, path=target,
            headers=tuple(lines), content=body,
        )  # fmt: skip
        try:
            data = bhttp.encode_request(message)
        except SignatureError as exc:  # e.g. a field value with a line break
            raise ValueError(f"the request cannot be encoded as Binary HTTP ({exc.code})") from None
        if self.padding > 1 and len(data) % self.padding:
            data += bytes(self.padding - len(data) % self.padding)  # RFC 9292 §3.8
        return data

    def seal(self, inner: bytes, config: tuple[KeyConfig, tuple[int, int]]):
        key_config, suite = config
        try:
            return _ohttp.encapsulate_request(key_config, inner, suite=suite)
        except SignatureError as exc:
            raise OHTTPError(
                f"cannot encapsulate to the key configuration of {self.gateway_url} ({exc.code})",
                code="key_configs_unusable",
            ) from None

    def open(self, context, status: int, content_type: str | None, data: bytes) -> bhttp.Response:
        """The inner response of a 200 ``message/ohttp-res``, or :class:`OHTTPError`."""
        if _media_type(content_type) != RESPONSE_MEDIA_TYPE:
            raise OHTTPError(
                f"the gateway {self.post_url} answered HTTP 200 without {RESPONSE_MEDIA_TYPE}",
                code="not_ohttp", status=status,
            )  # fmt: skip
        try:
            return bhttp.decode_response(context.decapsulate_response(data))
        except SignatureError as exc:
            raise OHTTPError(
                f"the answer of the gateway {self.post_url} does not open ({exc.code})",
                code=exc.code,
            ) from None

    @staticmethod
    def is_key_problem(status: int, content_type: str | None, data: bytes) -> bool:
        if status != 400 or _media_type(content_type) != "application/problem+json":
            return False
        try:
            problem = json.loads(data)
        except ValueError:
            return False
        # RFC 9458's problem type; signed_api's own gateway also says it with its error code.
        return isinstance(problem, dict) and (
            problem.get("type") == KEY_PROBLEM_TYPE or problem.get("code") == "ohttp_unknown_key"
        )

    def refetches(self, status: int, content_type: str | None, data: bytes) -> bool:
        """Whether to fetch the configurations again and send once more: after a key problem,
        unless they are pinned. Nothing the network says replaces configurations given out of
        band: a proxy that answered an unsigned "key identifier unknown" would otherwise serve
        its own configuration next, and read the request sealed to it."""
        return not self.keys.pinned and self.is_key_problem(status, content_type, data)

    def refused(self, status: int, content_type: str | None, data: bytes, *, retried: bool):
        if self.keys.pinned and self.is_key_problem(status, content_type, data):
            return OHTTPError(
                f"the gateway {self.post_url} does not accept the key configuration given out "
                "of band (key_configs=): get its new one out of band too",
                code="ohttp_key", status=status,
            )  # fmt: skip
        if self.is_key_problem(status, content_type, data):
            return OHTTPError(
                f"the gateway {self.post_url} does not accept its own key configuration"
                + (" (fetched again)" if retried else ""),
                code="ohttp_key", status=status,
            )  # fmt: skip
        code = "gateway_refused"
        if _media_type(content_type) in ("application/json", "application/problem+json"):
            try:
                answer = json.loads(data)
            except ValueError:
                answer = None
            given = answer.get("code") if isinstance(answer, dict) else None
            if isinstance(given, str) and re.fullmatch(r"[a-z0-9_]{1,64}", given):
                code = given
        return OHTTPError(
            f"the gateway {self.post_url} answered HTTP {status} ({code})",
            code=code, status=status,
        )  # fmt: skip

    @staticmethod
    def outer_headers() -> dict[str, str]:
        return {"Content-Type": REQUEST_MEDIA_TYPE, "Accept": RESPONSE_MEDIA_TYPE}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError("a streamed request body cannot be sent through the gateway; give bytes")


# -- requests --------------------------------------------------------------------------------------
class OHTTPAdapter(_RequestsAdapter):
    """A ``requests`` transport adapter that sends each request through the gateway.

    Mount it on a session (``session.mount("https://", adapter)``) or use :func:`ohttp_session`.
    The request reaching it is already prepared, signed by the session's ``auth``, and is sent
    encrypted, headers and body included (connection-specific fields left out). The outer
    requests (the key configurations, and the POSTs) go through ``outer``, a
    ``requests.Session`` of the adapter's own unless one is given; the session's ``proxies``,
    ``verify`` and ``cert`` apply to them.

    ``key_configs``: configurations obtained out of band, used instead of fetching them.
    """

    def __init__(
        self,
        gateway_url: str,
        *,
        relay_url: str | None = None,
        padding: int = 0,
        key_configs: Iterable[KeyConfig] | None = None,
        outer: Any = None,
    ):
        super().__init__()
        self._gateway = _Gateway(
            gateway_url, relay_url=relay_url, padding=padding, key_configs=key_configs
        )
        self._own_outer = outer is None
        self.outer = requests.Session() if outer is None else outer
        self._template: tuple[tuple, Any] | None = None  # see _post

    @property
    def gateway_url(self) -> str:
        return self._gateway.gateway_url

    def _config(self, *, force: bool, **send: Any):
        keys = self._gateway.keys
        with keys.lock:
            if force:
                keys.forget()
            current = None if force else keys.current()
            if current is not None:
                return current
            if keys.pinned and not force:  # pragma: no cover - current() covers it
                return choose_config(keys.configs)
            response = self.outer.get(
                self._gateway.gateway_url, headers={"Accept": KEYS_MEDIA_TYPE}, **send
            )
            configs = _decode_configs(
                response.status_code, response.headers.get("Content-Type"), response.content,
                self._gateway.gateway_url,
            )  # fmt: skip
            keys.store(configs, response.headers.get("Cache-Control"))
            keys.pinned = False
            return choose_config(configs)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        gateway = self._gateway
        inner = gateway.encode(
            request.method, request.url, request.headers.items(), _body_bytes(request.body)
        )
        send = {"timeout": timeout, "verify": verify, "cert": cert, "proxies": proxies}
        for attempt in (0, 1):
            sealed, context = gateway.seal(inner, self._config(force=attempt > 0, **send))
            outer = self._post(request.url, sealed, send)
            status, content_type = outer.status_code, outer.headers.get("Content-Type")
            data = outer.content
            outer.close()
            if status == 200:
                return self._response(request, gateway.open(context, status, content_type, data))
            if attempt == 0 and gateway.refetches(status, content_type, data):
                continue  # the gateway has new keys: fetch them, encapsulate again
            raise gateway.refused(status, content_type, data, retried=attempt > 0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, inner_url: str, sealed: bytes, send: dict):
        """The outer POST of one encapsulated request.

        ``Session.post`` would prepare it anew and look up the environment (proxy variables,
        ``.netrc``, CA bundle) for every request: ~150 µs, more than the encryption. Here the
        request is prepared once (the outer session's headers, hooks and ``.netrc`` login, as
        ``prepare_request`` merges them; again whenever its headers or hooks change) and copied
        with each body, and the inner request's ``proxies``, ``verify`` and ``cert`` (merged
        with the environment already, by the session that sent it) are merged with the outer
        session's own. That is what ``Session.post`` would send when the gateway is on the
        inner request's own host. Otherwise (a relay elsewhere, whose proxy settings may
        differ), or when the outer session has an ``auth`` of its own (it may sign each body)
        or cookies (a relay's), it is ``Session.post`` as before."""
        outer, url = self.outer, self._gateway.post_url
        if (
            outer.auth is not None
            or len(outer.cookies)
            or _host_of(url) != _host_of(inner_url)
        ):
            return outer.post(
                url, data=sealed, headers=self._gateway.outer_headers(), allow_redirects=False,
                **send,
            )  # fmt: skip
        shape = (url, tuple(outer.headers.items()),
                 tuple((name, tuple(hooks)) for name, hooks in outer.hooks.items()))
        template = self._template
        if template is None or template[0] != shape:
            prepared = outer.prepare_request(requests.Request(
                "POST", url, headers=self._gateway.outer_headers(), data=b"",
            ))  # fmt: skip
            template = self._template = (shape, prepared)
        prepared = template[1].copy()
        prepared.prepare_body(sealed, None)
        verify = send.get("verify")
        return outer.send(
            prepared,
            timeout=send.get("timeout"),
            verify=outer.verify if verify is None else verify,
            cert=send.get("cert") or outer.cert,
            proxies=merge_setting(send.get("proxies"), outer.proxies),
            stream=False,
            allow_redirects=False,
        )

    def _response(self, request, inner: bhttp.Response):
        response = requests.Response()
        response.status_code = inner.status
        response.reason = _reason(inner.status)
        response.headers = CaseInsensitiveDict(_joined(inner.headers))
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = inner.content
        response._content_consumed = True
        response.raw = io.BytesIO(inner.content)
        response.url = request.url
        response.request = request
        response.connection = self  # type: ignore[assignment]  # typed as the HTTPAdapter
        return response

    def close(self) -> None:
        if self._own_outer:
            self.outer.close()


def _joined(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated field lines combined with ", " (as urllib3 does for ``requests``)."""
    joined: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, value in lines:
        key = name.lower()
        if key in names:
            joined[names[key]] += ", " + value
        else:
            names[key] = name
            joined[name] = value
    return joined


def ohttp_session(
    base_url: str,
    auth: Any = None,
    *,
    gateway_url: str | None = None,
    relay_url: str | None = None,
    padding: int = 0,
    key_configs: Iterable[KeyConfig] | None = None,
    outer: Any = None,
):
    """A ``requests.Session`` that sends every request through the gateway of ``base_url``
    (``<origin>/.well-known/ohttp-gateway`` unless ``gateway_url`` says otherwise), signed
    by ``auth`` when given. The adapter is mounted for ``http://`` and ``https://``: nothing
    leaves this session in the clear (the gateway refuses hosts it does not serve)."""
    session = requests.Session()
    adapter = OHTTPAdapter(
        gateway_url or gateway_url_for(base_url), relay_url=relay_url, padding=padding,
        key_configs=key_configs, outer=outer,
    )  # fmt: skip
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if auth is not None:
        session.auth = auth
    return session


# -- httpx -----------------------------------------------------------------------------------------
class _HttpxBase:
    _gateway: _Gateway

    def _inner(self, request) -> bytes:
        # httpx sends the Host field itself; inside, the authority says where it goes, and the
        # Host field stays as httpx set it (what the signature saw).
        return self._gateway.encode(
            request.method, str(request.url), request.headers.multi_items(), request.content
        )

    def _outer_request(self, data: bytes):
        return httpx.Request(
            "POST", self._gateway.post_url, headers=self._gateway.outer_headers(), content=data
        )

    def _keys_request(self):
        return httpx.Request("GET", self._gateway.gateway_url, headers={"Accept": KEYS_MEDIA_TYPE})

    def _store(self, response, data: bytes):
        configs = _decode_configs(
            response.status_code, response.headers.get("Content-Type"), data,
            self._gateway.gateway_url,
        )  # fmt: skip
        keys = self._gateway.keys
        keys.store(configs, response.headers.get("Cache-Control"))
        keys.pinned = False
        return choose_config(configs)

    @staticmethod
    def _response(request, inner: bhttp.Response):
        return httpx.Response(
            inner.status, headers=list(inner.headers), content=inner.content, request=request
        )


class OHTTPTransport(_HttpxBase, _HttpxTransport):
    """An ``httpx`` transport that sends each request through the gateway:
    ``httpx.Client(transport=OHTTPTransport(gateway_url), auth=auth)``. The outer requests go
    through ``outer`` (an ``httpx.HTTPTransport`` of its own unless one is given)."""

    def __init__(
        self,
        gateway_url: str,
        *,
        relay_url: str | None = None,
        padding: int = 0,
        key_configs: Iterable[KeyConfig] | None = None,
        outer: Any = None,
    ):
        self._gateway = _Gateway(
            gateway_url, relay_url=relay_url, padding=padding, key_configs=key_configs
        )
        self.outer = httpx.HTTPTransport() if outer is None else outer

    def _config(self, *, force: bool):
        keys = self._gateway.keys
        with keys.lock:
            if force:
                keys.forget()
            current = None if force else keys.current()
            if current is not None:
                return current
            response = self.outer.handle_request(self._keys_request())
            try:
                data = response.read()
            finally:
                response.close()
            return self._store(response, data)

    def handle_request(self, request):
        gateway = self._gateway
        request.read()
        inner = self._inner(request)
        for attempt in (0, 1):
            sealed, context = gateway.seal(inner, self._config(force=attempt > 0))
            outer = self.outer.handle_request(self._outer_request(sealed))
            try:
                data = outer.read()
            finally:
                outer.close()
            status, content_type = outer.status_code, outer.headers.get("Content-Type")
            if status == 200:
                return self._response(request, gateway.open(context, status, content_type, data))
            if attempt == 0 and gateway.refetches(status, content_type, data):
                continue
            raise gateway.refused(status, content_type, data, retried=attempt > 0)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.outer.close()


class AsyncOHTTPTransport(_HttpxBase, _AsyncHttpxTransport):
    """:class:`OHTTPTransport` for ``httpx.AsyncClient``; ``outer`` is an
    ``httpx.AsyncHTTPTransport`` of its own unless one is given."""

    def __init__(
        self,
        gateway_url: str,
        *,
        relay_url: str | None = None,
        padding: int = 0,
        key_configs: Iterable[KeyConfig] | None = None,
        outer: Any = None,
    ):
        self._gateway = _Gateway(
            gateway_url, relay_url=relay_url, padding=padding, key_configs=key_configs
        )
        self.outer = httpx.AsyncHTTPTransport() if outer is None else outer

    async def _config(self, *, force: bool):
        keys = self._gateway.keys
        if force:
            keys.forget()
        current = None if force else keys.current()
        if current is not None:
            return current
        response = await self.outer.handle_async_request(self._keys_request())
        try:
            data = await response.aread()
        finally:
            await response.aclose()
        return self._store(response, data)

    async def handle_async_request(self, request):
        gateway = self._gateway
        await request.aread()
        inner = self._inner(request)
        for attempt in (0, 1):
            sealed, context = gateway.seal(inner, await self._config(force=attempt > 0))
            outer = await self.outer.handle_async_request(self._outer_request(sealed))
            try:
                data = await outer.aread()
            finally:
                await outer.aclose()
            status, content_type = outer.status_code, outer.headers.get("Content-Type")
            if status == 200:
                return self._response(request, gateway.open(context, status, content_type, data))
            if attempt == 0 and gateway.refetches(status, content_type, data):
                continue
            raise gateway.refused(status, content_type, data, retried=attempt > 0)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self.outer.aclose()
