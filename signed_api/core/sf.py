"""Structured Field Values (RFC 8941 / RFC 9651) through the ``http-sf`` package.

Only thin adapters live here, over http-sf's public API (``http_sf.parse`` and ``http_sf.ser``,
nothing from its internal modules): parse errors become :class:`SignatureError` with a stable
code, and the few serialisers the signature base needs are named here once. The canonical
fields of a request usually take :mod:`.fastsf` instead; everything else comes here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, cast

import http_sf

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

#: One Signature-Input member: ``(items, params, inner_text, list_text)``, items as
#: ``(name, params)`` pairs; the texts are ``None`` off the canonical fast path.
SignatureInputMember = tuple[Sequence[Any], dict[str, Any], str | None, str | None]


def ser_item(item: Any) -> str:
    """RFC 8941 §4.1.3: an Item, given as ``(bare_item, params)``."""
    return http_sf.ser(item)


def ser_member(member: Any) -> str:
    """One member of a List or Dictionary (an Item or an Inner List, with its parameters) as
    ``sf.ser`` writes it inside that field: a one-member List is exactly that text."""
    return http_sf.ser([member])


def ser_innerlist(inner_list: Any) -> str:
    """RFC 8941 §4.1.1.1: ``([items], params)`` as ``(a b);p``."""
    return ser_member(inner_list)


@functools.lru_cache(maxsize=256)
def _retrofit_type(name: str) -> str | None:
    # http-sf knows the structured type of the fields the retrofit draft registers, and tells
    # it only through parse(name=...): KeyError for a name it does not know. Parsing nothing
    # answers the question: an empty Dictionary or List parses, an empty Item never does.
    try:
        structure = http_sf.parse(b"", name=name)
    except KeyError:
        return None
    except StructuredFieldError:
        return "item"
    return "dictionary" if isinstance(structure, dict) else "list"


class _RetrofitTypes:
    """``RETROFIT_TYPES.get(field_name)``: ``"dictionary"``, ``"list"``, ``"item"`` or None."""

    def get(self, name: str, default: str | None = None) -> str | None:
        found = _retrofit_type(name.lower()) if isinstance(name, str) else None
        return default if found is None else found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _retrofit_type(name.lower()) is not None


RETROFIT_TYPES = _RetrofitTypes()


def _reject_duplicate(key: str, _context: str) -> None:
    # RFC 8941 lets a later member (or parameter) overwrite an earlier one; for a signature
    # header that would let a proxy-added member silently replace the client's, so we refuse it.
    raise StructuredFieldError(f"duplicate key {key!r}")


def parse_dictionary(
    value: str | bytes, *, code: str = SIGNATURE_MALFORMED, what: str = "field"
) -> dict[str, Any]:
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
    try:
        parsed = http_sf.parse(data, tltype="dictionary", on_duplicate_key=_reject_duplicate)
    except (ValueError, IndexError, TypeError, UnicodeError) as exc:
        # StructuredFieldError is a ValueError.
        raise SignatureError(code, f"{what} is not a valid structured dictionary: {exc}") from None
    # tltype="dictionary" always parses to a dict (http-sf types the result as any structure)
    return cast("dict[str, Any]", parsed)


def parse_as(value: str, tltype: str) -> Any:
    """Parse ``value`` as a top-level ``dictionary``, ``list`` or ``item``; raises ValueError."""
    return http_sf.parse(value.encode("ascii"), tltype=tltype)


def parse_signature_input(value: str) -> Mapping[str, SignatureInputMember]:
    """``{label: (items, params, inner_text, list_text)}``; the two texts are ``None`` when the
    value was not in canonical form (the caller then serializes the inner list itself)."""
    if len(value) <= MAX_FIELD_LENGTH:
        fast = fastsf.parse_signature_input(value)
        if fast is not None:
            return fast
    parsed = parse_dictionary(value, what="Signature-Input")
    result: dict[str, SignatureInputMember] = {}
    for label, member in parsed.items():
        if not (isinstance(member, tuple) and len(member) == 2 and isinstance(member[0], list)):
            raise SignatureError(
                SIGNATURE_MALFORMED, f"Signature-Input {label} is not an inner list"
            )
        result[label] = (member[0], member[1], None, None)
    return result


def parse_byte_sequence_dictionary(value: str, *, what: str) -> Mapping[str, bytes | None]:
    """``{key: bytes}`` for a Dictionary whose members are Byte Sequences (parameters ignored).

    A member of another type maps to ``None``, for the caller to refuse if it cares.
    """
    if len(value) <= MAX_FIELD_LENGTH:
        fast = fastsf.parse_byte_sequences(value)
        if fast is not None:
            return fast
    parsed = parse_dictionary(value, what=what)
    result: dict[str, bytes | None] = {}
    for key, member in parsed.items():
        item = member[0] if isinstance(member, tuple) else member
        result[key] = item if isinstance(item, bytes) else None
    return result
