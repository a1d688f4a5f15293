"""Oblivious HTTP (RFC 9458): key configurations and the encapsulation of requests and responses.

Framing and key schedule only; the HPKE operations are :mod:`signed_api.core.hpke`'s. What is
encapsulated is opaque bytes here (a Binary HTTP message, RFC 9292, for the gateway).

- Key configuration (§3.1) and ``application/ohttp-keys`` (§3.2, each configuration prefixed
  with its two-byte length): :class:`KeyConfig`, :func:`encode_key_configs`,
  :func:`decode_key_configs`.
- Request (§4.3): ``hdr = key_id(1) kem_id(2) kdf_id(2) aead_id(2)``, ``info = "message/bhttp
  request" || 0x00 || hdr``, ``enc, sctxt = SetupBaseS(pkR, info)``, ``ct = sctxt.Seal("",
  request)``, ``enc_request = hdr || enc || ct``.
- Response (§4.4): ``secret = context.Export("message/bhttp response", max(Nn, Nk))``,
  ``response_nonce = random(max(Nn, Nk))``, ``salt = enc || response_nonce``, ``prk =
  Extract(salt, secret)``, ``aead_key = Expand(prk, "key", Nk)``, ``aead_nonce = Expand(prk,
  "nonce", Nn)``, ``enc_response = response_nonce || Seal(aead_key, aead_nonce, "", response)``.

Every failure on input is ``SignatureError`` with ``OHTTP_MALFORMED`` (cannot be parsed),
``OHTTP_UNKNOWN_KEY`` (a key id, KEM, KDF or AEAD this side does not have or offer) or
``OHTTP_DECRYPTION_FAILED`` (does not authenticate); no other exception escapes a decoder.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import hpke
from .errors import (
    OHTTP_DECRYPTION_FAILED,
    OHTTP_MALFORMED,
    OHTTP_UNKNOWN_KEY,
    SignatureError,
)
from .hpke import (
    AEAD_AES_128_GCM,
    AEAD_CHACHA20_POLY1305,
    KDF_HKDF_SHA256,
    KEM_X25519_HKDF_SHA256,
)

__all__ = [
    "DEFAULT_SUITES",
    "KEYS_MEDIA_TYPE",
    "REQUEST_LABEL",
    "REQUEST_MEDIA_TYPE",
    "RESPONSE_LABEL",
    "RESPONSE_MEDIA_TYPE",
    "ClientContext",
    "GatewayContext",
    "GatewayKey",
    "KeyConfig",
    "decapsulate_request",
    "decode_key_configs",
    "encapsulate_request",
    "encode_key_configs",
]

REQUEST_MEDIA_TYPE = "message/ohttp-req"
RESPONSE_MEDIA_TYPE = "message/ohttp-res"
KEYS_MEDIA_TYPE = "application/ohttp-keys"

# §4.3 / §4.4: the labels that bind the encapsulation to Binary HTTP (§4.6 on other uses).
REQUEST_LABEL = b"message/bhttp request"
RESPONSE_LABEL = b"message/bhttp response"

# Preference order: what a gateway advertises first is what a client here picks first.
DEFAULT_SUITES: tuple[tuple[int, int], ...] = (
    (KDF_HKDF_SHA256, AEAD_AES_128_GCM),
    (KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305),
)

_HEADER = struct.Struct(">BHHH")  # key_id, kem_id, kdf_id, aead_id
_U16 = struct.Struct(">H")


def _malformed(detail: str) -> SignatureError:
    return SignatureError(OHTTP_MALFORMED, detail)


def _unknown(detail: str) -> SignatureError:
    return SignatureError(OHTTP_UNKNOWN_KEY, detail)


def _failed(detail: str) -> SignatureError:
    return SignatureError(OHTTP_DECRYPTION_FAILED, detail)


def _check_u16(value: int, what: str) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise ValueError(f"{what} must be an integer 0..65535")


# --- §3 key configurations ----------------------------------------------------------------


@dataclass(frozen=True)
class KeyConfig:
    """One key configuration (RFC 9458 §3.1): what a gateway publishes for one key."""

    key_id: int
    kem_id: int
    public_key: bytes
    suites: tuple[tuple[int, int], ...]  # (kdf_id, aead_id) pairs, in preference order

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, int) or not 0 <= self.key_id <= 0xFF:
            raise ValueError("key_id must be an integer 0..255")
        _check_u16(self.kem_id, "kem_id")
        if not isinstance(self.public_key, bytes):
            raise ValueError("public_key must be bytes")
        if not 1 <= len(self.suites) <= 0xFFFC // 4:
            raise ValueError("a key configuration has 1..16383 (kdf_id, aead_id) pairs")
        for kdf_id, aead_id in self.suites:
            _check_u16(kdf_id, "kdf_id")
            _check_u16(aead_id, "aead_id")
        if self.kem_id in hpke.supported_kems():
            npk = hpke.Suite(self.kem_id, KDF_HKDF_SHA256, AEAD_AES_128_GCM).n_pk
            if len(self.public_key) != npk:
                raise ValueError(f"public_key must be {npk} bytes for this KEM")

    def encode(self) -> bytes:
        """The §3.1 encoding: key id, KEM id, public key, then the length-prefixed pairs."""
        algorithms = b"".join(struct.pack(">HH", kdf, aead) for kdf, aead in self.suites)
        return (
            struct.pack(">BH", self.key_id, self.kem_id)
            + self.public_key
            + _U16.pack(len(algorithms))
            + algorithms
        )

    @classmethod
    def decode(cls, data: bytes) -> KeyConfig:
        """Parse exactly one §3.1 key configuration (nothing may follow it).

        ``OHTTP_MALFORMED`` for bad framing; ``OHTTP_UNKNOWN_KEY`` for a KEM whose public key
        length this module does not know (the configuration cannot be parsed without it).
        """
        data = bytes(data)
        if len(data) < 3:
            raise _malformed("key configuration shorter than its header")
        key_id, kem_id = struct.unpack_from(">BH", data, 0)
        if kem_id not in hpke.supported_kems():
            raise _unknown("key configuration with an unsupported KEM")
        npk = hpke.Suite(kem_id, KDF_HKDF_SHA256, AEAD_AES_128_GCM).n_pk
        offset = 3 + npk
        if len(data) < offset + 2:
            raise _malformed("key configuration truncated in its public key")
        public = data[3:offset]
        (length,) = _U16.unpack_from(data, offset)
        offset += 2
        if length < 4 or length % 4:
            raise _malformed("symmetric algorithms length is not a positive multiple of 4")
        if len(data) != offset + length:
            raise _malformed("key configuration length does not match its content")
        suites = tuple(struct.unpack_from(">HH", data, offset + i) for i in range(0, length, 4))
        return cls(key_id, kem_id, public, suites)

    def supported_suites(self) -> tuple[tuple[int, int], ...]:
        """The (kdf_id, aead_id) pairs of this configuration that this module implements."""
        kdfs, aeads = hpke.supported_kdfs(), hpke.supported_aeads()
        return tuple((k, a) for k, a in self.suites if k in kdfs and a in aeads)


def encode_key_configs(configs: Iterable[KeyConfig]) -> bytes:
    """``application/ohttp-keys`` (§3.2): each encoded configuration after its 2-byte length."""
    out = bytearray()
    for config in configs:
        encoded = config.encode()
        if len(encoded) > 0xFFFF:
            raise ValueError("key configuration too long for application/ohttp-keys")
        out += _U16.pack(len(encoded)) + encoded
    if not out:
        raise ValueError("application/ohttp-keys holds at least one key configuration")
    return bytes(out)


def decode_key_configs(data: bytes) -> list[KeyConfig]:
    """Parse ``application/ohttp-keys`` (§3.2).

    Any framing error rejects the whole collection (``OHTTP_MALFORMED``: §3.2 says clients
    discard incorrectly encoded collections). A well-framed configuration with a KEM this
    module does not implement is skipped; if none is left, ``OHTTP_UNKNOWN_KEY``.
    """
    data = bytes(data)
    if not data:
        raise _malformed("empty application/ohttp-keys")
    configs: list[KeyConfig] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 2:
            raise _malformed("truncated key configuration length")
        (length,) = _U16.unpack_from(data, offset)
        offset += 2
        if length > len(data) - offset:
            raise _malformed("key configuration longer than the remaining content")
        chunk = data[offset : offset + length]
        offset += length
        try:
            configs.append(KeyConfig.decode(chunk))
        except SignatureError as exc:
            if exc.code != OHTTP_UNKNOWN_KEY:
                raise
    if not configs:
        raise _unknown("no key configuration with a supported KEM")
    return configs


@dataclass(frozen=True)
class GatewayKey:
    """A gateway's key: its published :class:`KeyConfig` and the private key behind it, loaded
    once with the key (``loaded``): a request pays for the key exchange, not for loading the
    key again. A key set read anew (a rotation) is made of new ``GatewayKey`` objects."""

    config: KeyConfig
    private_key: bytes = field(repr=False)
    loaded: hpke.PrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            loaded = hpke.load_private_key(self.config.kem_id, self.private_key)
        except hpke.HPKEError as exc:
            raise ValueError(f"unusable gateway private key: {exc}") from None
        object.__setattr__(self, "loaded", loaded)
        derived = loaded.public_key
        if derived != self.config.public_key:
            raise ValueError("the private key does not match the configuration's public key")
        if not self.config.supported_suites():
            raise ValueError("the configuration offers no supported (kdf, aead) pair")

    @classmethod
    def from_private_key(
        cls,
        key_id: int,
        private_key: bytes,
        *,
        kem_id: int = KEM_X25519_HKDF_SHA256,
        suites: tuple[tuple[int, int], ...] = DEFAULT_SUITES,
    ) -> GatewayKey:
        """The key and its configuration; ``ValueError`` for an unusable key or suite list."""
        unsupported = [
            s
            for s in suites
            if s[0] not in hpke.supported_kdfs() or s[1] not in hpke.supported_aeads()
        ]
        if unsupported:
            raise ValueError(f"unsupported (kdf_id, aead_id) pairs: {unsupported}")
        try:
            public = hpke.public_key(kem_id, private_key)
        except hpke.HPKEError as exc:
            raise ValueError(f"unusable gateway private key: {exc}") from None
        return cls(KeyConfig(key_id, kem_id, public, tuple(suites)), bytes(private_key))


# --- §4.4 the response key schedule ---------------------------------------------------------


def _response_nonce_length(suite: hpke.Suite) -> int:
    return max(suite.n_n, suite.n_k)


def _response_key_and_nonce(
    suite: hpke.Suite, secret: bytes, enc: bytes, response_nonce: bytes
) -> tuple[bytes, bytes]:
    prk = hpke.kdf_extract(suite.kdf_id, enc + response_nonce, secret)
    aead_key = hpke.kdf_expand(suite.kdf_id, prk, b"key", suite.n_k)
    aead_nonce = hpke.kdf_expand(suite.kdf_id, prk, b"nonce", suite.n_n)
    return aead_key, aead_nonce


class _ResponseContext:
    """What both ends keep of one request to derive its response key (§4.4): the key id, the
    suite, ``enc`` and the exported response secret, not the HPKE context. Never shown."""

    __slots__ = ("_enc", "_secret", "suite", "key_id")

    def __init__(self, key_id: int, suite: hpke.Suite, enc: bytes, secret: bytes) -> None:
        self.key_id = key_id
        self.suite = suite
        self._enc = enc
        self._secret = secret

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key_id={self.key_id}, suite={self.suite})"


class ClientContext(_ResponseContext):
    """What the client keeps to open the response to one encapsulated request."""

    __slots__ = ()

    def decapsulate_response(self, data: bytes) -> bytes:
        """The plaintext response (§4.4). ``OHTTP_MALFORMED`` if shorter than nonce + tag,
        ``OHTTP_DECRYPTION_FAILED`` if it does not authenticate."""
        data = bytes(data)
        n = _response_nonce_length(self.suite)
        if len(data) < n + self.suite.n_t:
            raise _malformed("encapsulated response shorter than its nonce and tag")
        key, nonce = _response_key_and_nonce(self.suite, self._secret, self._enc, data[:n])
        try:
            return hpke.aead_open(self.suite.aead_id, key, nonce, b"", data[n:])
        except hpke.OpenFailed:
            raise _failed("encapsulated response does not authenticate") from None


class GatewayContext(_ResponseContext):
    """What the gateway keeps, after opening a request, to encapsulate its response."""

    __slots__ = ()

    def encapsulate_response(
        self, response: bytes, *, response_nonce: bytes | None = None
    ) -> bytes:
        """``response_nonce || Seal(aead_key, aead_nonce, "", response)`` (§4.4).

        ``response_nonce`` (``max(Nn, Nk)`` bytes) is for published test vectors only; without
        it a fresh one comes from ``secrets``.
        """
        n = _response_nonce_length(self.suite)
        if response_nonce is None:
            response_nonce = secrets.token_bytes(n)
        elif len(response_nonce) != n:
            raise ValueError(f"response_nonce must be {n} bytes")
        key, nonce = _response_key_and_nonce(self.suite, self._secret, self._enc, response_nonce)
        return bytes(response_nonce) + hpke.aead_seal(
            self.suite.aead_id, key, nonce, b"", bytes(response)
        )


# --- §4.3 requests --------------------------------------------------------------------------


def _info(header: bytes) -> bytes:
    return REQUEST_LABEL + b"\x00" + header


def _export_secret(context: hpke.SenderContext | hpke.RecipientContext) -> bytes:
    return context.export(RESPONSE_LABEL, _response_nonce_length(context.suite))


def encapsulate_request(
    config: KeyConfig,
    request: bytes,
    *,
    suite: tuple[int, int] | None = None,
    ephemeral_private_key: bytes | None = None,
) -> tuple[bytes, ClientContext]:
    """``enc_request`` for ``config`` (§4.3), and the context that opens its response.

    ``suite`` picks a (kdf_id, aead_id) pair; by default the first one of the configuration
    that this module implements. ``OHTTP_UNKNOWN_KEY`` when the KEM or the pair is not
    available (or the pair is not offered by ``config``); ``OHTTP_MALFORMED`` when the KEM
    refuses the configuration's public key. ``ephemeral_private_key`` is for published test
    vectors only.
    """
    if config.kem_id not in hpke.supported_kems():
        raise _unknown("key configuration with an unsupported KEM")
    available = config.supported_suites()
    if suite is None:
        if not available:
            raise _unknown("key configuration offers no supported (kdf, aead) pair")
        suite = available[0]
    elif tuple(suite) not in available:
        raise _unknown("the (kdf, aead) pair is not offered by the key configuration")
    kdf_id, aead_id = suite
    hpke_suite = hpke.Suite(config.kem_id, kdf_id, aead_id)
    header = _HEADER.pack(config.key_id, config.kem_id, kdf_id, aead_id)
    try:
        enc, context = hpke.setup_base_sender(
            hpke_suite,
            config.public_key,
            _info(header),
            ephemeral_private_key=ephemeral_private_key,
        )
    except hpke.InvalidKey:
        raise _malformed("the KEM refused the key configuration's public key") from None
    ct = context.seal(bytes(request), b"")
    secret = _export_secret(context)
    return header + enc + ct, ClientContext(config.key_id, hpke_suite, enc, secret)


def decapsulate_request(
    keys: Mapping[int, GatewayKey], data: bytes
) -> tuple[bytes, GatewayContext]:
    """Open ``enc_request`` (§4.3) with the gateway key its key id names.

    ``OHTTP_MALFORMED`` when shorter than header + ``enc`` + tag; ``OHTTP_UNKNOWN_KEY`` when
    the key id is not in ``keys`` or its KEM, KDF or AEAD is not what that key offers;
    ``OHTTP_DECRYPTION_FAILED`` when ``enc`` is refused or the ciphertext does not
    authenticate.
    """
    data = bytes(data)
    if len(data) < _HEADER.size:
        raise _malformed("encapsulated request shorter than its header")
    header = data[: _HEADER.size]
    key_id, kem_id, kdf_id, aead_id = _HEADER.unpack(header)
    key = keys.get(key_id)
    if key is None:
        raise _unknown("no gateway key with this key id")
    config = key.config
    if kem_id != config.kem_id:
        raise _unknown("the KEM is not the key's")
    if (kdf_id, aead_id) not in config.supported_suites():
        raise _unknown("the (kdf, aead) pair is not offered by this key")
    suite = hpke.Suite(kem_id, kdf_id, aead_id)
    body = data[_HEADER.size :]
    if len(body) < suite.n_enc + suite.n_t:
        raise _malformed("encapsulated request shorter than enc and a tag")
    enc, ct = body[: suite.n_enc], body[suite.n_enc :]
    try:
        context = hpke.setup_base_recipient(suite, enc, key.loaded, _info(header))
        request = context.open(ct, b"")
    except hpke.InvalidKey:
        raise _failed("the KEM refused enc") from None
    except hpke.OpenFailed:
        raise _failed("encapsulated request does not authenticate") from None
    return request, GatewayContext(key_id, suite, enc, _export_secret(context))
