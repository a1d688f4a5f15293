"""Helpers for the HTTP-level tests of ``SignatureAuthentication`` (imported by test modules).

Signatures here are made with the project's own client signer (``SignatureAuth.sign``) over a URL
we choose, so a test can sign one thing and send another (tampering, re-encoding, replay).
Time is real: ``created`` is derived from ``time.time()`` with a margin that holds for the
milliseconds a request takes.
"""

from __future__ import annotations

import math
import socket
import time

from signed_api.client import SignatureAuth

NOTES = "/api/notes/"


def meta_from_headers(headers: dict[str, str]) -> dict[str, str]:
    """``Signature-Input`` -> ``HTTP_SIGNATURE_INPUT`` (WSGI environ names for the test client)."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def sign_headers(auth: SignatureAuth, method: str, url: str, body: bytes = b"") -> dict[str, str]:
    """The headers ``auth`` adds to a request for the absolute ``url`` (path kept as written)."""
    return auth.sign(method, url, {}, body)


def signed_meta(auth: SignatureAuth, method: str, url: str, body: bytes = b"") -> dict[str, str]:
    return meta_from_headers(sign_headers(auth, method, url, body))


def created_floor(offset: int = 0) -> int:
    """``created`` at least ``offset`` seconds from now, rounded towards the past."""
    return math.floor(time.time()) + offset


def created_ceil(offset: int = 0) -> int:
    """``created`` rounded towards the future, so ``now - created`` stays under ``-offset``."""
    return math.ceil(time.time()) + offset


def free_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nonce_keys() -> set[str]:
    """The nonces in the shared store (its table, or Redis)."""
    from tests.store import nonce_keys as keys

    return keys()
