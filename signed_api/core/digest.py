"""RFC 9530 ``Content-Digest``: create and verify, ``sha-256`` and ``sha-512``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from . import sf
from .errors import DIGEST_MISMATCH, DIGEST_MISSING, SIGNATURE_MALFORMED, SignatureError

__all__ = ["DIGEST_ALGORITHMS", "content_digest", "verify_content_digest"]

# RFC 9530 §7.2: the only "standard" algorithms. Insecure ones (md5, sha, unixsum...) are
# ignored as if absent, so they can neither satisfy nor fail a check.
DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def content_digest(body: bytes, algorithms: Iterable[str] = ("sha-256",)) -> str:
    """The ``Content-Digest`` field value for ``body`` (RFC 9530 §2)."""
    members = []
    for alg in algorithms:
        if alg not in DIGEST_ALGORITHMS:
            raise ValueError(f"unsupported digest algorithm {alg!r}")
        digest = DIGEST_ALGORITHMS[alg](body).digest()
        members.append(f"{alg}=:{base64.b64encode(digest).decode('ascii')}:")
    if not members:
        raise ValueError("at least one digest algorithm is needed")
    return ", ".join(members)


def verify_content_digest(header_value: str | None, body: bytes) -> str:
    """Check every supported digest in ``header_value`` against ``body``.

    Returns the algorithm that was checked first. Raises ``digest_missing`` when there is no
    header or no supported algorithm in it, ``signature_malformed`` when it does not parse, and
    ``digest_mismatch`` when any supported digest differs.
    """
    if header_value is None:
        raise SignatureError(DIGEST_MISSING, "no Content-Digest field")
    # Fast path: the usual single sha-256 member, compared whole (in constant time) with the
    # value this body must have. Anything else is parsed and checked member by member.
    if header_value.startswith("sha-256=:") and len(header_value) == 54:
        field = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
        if hmac.compare_digest(field, header_value):
            return "sha-256"
    members = sf.parse_byte_sequence_dictionary(header_value, what="Content-Digest")
    checked = []
    for alg, value in members.items():
        if alg not in DIGEST_ALGORITHMS:
            continue
        if value is None:
            raise SignatureError(
                SIGNATURE_MALFORMED, f"Content-Digest {alg} is not a Byte Sequence"
            )
        expected = DIGEST_ALGORITHMS[alg](body).digest()
        if not hmac.compare_digest(expected, value):
            raise SignatureError(DIGEST_MISMATCH, f"Content-Digest {alg} does not match the body")
        checked.append(alg)
    if not checked:
        raise SignatureError(DIGEST_MISSING, "Content-Digest has no sha-256 or sha-512 member")
    return checked[0]
