"""The protocol core: RFC 9421 HTTP Message Signatures and RFC 9530 digests.

No Django, no DRF: only the standard library, ``cryptography`` and ``http_sf``. The Django app
and the Python client both build their signature bases here, so they cannot disagree.
"""

from .algorithms import (
    ALGORITHMS,
    ECDSA_P256_SHA256,
    ED25519,
    HMAC_SHA256,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    HmacSha256Key,
    KeyChain,
    SigningKey,
    VerifyingKey,
    load_signing_key,
    load_verifying_key,
)
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
    "CODES",
    "DIGEST_ALGORITHMS",
    "ECDSA_P256_SHA256",
    "ED25519",
    "HMAC_SHA256",
    "RSA_PSS_SHA512",
    "RSA_V1_5_SHA256",
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
