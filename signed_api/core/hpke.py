"""Hybrid Public Key Encryption (RFC 9180), base mode, behind a small interface of our own.

This is the only module that imports the HPKE library (pyhpke). Everything else, Oblivious
HTTP in :mod:`signed_api.core.ohttp` included, sees numeric algorithm identifiers, ``bytes``
keys, two context classes (:class:`SenderContext`, :class:`RecipientContext`) with
``seal``/``open``/``export``, and the plain KDF and AEAD functions that RFC 9458 §4.4 uses for
the response. Swapping the library means rewriting this file only.

Errors are :class:`HPKEError` subclasses (all ``ValueError``): :class:`UnsupportedAlgorithm`
for an identifier this module does not implement, :class:`InvalidKey` for key or ``enc`` bytes
the KEM refuses, :class:`OpenFailed` for a ciphertext that does not authenticate. No other
exception leaves a function here for bad input; the library's own exceptions are caught
narrowly, where they can arise.
"""

from __future__ import annotations

import hmac as _hmac
import secrets
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMInterface, KEMKey, KEMKeyPair, PyHPKEError
from pyhpke import ContextInterface as _LibraryContext
from pyhpke import KEMKeyInterface as _LibraryKey

__all__ = [
    "AEAD_AES_128_GCM",
    "AEAD_AES_256_GCM",
    "AEAD_CHACHA20_POLY1305",
    "KDF_HKDF_SHA256",
    "KDF_HKDF_SHA384",
    "KDF_HKDF_SHA512",
    "KEM_X25519_HKDF_SHA256",
    "HPKEError",
    "InvalidKey",
    "OpenFailed",
    "PrivateKey",
    "RecipientContext",
    "SenderContext",
    "Suite",
    "UnsupportedAlgorithm",
    "aead_open",
    "aead_seal",
    "derive_key_pair",
    "generate_private_key",
    "kdf_expand",
    "kdf_extract",
    "load_private_key",
    "public_key",
    "setup_base_recipient",
    "setup_base_sender",
    "supported_aeads",
    "supported_kdfs",
    "supported_kems",
]

# IANA HPKE registry identifiers (RFC 9180 §7).
KEM_X25519_HKDF_SHA256 = 0x0020
KDF_HKDF_SHA256 = 0x0001
KDF_HKDF_SHA384 = 0x0002
KDF_HKDF_SHA512 = 0x0003
AEAD_AES_128_GCM = 0x0001
AEAD_AES_256_GCM = 0x0002
AEAD_CHACHA20_POLY1305 = 0x0003


@dataclass(frozen=True)
class _KEMParams:
    library_id: KEMId
    n_secret: int  # Nsecret
    n_enc: int  # Nenc
    n_pk: int  # Npk
    n_sk: int  # Nsk


@dataclass(frozen=True)
class _AEADParams:
    library_id: AEADId
    n_k: int  # Nk
    n_n: int  # Nn
    n_t: int  # Nt


# RFC 9180 §7.1 and §7.3. Only what is implemented and tested is listed; a post-quantum KEM
# (X-Wing) goes here when the library offers it with exporters.
_KEMS = {
    KEM_X25519_HKDF_SHA256: _KEMParams(KEMId.DHKEM_X25519_HKDF_SHA256, 32, 32, 32, 32),
}
_KDFS = {
    KDF_HKDF_SHA256: KDFId.HKDF_SHA256,
    KDF_HKDF_SHA384: KDFId.HKDF_SHA384,
    KDF_HKDF_SHA512: KDFId.HKDF_SHA512,
}
_AEADS = {
    AEAD_AES_128_GCM: _AEADParams(AEADId.AES128_GCM, 16, 12, 16),
    AEAD_AES_256_GCM: _AEADParams(AEADId.AES256_GCM, 32, 12, 16),
    AEAD_CHACHA20_POLY1305: _AEADParams(AEADId.CHACHA20_POLY1305, 32, 12, 16),
}


class HPKEError(ValueError):
    """Base of every error this module raises for bad input."""


class UnsupportedAlgorithm(HPKEError):
    """A KEM, KDF or AEAD identifier this module does not implement."""


class InvalidKey(HPKEError):
    """Key bytes (or an ``enc``) that the KEM refuses: wrong length, or an invalid point."""


