"""High-entropy bearer tokens stored only as hashes (remember tokens, login challenges).

A token is ``<kind>_<lookup>_<secret>``: ``lookup`` is a random, unique, indexed public part
used to find the row; ``secret`` is never stored, only ``sha256$<hex>`` of it, compared in
constant time. Both parts come from :mod:`secrets`. Because the secret has 256 bits of entropy,
a fast hash is enough: a database dump does not let anyone recover or forge a token. A login
challenge hands the two parts out separately: ``chl_<lookup>`` as its public id (in the verify
URL) and the secret alone as its ``challenge_token`` (in the request body).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

LOOKUP_BYTES = 9
SECRET_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    lookup: str
    secret: str
    hashed: str

    def text(self, kind: str) -> str:
        return f"{kind}_{self.lookup}_{self.secret}"


def hash_secret(secret: str) -> str:
    return "sha256$" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue() -> IssuedToken:
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return IssuedToken(
        lookup=secrets.token_hex(LOOKUP_BYTES), secret=secret, hashed=hash_secret(secret)
    )


def split(kind: str, text: object) -> tuple[str, str] | None:
    """``(lookup, secret)`` of a token of ``kind``, or ``None`` when it is not one."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    head, sep, rest = text.partition("_")
    if head != kind or not sep:
        return None
    lookup, sep, secret = rest.partition("_")
    if not sep or len(lookup) != 2 * LOOKUP_BYTES or not secret:
        return None
    return lookup, secret


def matches(secret: str, hashed: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), hashed)
