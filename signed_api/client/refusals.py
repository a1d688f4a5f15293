"""Refusals a client can trust: the server's signature on every 4xx and 5xx (docs/protocol.md).

A refusal the server sends is signed: by the server key of the JWKS at
``/.well-known/signed-api/keys`` (``keyid`` its ``kid``), or, when the request verified and was
then refused (a 403, a 404 of a verified request), by the request's own key as any answer to a
verified request. The signature covers the status, the body's digest, the request's method and
path, and the request's own ``Signature`` member when it had one. :func:`verify_refusal`
checks that; a refusal that is unsigned or does not verify raises :class:`UnverifiedRefusal`,
so that an app never acts on an injected one (drops its credentials on a forged
``401 key_revoked``, stops on a forged ``503``).

:class:`ServerKeys` is the JWKS cache: fetched once per server, kept, fetched again when a
response names a ``kid`` it does not hold (at most every ``min_refresh`` seconds, counted from
the last attempt, failed or not: a stream of forged ``kid`` values cannot make it fetch on every
response, not even while the JWKS cannot be had). A JWKS given as ``jwks=`` is
pinned and never fetched. The JWKS itself is taken from the server as served: over a network
an attacker controls and without TLS, pin it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..core import Message, Policy, SignatureError, load_verifying_key, verify_message

__all__ = [
    "JWKS_PATH",
    "ClientError",
    "ServerKeys",
    "UnverifiedRefusal",
    "server_keys_for",
    "verify_refusal",
]

JWKS_PATH = "/.well-known/signed-api/keys"
#: ``created`` of a refusal to an unsigned request must be this close to our clock (the
#: server's window for requests); a refusal to a signed request is bound to its fresh nonce.
REFUSAL_WINDOW = 300
_BOUND = 10**10  # no window: the covered request signature makes the refusal fresh


class ClientError(Exception):
    """The base of the client's errors (:class:`~signed_api.client.LoginError`,
    :class:`~signed_api.client.OHTTPError`, :class:`UnverifiedRefusal`)."""


class _KeysUnavailable(Exception):
    """The JWKS could not be had (unreachable, not a JWKS): ``server_keys_unavailable``."""

    code = "server_keys_unavailable"


class UnverifiedRefusal(ClientError):
    """A 4xx or 5xx that does not carry a valid signature of the server: it may have been
    injected on the way, so nothing it says is to be acted on. ``status`` and
    ``claimed_code`` are what it claims (untrusted), ``reason`` the check that failed
    (``signature_missing``, ``signature_invalid``, ``digest_mismatch``, ``unknown_key``,
    ``component_missing``, ``clock_skew``, ``server_keys_unavailable``…), ``response`` the
    response itself."""

    def __init__(self, response: Any, reason: str, claimed_code: str | None = None):
        self.response = response
        self.status = getattr(response, "status_code", None)
        self.reason = reason
        self.claimed_code = claimed_code
        super().__init__(
            f"{self.status} refusal (claimed code {claimed_code!r}) is not signed by the "
            f"server ({reason}): not acted on"
        )


def _header_lines(headers) -> list[tuple[str, str]]:
    """Each field line of ``headers`` (httpx keeps repeated lines apart; ``requests`` has
    already combined them with ", ", which is what RFC 9421 §2.1 combines them to anyway)."""
    multi_items = getattr(headers, "multi_items", None)
    return list(multi_items()) if callable(multi_items) else list(headers.items())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _default_fetch(url: str, timeout: float) -> tuple[int, Any]:
    try:
        import requests
    except ImportError:  # pragma: no cover - the client extra has both
        import httpx

        response = httpx.get(url, timeout=timeout)
        return response.status_code, response.json()
    answer = requests.get(url, timeout=timeout)
    return answer.status_code, answer.json()


class ServerKeys:
    """The server's response-signing keys (its JWKS), fetched on first use and cached.

    ``url``: any URL of the server (its origin's ``/.well-known/signed-api/keys`` is fetched)
    or ``jwks_url`` the JWKS's own; ``jwks``: a JWKS dict to pin (never fetched);
    ``fetch(url, timeout) -> (status, json)`` to fetch another way."""

    def __init__(
        self,
        url: str | None = None,
        *,
        jwks: dict | None = None,
        jwks_url: str | None = None,
        fetch: Callable[[str, float], tuple[int, Any]] | None = None,
        min_refresh: float = 10.0,
        timeout: float = 30.0,
    ):
        if jwks_url is None and url is not None:
            jwks_url = _origin(url) + JWKS_PATH
        if jwks is None and jwks_url is None:
            raise ValueError("give the server's url, its jwks_url or a pinned jwks")
        self.jwks_url = jwks_url
        self.pinned = jwks is not None
        self._fetch = fetch or _default_fetch
        self.min_refresh = float(min_refresh)
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._keys: dict[str, Any] | None = None
        # When the JWKS was last asked for (successfully or not): the next fetch is due
        # ``min_refresh`` seconds after it, even when no JWKS was ever had.
        self._attempted_at: float | None = None
        self.fetches = 0
        if jwks is not None:
            self._keys = _keys_of(jwks)

    def __repr__(self) -> str:
        return f"<ServerKeys {self.jwks_url or 'pinned'} kids={sorted(self._keys or ())}>"

    def _due(self) -> bool:
        """Whether the JWKS may be fetched now: never tried yet, or ``min_refresh`` seconds
        since the last attempt (a failed one too, so that forged kids cannot make the client
        fetch on every response while the JWKS cannot be had)."""
        return self._attempted_at is None or (
            time.monotonic() - self._attempted_at >= self.min_refresh
        )

    def _refresh(self, fetch: Callable[[str, float], tuple[int, Any]] | None = None) -> None:
        assert self.jwks_url is not None
        # The attempt counts before it is made: one that raises or times out counts as well.
        self._attempted_at = time.monotonic()
        self.fetches += 1
        status, data = (fetch or self._fetch)(self.jwks_url, self.timeout)
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise _KeysUnavailable(f"JWKS answered {status}")
        self._keys = _keys_of(data)

    def key(self, kid: str, *, fetch: Callable[[str, float], tuple[int, Any]] | None = None):
        """The verifying key named ``kid``; fetches the JWKS the first time, and again for an
        unknown ``kid``, at most once every ``min_refresh`` seconds (counted from the last
        attempt, failed or not). Raises ``SignatureError`` (``unknown_key``) or, when the JWKS
        cannot be had (now, or at the last attempt, less than ``min_refresh`` ago), an error
        whose ``code`` is ``server_keys_unavailable``."""
        with self._lock:
            keys = self._keys
            if keys is not None and kid in keys:
                return keys[kid]
            if not self.pinned and self._due():
                try:
                    self._refresh(fetch)
                except _KeysUnavailable:
                    raise
                except Exception as exc:  # noqa: BLE001 - unreachable, not JSON…
                    raise _KeysUnavailable(f"JWKS not fetched: {type(exc).__name__}") from None
                keys = self._keys
            if keys is None:  # the last attempt failed, and the next one is not due yet
                raise _KeysUnavailable(
                    f"JWKS not fetched: the last attempt failed, next in at most"
                    f" {self.min_refresh:g} s"
                )
            if kid in keys:
                return keys[kid]
        raise SignatureError("unknown_key", f"no server key {kid!r}")


def _keys_of(jwks: dict) -> dict[str, Any]:
    from ..core.jwk import jwk_to_pem

    keys: dict[str, Any] = {}
    for jwk in jwks.get("keys", []):
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        if jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = load_verifying_key(
                "ed25519", jwk_to_pem({k: jwk[k] for k in ("kty", "crv", "x") if k in jwk})
            )
        except (ValueError, TypeError, KeyError):
            continue
    return keys


_shared_lock = threading.Lock()
_shared: dict[str, ServerKeys] = {}


def server_keys_for(url: str) -> ServerKeys:
    """The process-wide :class:`ServerKeys` of ``url``'s origin (one fetch per server)."""
    origin = _origin(url)
    with _shared_lock:
        keys = _shared.get(origin)
        if keys is None:
            keys = _shared[origin] = ServerKeys(origin)
        return keys


def _claimed_code(response) -> str | None:
    try:
        data = response.json()
    except Exception:  # noqa: BLE001 - any body that is not JSON
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def request_message_of(response) -> Message:
    """The request a ``requests``/``httpx`` response answers, as the core sees it."""
    request = response.request
    body = getattr(request, "body", None)
    if body is None:
        body = getattr(request, "content", b"")
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Message.from_url(
        request.method, str(request.url), headers=_header_lines(request.headers),
        body=bytes(body or b""),
    )


#: Fields the server covers whenever a response has them, and a client must find covered when
#: present: an uncovered one was added on the way (a ``Retry-After`` of a day on a real 503).
COVERED_WHEN_PRESENT = ("retry-after",)


def _required_if_present(response) -> list[str]:
    headers = response.headers
    return [f'"{name}"' for name in COVERED_WHEN_PRESENT if headers.get(name) is not None]


def verify_refusal(
    response,
    server_keys: ServerKeys | dict | None = None,
    *,
    signed_by=None,
    now: float | None = None,
    fetch: Callable[[str, float], tuple[int, Any]] | None = None,
):
    """Check the server's signature on a refusal (any ``requests`` or ``httpx`` response,
    4xx and 5xx in practice); return the verified signature or raise
    :class:`UnverifiedRefusal`.

    ``server_keys``: a :class:`ServerKeys`, a pinned JWKS dict, or ``None`` for the shared
    cache of the response URL's origin. ``signed_by``: the :class:`SignatureAuth` that signed
    the request, if one did: the refusal must then cover that very signature (its label), and
    may be signed by its shared secret (a verified request refused later, as a 403). ``now``:
    our clock (with its offset) for the window of a refusal to an unsigned request."""
    from ..core import algorithms

    if server_keys is None:
        server_keys = server_keys_for(str(response.request.url))
    elif isinstance(server_keys, dict):
        server_keys = ServerKeys(jwks=server_keys)
    keys = server_keys
    request_message = request_message_of(response)
    message = Message.for_response(
        response.status_code, headers=_header_lines(response.headers), body=response.content,
        request=request_message,
    )
    required = ['"@status"', '"content-digest"', '"@method";req', '"@path";req',
                *_required_if_present(response)]
    own_key = None
    request_signed = signed_by is not None and request_message.field_value("signature")
    if request_signed:
        required.append(f'"signature";req;key="{signed_by.label}"')
        if algorithms.get(signed_by.algorithm).shared_secret:
            own_key = (signed_by.key_id, signed_by._key)
    policy = Policy(
        required_components=tuple(required),
        required_params=("keyid", "created"),
        clock_skew=_BOUND if request_signed else REFUSAL_WINDOW,
        label="sig1",
    )

    def resolver(keyid: str):
        if own_key is not None and keyid == own_key[0]:
            return own_key[1]
        return keys.key(keyid, fetch=fetch)

    when = time.time() if now is None else now
    try:
        return verify_message(message, resolver, policy, now=when)
    except (SignatureError, _KeysUnavailable) as exc:
        raise UnverifiedRefusal(response, exc.code, _claimed_code(response)) from None
