"""``SignatureAuth``: signs outgoing requests with RFC 9421, for requests and httpx."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..core import (
    Component,
    Message,
    Policy,
    SignatureError,
    algorithms,
    b64url_decode,
    b64url_encode,
    content_digest,
    load_signing_key,
    load_verifying_key,
    sign_message,
    verify_message,
)
from .refusals import _header_lines, _required_if_present

try:  # httpx is optional (the ``client`` extra); requests needs no base class.
    import httpx

    _AuthBase: type = httpx.Auth
except ImportError:  # pragma: no cover - exercised only without the extra
    _AuthBase = object

__all__ = ["DEFAULT_COMPONENTS", "SignatureAuth", "decode_secret", "encode_secret"]

#: The profile of docs/protocol.md; ``content-digest`` is added when the request has a body.
DEFAULT_COMPONENTS = ("@method", "@authority", "@path", "@query")


def encode_secret(secret: bytes) -> str:
    """Secrets travel as base64url without padding."""
    return b64url_encode(secret)


def decode_secret(text: str) -> bytes:
    return b64url_decode(text.strip())


class SignatureAuth(_AuthBase):
    """Sign every request with one key.

    ``key``: the shared secret as bytes (hmac-sha256), or a private key (PEM bytes or a
    ``cryptography`` key object). ``components=None`` means the server's profile: method,
    authority, path, query, and a ``Content-Digest`` that is added and covered when there is a
    body; an explicit tuple is used exactly as given. ``created``: epoch seconds, or ``None``
    for now. ``nonce``: ``True`` for a fresh random one, ``False`` for none, or a given string.

    ``clock_offset``: seconds added to this computer's clock for ``created``. With
    ``correct_clock`` (the default), a 401 ``clock_skew`` that names the server's time
    (``server_time``) sets it to the difference, and the request is signed again (new nonce) and
    sent once more, once; later requests are signed on the server's time.

    ``verify_refusals`` (the default): a 4xx or 5xx answer must carry the server's signature
    (docs/protocol.md), checked against ``server_keys`` (a
    :class:`~signed_api.client.ServerKeys` or a pinned JWKS dict; ``None``: the JWKS of the
    request URL's origin, fetched once per process and again for an unknown ``kid``). One
    that is unsigned or does not verify raises :class:`~signed_api.client.UnverifiedRefusal`
    instead of being returned, so that nothing acts on an injected refusal; a ``clock_skew``
    refusal corrects the clock only once verified.
    """

    requires_request_body = True  # httpx: read the body before auth_flow runs
    requires_response_body = True  # httpx: a 401's body says whether to correct the clock

    def __init__(
        self,
        key_id: str,
        key,
        *,
        algorithm: str = "hmac-sha256",
        components: Sequence[str] | None = None,
        label: str = "sig1",
        created: int | None = None,
        nonce: bool | str = True,
        include_alg: bool = True,
        tag: str | None = None,
        expires: int | None = None,
        clock_offset: float = 0.0,
        correct_clock: bool = True,
        verify_refusals: bool = True,
        server_keys=None,
    ):
        self.key_id = key_id
        self.algorithm = algorithm
        self._key = load_signing_key(algorithm, key)
        self.components = None if components is None else tuple(components)
        self.label = label
        self.created = created
        self.nonce = nonce
        self.include_alg = include_alg
        self.tag = tag
        self.expires = expires
        self.clock_offset = float(clock_offset)
        self.correct_clock = correct_clock
        self.verify_refusals = verify_refusals
        if isinstance(server_keys, dict):
            from .refusals import ServerKeys

            server_keys = ServerKeys(jwks=server_keys)
        self.server_keys = server_keys

    def __repr__(self) -> str:
        return f"<SignatureAuth key_id={self.key_id!r} algorithm={self.algorithm!r}>"

    # -- the signing step shared by both libraries ---------------------------------------
    def sign(self, method: str, url: str, headers: dict, body: bytes) -> dict[str, str]:
        """Return the headers to add (``Content-Digest`` when due, ``Signature-Input``,
        ``Signature``) for a request; ``headers`` are the ones it already has."""
        added: dict[str, str] = {}
        if self.components is None:
            components: list[str | Component] = list(DEFAULT_COMPONENTS)
            if body:
                lowered = {k.lower() for k in headers}
                if "content-digest" not in lowered:
                    added["Content-Digest"] = content_digest(body)
                components.append("content-digest")
        else:
            components = list(self.components)
        if self.nonce is True:
            nonce: str | None = secrets.token_urlsafe(16)
        elif self.nonce is False:
            nonce = None
        else:
            nonce = str(self.nonce)
        if self.created is None:
            created = int(time.time() + self.clock_offset)
        else:
            created = int(self.created)
        all_headers = [*headers.items(), *added.items()]
        message = Message.from_url(method, url, headers=all_headers, body=body)
        signature_input, signature = sign_message(
            message,
            self._key,
            label=self.label,
            components=components,
            keyid=self.key_id,
            created=created,
            expires=self.expires,
            nonce=nonce,
            include_alg=self.include_alg,
            tag=self.tag,
        )
        added["Signature-Input"] = signature_input
        added["Signature"] = signature
        return added

    # -- response verification (docs/protocol.md) ----------------------------------------------
    def response_policy(self) -> Policy:
        return Policy(
            required_components=(
                '"@status"',
                '"content-digest"',
                '"@method";req',
                '"@path";req',
                f'"signature";req;key="{self.label}"',
            ),
            required_params=("keyid", "created"),
        )

    def verify_response(self, response, *, server_keys=None, now: float | None = None):
        """Check the server's signature on a ``requests`` or ``httpx`` response to a request
        this object signed: it must cover the status, the body's digest and this very
        request's signature. Raises :class:`~signed_api.core.SignatureError`; returns the
        verified signature.

        - hmac keys: the response is signed with the shared secret and its ``keyid`` is this
          key's id;
        - client-held keys: the server signs with its own Ed25519 key and the ``keyid`` names
          it: ``server_keys`` is the JWKS of ``/.well-known/signed-api/keys`` (a dict), whose
          entry with that ``kid`` verifies (an unknown ``kid`` is ``unknown_key``: fetch the
          JWKS again, the server may have a new master key), or a list of public keys (PEM or
          key objects), any of which may verify.
        A response to ``HEAD`` has an empty body, and its ``Content-Digest`` is of that."""
        request = response.request
        req_body = getattr(request, "body", None)
        if req_body is None:
            req_body = getattr(request, "content", b"")
        if isinstance(req_body, str):
            req_body = req_body.encode("utf-8")
        req_message = Message.from_url(
            request.method, str(request.url), headers=_header_lines(request.headers),
            body=req_body or b"",
        )
        status: Any = getattr(response, "status_code", None)  # requests and httpx have it
        message = Message.for_response(
            status, headers=_header_lines(response.headers), body=response.content,
            request=req_message,
        )
        by_kid: dict[str, Any]
        unnamed: list[Any]
        if algorithms.get(self.algorithm).shared_secret:  # answered with the same secret
            by_kid, unnamed = {self.key_id: self._key}, []
        else:
            by_kid, unnamed = _server_verifying_keys(server_keys)

        def resolver(keyid: str):
            if keyid in by_kid:
                return by_kid[keyid]
            if not unnamed:
                raise SignatureError("unknown_key", f"response signed by {keyid!r}")
            if len(unnamed) == 1:
                return unnamed[0]
            from ..core import KeyChain

            return KeyChain(unnamed)

        policy = self.response_policy()
        extra = _required_if_present(response)
        if extra:  # a Retry-After must be covered too: an uncovered one was added on the way
            policy = replace(
                policy, required_components=(*policy.required_components, *extra)
            )
        return verify_message(message, resolver, policy, now=time.time() if now is None else now)

    # -- refusals (docs/protocol.md) ----------------------------------------------------------
    def check_refusal(self, response, *, fetch=None) -> None:
        """With ``verify_refusals``: raise :class:`~signed_api.client.UnverifiedRefusal` when
        ``response`` is a 4xx or 5xx that the server did not sign for this request."""
        status = getattr(response, "status_code", 0)
        if not self.verify_refusals or not isinstance(status, int) or status < 400:
            return
        from .refusals import verify_refusal

        verify_refusal(
            response, self.server_keys, signed_by=self, fetch=fetch,
            now=time.time() + self.clock_offset,
        )

    # -- requests -------------------------------------------------------------------------
    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, (bytes, bytearray)):
            raise TypeError("SignatureAuth cannot sign a streamed request body")
        request.headers.update(self.sign(request.method, request.url, request.headers, bytes(body)))
        if self.verify_refusals or (self.correct_clock and self.created is None):
            request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response, **kwargs):
        """requests' response hook: check a refusal's signature (the JWKS, when needed, is
        fetched through the same adapter: an OHTTP session fetches it through its gateway),
        then correct the clock on a verified ``clock_skew``."""
        connection = getattr(response, "connection", None)  # set by requests' HTTPAdapter
        fetch = _adapter_fetch(connection, kwargs) if connection is not None else None
        self.check_refusal(response, fetch=fetch)
        if not (self.correct_clock and self.created is None):
            return response
        answer = self._retry_on_clock_skew(response, **kwargs)
        if answer is not response:
            self.check_refusal(answer, fetch=fetch)
        return answer

    def _retry_on_clock_skew(self, response, **kwargs):
        """Sign again on the server's time and resend, once."""
        if getattr(response.request, "_signed_api_clock_retry", False):
            return response
        if not self._learn_clock_offset(response):
            return response
        response.content  # noqa: B018 - read it, so that the connection can be reused
        response.close()
        retry = response.request.copy()
        retry._signed_api_clock_retry = True
        body = retry.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        retry.headers.update(self.sign(retry.method, retry.url, retry.headers, bytes(body)))
        answer = response.connection.send(retry, **kwargs)
        answer.history.append(response)
        answer.request = retry
        return answer

    def _learn_clock_offset(self, response) -> bool:
        """A 401 ``clock_skew`` with an integer ``server_time``: remember the offset of this
        computer's clock from it (``True``), else leave it (``False``)."""
        if getattr(response, "status_code", None) != 401:
            return False
        try:
            data = response.json()
        except ValueError:
            return False
        server_time = data.get("server_time") if isinstance(data, dict) else None
        if data.get("code") != "clock_skew" or type(server_time) is not int:
            return False
        self.clock_offset = float(server_time - int(time.time()))
        return True

    # -- httpx ----------------------------------------------------------------------------
    def auth_flow(self, request):
        body = request.content
        request.headers.update(self.sign(request.method, str(request.url), request.headers, body))
        response = yield request
        self.check_refusal(response)
        if self.correct_clock and self.created is None and self._learn_clock_offset(response):
            request.headers.update(
                self.sign(request.method, str(request.url), request.headers, body)
            )
            response = yield request
            self.check_refusal(response)


def _adapter_fetch(connection, send_kwargs: dict):
    """``fetch(url, timeout)`` for :class:`~signed_api.client.ServerKeys` through a
    ``requests`` adapter (the one that carried the request).

    That adapter's pool may hand out the kept-alive connection the refusal came on, which
    the server may be closing (Django's threaded server closes after a request that asked for
    ``Connection: close`` without saying so in its answer; any server at its keep-alive
    timeout): a connection closed before any answer is retried once on a new connection, as
    RFC 9112 §9.3.1.1 allows for an idempotent GET. A refused connection or a timeout is not."""

    def fetch(url: str, timeout: float):
        import requests
        from urllib3.exceptions import ProtocolError

        kwargs = {k: v for k, v in send_kwargs.items() if k in ("verify", "cert", "proxies")}
        prepared = requests.Request("GET", url).prepare()
        wait = send_kwargs.get("timeout") or timeout
        try:
            answer = connection.send(prepared, timeout=wait, **kwargs)
        except requests.ConnectionError as exc:
            if not (exc.args and isinstance(exc.args[0], ProtocolError)):
                raise
            answer = connection.send(prepared.copy(), timeout=wait, **kwargs)
        try:
            return answer.status_code, answer.json()
        finally:
            answer.close()

    return fetch


def _server_verifying_keys(server_keys) -> tuple[dict, list]:
    """``({kid: key}, [keys without a kid])`` from a JWKS dict or a list of public keys."""
    if not server_keys:
        raise ValueError("verifying a response to a client-held key needs the server's keys")
    if isinstance(server_keys, dict):
        from ..core.jwk import jwk_to_pem

        by_kid: dict = {}
        unnamed: list = []
        for jwk in server_keys.get("keys", []):
            if not isinstance(jwk, dict) or jwk.get("kty") != "OKP":
                continue  # the server signs with Ed25519 (OKP) keys only
            if jwk.get("use", "sig") != "sig":
                continue
            key = load_verifying_key("ed25519", jwk_to_pem(
                {k: v for k, v in jwk.items() if k in ("kty", "crv", "x")}
            ))
            if isinstance(jwk.get("kid"), str):
                by_kid[jwk["kid"]] = key
            else:
                unnamed.append(key)
        return by_kid, unnamed
    return {}, [
        k if hasattr(k, "verify") and hasattr(k, "alg") else load_verifying_key("ed25519", k)
        for k in server_keys
    ]
