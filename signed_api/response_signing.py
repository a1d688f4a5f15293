"""Signing responses (docs/protocol.md): the answer to a verified request carries its own signature.

Covered: ``@status``, ``content-type`` (when present), ``content-digest`` of the body,
``retry-after`` (when present), and,
from the request (``;req``), ``@method``, ``@path`` and the request's own ``signature`` member
(``;key=`` its label), so a response cannot be replayed as the answer to another request.
Parameters: ``created`` and a ``keyid`` naming the key that signed:

- hmac keys (API keys, sessions) sign with the very secret that verified the request (during a
  rotation overlap, the old one if the client still used it); the ``keyid`` is the request's;
- client-held keys (ed25519, ecdsa) are answered with the server's own Ed25519 key, derived
  from the newest master key with HKDF (nothing stored, the same in every process); the
  ``keyid`` is that key's ``kid`` in the JWKS at ``/.well-known/signed-api/keys`` (one entry
  per master key, ``"alg": "EdDSA"`` as RFC 8037 names it, so WebCrypto and JOSE libraries
  import it as served).

The response to a ``HEAD`` carries no body on the wire, so its ``Content-Digest`` is the digest
of the empty content (RFC 9530: Content-Digest is over the message content; a HEAD response
has none) and a client verifies it against the empty body it received.

Every other response of the app (refusals of any status, the login and challenge answers, the
JWKS, the Oblivious HTTP gateway's key configurations and outer answers) is signed by the
server key instead (:func:`sign_with_server_key`): ``@status``, ``content-type``,
``content-digest``, ``retry-after`` (when present: how long a client waits after a 429 or 503),
``@method;req`` and ``@path;req``, and every member of the request's own
``Signature`` (``;req;key=``) when it carried one, so that an injected refusal cannot pass for
the server's, nor a real one be moved to another request. ``date`` is not covered: WSGI servers
(gunicorn) write their own ``Date`` line after the application, so a signed one would travel as
two lines; the signature's ``created`` is the signed time. Which responses count as the app's is
the setting ``SERVER_SIGNATURES``: ``"app"`` (default, :func:`is_app_request`), ``"site"``
(every response that passes the middleware) or ``None``.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import threading
import time
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.signals import setting_changed

from .conf import signed_api_settings
from .core import Component, HmacSha256Key, Message, SigningKey, content_digest, sign_message
from .core.components import _list_text
from .core.jwk import public_key_to_jwk
from .logsafe import get_logger
from .request_message import _raw_target

logger = get_logger("signed_api")

RESPONSE_LABEL = "sig1"
#: The JOSE name of Ed25519 signatures (RFC 8037 §3.1); RFC 9421's own name is ``ed25519``.
JWK_ALG = "EdDSA"


def _server_key_from(master: bytes) -> ed25519.Ed25519PrivateKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"signed_api", info=b"server signing key v1"
    ).derive(master)
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def server_keys() -> list[tuple[str, ed25519.Ed25519PrivateKey]]:
    """``(kid, private key)`` for every master key, newest first (derived once per set of
    master keys: a changed setting is seen, see :func:`_server_signing_keys`)."""
    return [(kid, private) for kid, private, _key in _server_signing_keys()]


_keys_lock = threading.Lock()
_keys_cache: list[tuple[str, Any, SigningKey]] | None = None
#: Bumped by every reset: a derivation that started before a reset does not store its result.
_keys_generation = 0


def _server_signing_keys() -> list[tuple[str, ed25519.Ed25519PrivateKey, SigningKey]]:
    """``(kid, private key, core signing key)``, newest first: derived once, again after a
    change of ``SIGNED_API``, ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` (as the keyring)."""
    global _keys_cache
    cached = _keys_cache
    if cached is not None:
        return cached
    generation = _keys_generation
    from .core import load_signing_key
    from .state import master_keys

    result = []
    for master in master_keys():
        private = _server_key_from(master)
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        kid = "srv_" + hashlib.sha256(raw).hexdigest()[:16]
        result.append((kid, private, load_signing_key("ed25519", private)))
    if not result:
        raise ValueError("no master key, so no server key")
    with _keys_lock:
        if generation == _keys_generation:  # no reset since the master keys were read
            _keys_cache = result
    return result


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    global _keys_cache, _keys_generation
    if setting in ("SIGNED_API", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        with _keys_lock:
            _keys_cache = None
            _keys_generation += 1


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_server_keys_reset")


def jwks() -> dict:
    keys = []
    for kid, private in server_keys():
        jwk = public_key_to_jwk(private.public_key())
        jwk.update({"kid": kid, "alg": JWK_ALG, "use": "sig"})
        keys.append(jwk)
    return {"keys": keys}


def sign_response(request, response, verified, *, now: float | None = None) -> None:
    """Add ``Content-Digest``, ``Signature-Input`` and ``Signature`` to ``response``."""
    # A HEAD response sends no content: its digest is of the empty body the client receives.
    body = b"" if request.method == "HEAD" else bytes(response.content)
    response["Content-Digest"] = content_digest(body)
    key: SigningKey
    if isinstance(verified.key, HmacSha256Key):
        key, keyid = verified.key, verified.keyid
    else:
        keyid, _private, key = _server_signing_keys()[0]
    request_message = request_message_of(request)
    with_content_type = response.has_header("Content-Type")
    with_retry_after = response.has_header("Retry-After")
    headers = [("content-digest", response["Content-Digest"])]
    if with_content_type:
        headers.append(("content-type", response["Content-Type"]))
    if with_retry_after:
        headers.append(("retry-after", response["Retry-After"]))
    # Only what the signature covers; the body's digest is already in the headers.
    message = Message.for_response(
        response.status_code, headers=headers, body=None, request=request_message
    )
    signature_input, signature = sign_message(
        message,
        key,
        label=RESPONSE_LABEL,
        components=_covered(with_content_type, verified.label, with_retry_after),
        keyid=keyid,
        created=int(time.time() if now is None else now),
        include_alg=not isinstance(key, HmacSha256Key),
    )
    response["Signature-Input"] = signature_input
    response["Signature"] = signature


@functools.lru_cache(maxsize=64)
def _covered(
    with_content_type: bool, request_label: str, with_retry_after: bool = False
) -> tuple[Component, ...]:
    """The covered components of a response (one constant tuple per shape)."""
    components = [Component("@status")]
    if with_content_type:
        components.append(Component("content-type"))
    components.append(Component("content-digest"))
    if with_retry_after:  # how long a client waits: an injected one must not verify
        components.append(Component("retry-after"))
    components += [
        Component("@method", {"req": True}),
        Component("@path", {"req": True}),
        Component("signature", {"req": True, "key": request_label}),
    ]
    return tuple(components)


def request_message_of(request) -> Message:
    """The verified request as the core saw it (kept by the authentication class)."""
    return request.signed_api_message


# -- the server key's signature on every other answer of the app -------------------------------
#: The values of ``SERVER_SIGNATURES``.
SCOPE_APP = "app"
SCOPE_SITE = "site"
SCOPES = (SCOPE_APP, SCOPE_SITE, None)
_OWS = " \t"  # optional whitespace, trimmed from a field value (RFC 9110 §5.5)
#: At most this many of the request's signatures are covered (the server verifies at most 8).
_MAX_COVERED_SIGNATURES = 8


def sign_with_server_key(request, response, *, now: float | None = None):
    """Sign ``response`` (complete, not streaming) with the newest server key, bound to
    ``request`` (a Django ``HttpRequest``); returns ``response``.

    Covered: ``@status``, ``content-type`` (when present), ``content-digest`` (added, of the body
    on the wire: empty for ``HEAD``), the request's ``@method`` and ``@path`` (``;req``) and each
    member of its ``Signature`` field (``;req;key=``, or the whole field when it does not
    parse). A response that already carries ``Signature`` is left alone; a failure to sign is
    logged and the response goes out unsigned (never a 500): a client that checks treats it
    as the forgery it cannot tell it from."""
    if getattr(response, "streaming", False) or response.has_header("Signature"):
        return response
    try:
        _sign_with_server_key(request, response, now)
    except Exception as exc:  # noqa: BLE001 - an unsigned answer beats a 500
        for name in ("Content-Digest", "Signature-Input", "Signature"):
            if response.has_header(name):
                del response[name]
        logger.warning("signed_api: response %s to %s not signed: %s: %s",
                       response.status_code, request.method, type(exc).__name__, exc)
    return response


def _sign_with_server_key(request, response, now: float | None) -> None:
    body = b"" if request.method == "HEAD" else bytes(response.content)
    # content_digest(body), written out (sha-256 only): the same value.
    digest = "sha-256=:" + binascii.b2a_base64(hashlib.sha256(body).digest(), newline=False
                                               ).decode("ascii") + ":"
    set_field = _field_setter(response)
    set_field("Content-Digest", digest)
    keyid, _private, key = _server_signing_keys()[0]
    content_type = response["Content-Type"] if response.has_header("Content-Type") else None
    retry_after = response["Retry-After"] if response.has_header("Retry-After") else None
    signature_field = _request_field(request, "signature")
    created = int(time.time() if now is None else now)
    if signature_field is None:
        # The hot shape (a refusal of an unsigned request): the base written out directly,
        # line for line what signature_base() gives for these components (the tests verify
        # these answers with the core).
        components = _server_covered(content_type is not None, (), retry_after is not None)
        path, _query = _raw_target(request.META, request)
        lines = [f'"@status": {response.status_code}']
        if content_type is not None:
            lines.append(f'"content-type": {content_type.strip(_OWS)}')
        lines.append(f'"content-digest": {digest}')
        if retry_after is not None:
            lines.append(f'"retry-after": {retry_after.strip(_OWS)}')
        lines += [f'"@method";req: {request.method}', f'"@path";req: {path}']
        params = f'{_list_text(components)};created={created};keyid="{keyid}";alg="{key.alg}"'
        lines.append(f'"@signature-params": {params}')
        base = "\n".join(lines)
        encoded = _recent_signatures.get(base)
        if encoded is None:
            encoded = binascii.b2a_base64(key.sign(base.encode("ascii")), newline=False
                                          ).decode("ascii")
            if len(_recent_signatures) >= _RECENT_SIGNATURES:
                _recent_signatures.clear()
            _recent_signatures[base] = encoded
        set_field("Signature-Input", f"{RESPONSE_LABEL}={params}")
        set_field("Signature", f"{RESPONSE_LABEL}=:{encoded}:")
        return
    request_message, labels = _request_view(request)
    headers = [("content-digest", digest)]
    if content_type is not None:
        headers.append(("content-type", content_type))
    if retry_after is not None:
        headers.append(("retry-after", retry_after))
    message = Message.for_response(
        response.status_code, headers=headers, body=None, request=request_message
    )
    signature_input, signature_value = sign_message(
        message,
        key,
        label=RESPONSE_LABEL,
        components=_server_covered(content_type is not None, labels, retry_after is not None),
        keyid=keyid,
        created=created,
        include_alg=True,
    )
    response["Signature-Input"] = signature_input
    response["Signature"] = signature_value


def _field_setter(response):
    """``response[name] = value`` for the values signed here, all ASCII made by this module
    (base64, sf-strings of a kid, decimal numbers): written into Django's header store
    directly, which skips the per-value charset and newline checks (a few microseconds per
    refusal); any other response class gets the ordinary assignment."""
    store = getattr(getattr(response, "headers", None), "_store", None)
    if type(store) is not dict:
        return response.__setitem__

    def put(name: str, value: str) -> None:
        store[name.lower()] = (name, value)

    return put


#: Ed25519 signatures are deterministic (RFC 8032): the same base always gets the same bytes.
#: A refusal repeated within one second (a flood of unsigned requests to one path: the
#: cheapest thing anyone can make the server sign) reuses the signature instead of paying for
#: it again. Keyed by the whole base (status, type, digest, method, path, created, keyid).
_RECENT_SIGNATURES = 512
_recent_signatures: dict[str, str] = {}


def _request_field(request, name: str) -> str | None:
    """A request header as the core would read it (WSGI ``META`` or the ASGI lines)."""
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict) and scope.get("headers") is not None:
        wanted = name.encode("latin-1")
        found = [
            value.decode("latin-1") if isinstance(value, bytes) else value
            for key, value in scope["headers"]
            if (key if isinstance(key, bytes) else key.encode("latin-1")).lower() == wanted
        ]
        return ", ".join(found) if found else None
    return request.META.get("HTTP_" + name.upper().replace("-", "_"))


def _request_view(request) -> tuple[Message, tuple[str, ...] | None]:
    """The request as ``;req`` components see it (method, raw path, its fields), and the
    labels of its ``Signature`` members: ``()`` without one, ``None`` when it does not parse
    (the whole field is then covered), ``_AS_BYTES`` when it does not parse and is not
    printable ASCII either (the whole field is covered as a byte sequence)."""
    from .core import SignatureError
    from .core.sf import parse_byte_sequence_dictionary
    from .request_message import DjangoMessage, _asgi_field_lines

    message = getattr(request, "signed_api_message", None)
    if message is None:
        # No authority: get_host() may refuse the Host, and no covered component needs it.
        path, query = _raw_target(request.META, request)
        message = DjangoMessage(method=request.method, path=path, query=query)
        message._meta = request.META
        message._raw_lines = _asgi_field_lines(request)
    value = message.field_value("signature")
    if value is None:
        return message, ()
    try:
        labels = tuple(parse_byte_sequence_dictionary(value, what="Signature"))
    except (SignatureError, ValueError, TypeError):
        return message, (None if _printable_ascii(value) else _AS_BYTES)
    return message, (labels[:_MAX_COVERED_SIGNATURES] if labels else None)


#: ``labels`` of a ``Signature`` field that does not parse and is not printable ASCII (an
#: obs-text byte, a control character): no signature base can hold it as text, so it is covered
#: as a byte sequence (``"signature";req;bs``, RFC 9421 §2.1.3).
_AS_BYTES = ("\x00bs",)


def _printable_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


@functools.lru_cache(maxsize=64)
def _server_covered(
    with_content_type: bool, labels: tuple[str, ...] | None, with_retry_after: bool = False
) -> tuple[Component, ...]:
    components = [Component("@status")]
    if with_content_type:
        components.append(Component("content-type"))
    components.append(Component("content-digest"))
    if with_retry_after:  # a 429's or 503's wait: an injected or changed one must not verify
        components.append(Component("retry-after"))
    components += [
        Component("@method", {"req": True}),
        Component("@path", {"req": True}),
    ]
    if labels is None:
        components.append(Component("signature", {"req": True}))
    elif labels == _AS_BYTES:
        components.append(Component("signature", {"req": True, "bs": True}))
    else:
        components += [Component("signature", {"req": True, "key": label}) for label in labels]
    return tuple(components)


def is_app_request(request) -> bool:
    """Whether the response to ``request`` is one of the app's own (``SERVER_SIGNATURES =
    "app"``): a view of ``signed_api`` answered it (its views, the JWKS, the OHTTP gateway),
    or a DRF view whose authentication classes include ``SignatureAuthentication`` (a
    project's signed API: its refusals, 401 ``signature_missing`` included), or something set
    ``request.signed_api_app = True``. Judged by the URL the request resolved to, so a refusal
    raised anywhere in such a view (authentication, permissions, throttling, parsing, the
    exception handler, CSRF) counts. An answer given before the URL was resolved (a
    middleware's: Django's 400 for a Host not in ``ALLOWED_HOSTS``, a redirect) is judged by
    the view its path resolves to. A URL that resolves to no view (the URLconf's 404) is the
    app's when its path lies under a prefix where ``signed_api.urls`` is included (e.g.
    ``/api/auth/keys/<an id the converter refuses>/``), and not otherwise."""
    if getattr(request, "signed_api_app", False):
        return True
    match = getattr(request, "resolver_match", None)
    if match is None:
        if _under_app_mount(request):
            return True
        match = _resolve(request)
        if match is None:
            return False
    try:
        return _is_app_view(match.func)
    except TypeError:  # an unhashable view callable
        return _app_view(match.func)


def _resolve(request):
    """The ``ResolverMatch`` of the request's path in its URLconf, or ``None`` (no view: a 404
    of the URLconf comes here too, and pays for a second resolution)."""
    from django.urls import Resolver404

    found = _path_and_resolver(request)
    if found is None:
        return None
    path, resolver = found
    try:
        return resolver.resolve(path)
    except Resolver404:
        return None
    except Exception as exc:  # noqa: BLE001 - a URLconf that does not load signs nothing more
        logger.warning("signed_api: path not resolved to judge its answer: %s: %s",
                       type(exc).__name__, exc)
        return None


def _path_and_resolver(request):
    """``(path_info, the resolver of the request's URLconf)``, or ``None`` for a request with no
    path to resolve."""
    from django.urls import get_resolver, get_urlconf

    path = getattr(request, "path_info", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    return path, get_resolver(getattr(request, "urlconf", None) or get_urlconf())


def _under_app_mount(request) -> bool:
    """Whether the request's path lies under a prefix where the URLconf includes
    ``signed_api.urls`` (the prefixes are found once per URLconf, by walking its resolver)."""
    found = _path_and_resolver(request)
    if found is None:
        return False
    path, resolver = found
    for chain in _app_mounts(resolver):
        rest = path[1:]
        for pattern in chain:
            matched = pattern.match(rest)
            if matched is None:
                break
            rest = matched[0]
        else:
            return True
    return False


#: How deep includes are followed when looking for ``signed_api.urls``.
_MAX_INCLUDE_DEPTH = 8


@functools.lru_cache(maxsize=16)
def _app_mounts(resolver) -> tuple[tuple[Any, ...], ...]:
    """The chains of URL patterns (one per include, outermost first) that lead to an include of
    ``signed_api.urls`` (or of patterns with its ``app_name``) in ``resolver``'s URLconf."""
    from django.urls import URLResolver

    found: list[tuple[Any, ...]] = []

    def walk(parent, chain: tuple[Any, ...], depth: int) -> None:
        for entry in parent.url_patterns:
            if not isinstance(entry, URLResolver):
                continue
            here = (*chain, entry.pattern)
            conf = entry.urlconf_name
            name = conf if isinstance(conf, str) else getattr(conf, "__name__", None)
            if name == "signed_api.urls" or entry.app_name == "signed_api":
                found.append(here)
            elif depth < _MAX_INCLUDE_DEPTH:
                walk(entry, here, depth + 1)

    try:
        walk(resolver, (), 0)
    except Exception as exc:  # noqa: BLE001 - a URLconf that does not load signs no 404
        logger.warning("signed_api: URLconf not searched for the app's prefix: %s: %s",
                       type(exc).__name__, exc)
        return ()
    return tuple(found)


@functools.lru_cache(maxsize=1024)
def _is_app_view(func) -> bool:
    return _app_view(func)


def _app_view(func) -> bool:
    from rest_framework.views import APIView

    from .authentication import SignatureAuthentication

    if (getattr(func, "__module__", None) or "").startswith("signed_api."):
        return True  # the gateway and any function view of the app
    cls = getattr(func, "cls", None) or getattr(func, "view_class", None)
    if not isinstance(cls, type):
        return False
    if cls.__module__.startswith("signed_api."):
        return True
    if not issubclass(cls, APIView):
        return False
    initkwargs = getattr(func, "initkwargs", None) or {}
    classes = initkwargs.get("authentication_classes", cls.authentication_classes)
    return any(isinstance(c, type) and issubclass(c, SignatureAuthentication) for c in classes)


class ResponseSignatureMiddleware:
    """Put it first in ``MIDDLEWARE`` so it signs the bytes that leave the server (after any
    compression below it). Streaming responses are not signed (their body is not known).

    The answer to a verified request is signed by the request's key (:func:`sign_response`);
    any other response of the app (``SERVER_SIGNATURES``) by the server key
    (:func:`sign_with_server_key`). Sync and async capable, as Django's own middleware: under
    ASGI it awaits the async chain and signs in the event loop (no thread hop)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        response = self.get_response(request)
        self.sign(request, response)
        return response

    async def __acall__(self, request):
        response = await self.get_response(request)
        self.sign(request, response)
        return response

    @staticmethod
    def sign(request, response) -> None:
        if not signed_api_settings.SIGN_RESPONSES or getattr(response, "streaming", False):
            return
        verified = getattr(request, "signed_api_signature", None)
        if verified is not None:
            sign_response(request, response, verified)
            return
        scope = signed_api_settings.SERVER_SIGNATURES
        if scope == SCOPE_SITE or (scope == SCOPE_APP and is_app_request(request)):
            sign_with_server_key(request, response)
