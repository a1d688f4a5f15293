"""Public keys that must never be accepted, built independently of the code under test.

An SPKI of an algorithm no library implements, and Ed25519 points of small or mixed order. Plain
affine arithmetic on the twisted Edwards curve of RFC 8032 (-x² + y² = 1 + d·x²·y²), slow
and obvious, so that the tests do not trust ``signed_api.core.ed25519_points`` to describe
itself: the points of small order are found as multiples of ``L·Q`` for a point ``Q`` of the
full group, their non-canonical encodings are written out from the RFC's encoding rule, and a
point of mixed order is a real public key plus a torsion point.
"""

from __future__ import annotations

import base64
import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P
L = 2**252 + 27742317777372353535851937790883648493
IDENTITY_POINT = (0, 1)
#: The identity point's canonical encoding (y = 1, sign 0).
IDENTITY = bytes([1] + [0] * 31)


def _sqrt(a: int) -> int | None:
    a %= P
    x = pow(a, (P + 3) // 8, P)
    if x * x % P != a:
        x = x * pow(2, (P - 1) // 4, P) % P
    return x if x * x % P == a else None


def add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x = (x1 * y2 + y1 * x2) * pow(1 + t, P - 2, P) % P
    y = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return x, y


def times(point: tuple[int, int], n: int) -> tuple[int, int]:
    result = IDENTITY_POINT
    while n:
        if n & 1:
            result = add(result, point)
        point, n = add(point, point), n >> 1
    return result


def decode(raw: bytes) -> tuple[int, int] | None:
    """RFC 8032 §5.1.3 decoding, lenient (``y`` taken mod p): ``None`` off the curve."""
    value = int.from_bytes(raw, "little")
    y, sign = (value & ((1 << 255) - 1)) % P, value >> 255
    x = _sqrt((y * y - 1) * pow(D * y * y + 1, P - 2, P))
    if x is None:
        return None
    if x & 1 != sign:
        x = (P - x) % P
    return x, y


def encode(point: tuple[int, int]) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def on_curve(point: tuple[int, int]) -> bool:
    x, y = point
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


@functools.cache
def small_order_points() -> tuple[tuple[int, int], ...]:
    """The 8 points of order dividing 8 (the torsion subgroup), as multiples of a generator."""
    for n in range(2, 200):
        q = decode(n.to_bytes(32, "little"))
        if q is None:
            continue
        generator = times(q, L)  # the torsion component of q
        if times(generator, 4) != IDENTITY_POINT:  # of order 8: it generates the subgroup
            return tuple(times(generator, k) for k in range(8))
    raise AssertionError("no point of order 8 found")


def canonical_small_order_encodings() -> list[bytes]:
    return sorted(encode(point) for point in small_order_points())


def non_canonical_small_order_encodings() -> list[bytes]:
    """x = 0 with the sign bit set, and y + p (< 2**255 only for y = 0 and y = 1), either sign."""
    found = []
    for x, y in small_order_points():
        if x == 0:
            found.append((y | 1 << 255).to_bytes(32, "little"))
        if y + P < 2**255:
            for sign in (0, 1):
                found.append((y + P | sign << 255).to_bytes(32, "little"))
    return sorted(set(found))  # both points with y = 0 give the same y + p


def all_small_order_encodings() -> list[bytes]:
    return canonical_small_order_encodings() + non_canonical_small_order_encodings()


def raw_public_key(private: ed25519.Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def mixed_order(raw: bytes) -> bytes:
    """A real public key plus a point of order 8: on the curve, not of small order, not in the
    prime-order subgroup."""
    point = decode(raw)
    assert point is not None
    return encode(add(point, small_order_points()[1]))


def off_curve() -> bytes:
    """A canonical ``y`` for which no ``x`` exists."""
    for y in range(2, 200):
        raw = y.to_bytes(32, "little")
        if decode(raw) is None:
            return raw
    raise AssertionError("no y off the curve found")


def pem(raw: bytes) -> str:
    """The SubjectPublicKeyInfo PEM of any 32 bytes as an Ed25519 key (RFC 8410), by hand."""
    der = bytes.fromhex("302a300506032b6570032100") + raw
    text = base64.b64encode(der).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----\n"


def jwk(raw: bytes) -> dict[str, str]:
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def _tlv(tag: int, value: bytes) -> bytes:
    assert len(value) < 128
    return bytes([tag, len(value)]) + value


def unknown_algorithm_pem() -> str:
    """A well-formed SubjectPublicKeyInfo whose algorithm OID (1.2.3.4) no library knows:
    ``cryptography`` raises ``UnsupportedAlgorithm`` for it, not a ``ValueError``."""
    algorithm = _tlv(0x30, _tlv(0x06, bytes([0x2A, 0x03, 0x04])))
    der = _tlv(0x30, algorithm + _tlv(0x03, b"\x00" + b"\x01" * 32))
    text = base64.b64encode(der).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----\n"


def unknown_algorithm_private_pem() -> str:
    """A well-formed PKCS #8 PrivateKeyInfo of the same unknown algorithm."""
    algorithm = _tlv(0x30, _tlv(0x06, bytes([0x2A, 0x03, 0x04])))
    der = _tlv(0x30, _tlv(0x02, b"\x00") + algorithm + _tlv(0x04, b"\x01" * 32))
    text = base64.b64encode(der).decode("ascii")
    return f"-----BEGIN PRIVATE KEY-----\n{text}\n-----END PRIVATE KEY-----\n"


class Forger:
    """Signs without any private key: ``R`` = the identity, ``S`` = 0. Under the identity as
    public key this verifies for every message, as OpenSSL does not refuse small-order keys."""

    alg = "ed25519"

    def sign(self, data: bytes) -> bytes:
        return IDENTITY + bytes(32)
