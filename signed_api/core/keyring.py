"""Secrets at rest: AES-256-GCM under a keyring of master keys (newest encrypts, all decrypt).

A stored secret looks like ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``: the key id
(8 hex digits of a hash of the master key) says which master key sealed it, so rotation can
re-encrypt lazily or in bulk. The associated data binds each ciphertext to where it is stored
(e.g. the row's public key id), so a database writer cannot swap one row's secret into another.
A database dump alone therefore never lets anyone sign a request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .b64 import b64url_decode, b64url_encode

__all__ = ["Keyring", "KeyringError", "derive_master_key", "decode_master_key"]

_VERSION = "v1"


class KeyringError(Exception):
    """A secret could not be decrypted (unknown master key, or tampered data)."""


def decode_master_key(text: str | bytes) -> bytes:
    """A master key from its base64url text (32 bytes once decoded)."""
    raw = text if isinstance(text, bytes) and len(text) == 32 else b64url_decode(
        text.decode("ascii") if isinstance(text, bytes) else text
    )
    if len(raw) != 32:
        raise ValueError("a master key must be 32 bytes (43 base64url characters)")
    return raw


def derive_master_key(secret: str | bytes) -> bytes:
    """HKDF-SHA256 of a secret such as Django's SECRET_KEY, for use when no MASTER_KEYS exist."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"signed_api keyring", info=b"master key v1"
    ).derive(secret)


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"signed_api key id\0" + key).hexdigest()[:8]


class Keyring:
    """Encrypts with the first key, decrypts with whichever key sealed the data."""

    def __init__(self, keys: Sequence[bytes]):
        if not keys:
            raise ValueError("a keyring needs at least one master key")
        self._keys = [(_key_id(k), AESGCM(k)) for k in keys]
        self._by_id = dict(self._keys)

    @property
    def primary_id(self) -> str:
        return self._keys[0][0]

    def encrypt(self, plaintext: bytes, *, context: str) -> str:
        key_id, aead = self._keys[0]
        nonce = secrets.token_bytes(12)
        sealed = aead.encrypt(nonce, plaintext, context.encode("utf-8"))
        return f"{_VERSION}.{key_id}.{b64url_encode(nonce + sealed)}"

    def key_id_of(self, token: str) -> str:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise KeyringError("not a keyring token")
        return parts[1]

    def decrypt(self, token: str, *, context: str) -> bytes:
        key_id = self.key_id_of(token)
        aead = self._by_id.get(key_id)
        if aead is None:
            raise KeyringError(f"no master key {key_id} in the keyring")
        try:
            blob = b64url_decode(token.split(".")[2])
            return aead.decrypt(blob[:12], blob[12:], context.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise KeyringError("the secret does not decrypt (tampered or wrong context)") from exc

    def needs_rotation(self, token: str) -> bool:
        return self.key_id_of(token) != self.primary_id