class OpenFailed(HPKEError):
    """The ciphertext did not authenticate (wrong key, tampered bytes, wrong aad)."""


def supported_kems() -> frozenset[int]:
    return frozenset(_KEMS)


def supported_kdfs() -> frozenset[int]:
    return frozenset(_KDFS)


def supported_aeads() -> frozenset[int]:
    return frozenset(_AEADS)


def _kem(kem_id: int) -> _KEMParams:
    try:
        return _KEMS[kem_id]
    except KeyError:
        raise UnsupportedAlgorithm(f"unsupported KEM 0x{kem_id:04x}") from None


def _aead(aead_id: int) -> _AEADParams:
    try:
        return _AEADS[aead_id]
    except KeyError:
        raise UnsupportedAlgorithm(f"unsupported AEAD 0x{aead_id:04x}") from None


def _kdf(kdf_id: int) -> KDFId:
    try:
        return _KDFS[kdf_id]
    except KeyError:
        raise UnsupportedAlgorithm(f"unsupported KDF 0x{kdf_id:04x}") from None


@cache
def _library_suite(kem_id: int, kdf_id: int, aead_id: int) -> CipherSuite:
    return CipherSuite.new(_kem(kem_id).library_id, _kdf(kdf_id), _aead(aead_id).library_id)


@dataclass(frozen=True)
class Suite:
    """One HPKE ciphersuite: a KEM, a KDF and an AEAD, by their registry identifiers.

    Constructing one with an identifier this module does not implement raises
    :class:`UnsupportedAlgorithm`, so a ``Suite`` in hand is always usable.
    """

    kem_id: int
    kdf_id: int
    aead_id: int

    def __post_init__(self) -> None:
        _kem(self.kem_id)
        _kdf(self.kdf_id)
        _aead(self.aead_id)

    @property
    def n_enc(self) -> int:
        """Length of the KEM's encapsulated key ``enc``."""
        return _kem(self.kem_id).n_enc

    @property
    def n_pk(self) -> int:
        """Length of a serialized public key."""
        return _kem(self.kem_id).n_pk

    @property
    def n_k(self) -> int:
        """Length of the AEAD key."""
        return _aead(self.aead_id).n_k

    @property
    def n_n(self) -> int:
        """Length of the AEAD nonce."""
        return _aead(self.aead_id).n_n

    @property
    def n_t(self) -> int:
        """Length of the AEAD tag."""
        return _aead(self.aead_id).n_t

    def _library(self) -> CipherSuite:
        return _library_suite(self.kem_id, self.kdf_id, self.aead_id)


# --- keys ---------------------------------------------------------------------------------


def _library_kem(kem_id: int) -> KEMInterface:
    # The KEM does not depend on the KDF and AEAD of the suite it is taken from.
    return _library_suite(kem_id, KDF_HKDF_SHA256, AEAD_AES_128_GCM).kem


def _private(kem_id: int, private_key: bytes) -> _LibraryKey:
    params = _kem(kem_id)
    if len(private_key) != params.n_sk:
        raise InvalidKey("private key has the wrong length")
    try:
        return _library_kem(kem_id).deserialize_private_key(bytes(private_key))
    except (ValueError, PyHPKEError):
        raise InvalidKey("invalid private key") from None


def _public_of(private: _LibraryKey) -> _LibraryKey:
    # The library keeps the pyca/cryptography key object in ``raw``.
    return KEMKey.from_pyca_cryptography_key(private.raw.public_key())


def _public(kem_id: int, public_key: bytes) -> _LibraryKey:
    params = _kem(kem_id)
    if len(public_key) != params.n_pk:
        raise InvalidKey("public key has the wrong length")
    try:
        return _library_kem(kem_id).deserialize_public_key(bytes(public_key))
    except (ValueError, PyHPKEError):
        raise InvalidKey("invalid public key") from None


def generate_private_key(kem_id: int = KEM_X25519_HKDF_SHA256) -> bytes:
    """A fresh private key: ``DeriveKeyPair`` (RFC 9180 §7.1.3) of ``Nsk`` random bytes."""
    return derive_key_pair(kem_id, secrets.token_bytes(_kem(kem_id).n_sk))[0]


