"""Signature algorithms of RFC 9421 §3.3, over ``cryptography``.

The algorithm always comes from the key (§3.3.7: "the verifier MUST use the key's algorithm"),
never from the message: a key object knows its ``alg`` and a request's ``alg`` parameter is only
compared with it. MACs are compared with :func:`hmac.compare_digest` on decoded bytes, and a
MAC or signature of the wrong length is refused before any comparison.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .errors import SIGNATURE_INVALID, SignatureError

__all__ = [
    "ALGORITHMS",
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
    "load_signing_key",
    "load_verifying_key",
]

HMAC_SHA256 = "hmac-sha256"
ED25519 = "ed25519"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
ALGORITHMS = (HMAC_SHA256, ED25519, ECDSA_P256_SHA256, RSA_PSS_SHA512, RSA_V1_5_SHA256)


def _invalid(detail: str) -> SignatureError:
    return SignatureError(SIGNATURE_INVALID, detail)


class VerifyingKey:
    alg: str

    def verify(self, data: bytes, signature: bytes) -> None:  # pragma: no cover - interface
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
    alg = ED25519
    __slots__ = ("public_key",)

    def __init__(self, public_key: ed25519.Ed25519PublicKey):
        self.public_key = public_key

    def verify(self, data: bytes, signature: bytes) -> None:
        if len(signature) != 64:
            raise _invalid(f"ed25519 signature must be 64 bytes, got {len(signature)}")
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
    _hash = hashes.SHA512

    def _padding(self) -> padding.AsymmetricPadding:
        # §3.3.1: MGF1 with SHA-512 and a 64-byte salt.
        return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


class RsaV15Sha256VerifyingKey(_RsaVerifyingKey):
    alg = RSA_V1_5_SHA256
    _hash = hashes.SHA256

    def _padding(self) -> padding.AsymmetricPadding:
        return padding.PKCS1v15()


class _RsaSigningMixin(SigningKey):
    private_key: rsa.RSAPrivateKey

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, self._padding(), self._hash())  # type: ignore[attr-defined]


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

    def __init__(self, keys):
        keys = tuple(keys)
        if not keys or len({k.alg for k in keys}) != 1:
            raise ValueError("a key chain needs keys of one algorithm")
        self.keys = keys

    @property
    def alg(self) -> str:  # type: ignore[override]
        return self.keys[0].alg

    def verify(self, data: bytes, signature: bytes) -> VerifyingKey:
        matched = None
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


# -- loading ----------------------------------------------------------------------------------
_PRIVATE = {
    ED25519: (ed25519.Ed25519PrivateKey, Ed25519SigningKey),
    ECDSA_P256_SHA256: (ec.EllipticCurvePrivateKey, EcdsaP256SigningKey),
    RSA_PSS_SHA512: (rsa.RSAPrivateKey, RsaPssSha512SigningKey),
    RSA_V1_5_SHA256: (rsa.RSAPrivateKey, RsaV15Sha256SigningKey),
}
_PUBLIC = {
    ED25519: (ed25519.Ed25519PublicKey, Ed25519VerifyingKey),
    ECDSA_P256_SHA256: (ec.EllipticCurvePublicKey, EcdsaP256VerifyingKey),
    RSA_PSS_SHA512: (rsa.RSAPublicKey, RsaPssSha512VerifyingKey),
    RSA_V1_5_SHA256: (rsa.RSAPublicKey, RsaV15Sha256VerifyingKey),
}


def _check_alg(alg: str) -> None:
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported algorithm {alg!r}; expected one of {', '.join(ALGORITHMS)}")


def load_signing_key(alg: str, material) -> SigningKey:
    """A key that signs: the hmac secret (bytes), or a private key as PEM bytes or object."""
    _check_alg(alg)
    if alg == HMAC_SHA256:
        return HmacSha256Key(material)
    key_type, wrapper = _PRIVATE[alg]
    if isinstance(material, str):
        material = material.encode("ascii")
    if isinstance(material, (bytes, bytearray)):
        material = serialization.load_pem_private_key(bytes(material), password=None)
    if not isinstance(material, key_type):
        raise ValueError(f"{alg} needs a {key_type.__name__}, got {type(material).__name__}")
    return wrapper(material)


def load_verifying_key(alg: str, material) -> VerifyingKey:
    """A key that verifies: the hmac secret, or a public key as PEM, raw Ed25519 bytes or object.

    A private key is accepted too; only its public half is kept.
    """
    _check_alg(alg)
    if alg == HMAC_SHA256:
        return HmacSha256Key(material)
    key_type, wrapper = _PUBLIC[alg]
    if isinstance(material, str):
        material = material.encode("ascii")
    if isinstance(material, (bytes, bytearray)):
        material = bytes(material)
        if alg == ED25519 and len(material) == 32:
            material = ed25519.Ed25519PublicKey.from_public_bytes(material)
        elif b"PRIVATE KEY" in material:
            material = serialization.load_pem_private_key(material, password=None).public_key()
        else:
            material = serialization.load_pem_public_key(material)
    elif hasattr(material, "public_key") and not isinstance(material, key_type):
        material = material.public_key()
    if not isinstance(material, key_type):
        raise ValueError(f"{alg} needs a {key_type.__name__}, got {type(material).__name__}")
    return wrapper(material)
