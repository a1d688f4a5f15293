"""Device keys: the public key a device-bound session (and its remember-me family) verifies with.

A device (Secure Enclave, Android Keystore, a non-extractable WebCrypto key) keeps the private
key; the server receives the public key at login, as a JWK or a PEM SubjectPublicKeyInfo, and
keeps only that. Everything a client sends is checked here before anything is stored:

- the algorithm is one of the client-held algorithms of the registry that the ``ALGORITHMS``
  setting allows (``ed25519``, ``ecdsa-p256-sha256``), else ``algorithm_unsupported``;
- a JWK is an object of base64url strings (strict: no padding, no stray characters, canonical),
  whose ``kty``/``crv`` are the algorithm's (``OKP``/``Ed25519``, ``EC``/``P-256``) and which has
  no private member (``d``, or RSA's);
- a PEM is exactly one ``PUBLIC KEY`` block of the algorithm's key type (an RSA key, another
  curve, a private key or anything else is refused);
- a P-256 point has both coordinates below the field prime and lies on the curve (the point at
  infinity has no affine form, so it cannot be sent);
- an Ed25519 point is canonically encoded, on the curve, not of small order (the identity and
  the seven other torsion points, with which a "signature" can verify for many messages) and in
  the prime-order subgroup.

Any failure is ``400 public_key_invalid`` with a sentence that never repeats the input. The key
is then stored as canonical PEM, named by its RFC 7638 JWK thumbprint.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..conf import signed_api_settings
from ..core import ECDSA_P256_SHA256, ED25519, algorithms, ed25519_points, load_verifying_key
from ..core.jwk import jwk_thumbprint
from .errors import ServiceError

__all__ = [
    "DeviceKey",
    "DeviceKeyError",
    "allowed_algorithms",
    "jwk_thumbprint",
    "load",
    "parse",
]

#: The algorithms a device key may have, in the order the docs list them.
DEVICE_ALGORITHMS = (ECDSA_P256_SHA256, ED25519)

MAX_PEM_CHARS = 1024  # an SPKI PEM of P-256 or Ed25519 is under 200 characters
MAX_JWK_MEMBERS = 16
MAX_MEMBER_CHARS = 512
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# One block; the base64 in lines of any length (Android's Base64.NO_WRAP writes one line).
_PEM = re.compile(
    r"-----BEGIN PUBLIC KEY-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END PUBLIC KEY-----"
)
# JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# The JOSE name of each algorithm (RFC 7518 §3.4, RFC 8037 §3.1), for a JWK that says "alg".
_JOSE_ALG = {ECDSA_P256_SHA256: "ES256", ED25519: "EdDSA"}

# P-256 (SEC 2 §2.4.2): the field prime.
_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1


class DeviceKeyError(ServiceError):
    """A device key that cannot be used: ``public_key_invalid`` or ``algorithm_unsupported``."""

    default_status = 400


def _invalid(detail: str) -> DeviceKeyError:
    return DeviceKeyError("public_key_invalid", detail)


@dataclass(frozen=True)
class DeviceKey:
    """A checked device public key: its algorithm, canonical PEM, public JWK and thumbprint."""

    algorithm: str
    pem: str
    jwk: dict[str, str]
    thumbprint: str

    def verifying_key(self):
        return load_verifying_key(self.algorithm, self.pem.encode("ascii"))


def allowed_algorithms() -> tuple[str, ...]:
    allowed = set(signed_api_settings.ALGORITHMS)
    return tuple(name for name in DEVICE_ALGORITHMS if name in allowed)


def parse(public_key: Any, algorithm: Any) -> DeviceKey:
    """Check ``public_key`` (a JWK object or a PEM string) for ``algorithm``; raises
    :class:`DeviceKeyError`."""
    allowed = allowed_algorithms()
    if not isinstance(algorithm, str) or algorithm not in allowed:
        raise DeviceKeyError(
            "algorithm_unsupported",
            "A device key's algorithm must be one of: " + ", ".join(allowed) + ".",
        )
    if isinstance(public_key, dict):
        key = _from_jwk(public_key, algorithm)
    elif isinstance(public_key, str):
        key = _from_pem(public_key, algorithm)
    else:
        raise _invalid("public_key must be a JWK object or a PEM public key.")
    return _checked(key, algorithm)


def load(algorithm: str, pem: str) -> DeviceKey:
    """A stored key again (it was checked when it was stored)."""
    return _checked(serialization.load_pem_public_key(pem.encode("ascii")), algorithm)


# -- JWK -----------------------------------------------------------------------------------------
def _member(jwk: dict[str, Any], name: str, size: int) -> bytes:
    text = jwk.get(name)
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise _invalid(f"The JWK member {name!r} must be a base64url string without padding.")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise _invalid(f"The JWK member {name!r} is not canonical base64url.")
    if len(raw) != size:
        raise _invalid(f"The JWK member {name!r} must be {size} bytes.")
    return raw


def _from_jwk(jwk: dict[str, Any], algorithm: str):
    if len(jwk) > MAX_JWK_MEMBERS or not all(isinstance(k, str) for k in jwk):
        raise _invalid("This is not a public JWK.")
    if _PRIVATE_MEMBERS & set(jwk):
        raise _invalid("This JWK holds private key material; send the public key only.")
    for name, value in jwk.items():
        if len(name) > MAX_MEMBER_CHARS or isinstance(value, str) and len(value) > MAX_MEMBER_CHARS:
            raise _invalid("A JWK member is too long.")  # its name is the client's: not repeated
    entry = algorithms.get(algorithm).jwk
    assert entry is not None  # every device algorithm has a JWK form
    if jwk.get("kty") != entry.kty or jwk.get("crv") != entry.crv:
        raise _invalid(f"An {algorithm} key is a JWK with kty {entry.kty!r} and crv {entry.crv!r}.")
    # Optional members may narrow the key (RFC 7517 §4); they must not contradict its use here.
    if "alg" in jwk and jwk["alg"] != _JOSE_ALG[algorithm]:
        raise _invalid(f"The JWK's alg is not {_JOSE_ALG[algorithm]!r}.")
    if "use" in jwk and jwk["use"] != "sig":
        raise _invalid("The JWK's use is not 'sig'.")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise _invalid("The JWK's key_ops do not include 'verify'.")
    if algorithm == ED25519:
        return ed25519.Ed25519PublicKey.from_public_bytes(_member(jwk, "x", 32))
    x, y = _member(jwk, "x", 32), _member(jwk, "y", 32)
    return _p256_point(int.from_bytes(x, "big"), int.from_bytes(y, "big"))


def _p256_point(x: int, y: int):
    if not (0 <= x < _P256_P and 0 <= y < _P256_P):
        raise _invalid("A P-256 coordinate is not below the field prime.")
    try:
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:
        raise _invalid("The point is not on the P-256 curve.") from None


# -- PEM -----------------------------------------------------------------------------------------
def _from_pem(text: str, algorithm: str):
    if len(text) > MAX_PEM_CHARS:
        raise _invalid("The PEM public key is too long.")
    if "PRIVATE KEY" in text:
        raise _invalid("This is a private key; send the public key only.")
    match = _PEM.fullmatch(text.strip())
    if match is None:
        raise _invalid("Expected one PEM 'PUBLIC KEY' block (SubjectPublicKeyInfo).")
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
        return serialization.load_der_public_key(der)
    except (ValueError, TypeError):  # not base64, garbage DER, an unknown curve or key type
        raise _invalid("The PEM public key cannot be read.") from None
    except Exception:  # noqa: BLE001 - any other refusal of the parser is the same answer
        raise _invalid("The PEM public key cannot be read.") from None


# -- the checks both forms share ----------------------------------------------------------------
def _checked(public, algorithm: str) -> DeviceKey:
    if algorithm == ED25519:
        if not isinstance(public, ed25519.Ed25519PublicKey):
            raise _invalid("An ed25519 device key must be an Ed25519 public key.")
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        _check_ed25519_point(raw)
    else:
        if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
            public.curve, ec.SECP256R1
        ):
            raise _invalid("An ecdsa-p256-sha256 device key must be a P-256 public key.")
        numbers = public.public_numbers()
        public = _p256_point(numbers.x, numbers.y)
    entry = algorithms.get(algorithm)
    jwk = entry.public_key_to_jwk(public)
    pem = entry.public_key_to_pem(public).decode("ascii")
    return DeviceKey(algorithm=algorithm, pem=pem, jwk=jwk, thumbprint=jwk_thumbprint(jwk))


def _check_ed25519_point(raw: bytes) -> None:
    """Canonical, on the curve, not of small order, in the prime-order subgroup
    (:func:`signed_api.core.ed25519_points.check_public_key`, which API keys go through too)."""
    try:
        ed25519_points.check_public_key(raw)
    except ed25519_points.Ed25519PointError as exc:
        raise _invalid(str(exc)) from None
