"""The one exception every verification failure raises, with the stable codes of the protocol
(docs/protocol.md)."""

from __future__ import annotations

# Stable, documented codes. Clients branch on them; never rename one.
SIGNATURE_MISSING = "signature_missing"
SIGNATURE_MALFORMED = "signature_malformed"
SIGNATURE_INVALID = "signature_invalid"
COMPONENT_MISSING = "component_missing"
DIGEST_MISSING = "digest_missing"
DIGEST_MISMATCH = "digest_mismatch"
CLOCK_SKEW = "clock_skew"
SIGNATURE_EXPIRED = "signature_expired"
NONCE_MISSING = "nonce_missing"
NONCE_REPLAYED = "nonce_replayed"
UNKNOWN_KEY = "unknown_key"
KEY_REVOKED = "key_revoked"
KEY_EXPIRED = "key_expired"
ALGORITHM_MISMATCH = "algorithm_mismatch"
USER_INACTIVE = "user_inactive"
SESSION_EXPIRED = "session_expired"
REPLAY_STORE_UNAVAILABLE = "replay_store_unavailable"
DATABASE_UNAVAILABLE = "database_unavailable"
# Binary HTTP (RFC 9292) and Oblivious HTTP (RFC 9458): input that cannot be decoded or opened.
BINARY_HTTP_MALFORMED = "binary_http_malformed"
OHTTP_MALFORMED = "ohttp_malformed"
OHTTP_UNKNOWN_KEY = "ohttp_unknown_key"
OHTTP_DECRYPTION_FAILED = "ohttp_decryption_failed"

CODES = frozenset(
    {
        SIGNATURE_MISSING,
        SIGNATURE_MALFORMED,
        SIGNATURE_INVALID,
        COMPONENT_MISSING,
        DIGEST_MISSING,
        DIGEST_MISMATCH,
        CLOCK_SKEW,
        SIGNATURE_EXPIRED,
        NONCE_MISSING,
        NONCE_REPLAYED,
        UNKNOWN_KEY,
        KEY_REVOKED,
        KEY_EXPIRED,
        ALGORITHM_MISMATCH,
        USER_INACTIVE,
        SESSION_EXPIRED,
        REPLAY_STORE_UNAVAILABLE,
        DATABASE_UNAVAILABLE,
        BINARY_HTTP_MALFORMED,
        OHTTP_MALFORMED,
        OHTTP_UNKNOWN_KEY,
        OHTTP_DECRYPTION_FAILED,
    }
)

# The HTTP status of each code that is not a 401.
STATUSES = {
    REPLAY_STORE_UNAVAILABLE: 503,
    DATABASE_UNAVAILABLE: 503,
    BINARY_HTTP_MALFORMED: 400,
    OHTTP_MALFORMED: 400,
    OHTTP_UNKNOWN_KEY: 400,
    OHTTP_DECRYPTION_FAILED: 400,
}

# Human sentences for the response body. The precise reason (which component,
# which parameter) goes in ``detail`` and from there to the server log only.
MESSAGES = {
    SIGNATURE_MISSING: "The request carries no usable HTTP message signature.",
    SIGNATURE_MALFORMED: "The Signature-Input or Signature header is malformed.",
    SIGNATURE_INVALID: "The signature does not verify.",
    COMPONENT_MISSING: "The signature does not cover every required component, or covers a "
                       "field the request does not carry.",
    DIGEST_MISSING: "The request has a body but no signed Content-Digest, or the signature "
                    "covers a Content-Digest the request does not carry.",
    DIGEST_MISMATCH: "The Content-Digest does not match the body.",
    CLOCK_SKEW: "The signature's created time is outside the accepted window.",
    SIGNATURE_EXPIRED: "The signature has expired.",
    NONCE_MISSING: "The signature has no nonce.",
    NONCE_REPLAYED: "This nonce has already been used.",
    UNKNOWN_KEY: "The key id is not known.",
    KEY_REVOKED: "The key has been revoked.",
    KEY_EXPIRED: "The key has expired.",
    ALGORITHM_MISMATCH: "The alg parameter does not match the key's algorithm.",
    USER_INACTIVE: "The key's owner is inactive.",
    SESSION_EXPIRED: "The session has expired.",
    REPLAY_STORE_UNAVAILABLE: "The replay store is unavailable; try again later.",
    DATABASE_UNAVAILABLE: "The database is unavailable; try again later.",
    BINARY_HTTP_MALFORMED: "The Binary HTTP message is malformed or exceeds a limit.",
    OHTTP_MALFORMED: "The encapsulated message is malformed.",
    OHTTP_UNKNOWN_KEY: "The encapsulated request names a key configuration this gateway lacks.",
    OHTTP_DECRYPTION_FAILED: "The encapsulated message could not be decrypted.",
}


class SignatureError(Exception):
    """A message could not be verified (or signed) as the profile requires.

    ``code`` is one of :data:`CODES`; ``detail`` is the precise internal reason, meant for
    the server log, never for the client; ``status`` is the HTTP status to answer with.
    """

    def __init__(self, code: str, detail: str | None = None, *, status: int | None = None):
        if code not in CODES:  # a programming error, caught by the test-suite
            raise ValueError(f"unknown signature error code {code!r}")
        self.code = code
        self.detail = detail or MESSAGES[code]
        self.status = status if status is not None else STATUSES.get(code, 401)
        super().__init__(f"{code}: {self.detail}")

    @property
    def message(self) -> str:
        """The public, human sentence for this code (safe to send to the client)."""
        return MESSAGES[self.code]
