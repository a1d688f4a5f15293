"""Public keys as JWK (RFC 7517/8037): Ed25519 (``OKP``) and P-256 (``EC``), to and from PEM."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

__all__ = ["jwk_to_pem", "public_key_to_jwk"]


def _b64d(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError("JWK members are base64url strings")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_to_pem(jwk: dict) -> bytes:
    """A public JWK to PEM SubjectPublicKeyInfo. Private members (``d``) are refused."""
    if not isinstance(jwk, dict):
        raise ValueError("a JWK is a JSON object")
    if "d" in jwk:
        raise ValueError("this JWK contains a private key; send the public key only")
    kty = jwk.get("kty")
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        key = ed25519.Ed25519PublicKey.from_public_bytes(_b64d(jwk.get("x", "")))
    elif kty == "EC" and jwk.get("crv") == "P-256":
        x, y = _b64d(jwk.get("x", "")), _b64d(jwk.get("y", ""))
        if len(x) != 32 or len(y) != 32:
            raise ValueError("P-256 coordinates are 32 bytes each")
        key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    else:
        raise ValueError("supported JWKs: OKP/Ed25519 and EC/P-256")
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_to_jwk(public_key) -> dict:
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64e(raw)}
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        numbers = public_key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64e(numbers.x.to_bytes(32, "big")),
            "y": _b64e(numbers.y.to_bytes(32, "big")),
        }
    raise ValueError("unsupported public key type")
