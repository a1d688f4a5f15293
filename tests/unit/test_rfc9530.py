"""RFC 9530 (Digest Fields) examples, and the Content-Digest values RFC 9421 prints.

``vectors/rfc9530_digests.json`` holds each printed value with the body it digests; the
``errata`` list records printed values that do not match their content, with the correct
value. Every value is first checked with hashlib alone, then against the core.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.unit.rfc_vectors import load

DIGESTS = load("rfc9530_digests")
HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def _members(value: str) -> dict[str, bytes]:
    out = {}
    for member in value.split(","):
        alg, _, encoded = member.strip().partition("=")
        assert encoded.startswith(":") and encoded.endswith(":"), member
        out[alg] = base64.b64decode(encoded[1:-1], validate=True)
    return out


def _vid(v: dict) -> str:
    return v["id"].replace("-", "_")


VECTORS = [pytest.param(v, id=_vid(v)) for v in DIGESTS["vectors"]]
ERRATA = [pytest.param(v, id=_vid(v)) for v in DIGESTS["errata"]]


@pytest.mark.parametrize("vector", VECTORS)
def test_rfc9530_printed_digest_matches_its_body(vector):
    body = vector["body"].encode("utf-8")
    members = _members(vector["value"])
    assert members
    for alg, digest in members.items():
        assert HASHES[alg](body).digest() == digest, alg


@pytest.mark.parametrize("erratum", ERRATA)
def test_rfc9530_printed_erratum_is_wrong_and_correction_is_right(erratum):
    body = erratum["body"].encode("utf-8")
    printed = _members(erratum["printed"])
    assert any(HASHES[alg](body).digest() != d for alg, d in printed.items())
    for alg, digest in _members(erratum["correct"]).items():
        assert HASHES[alg](body).digest() == digest, alg


def test_rfc9530_draft_sha256_member_is_the_digest_of_the_brotli_bytes():
    """Why the drafts' two-member example is wrong: its sha-256 digests other bytes."""
    (erratum,) = [e for e in DIGESTS["errata"] if e["id"] == "digest-headers-draft-multi-member"]
    brotli = base64.b64decode(erratum["brotli_bytes_base64"])
    assert _members(erratum["printed"])["sha-256"] == hashlib.sha256(brotli).digest()
    assert brotli != erratum["body"].encode()


# -- the core -----------------------------------------------------------------------------------

core = pytest.importorskip("signed_api.core")


@pytest.mark.parametrize("vector", VECTORS)
def test_rfc9530_content_digest_reproduces_the_printed_value(vector):
    body = vector["body"].encode("utf-8")
    algorithms = list(_members(vector["value"]))
    assert core.content_digest(body, algorithms) == vector["value"]


@pytest.mark.parametrize("vector", VECTORS)
def test_rfc9530_verify_content_digest_accepts_the_printed_value(vector):
    core.verify_content_digest(vector["value"], vector["body"].encode("utf-8"))


@pytest.mark.parametrize("vector", VECTORS)
def test_rfc9530_verify_content_digest_rejects_another_body(vector):
    with pytest.raises(core.SignatureError) as err:
        core.verify_content_digest(vector["value"], vector["body"].encode("utf-8") + b" ")
    assert err.value.code == "digest_mismatch"


@pytest.mark.parametrize("erratum", ERRATA)
def test_rfc9530_verify_content_digest_rejects_the_printed_erratum(erratum):
    """A dictionary with any wrong supported member is a mismatch, even if another matches."""
    body = erratum["body"].encode("utf-8")
    with pytest.raises(core.SignatureError) as err:
        core.verify_content_digest(erratum["printed"], body)
    assert err.value.code == "digest_mismatch"
    core.verify_content_digest(erratum["correct"], body)


def test_rfc9530_default_algorithm_is_sha_256():
    body = b'{"hello": "world"}\n'
    assert core.content_digest(body) == "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        pytest.param(None, "digest_missing", id="absent"),
        pytest.param(
            "md5=:+thA//8pGVGk2VYuJkFNvA==:", "digest_missing", id="no_supported_algorithm"
        ),
        pytest.param("sha-256=:not base64!:", "signature_malformed", id="bad_byte_sequence"),
        pytest.param(
            "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            "signature_malformed",
            id="token_not_byte_sequence",
        ),
        pytest.param(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,,",
            "signature_malformed",
            id="not_a_dictionary",
        ),
    ],
)
def test_rfc9530_verify_content_digest_failures(header, code):
    with pytest.raises(core.SignatureError) as err:
        core.verify_content_digest(header, b'{"hello": "world"}')
    assert err.value.code == code
