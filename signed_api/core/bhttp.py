"""Binary HTTP messages (RFC 9292, ``message/bhttp``): encode and decode.

The wire format of the requests and responses that Oblivious HTTP (RFC 9458) encrypts. Both
framings decode: known-length (framing indicators 0 and 1) and indeterminate-length (2 and 3);
the encoders write known-length by default. Integers are QUIC variable-length integers (RFC 9000
§16), accepted on more bytes than needed (RFC 9292 §3: "Integer values do not need to be encoded
on the minimum number of bytes necessary"). A message may end after its control data, its header
section or its content: the missing parts are empty (§3.8); zero padding after the trailers is
accepted and checked to be zero.

Strict, as §5 and §8 advise. A message is invalid, and the decoder raises
``SignatureError(BINARY_HTTP_MALFORMED, detail)`` (and never any other exception, whatever the
input), when:

- the framing indicator is not one of the kind asked for, an integer or a length runs past the
  end, or a section stops anywhere but at a boundary §3.8 allows;
- the method is not a token (RFC 9110 §9.1), the scheme not a URI scheme, the authority or path
  not visible ASCII, the path empty, or for ``http``/``https`` not ``/...`` (or ``*`` for
  OPTIONS), or the authority holds userinfo (RFC 9113 §8.3.1);
- a field name is empty, not a token or has an uppercase letter; a field value holds a control
  character other than HTAB (CR, LF and NUL above all) or starts or ends with SP or HTAB
  (RFC 9292 §3.6, RFC 9110 §5.1/§5.5, RFC 9113 §8.2.1);
- a field is one of the five reserved pseudo-fields, or another pseudo-field follows a regular
  field or stands in a trailer section (§3.6);
- a status is not 100-199 before the final one, or the final one not 200-599 (§3.5);
- a padding byte is not zero (§3.8);
- the message exceeds a :class:`Limits` bound. Every length is checked against the limit and
  the bytes left before anything is sliced, so a declared size never allocates by itself.

Strings are ``str``: the control data is ASCII, field names and values latin-1 (lossless for
any byte). Field lines keep their order and repetitions; combining repeated fields (``cookie``
with ``"; "``, §3.6) is the consumer's business. The encoders validate what they write by the
same rules and raise the same error, so what they produce always decodes. Before that they
normalize what RFC 9110 says carries no meaning: field names are lowercased (§5.1: names are
case-insensitive) and values lose leading and trailing SP and HTAB (§5.5: not part of the value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from .errors import BINARY_HTTP_MALFORMED, SignatureError

__all__ = [
    "DEFAULT_LIMITS",
    "INDETERMINATE_LENGTH_REQUEST",
    "INDETERMINATE_LENGTH_RESPONSE",
    "KNOWN_LENGTH_REQUEST",
    "KNOWN_LENGTH_RESPONSE",
    "MEDIA_TYPE",
    "Fields",
    "Limits",
    "Request",
    "Response",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
]

MEDIA_TYPE = "message/bhttp"

# Framing indicators (RFC 9292 §3.3).
KNOWN_LENGTH_REQUEST = 0
KNOWN_LENGTH_RESPONSE = 1
INDETERMINATE_LENGTH_REQUEST = 2
INDETERMINATE_LENGTH_RESPONSE = 3

MAX_VARINT = (1 << 62) - 1

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Request:
    """A request: control data (§3.4), header fields, content and trailer fields."""

    method: str
    scheme: str
    authority: str  # "" when absent (a Host header field then names the target)
    path: str  # the raw request target: "/api/notes/?a=1", or "*"
    headers: Fields = ()
    content: bytes = b""
    trailers: Fields = ()


@dataclass(frozen=True)
class Response:
    """A final response (200-599), after zero or more informational ones (100-199, §3.5.1)."""

    status: int
    headers: Fields = ()
    content: bytes = b""
    trailers: Fields = ()
    informational: tuple[tuple[int, Fields], ...] = ()


@dataclass(frozen=True)
class Limits:
    """Bounds a decoder enforces before it allocates (RFC 9292 §8: resource exhaustion).

    ``max_fields``: field lines in the whole message (every section, informational ones too);
    ``max_field_section``: bytes of the field lines of one section, as encoded (the length
    prefix or the terminator not counted); ``max_content``: bytes of
    content (the sum of the chunks in indeterminate-length framing); ``max_control_data``:
    bytes of method, scheme, authority and path together; ``max_informational``: informational
    responses before the final one.
    """

    max_fields: int = 256
    max_field_section: int = 65536
    max_content: int = 10 * 1024 * 1024
    max_control_data: int = 16384
    max_informational: int = 16


DEFAULT_LIMITS = Limits()

# RFC 9110 §5.6.2: tchar.
_DIGITS = b"0123456789"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_TCHAR_NO_ALPHA = b"!#$%&'*+-.^_`|~" + _DIGITS
_TOKEN = _TCHAR_NO_ALPHA + _LOWER + _UPPER
_NAME = _TCHAR_NO_ALPHA + _LOWER  # RFC 9113 §8.2.1: no uppercase in field names
_SCHEME = _LOWER + _UPPER + _DIGITS + b"+-."
_VISIBLE = bytes(range(0x21, 0x7F))
# RFC 9110 §5.5 field-content: VCHAR, obs-text, SP and HTAB; no other control character.
_VALUE = b"\t" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
_RESERVED_PSEUDO = frozenset({b":method", b":scheme", b":authority", b":path", b":status"})


def _fail(detail: str) -> NoReturn:
    raise SignatureError(BINARY_HTTP_MALFORMED, detail)


# --- validation (shared by the decoders and the encoders) -------------------------------------


def _check_method(method: bytes) -> None:
    if not method or method.translate(None, _TOKEN):
        _fail("the method is not a token")


def _check_control(method: bytes, scheme: bytes, authority: bytes, path: bytes) -> None:
    _check_method(method)
    if not scheme or scheme[:1].translate(None, _LOWER + _UPPER) or scheme.translate(None, _SCHEME):
        _fail("the scheme is not a URI scheme")
    if authority.translate(None, _VISIBLE):
        _fail("the authority holds a byte that is not visible ASCII")
    if not path:
        _fail("the path is empty")
    if path.translate(None, _VISIBLE):
        _fail("the path holds a byte that is not visible ASCII")
    if scheme.lower() in (b"http", b"https"):
        if b"@" in authority:
            _fail("the authority holds userinfo")
        if path == b"*":
            if method != b"OPTIONS":
                _fail("the path '*' is for OPTIONS only")
        elif path[0] != 0x2F:  # "/"
            _fail("an http(s) path does not start with '/'")


def _check_status(status: int, *, informational: bool) -> None:
    if informational and not 100 <= status <= 199:
        _fail(f"informational status {status} is not 100-199")
    if not informational and not 200 <= status <= 599:
        _fail(f"final status {status} is not 200-599")


def _check_value(value: bytes) -> None:
    if value.translate(None, _VALUE):
        _fail("a field value holds a control character")
    if value and (value[0] in (0x20, 0x09) or value[-1] in (0x20, 0x09)):
        _fail("a field value starts or ends with whitespace")


class _FieldRules:
    """Pseudo-field order (§3.6) and the field count limit, across one message."""

    __slots__ = ("count", "max_fields")

    def __init__(self, max_fields: int) -> None:
        self.count = 0
        self.max_fields = max_fields

    def field(self, name: bytes, value: bytes, *, trailer: bool, regular_seen: bool) -> bool:
        """Check one field line; return whether it is a regular (not pseudo) field."""
        if self.count >= self.max_fields:
            _fail(f"more than {self.max_fields} field lines")
        self.count += 1
        if not name:
            _fail("a field name is empty")
        if name[0] == 0x3A:  # ":"
            if name in _RESERVED_PSEUDO:
                _fail("a field is a reserved pseudo-field")
            if trailer:
                _fail("a pseudo-field in a trailer section")
            if regular_seen:
                _fail("a pseudo-field after a regular field")
            if len(name) == 1 or name[1:].translate(None, _NAME):
                _fail("a pseudo-field name is not a lowercase token")
            regular = False
        else:
            if name.translate(None, _NAME):
                _fail("a field name is not a lowercase token")
            regular = True
        _check_value(value)
        return regular


# --- decoding ---------------------------------------------------------------------------------


class _Reader:
    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int, end: int) -> None:
        self.data = data
        self.pos = pos
        self.end = end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def varint(self, what: str) -> int:
        pos = self.pos
        if pos >= self.end:
            _fail(f"truncated before the {what}")
        first = self.data[pos]
        size = 1 << (first >> 6)
        if pos + size > self.end:
            _fail(f"truncated inside the {what}")
        self.pos = pos + size
        if size == 1:
            return first
        return int.from_bytes(self.data[pos : pos + size], "big") & ((1 << (8 * size - 2)) - 1)

    def take(self, size: int, what: str) -> bytes:
        pos = self.pos
        if size > self.end - pos:
            _fail(f"the {what} runs past the end")
        self.pos = pos + size
        return self.data[pos : pos + size]


def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    _fail("the message is not bytes")


def _read_control(reader: _Reader, limits: Limits) -> tuple[bytes, bytes, bytes, bytes]:
    budget = limits.max_control_data
    parts = []
    for what in ("method", "scheme", "authority", "path"):
        size = reader.varint(f"{what} length")
        if size > budget:
            _fail(f"the control data exceeds {limits.max_control_data} bytes")
        budget -= size
        parts.append(reader.take(size, what))
    method, scheme, authority, path = parts
    _check_control(method, scheme, authority, path)
    return method, scheme, authority, path


def _read_fields(
    reader: _Reader, known: bool, limits: Limits, rules: _FieldRules, *, trailer: bool
) -> Fields:
    section = "trailer section" if trailer else "header section"
    limit = limits.max_field_section
    if known:
        size = reader.varint(f"{section} length")
        if size > limit:
            _fail(f"a {section} exceeds {limit} bytes")
        start = reader.pos
        if size > reader.end - start:
            _fail(f"the {section} runs past the end")
        reader.pos = start + size
        source = _Reader(reader.data, start, start + size)
    else:
        source = reader
        start = reader.pos
    fields: list[tuple[str, str]] = []
    regular_seen = False
    while True:
        if known and source.at_end():
            break
        name_size = source.varint("field name length")
        if name_size == 0:
            if known:
                _fail("a field name is empty")
            break  # the terminator of an indeterminate-length section
        if not known and name_size > limit - (source.pos - start):
            _fail(f"a {section} exceeds {limit} bytes")
        name = source.take(name_size, "field name")
        value_size = source.varint("field value length")
        if not known and value_size > limit - (source.pos - start):
            _fail(f"a {section} exceeds {limit} bytes")
        value = source.take(value_size, "field value")
        if not known and source.pos - start > limit:  # the length prefixes, at most 16 bytes
            _fail(f"a {section} exceeds {limit} bytes")
        if rules.field(name, value, trailer=trailer, regular_seen=regular_seen):
            regular_seen = True
        fields.append((name.decode("latin-1"), value.decode("latin-1")))
    return tuple(fields)


def _read_content(reader: _Reader, known: bool, limits: Limits) -> bytes:
    limit = limits.max_content
    if known:
        size = reader.varint("content length")
        if size > limit:
            _fail(f"the content exceeds {limit} bytes")
        return reader.take(size, "content")
    chunks: list[bytes] = []
    total = 0
    while True:
        size = reader.varint("content chunk length")
        if size == 0:
            return b"".join(chunks)
        total += size
        if total > limit:
            _fail(f"the content exceeds {limit} bytes")
        chunks.append(reader.take(size, "content chunk"))


def _read_rest(
    reader: _Reader, known: bool, limits: Limits, rules: _FieldRules
) -> tuple[Fields, bytes, Fields]:
    """Header section, content, trailer section (each may be truncated away, §3.8), padding."""
    headers: Fields = ()
    content = b""
    trailers: Fields = ()
    if not reader.at_end():
        headers = _read_fields(reader, known, limits, rules, trailer=False)
        if not reader.at_end():
            content = _read_content(reader, known, limits)
            if not reader.at_end():
                trailers = _read_fields(reader, known, limits, rules, trailer=True)
                if reader.data.count(0, reader.pos) != reader.end - reader.pos:
                    _fail("a padding byte is not zero")
    return headers, content, trailers


def _start(data: object, kinds: tuple[int, int]) -> tuple[_Reader, bool]:
    raw = _as_bytes(data)
    reader = _Reader(raw, 0, len(raw))
    framing = reader.varint("framing indicator")
    if framing not in kinds:
        _fail(f"framing indicator {framing} is not one of {kinds}")
    return reader, framing == kinds[0]


def decode_request(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Request:
    """The request in ``data`` (framing indicator 0 or 2), or ``binary_http_malformed``."""
    reader, known = _start(data, (KNOWN_LENGTH_REQUEST, INDETERMINATE_LENGTH_REQUEST))
    method, scheme, authority, path = _read_control(reader, limits)
    headers, content, trailers = _read_rest(reader, known, limits, _FieldRules(limits.max_fields))
    return Request(
        method=method.decode("ascii"),
        scheme=scheme.decode("ascii"),
        authority=authority.decode("ascii"),
        path=path.decode("ascii"),
        headers=headers,
        content=content,
        trailers=trailers,
    )


def decode_response(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Response:
    """The response in ``data`` (framing indicator 1 or 3), or ``binary_http_malformed``."""
    reader, known = _start(data, (KNOWN_LENGTH_RESPONSE, INDETERMINATE_LENGTH_RESPONSE))
    rules = _FieldRules(limits.max_fields)
    informational: list[tuple[int, Fields]] = []
    while True:
        status = reader.varint("status code")
        if not 100 <= status <= 199:
            break
        if len(informational) >= limits.max_informational:
            _fail(f"more than {limits.max_informational} informational responses")
        informational.append((status, _read_fields(reader, known, limits, rules, trailer=False)))
    _check_status(status, informational=False)
    headers, content, trailers = _read_rest(reader, known, limits, rules)
    return Response(
        status=status,
        headers=headers,
        content=content,
        trailers=trailers,
        informational=tuple(informational),
    )


# --- encoding ---------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    if value < 0x40:
        return bytes((value,))
    if value < 0x4000:
        return (value | 0x4000).to_bytes(2, "big")
    if value < 0x4000_0000:
        return (value | 0x8000_0000).to_bytes(4, "big")
    if value <= MAX_VARINT:
        return (value | 0xC000_0000_0000_0000).to_bytes(8, "big")
    _fail("an integer exceeds 2**62 - 1")


def _ascii(text: str, what: str) -> bytes:
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        _fail(f"the {what} is not ASCII")


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        _fail("a field holds a character beyond latin-1")


def _encode_fields(fields: Fields, known: bool, rules: _FieldRules, *, trailer: bool) -> bytes:
    out = bytearray()
    regular_seen = False
    for name_text, value_text in fields:
        name = _latin1(name_text.lower())
        value = _latin1(value_text).strip(b" \t")
        if rules.field(name, value, trailer=trailer, regular_seen=regular_seen):
            regular_seen = True
        out += _varint(len(name))
        out += name
        out += _varint(len(value))
        out += value
    if known:
        return _varint(len(out)) + out
    out.append(0)
    return bytes(out)


def _encode_content(content: bytes, known: bool) -> bytes:
    if known:
        return _varint(len(content)) + content
    if not content:
        return b"\x00"
    return _varint(len(content)) + content + b"\x00"


def _finish(parts: list[bytes], padding: int) -> bytes:
    if padding < 0:
        raise ValueError("padding is a number of bytes, not negative")
    if padding:
        parts.append(bytes(padding))
    return b"".join(parts)


def encode_request(request: Request, *, padding: int = 0, indeterminate: bool = False) -> bytes:
    """``request`` in known-length framing (or indeterminate-length), then ``padding`` zeros.

    Never truncated: every section is written, even when empty.
    """
    known = not indeterminate
    method = _ascii(request.method, "method")
    scheme = _ascii(request.scheme, "scheme")
    authority = _ascii(request.authority, "authority")
    path = _ascii(request.path, "path")
    _check_control(method, scheme, authority, path)
    rules = _FieldRules(MAX_VARINT)
    parts = [_varint(KNOWN_LENGTH_REQUEST if known else INDETERMINATE_LENGTH_REQUEST)]
    for part in (method, scheme, authority, path):
        parts += (_varint(len(part)), part)
    parts.append(_encode_fields(request.headers, known, rules, trailer=False))
    parts.append(_encode_content(bytes(request.content), known))
    parts.append(_encode_fields(request.trailers, known, rules, trailer=True))
    return _finish(parts, padding)


def encode_response(response: Response, *, padding: int = 0, indeterminate: bool = False) -> bytes:
    """``response`` in known-length framing (or indeterminate-length), then ``padding`` zeros.

    Informational responses come first, in order; nothing is truncated.
    """
    known = not indeterminate
    rules = _FieldRules(MAX_VARINT)
    parts = [_varint(KNOWN_LENGTH_RESPONSE if known else INDETERMINATE_LENGTH_RESPONSE)]
    for status, fields in response.informational:
        _check_status(status, informational=True)
        parts.append(_varint(status))
        parts.append(_encode_fields(fields, known, rules, trailer=False))
    _check_status(response.status, informational=False)
    parts.append(_varint(response.status))
    parts.append(_encode_fields(response.headers, known, rules, trailer=False))
    parts.append(_encode_content(bytes(response.content), known))
    parts.append(_encode_fields(response.trailers, known, rules, trailer=True))
    return _finish(parts, padding)
