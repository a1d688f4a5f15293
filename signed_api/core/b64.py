"""base64url without padding (RFC 4648 §5), as secrets, JWK members and sealed tokens use it.

The server encodes issued secrets here and the client decodes them here, so both sides share
one definition and the server never needs the client package.
"""

from __future__ import annotations

import base64

__all__ = ["b64url_decode", "b64url_encode"]


def b64url_encode(data: bytes) -> str:
    """``data`` as base64url text with the ``=`` padding stripped."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of base64url ``text``, with or without its ``=`` padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
