"""Checks of Ed25519 public keys (points), which OpenSSL does not make.

``cryptography`` (OpenSSL) takes any 32 bytes as an Ed25519 public key and verifies cofactorless,
without refusing a key of small order: under the identity point, ``R`` = the identity and
``S`` = 0 is a valid signature of *every* message, and the seven other points of small order
(the torsion points) let a "signature" verify for many messages without any private key. So a
public key a client sends is checked here before it is accepted, and a stored one before it is
used:

- :func:`check_public_key`, whenever a key is accepted (an API key registered, rotated or
  enrolled, from the API, the admin or a command; a device key): RFC 8032 §5.1.3 decoding,
  strictly (canonical ``y`` below the field prime, no negative zero), the point on the curve, not
  of small order, and in the prime-order subgroup. Pure Python, about 6 ms (two scalar
  multiplications);
- :func:`is_small_order`, whenever a key is loaded to verify (cheap: one set lookup): the 8
  points of small order, in all their 14 encodings, canonical or not. A key stored before the
  full check existed can still be one of them; :class:`~.algorithms.Ed25519VerifyingKey` then
  verifies nothing.

The list of encodings is the well-known one (libsodium's blocklist, "Taming the many EdDSAs",
Chalkias et al., 2020); ``tests/unit/test_ed25519_points.py`` derives it again from the curve.
"""

from __future__ import annotations

__all__ = [
    "SMALL_ORDER_ENCODINGS",
    "Ed25519PointError",
    "check_public_key",
    "is_small_order",
]

# Ed25519 (RFC 8032 §5.1): the field prime, d, the group order, sqrt(-1).
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_L = 2**252 + 27742317777372353535851937790883648493
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)
_IDENTITY: _Point = (0, 1, 1, 0)

#: Every 32-byte encoding of a point of small order (order 1, 2, 4 or 8).
SMALL_ORDER_ENCODINGS: frozenset[bytes] = frozenset(
    bytes.fromhex(h)
    for h in (
        # canonical: the identity (order 1), (0, -1) (order 2), the two points of order 4 (y = 0),
        # the four points of order 8
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        # non-canonical: x = 0 with the sign bit set (y = 1, y = -1), and y + p for y = 0 and y = 1
        # (the only ones below 2**255), with either sign bit
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )
)


class Ed25519PointError(ValueError):
    """An Ed25519 public key that must not be used; the message never repeats the input."""


def is_small_order(raw: bytes) -> bool:
    """Whether the 32 bytes ``raw`` encode a point of small order (canonically or not)."""
    return bytes(raw) in SMALL_ORDER_ENCODINGS


def check_public_key(raw: bytes) -> None:
    """RFC 8032 §5.1.3 decoding, strictly, then the small-order and subgroup checks; raises
    :class:`Ed25519PointError`."""
    if len(raw) != 32:
        raise Ed25519PointError("An Ed25519 public key is 32 bytes.")
    value = int.from_bytes(raw, "little")
    sign, y = value >> 255, value & ((1 << 255) - 1)
    if y >= _P:
        raise Ed25519PointError("The Ed25519 point is not canonically encoded.")
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if v * x * x % _P == (-u) % _P:
        x = x * _SQRT_M1 % _P
    if v * x * x % _P != u:
        raise Ed25519PointError("The point is not on the Ed25519 curve.")
    if x == 0 and sign:
        raise Ed25519PointError("The Ed25519 point is not canonically encoded.")
    if x & 1 != sign:
        x = _P - x
    point: _Point = (x, y, 1, x * y % _P)
    if _is_identity(_times(point, 8)):
        raise Ed25519PointError(
            "The Ed25519 point has a small order (the identity or a torsion point)."
        )
    if not _is_identity(_times(point, _L)):
        raise Ed25519PointError("The Ed25519 point is not in the prime-order subgroup.")


def _add(a: _Point, b: _Point) -> _Point:
    """Extended twisted Edwards coordinates, a = -1 (complete: any two points)."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = t1 * 2 * _D * t2 % _P
    dd = z1 * 2 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _times(point: _Point, scalar: int) -> _Point:
    result = _IDENTITY
    for bit in bin(scalar)[2:]:
        result = _add(result, result)
        if bit == "1":
            result = _add(result, point)
    return result


def _is_identity(point: _Point) -> bool:
    x, y, z, _t = point
    return x % _P == 0 and (y - z) % _P == 0
