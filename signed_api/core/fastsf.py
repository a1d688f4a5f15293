"""A fast path for the canonical form of the three fields every request carries.

``Signature-Input``, ``Signature`` and ``Content-Digest`` are parsed on every request. In the
overwhelmingly common case they arrive exactly as a signer serializes them (RFC 8941 §4.1), and
then a few regular expressions can recognise them and build the very same structures that
``http-sf`` would, several times faster. Anything these expressions do not match in full, such
as escapes in strings, other parameter types, extra whitespace or a duplicate key, returns
``None`` and the caller parses it with ``http-sf`` as usual. Because a match proves the text is
in canonical form, its substrings are also their own serialization, which spares re-serializing
``@signature-params`` and the component identifiers.

The test-suite checks this module against ``http-sf`` on generated inputs (differential test):
whenever the fast path answers, its answer equals the library's.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["parse_signature_input", "parse_byte_sequences", "ser_item", "ser_params"]

_STR = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'  # a String with no escapes
_KEY = r"[a-z*][a-z0-9_.*-]*"
_INT = r"(?:0|[1-9][0-9]{0,14})"
_ITEM_PARAM = rf";(?:sf|bs|req|tr|(?:key|name)={_STR})"
_ITEM = rf"{_STR}(?:{_ITEM_PARAM})*"
_SIG_PARAM = rf";(?:(?:created|expires)={_INT}|(?:keyid|nonce|alg|tag)={_STR})"
# The list between the parentheses is matched loosely here and strictly (and once per distinct
# list, see _parse_items) by _LIST_RE: a list whose strings contain parentheses falls back.
_MEMBER_RE = re.compile(rf"({_KEY})=(\(([^()]*)\)((?:{_SIG_PARAM})*))(?:, (?=[a-z*])|\Z)")
_LIST_RE = re.compile(rf"(?:{_ITEM}(?: {_ITEM})*)?")
_ITEM_RE = re.compile(rf'"([^"]*)"((?:{_ITEM_PARAM})*)')
_ITEM_PARAM_RE = re.compile(r';([a-z]+)(?:="([^"]*)")?')
_SIG_PARAM_RE = re.compile(r';([a-z]+)=([0-9]+|"[^"]*")')
_B64 = r"[A-Za-z0-9+/]*={0,2}"
_BYTES_MEMBER_RE = re.compile(rf"({_KEY})=:({_B64}):(?:, (?=[a-z*])|\Z)")

# Types (for readers and mypy): the covered items as ``(name, params)`` pairs, and one
# Signature-Input member as ``(items, params, inner_text, list_text)``.
Items = tuple[tuple[str, dict[str, Any]], ...]
Member = tuple[Items, dict[str, Any], str, str]


def parse_signature_input(value: str) -> dict[str, Member] | None:
    """``{label: (items, params, inner_text, list_text)}`` for a canonical Signature-Input,
    else ``None``.

    ``items`` is a tuple of ``(name, params)`` and ``params`` a dict, as ``http-sf`` returns
    them; ``inner_text`` is the member's serialized inner list and ``list_text`` the part
    between its parentheses.
    """
    result: dict[str, Member] = {}
    pos = 0
    end = len(value)
    while pos < end:
        match = _MEMBER_RE.match(value, pos)
        if match is None:
            return None
        label, inner, listed, param_text = match.groups()
        if label in result:
            return None
        items = _parse_items(listed)
        if items is None:
            return None
        params: dict[str, Any] = {}
        for name, text in _SIG_PARAM_RE.findall(param_text):
            if name in params:
                return None
            params[name] = text[1:-1] if text[0] == '"' else int(text)
        result[label] = (items, params, inner, listed)
        pos = match.end()
    return result if result else None


@functools.lru_cache(maxsize=512)
def _parse_items(listed: str) -> Items | None:
    # Clients cover the same few component lists over and over: parse each list once. The
    # cache is bounded, and the result is a tuple, so callers cannot alter a cached entry.
    if _LIST_RE.fullmatch(listed) is None:
        return None
    items: list[tuple[str, dict[str, Any]]] = []
    for item in _ITEM_RE.finditer(listed):
        item_params: dict[str, Any] = {}
        for pmatch in _ITEM_PARAM_RE.finditer(item.group(2)):
            name = pmatch.group(1)
            if name in item_params:
                return None
            string = pmatch.group(2)
            item_params[name] = True if string is None else string
        items.append((item.group(1), item_params))
    return tuple(items)


def parse_byte_sequences(value: str) -> dict[str, bytes] | None:
    """``{label: bytes}`` for a canonical dictionary of Byte Sequences, else ``None``."""
    result: dict[str, bytes] = {}
    pos = 0
    end = len(value)
    while pos < end:
        match = _BYTES_MEMBER_RE.match(value, pos)
        if match is None:
            return None
        label, text = match.group(1), match.group(2)
        if label in result or len(text) % 4:
            return None
        try:
            # The expression above admits only the base64 alphabet with padding at the end.
            result[label] = binascii.a2b_base64(text)
        except (binascii.Error, ValueError):
            return None
        pos = match.end()
    return result if result else None


# -- serializing the same canonical subset ---------------------------------------------------
_SAFE_STRING = re.compile(r'[\x20\x21\x23-\x5b\x5d-\x7e]*')
_KEY_RE = re.compile(_KEY)
_MAX_INT = 999_999_999_999_999


def ser_params(params: Mapping[Any, object]) -> str | None:
    """RFC 8941 §4.1.1.2 for Strings without escapes, Integers and ``True``; else ``None``."""
    out = []
    for key, value in params.items():
        if type(key) is not str or _KEY_RE.fullmatch(key) is None:
            return None
        if value is True:
            out.append(";" + key)
        elif type(value) is int and -_MAX_INT <= value <= _MAX_INT:
            out.append(f";{key}={value}")
        elif type(value) is str and _SAFE_STRING.fullmatch(value) is not None:
            out.append(f';{key}="{value}"')
        else:
            return None
    return "".join(out)


def ser_item(value: object, params: Mapping[Any, object] | None) -> str | None:
    """A String item with parameters, or ``None`` when the fast path does not apply."""
    if type(value) is not str or _SAFE_STRING.fullmatch(value) is None:
        return None
    rest = ser_params(params) if params else ""
    return None if rest is None else f'"{value}"{rest}'
