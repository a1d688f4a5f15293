"""Structured Field Values (RFC 8941 / RFC 9651) through the ``http-sf`` package.

Only thin adapters live here: parse errors become :class:`SignatureError` with a stable code,
and the few serialisers the signature base needs are re-exported under one name.
"""

from __future__ import annotations

import http_sf
from http_sf.dictionary import parse_dictionary as _parse_dictionary
from http_sf.innerlist import ser_innerlist
from http_sf.innerlist import ser_item_or_inner_list as ser_member
from http_sf.item import ser_item
from http_sf.retrofit import retrofit as RETROFIT_TYPES
from http_sf.state import ParserState
from http_sf.util import discard_ows

from . import fastsf
from .errors import SIGNATURE_MALFORMED, SignatureError

__all__ = [
    "RETROFIT_TYPES",
    "StructuredFieldError",
    "parse_as",
    "parse_byte_sequence_dictionary",
    "parse_dictionary",
    "parse_signature_input",
    "ser",
    "ser_innerlist",
    "ser_item",
    "ser_member",
]

StructuredFieldError = http_sf.StructuredFieldError
ser = http_sf.ser

# A signature header larger than this is refused before parsing (RFC 9110 leaves the limit to
# implementations; 8 KiB is what common servers accept for a whole header line).
MAX_FIELD_LENGTH = 8192


def _reject_duplicate(key: str, _context: str) -> None:
    # RFC 8941 lets a later member overwrite an earlier one; for a signature header that
    # would let a proxy-added member silently replace the client's, so we refuse it.
    raise StructuredFieldError(f"duplicate dictionary key {key!r}")


def parse_dictionary(value: str | bytes, *, code: str = SIGNATURE_MALFORMED, what: str = "field"):
    """Parse a Dictionary field value, raising ``SignatureError(code)`` on any syntax error."""
    if isinstance(value, str):
        # Structured fields are ASCII (RFC 8941 §3); anything else is malformed, never
        # silently replaced by "?" (which could make a header say something it does not).
        if not value.isascii():
            raise SignatureError(code, f"{what} contains characters outside ASCII")
        data = value.encode("ascii")
    else:
        data = bytes(value)
    if len(data) > MAX_FIELD_LENGTH:
        raise SignatureError(code, f"{what} is longer than {MAX_FIELD_LENGTH} bytes")
    state = ParserState(data)
    try:
        discard_ows(state)
        result = _parse_dictionary(state, _reject_duplicate)
        discard_ows(state)
        if state.cursor < len(data):
            raise StructuredFieldError("trailing characters")
    except (StructuredFieldError, ValueError, IndexError, TypeError, UnicodeError) as exc:
        raise SignatureError(code, f"{what} is not a valid structured dictionary: {exc}") from None
    return result


def parse_as(value: str, tltype: str):
    """Parse ``value`` as a top-level ``dictionary``, ``list`` or ``item``; raises ValueError."""
    return http_sf.parse(value.encode("ascii"), tltype=tltype)


def parse_signature_input(value: str) -> dict:
    """``{label: (items, params, inner_text, list_text)}``; the two texts are ``None`` when the
    value was not in canonical form (the caller then serializes the inner list itself)."""
    if len(value) <= MAX_FIELD_LENGTH:
        fast = fastsf.parse_signature_input(value)
        if fast is not None:
            return fast
    parsed = parse_dictionary(value, what="Signature-Input")
    result = {}
    for label, member in parsed.items():
        if not (isinstance(member, tuple) and len(member) == 2 and isinstance(member[0], list)):
            raise SignatureError(
                SIGNATURE_MALFORMED, f"Signature-Input {label} is not an inner list"
            )
        result[label] = (member[0], member[1], None, None)
    return result


def parse_byte_sequence_dictionary(value: str, *, what: str) -> dict:
    """``{key: bytes}`` for a Dictionary whose members are Byte Sequences (parameters ignored).

    A member of another type maps to ``None``, for the caller to refuse if it cares.
    """
    if len(value) <= MAX_FIELD_LENGTH:
        fast = fastsf.parse_byte_sequences(value)
        if fast is not None:
            return fast
    parsed = parse_dictionary(value, what=what)
    result = {}
    for key, member in parsed.items():
        item = member[0] if isinstance(member, tuple) else member
        result[key] = item if isinstance(item, bytes) else None
    return result
