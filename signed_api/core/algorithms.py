"""Signature algorithms of RFC 9421 §3.3, over ``cryptography``.

The algorithm always comes from the key (§3.3.7: "the verifier MUST use the key's algorithm"),
never from the message: a key object knows its ``alg`` and a request's ``alg`` parameter is only
compared with it. MACs are compared with :func:`hmac.compare_digest` on decoded bytes, and a
MAC or signature of the wrong length is refused before any comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from . import ed25519_points
from .b64 import b64url_decode, b64url_encode
from .errors import SIGNATURE_INVALID, SignatureError

__all__ = [
    "ALGORITHMS",
    "CLIENT_HELD",
    "REGISTRY",
    "SHARED_SECRET",
    "Algorithm",
    "Jwk",
    "HMAC_SHA256",
    "ED25519",
    "ECDSA_P256_SHA256",
    "RSA_PSS_SHA512",
    "RSA_V1_5_SHA256",
    "HmacSha256Key",
    "KeyChain",
    "Ed25519SigningKey",
    "Ed25519VerifyingKey",
    "EcdsaP256SigningKey",
    "EcdsaP256VerifyingKey",
    "RsaPssSha512SigningKey",
    "RsaPssSha512VerifyingKey",
    "RsaV15Sha256SigningKey",
    "RsaV15Sha256VerifyingKey",
    "for_jwk",
    "get",
    "load_signing_key",
    "load_verifying_key",
    "names",
    "register",
]

HMAC_SHA256 = "hmac-sha256"
ED25519 = "ed25519"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
RSA_V1_5_SHA256 = "rsa-v1_5-sha256"


def _invalid(detail: str) -> SignatureError:
    return SignatureError(SIGNATURE_INVALID, detail)


class VerifyingKey:
    alg: str
    if TYPE_CHECKING:  # every concrete key class is built from its one key material
        def __init__(self, material: Any, /) -> None: ...

    # Raises SignatureError; returns None, or for a KeyChain the member key that verified.
    def verify(self, data: bytes, signature: bytes) -> VerifyingKey | None:  # pragma: no cover
        raise NotImplementedError


class SigningKey(VerifyingKey):
    def sign(self, data: bytes) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def verifying_key(self) -> VerifyingKey:  # pragma: no cover - interface
        raise NotImplementedError


# -- hmac-sha256 (§3.3.3) ---------------------------------------------------------------------
class HmacSha256Key(SigningKey):
    """A shared secret; signs and verifies. ``repr`` never shows the secret."""

    alg = HMAC_SHA256
    __slots__ = ("_mac",)

    def __init__(self, secret: bytes):
        if not isinstance(secret, (bytes, bytearray)) or not secret:
            raise ValueError("an hmac-sha256 key needs the secret as non-empty bytes")
        # Keyed once; each MAC starts from a copy (cheaper than re-keying under OpenSSL 3).
        self._mac = hmac.new(bytes(secret), digestmod=hashlib.sha256)

    def sign(self, data: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(data)
        return mac.digest()

    def verify(self, data: bytes, signature: bytes) -> None:
        if len(signature) != 32:
            raise _invalid(f"hmac-sha256 MAC must be 32 bytes, got {len(signature)}")
        if not hmac.compare_digest(self.sign(data), signature):
            raise _invalid("hmac-sha256 MAC does not match")

    def verifying_key(self) -> HmacSha256Key:
        return self

    def __repr__(self) -> str:
        return "<HmacSha256Key secret=***>"


# -- ed25519 (§3.3.6) -------------------------------------------------------------------------
class Ed25519VerifyingKey(VerifyingKey):
    """An Ed25519 public key. One of small order (:mod:`.ed25519_points`: the identity, for which
    ``R`` = identity, ``S`` = 0 verifies every message, and the other torsion points) verifies
    nothing: keys are checked fully when they are accepted, and this cheap check (one set lookup,
    once per loaded key) refuses such a key stored before that."""

    alg = ED25519
    __slots__ = ("public_key", "small_order")

    def __init__(self, public_key: ed25519.Ed25519PublicKey):
        self.public_key = public_key
        self.small_order = ed25519_points.is_small_order(
            public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def verify(self, data: bytes, signature: bytes) -> None:
        if len(signature) != 64:
            raise _invalid(f"ed25519 signature must be 64 bytes, got {len(signature)}")
        if self.small_order:
            raise _invalid("ed25519 public key of small order: it verifies nothing")
        try:
            self.public_key.verify(signature, data)
        except InvalidSignature:
            raise _invalid("ed25519 signature does not verify") from None


class Ed25519SigningKey(Ed25519VerifyingKey, SigningKey):
    __slots__ = ("private_key",)

    def __init__(self, private_key: ed25519.Ed25519PrivateKey):
        super().__init__(private_key.public_key())
        self.private_key = private_key

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def verifying_key(self) -> Ed25519VerifyingKey:
        return Ed25519VerifyingKey(self.public_key)


# -- ecdsa-p256-sha256 (§3.3.4): r and s as 32-byte big-endian integers, concatenated -------
class EcdsaP256VerifyingKey(VerifyingKey):
    alg = ECDSA_P256_SHA256
    __slots__ = ("public_key",)

    def __init__(self, public_key: ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise ValueError("ecdsa-p256-sha256 needs a P-256 key")
        self.public_key = public_key

    def verify(self, data: bytes, signature: bytes) -> None:
        if len(signature) != 64:
            raise _invalid(f"ecdsa-p256-sha256 signature must be 64 bytes, got {len(signature)}")
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        try:
            self.public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            raise _invalid("ecdsa-p256-sha256 signature does not verify") from None


class EcdsaP256SigningKey(EcdsaP256VerifyingKey, SigningKey):
    __slots__ = ("private_key",)

    def __init__(self, private_key: ec.EllipticCurvePrivateKey):
        super().__init__(private_key.public_key())
        self.private_key = private_key

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self.private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def verifying_key(self) -> EcdsaP256VerifyingKey:
        return EcdsaP256VerifyingKey(self.public_key)


# -- RSA (§3.3.1 rsa-pss-sha512, §3.3.2 rsa-v1_5-sha256) ------------------------------------
class _RsaVerifyingKey(VerifyingKey):
    __slots__ = ("public_key",)
    _hash: type[hashes.HashAlgorithm]

    def __init__(self, public_key: rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise ValueError("RSA keys must have at least 2048 bits")
        self.public_key = public_key

    def _padding(self) -> padding.AsymmetricPadding:  # pragma: no cover - interface
        raise NotImplementedError

    def verify(self, data: bytes, signature: bytes) -> None:
        if len(signature) != self.public_key.key_size // 8:
            raise _invalid(f"{self.alg} signature has the wrong length")
        try:
            self.public_key.verify(signature, data, self._padding(), self._hash())
        except InvalidSignature:
            raise _invalid(f"{self.alg} signature does not verify") from None


class RsaPssSha512VerifyingKey(_RsaVerifyingKey):
    alg = RSA_PSS_SHA512
    _hash: type[hashes.HashAlgorithm] = hashes.SHA512

    def _padding(self) -> padding.AsymmetricPadding:
        # §3.3.1: MGF1 with SHA-512 and a 64-byte salt.
        return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


class RsaV15Sha256VerifyingKey(_RsaVerifyingKey):
    alg = RSA_V1_5_SHA256
    _hash: type[hashes.HashAlgorithm] = hashes.SHA256

    def _padding(self) -> padding.AsymmetricPadding:
        return padding.PKCS1v15()


class _RsaSigningMixin(SigningKey):
    private_key: rsa.RSAPrivateKey
    if TYPE_CHECKING:  # from the _RsaVerifyingKey it is combined with
        _hash: type[hashes.HashAlgorithm]
        def _padding(self) -> padding.AsymmetricPadding: ...

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, self._padding(), self._hash())


class RsaPssSha512SigningKey(_RsaSigningMixin, RsaPssSha512VerifyingKey):
    __slots__ = ("private_key",)

    def __init__(self, private_key: rsa.RSAPrivateKey):
        super().__init__(private_key.public_key())
        self.private_key = private_key

    def verifying_key(self) -> RsaPssSha512VerifyingKey:
        return RsaPssSha512VerifyingKey(self.public_key)


class RsaV15Sha256SigningKey(_RsaSigningMixin, RsaV15Sha256VerifyingKey):
    __slots__ = ("private_key",)

    def __init__(self, private_key: rsa.RSAPrivateKey):
        super().__init__(private_key.public_key())
        self.private_key = private_key

    def verifying_key(self) -> RsaV15Sha256VerifyingKey:
        return RsaV15Sha256VerifyingKey(self.public_key)


# -- rotation -------------------------------------------------------------------------------
class KeyChain(VerifyingKey):
    """The current key and the previous ones still inside their overlap window.

    ``verify`` tries every key (all of them, so the time taken does not tell which one
    matched) and returns the key that verified, so the response can be signed with the very
    secret the request used.
    """

    __slots__ = ("keys",)

    def __init__(self, keys: Iterable[VerifyingKey]):
        members = tuple(keys)
        if not members or len({k.alg for k in members}) != 1:
            raise ValueError("a key chain needs keys of one algorithm")
        self.keys = members

    @property
    def alg(self) -> str:  # type: ignore[override]  # mypy: a property for an attribute
        return self.keys[0].alg

    def verify(self, data: bytes, signature: bytes) -> VerifyingKey:
        matched: VerifyingKey | None = None
        for key in self.keys:
            try:
                key.verify(data, signature)
            except SignatureError:
                continue
            if matched is None:
                matched = key
        if matched is None:
            raise _invalid(f"{self.alg} signature verifies with no key of the chain")
        return matched


# -- the registry -----------------------------------------------------------------------------
#: Key types: the server keeps the secret (and must use it), or the client holds the private key
#: and the server keeps only the public key. Also the labels' wording: "ed25519 (client-held key)".
SHARED_SECRET = "shared secret"
CLIENT_HELD = "client-held key"


def _jwk_member(jwk: dict[str, Any], name: str) -> bytes:
    text = jwk.get(name, "")
    if not isinstance(text, str):
        raise ValueError("JWK members are base64url strings")
    return b64url_decode(text)


def _ed25519_to_jwk(public_key: Any) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def _ed25519_from_jwk(jwk: dict[str, Any]) -> Any:
    return ed25519.Ed25519PublicKey.from_public_bytes(_jwk_member(jwk, "x"))


def _p256_to_jwk(public_key: Any) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }


def _p256_from_jwk(jwk: dict[str, Any]) -> Any:
    x, y = _jwk_member(jwk, "x"), _jwk_member(jwk, "y")
    if len(x) != 32 or len(y) != 32:
        raise ValueError("P-256 coordinates are 32 bytes each")
    return ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    ).public_key()


@dataclass(frozen=True)
class Jwk:
    """How a public key of one algorithm is written as a JWK (RFC 7517, RFC 8037)."""

    kty: str
    crv: str
    to_jwk: Callable[[Any], dict[str, str]]
    from_jwk: Callable[[dict[str, Any]], Any]

    def matches(self, jwk: dict[str, Any]) -> bool:
        return jwk.get("kty") == self.kty and jwk.get("crv") == self.crv


@dataclass(frozen=True)
class Algorithm:
    """Everything the package knows about one algorithm; every list of algorithms derives
    from :data:`REGISTRY` (docs/architecture.md, "Add an algorithm").

    ``signing_key`` and ``verifying_key`` are the key classes that sign and verify; a
    shared-secret algorithm has one class for both and ``secret_bytes`` random bytes per new
    key; a client-held one names the ``cryptography`` types of its private and public keys,
    ``generate`` (a new private key, as a client makes one) and ``jwk`` when a public key may
    arrive as a JWK. ``api_keys``: offered for the app's keys
    (the ``ALGORITHMS`` setting's default), not only to the core and the client.
    """

    name: str
    key_type: str
    signing_key: type[SigningKey]
    verifying_key: type[VerifyingKey]
    private_type: type | None = None
    public_type: type | None = None
    secret_bytes: int | None = None
    jwk: Jwk | None = None
    raw_public_key: Callable[[bytes], Any] | None = None
    raw_public_bytes: int | None = None
    generate: Callable[[], Any] | None = None
    api_keys: bool = True

    @property
    def label(self) -> str:
        """How forms and the admin show it: ``"ed25519 (client-held key)"``."""
        return f"{self.name} ({self.key_type})"

    @property
    def shared_secret(self) -> bool:
        return self.key_type == SHARED_SECRET

    def new_secret(self) -> bytes:
        """A fresh random secret for a new key of a shared-secret algorithm."""
        if self.secret_bytes is None:
            raise ValueError(f"an {self.name} key has no shared secret")
        return secrets.token_bytes(self.secret_bytes)

    def load_signing_key(self, material: Any) -> SigningKey:
        """A key that signs: the secret (bytes), or a private key as PEM bytes or object."""
        if self.shared_secret:
            return self.signing_key(material)
        assert self.private_type is not None
        if isinstance(material, str):
            material = material.encode("ascii")
        if isinstance(material, (bytes, bytearray)):
            material = _pem_private_key(bytes(material))
        if not isinstance(material, self.private_type):
            raise ValueError(
                f"{self.name} needs a {self.private_type.__name__}, got {type(material).__name__}"
            )
        return self.signing_key(material)

    def load_verifying_key(self, material: Any) -> VerifyingKey:
        """A key that verifies: the secret, or a public key as PEM, raw bytes or object.

        A private key is accepted too; only its public half is kept.
        """
        if self.shared_secret:
            return self.verifying_key(material)
        assert self.public_type is not None
        if isinstance(material, str):
            material = material.encode("ascii")
        if isinstance(material, (bytes, bytearray)):
            material = bytes(material)
            if self.raw_public_key is not None and len(material) == self.raw_public_bytes:
                material = self.raw_public_key(material)
            elif b"PRIVATE KEY" in material:
                material = _pem_private_key(material).public_key()
            else:
                material = self.public_key_from_pem(material)
        elif hasattr(material, "public_key") and not isinstance(material, self.public_type):
            material = material.public_key()
        if not isinstance(material, self.public_type):
            raise ValueError(
                f"{self.name} needs a {self.public_type.__name__}, got {type(material).__name__}"
            )
        return self.verifying_key(material)

    # -- PEM (SubjectPublicKeyInfo) and JWK, in and out --------------------------------------
    def public_key_from_pem(self, pem: bytes) -> Any:
        try:
            return serialization.load_pem_public_key(pem)
        except UnsupportedAlgorithm:  # a well-formed SPKI of an algorithm nobody implements
            raise ValueError("the PEM holds a public key of an unsupported algorithm") from None

    def public_key_to_pem(self, public_key: Any) -> bytes:
        pem: bytes = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem

    def public_key_from_jwk(self, jwk: dict[str, Any]) -> Any:
        if self.jwk is None:
            raise ValueError(f"an {self.name} key has no JWK form here")
        return self.jwk.from_jwk(jwk)

    def public_key_to_jwk(self, public_key: Any) -> dict[str, str]:
        if self.jwk is None:
            raise ValueError(f"an {self.name} key has no JWK form here")
        return self.jwk.to_jwk(public_key)


def _pem_private_key(pem: bytes) -> Any:
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except UnsupportedAlgorithm:
        raise ValueError("the PEM holds a private key of an unsupported algorithm") from None


#: Every algorithm by name, in the order forms and the docs list them.
REGISTRY: dict[str, Algorithm] = {}


def register(algorithm: Algorithm) -> Algorithm:
    """Add an algorithm to :data:`REGISTRY` (a name is registered once)."""
    if algorithm.name in REGISTRY:
        raise ValueError(f"algorithm {algorithm.name!r} is already registered")
    REGISTRY[algorithm.name] = algorithm
    return algorithm


def get(name: str) -> Algorithm:
    """The registered algorithm ``name``; ``ValueError`` for any other."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unsupported algorithm {name!r}; expected one of {', '.join(REGISTRY)}"
        ) from None


