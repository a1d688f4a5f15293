"""Public keys as JWK (RFC 7517/8037), to and from PEM, for every registered algorithm that has
a JWK form (``Algorithm.jwk`` in :mod:`.algorithms`): today Ed25519 (``OKP``) and P-256 (``EC``).
"""

from __future__ import annotations

from typing import Any

from . import algorithms

__all__ = ["jwk_to_pem", "public_key_to_jwk"]


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
