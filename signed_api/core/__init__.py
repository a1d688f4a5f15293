"""The protocol core: RFC 9421 HTTP Message Signatures and RFC 9530 digests.

No Django, no DRF: only the standard library, ``cryptography`` and ``http_sf``. The Django app
and the Python client both build their signature bases here, so they cannot disagree.
"""

from . import algorithms
from .algorithms import (
    ALGORITHMS,
    CLIENT_HELD,
    ECDSA_P256_SHA256,
    ED25519,
    HMAC_SHA256,
    REGISTRY,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    SHARED_SECRET,
    Algorithm,
    HmacSha256Key,
    KeyChain,
    SigningKey,
    VerifyingKey,
    load_signing_key,
    load_verifying_key,
)
from .b64 import b64url_decode, b64url_encode
from .components import Component, component_value, serialize_signature_params, signature_base
from .digest import DIGEST_ALGORITHMS, content_digest, verify_content_digest
from .errors import CODES, SignatureError
from .message import Message, normalize_authority
from .signatures import (
    KeyResolver,
    NonceStore,
    Policy,
    VerifiedSignature,
    sign_message,
    verify_message,
)

__all__ = [
    "ALGORITHMS",
    "CLIENT_HELD",
    "CODES",
    "DIGEST_ALGORITHMS",
    "ECDSA_P256_SHA256",
    "ED25519",
    "HMAC_SHA256",
    "REGISTRY",
    "RSA_PSS_SHA512",
    "RSA_V1_5_SHA256",
    "SHARED_SECRET",
    "Algorithm",
    "Component",
    "HmacSha256Key",
    "KeyChain",
    "KeyResolver",
    "Message",
    "NonceStore",
    "Policy",
    "SignatureError",
    "SigningKey",
    "VerifiedSignature",
    "VerifyingKey",
    "algorithms",
    "b64url_decode",
    "b64url_encode",
    "component_value",
    "content_digest",
    "load_signing_key",
    "load_verifying_key",
    "normalize_authority",
    "serialize_signature_params",
    "sign_message",
    "signature_base",
    "verify_content_digest",
    "verify_message",
]