def names(*, api_keys: bool = False) -> tuple[str, ...]:
    """The registered names; with ``api_keys``, only those offered for the app's keys."""
    return tuple(n for n, a in REGISTRY.items() if a.api_keys or not api_keys)


def for_jwk(jwk: dict[str, Any]) -> Algorithm | None:
    """The algorithm whose public keys are written as this JWK's ``kty``/``crv``, if any."""
    return next((a for a in REGISTRY.values() if a.jwk and a.jwk.matches(jwk)), None)


register(Algorithm(HMAC_SHA256, SHARED_SECRET, HmacSha256Key, HmacSha256Key, secret_bytes=32))
register(Algorithm(
    ED25519, CLIENT_HELD, Ed25519SigningKey, Ed25519VerifyingKey,
    private_type=ed25519.Ed25519PrivateKey, public_type=ed25519.Ed25519PublicKey,
    jwk=Jwk("OKP", "Ed25519", _ed25519_to_jwk, _ed25519_from_jwk),
    raw_public_key=ed25519.Ed25519PublicKey.from_public_bytes, raw_public_bytes=32,
    generate=ed25519.Ed25519PrivateKey.generate,
))
register(Algorithm(
    ECDSA_P256_SHA256, CLIENT_HELD, EcdsaP256SigningKey, EcdsaP256VerifyingKey,
    private_type=ec.EllipticCurvePrivateKey, public_type=ec.EllipticCurvePublicKey,
    jwk=Jwk("EC", "P-256", _p256_to_jwk, _p256_from_jwk),
    generate=lambda: ec.generate_private_key(ec.SECP256R1()),
))