def derive_key_pair(kem_id: int, ikm: bytes) -> tuple[bytes, bytes]:
    """``DeriveKeyPair(ikm)`` (RFC 9180 §7.1.3): the serialized ``(private_key, public_key)``."""
    params = _kem(kem_id)
    if len(ikm) < params.n_sk:
        raise InvalidKey("ikm shorter than Nsk")
    try:
        pair = _library_kem(kem_id).derive_key_pair(bytes(ikm))
        return pair.private_key.to_private_bytes(), pair.public_key.to_public_bytes()
    except (ValueError, PyHPKEError):  # pragma: no cover - DeriveKeyPair accepts any ikm >= Nsk
        raise InvalidKey("key derivation failed") from None


def public_key(kem_id: int, private_key: bytes) -> bytes:
    """The serialized public key of ``private_key`` (``SerializePublicKey(pk(sk))``)."""
    return _public_of(_private(kem_id, private_key)).to_public_bytes()


class PrivateKey:
    """A private key of a KEM, loaded once (:func:`load_private_key`) and used for many
    :func:`setup_base_recipient` calls: loading an X25519 key costs about as much as the key
    exchange itself, so a gateway keeps its keys loaded. Opaque; never shows the key."""

    __slots__ = ("_key", "kem_id", "public_key")

    def __init__(self, kem_id: int, key: _LibraryKey) -> None:
        self.kem_id = kem_id
        self._key = key
        #: ``SerializePublicKey(pk(sk))``.
        self.public_key: bytes = _public_of(key).to_public_bytes()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kem_id=0x{self.kem_id:04x})"


def load_private_key(kem_id: int, private_key: bytes) -> PrivateKey:
    """``DeserializePrivateKey(sk)``, kept for reuse; :class:`InvalidKey` when the KEM refuses
    the bytes."""
    return PrivateKey(kem_id, _private(kem_id, private_key))


# --- contexts -----------------------------------------------------------------------------


class _Context:
    __slots__ = ("_context", "suite")

    def __init__(self, suite: Suite, context: _LibraryContext) -> None:
        self.suite = suite
        self._context = context

    def export(self, exporter_context: bytes, length: int) -> bytes:
        """``Context.Export(exporter_context, L)`` (RFC 9180 §5.3)."""
        if not 0 < length <= 255 * _hash_length(self.suite.kdf_id):
            raise ValueError("export length out of range")
        return self._context.export(bytes(exporter_context), length)


