"""Signing responses (docs/protocol.md): the answer to a verified request carries its own signature.

Covered: ``@status``, ``content-type`` (when present), ``content-digest`` of the body, and,
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
"""

from __future__ import annotations

import functools
import hashlib
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .conf import signed_api_settings
from .core import Component, HmacSha256Key, Message, SigningKey, content_digest, sign_message
from .core.jwk import public_key_to_jwk

RESPONSE_LABEL = "sig1"
#: The JOSE name of Ed25519 signatures (RFC 8037 §3.1); RFC 9421's own name is ``ed25519``.
JWK_ALG = "EdDSA"


def _server_key_from(master: bytes) -> ed25519.Ed25519PrivateKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"signed_api", info=b"server signing key v1"
    ).derive(master)
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def server_keys() -> list[tuple[str, ed25519.Ed25519PrivateKey]]:
    """``(kid, private key)`` for every master key, newest first."""
    from .state import master_keys

    result = []
    for master in master_keys():
        private = _server_key_from(master)
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        result.append(("srv_" + hashlib.sha256(raw).hexdigest()[:16], private))
    return result


def jwks() -> dict:
    keys = []
    for kid, private in server_keys():
        jwk = public_key_to_jwk(private.public_key())
        jwk.update({"kid": kid, "alg": JWK_ALG, "use": "sig"})
        keys.append(jwk)
    return {"keys": keys}


def sign_response(request, response, verified, *, now: float | None = None) -> None:
    """Add ``Content-Digest``, ``Signature-Input`` and ``Signature`` to ``response``."""
    from .core import load_signing_key

    # A HEAD response sends no content: its digest is of the empty body the client receives.
    body = b"" if request.method == "HEAD" else bytes(response.content)
    response["Content-Digest"] = content_digest(body)
    key: SigningKey
    if isinstance(verified.key, HmacSha256Key):
        key, keyid = verified.key, verified.keyid
    else:
        keyid, private = server_keys()[0]
        key = load_signing_key("ed25519", private)
    request_message = request_message_of(request)
    with_content_type = response.has_header("Content-Type")
    headers = [("content-digest", response["Content-Digest"])]
    if with_content_type:
        headers.append(("content-type", response["Content-Type"]))
    # Only what the signature covers; the body's digest is already in the headers.
    message = Message.for_response(
        response.status_code, headers=headers, body=None, request=request_message
    )
    signature_input, signature = sign_message(
        message,
        key,
        label=RESPONSE_LABEL,
        components=_covered(with_content_type, verified.label),
        keyid=keyid,
        created=int(time.time() if now is None else now),
        include_alg=not isinstance(key, HmacSha256Key),
    )
    response["Signature-Input"] = signature_input
    response["Signature"] = signature


@functools.lru_cache(maxsize=64)
def _covered(with_content_type: bool, request_label: str) -> tuple[Component, ...]:
    """The covered components of a response (one constant tuple per shape)."""
    components = [Component("@status")]
    if with_content_type:
        components.append(Component("content-type"))
    components += [
        Component("content-digest"),
        Component("@method", {"req": True}),
        Component("@path", {"req": True}),
        Component("signature", {"req": True, "key": request_label}),
    ]
    return tuple(components)


def request_message_of(request) -> Message:
    """The verified request as the core saw it (kept by the authentication class)."""
    return request.signed_api_message


class ResponseSignatureMiddleware:
    """Put it first in ``MIDDLEWARE`` so it signs the bytes that leave the server (after any
    compression below it). Streaming responses are not signed (their body is not known)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        verified = getattr(request, "signed_api_signature", None)
        if (
            verified is not None
            and signed_api_settings.SIGN_RESPONSES
            and not getattr(response, "streaming", False)
        ):
            sign_response(request, response, verified)
        return response
