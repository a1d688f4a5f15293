"""Public keys as JWK (RFC 7517/8037), to and from PEM, for every registered algorithm that has
a JWK form (``Algorithm.jwk`` in :mod:`.algorithms`): today Ed25519 (``OKP``) and P-256 (``EC``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import algorithms
from .b64 import b64url_encode

__all__ = ["jwk_thumbprint", "jwk_to_pem", "public_key_to_jwk"]

#: RFC 7638 §3.2: the members of a thumbprint, per key type (RFC 8037 §2 for OKP).
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"),
                      "RSA": ("e", "kty", "n")}


def _with_jwk() -> list[algorithms.Algorithm]:
    return [a for a in algorithms.REGISTRY.values() if a.jwk is not None]


def jwk_to_pem(jwk: dict[str, Any]) -> bytes:
    """A public JWK to PEM SubjectPublicKeyInfo. Private members (``d``) are refused."""
    if not isinstance(jwk, dict):
        raise ValueError("a JWK is a JSON object")
    if "d" in jwk:
        raise ValueError("this JWK contains a private key; send the public key only")
    algorithm = algorithms.for_jwk(jwk)
    if algorithm is None:
        supported = " and ".join(f"{a.jwk.kty}/{a.jwk.crv}" for a in _with_jwk() if a.jwk)
        raise ValueError(f"supported JWKs: {supported}")
    return algorithm.public_key_to_pem(algorithm.public_key_from_jwk(jwk))


def public_key_to_jwk(public_key: Any) -> dict[str, str]:
    for algorithm in _with_jwk():
        if algorithm.public_type is not None and isinstance(public_key, algorithm.public_type):
            return algorithm.public_key_to_jwk(public_key)
    raise ValueError("unsupported public key type")


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in
    lexicographic order without whitespace, base64url without padding."""
    members = THUMBPRINT_MEMBERS.get(jwk.get("kty", ""))
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        raise ValueError("a thumbprint needs an EC, OKP or RSA JWK with its required members")
    text = json.dumps({m: jwk[m] for m in members}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())