class SenderContext(_Context):
    """The sender's context of ``SetupBaseS``: ``seal`` and ``export``."""

    __slots__ = ()

    def seal(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        """``Context.Seal(aad, pt)``; each call uses the next sequence number."""
        return self._context.seal(bytes(plaintext), bytes(aad))


class RecipientContext(_Context):
    """The recipient's context of ``SetupBaseR``: ``open`` and ``export``."""

    __slots__ = ()

    def open(self, ciphertext: bytes, aad: bytes = b"") -> bytes:
        """``Context.Open(aad, ct)``; :class:`OpenFailed` when it does not authenticate."""
        try:
            return self._context.open(bytes(ciphertext), bytes(aad))
        except (PyHPKEError, InvalidTag, ValueError):
            raise OpenFailed("ciphertext does not authenticate") from None


def setup_base_sender(
    suite: Suite,
    recipient_public_key: bytes,
    info: bytes,
    *,
    ephemeral_private_key: bytes | None = None,
) -> tuple[bytes, SenderContext]:
    """``SetupBaseS(pkR, info)`` (RFC 9180 §5.1.1): ``(enc, context)``.

    ``ephemeral_private_key`` fixes the KEM's ephemeral key, for published test vectors only;
    without it the library draws a fresh one.
    """
    pkr = _public(suite.kem_id, recipient_public_key)
    eks = None
    if ephemeral_private_key is not None:
        ske = _private(suite.kem_id, ephemeral_private_key)
        eks = KEMKeyPair(ske, _public_of(ske))
    try:
        enc, context = suite._library().create_sender_context(pkr, info=bytes(info), eks=eks)
    except (ValueError, PyHPKEError):  # e.g. a public key whose shared secret is all zero
        raise InvalidKey("the KEM refused the public key") from None
    return enc, SenderContext(suite, context)


def setup_base_recipient(
    suite: Suite, enc: bytes, recipient_private_key: bytes | PrivateKey, info: bytes
) -> RecipientContext:
    """``SetupBaseR(enc, skR, info)`` (RFC 9180 §5.1.1); ``skR`` as bytes or, cheaper, loaded
    (:func:`load_private_key`, same KEM as ``suite``).

    :class:`InvalidKey` when ``enc`` has the wrong length or is refused by the KEM (for X25519
    a point whose shared secret is all zero).
    """
    if len(enc) != suite.n_enc:
        raise InvalidKey("enc has the wrong length")
    if isinstance(recipient_private_key, PrivateKey):
        if recipient_private_key.kem_id != suite.kem_id:
            raise InvalidKey("the private key is not of the suite's KEM")
        skr = recipient_private_key._key
    else:
        skr = _private(suite.kem_id, recipient_private_key)
    try:
        context = suite._library().create_recipient_context(bytes(enc), skr, info=bytes(info))
    except (ValueError, PyHPKEError):
        raise InvalidKey("the KEM refused enc") from None
    return RecipientContext(suite, context)


# --- the KDF and the AEAD on their own (RFC 9458 §4.4 uses them outside any context) -------


def _hash_length(kdf_id: int) -> int:
    return {KDF_HKDF_SHA256: 32, KDF_HKDF_SHA384: 48, KDF_HKDF_SHA512: 64}[kdf_id]


# The unlabeled KDF is HKDF (RFC 5869) over HMAC, which the standard library computes in one
# call; the HPKE library builds an HMAC object per block, which a response pays for three times.
_HASH_NAMES = {KDF_HKDF_SHA256: "sha256", KDF_HKDF_SHA384: "sha384", KDF_HKDF_SHA512: "sha512"}


def kdf_extract(kdf_id: int, salt: bytes, ikm: bytes) -> bytes:
    """``Extract(salt, ikm)`` of the KDF (HKDF-Extract, RFC 5869), unlabeled."""
    _kdf(kdf_id)
    name = _HASH_NAMES[kdf_id]
    # RFC 5869 §2.2: an empty salt is HashLen zeros (HMAC pads the key with zeros anyway).
    return _hmac.digest(bytes(salt) or bytes(_hash_length(kdf_id)), bytes(ikm), name)


def kdf_expand(kdf_id: int, prk: bytes, info: bytes, length: int) -> bytes:
    """``Expand(prk, info, L)`` of the KDF (HKDF-Expand, RFC 5869), unlabeled."""
    _kdf(kdf_id)
    if not 0 < length <= 255 * _hash_length(kdf_id):
        raise ValueError("expand length out of range")
    name, prk, info = _HASH_NAMES[kdf_id], bytes(prk), bytes(info)
    block, out, counter = b"", b"", 1
    while len(out) < length:
        block = _hmac.digest(prk, block + info + bytes((counter,)), name)
        out += block
        counter += 1
    return out[:length]


def _aead_key(aead_id: int, key: bytes, nonce: bytes) -> _AEADParams:
    params = _aead(aead_id)
    if len(key) != params.n_k or len(nonce) != params.n_n:
        raise ValueError("AEAD key or nonce has the wrong length")
    return params


def aead_seal(aead_id: int, key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    """``Seal(key, nonce, aad, pt)`` of the AEAD: ciphertext with the tag appended."""
    _aead_key(aead_id, key, nonce)
    aead = _library_suite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, aead_id).aead
    return aead.import_key(bytes(key)).seal(bytes(plaintext), bytes(nonce), bytes(aad))


def aead_open(aead_id: int, key: bytes, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    """``Open(key, nonce, aad, ct)`` of the AEAD; :class:`OpenFailed` if it does not verify."""
    params = _aead_key(aead_id, key, nonce)
    if len(ciphertext) < params.n_t:
        raise OpenFailed("ciphertext shorter than the tag")
    aead = _library_suite(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, aead_id).aead
    try:
        return aead.import_key(bytes(key)).open(bytes(ciphertext), bytes(nonce), bytes(aad))
    except (InvalidTag, ValueError):
        raise OpenFailed("ciphertext does not authenticate") from None