def _rsa_2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# The core signs and verifies RSA (RFC 9421 B.2 vectors, other servers); the app's keys do not.
register(Algorithm(
    RSA_PSS_SHA512, CLIENT_HELD, RsaPssSha512SigningKey, RsaPssSha512VerifyingKey,
    private_type=rsa.RSAPrivateKey, public_type=rsa.RSAPublicKey, generate=_rsa_2048,
    api_keys=False,
))
register(Algorithm(
    RSA_V1_5_SHA256, CLIENT_HELD, RsaV15Sha256SigningKey, RsaV15Sha256VerifyingKey,
    private_type=rsa.RSAPrivateKey, public_type=rsa.RSAPublicKey, generate=_rsa_2048,
    api_keys=False,
))

#: The built-in algorithms' names (the registry itself is :data:`REGISTRY`).
ALGORITHMS = names()


# -- loading ----------------------------------------------------------------------------------
def load_signing_key(alg: str, material: Any) -> SigningKey:
    """A key that signs: the hmac secret (bytes), or a private key as PEM bytes or object."""
    return get(alg).load_signing_key(material)


def load_verifying_key(alg: str, material: Any) -> VerifyingKey:
    """A key that verifies: the hmac secret, or a public key as PEM, raw Ed25519 bytes or object.

    A private key is accepted too; only its public half is kept.
    """
    return get(alg).load_verifying_key(material)
