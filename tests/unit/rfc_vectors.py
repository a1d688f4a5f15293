"""Loading helpers for the RFC test vectors in ``tests/unit/vectors``.

The JSON files are transcriptions of RFC 9421 and RFC 9530; every file and every vector
carries a ``source`` naming the section it comes from. The helpers here only turn them into
Python objects: they never compute an expected value, so a test cannot agree with the code
under test by construction.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

VECTORS = Path(__file__).parent / "vectors"


@functools.cache
def load(name: str) -> dict:
    """The parsed JSON of ``vectors/<name>.json`` (cached; treat it as read-only)."""
    with open(VECTORS / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


def keys() -> dict:
    return load("rfc9421_keys")["keys"]


def key_material(keyid: str, *, private: bool) -> bytes:
    """PEM bytes for an asymmetric test key, or the raw secret for test-shared-secret."""
    key = keys()[keyid]
    if "secret_base64" in key:
        return base64.b64decode(key["secret_base64"])
    return key["private_pem" if private else "public_pem"].encode("ascii")


def member_bytes(member: str) -> tuple[str, bytes]:
    """Split a ``label=:base64:`` Signature member into its label and signature bytes."""
    label, _, value = member.partition("=")
    assert value.startswith(":") and value.endswith(":"), member
    return label, base64.b64decode(value[1:-1])


def member_inner(member: str) -> str:
    """The inner list of a ``label=(...)...`` Signature-Input member."""
    return member.split("=", 1)[1]


def request_from(d: dict, *, extra_headers=()):
    from signed_api.core import Message

    headers = [tuple(h) for h in d["headers"]] + list(extra_headers)
    return Message.from_url(d["method"], d["url"], headers=headers, body=d["body"].encode("utf-8"))


def response_from(d: dict, *, request=None, extra_headers=()):
    from signed_api.core import Message

    headers = [tuple(h) for h in d["headers"]] + list(extra_headers)
    return Message.for_response(
        d["status"], headers=headers, body=d["body"].encode("utf-8"), request=request
    )


def signed(d: dict, example: dict, *, response: bool = False, request=None):
    """The vector's message with the example's Signature-Input and Signature fields added."""
    extra = [("Signature-Input", example["signature_input"]), ("Signature", example["signature"])]
    if response:
        return response_from(d, request=request, extra_headers=extra)
    return request_from(d, extra_headers=extra)
