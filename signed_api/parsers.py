"""A JSON parser that answers hostile input with a 4xx, never a 500 (docs/django.md).

DRF's own ``JSONParser`` lets a ``RecursionError`` out of ``json.load`` for deeply nested input
(``[[[[…]]]]``: 100 kB of it is 50 000 levels), which Django answers with a 500. It also reads
the request stream to its end whatever its size: Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only
guards ``request.body`` and ``request.POST``. This parser

- refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with a 413 ``request_too_large``, before
  reading more than the limit;
- refuses nesting deeper than ``max_depth`` (or than Python's recursion allows) with a 400
  ``json_too_deep``;
- answers malformed JSON with a 400 ``parse_error``, like DRF, with the code in the body.

Use it in ``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`` in place of
``rest_framework.parsers.JSONParser``; signed_api's own views use it whatever that setting says.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json  # json with strict_constant, as DRF parses

__all__ = [
    "FormParser",
    "JSONParser",
    "JSONTooDeep",
    "RequestTooLarge",
    "ParseErrorWithCode",
    "DEFAULT_PARSER_CLASSES",
]

REQUEST_TOO_LARGE = "request_too_large"
JSON_TOO_DEEP = "json_too_deep"
PARSE_ERROR = "parse_error"


def _with_code(
    exc: RequestTooLarge | ParseErrorWithCode, detail: str, code: str
) -> RequestTooLarge | ParseErrorWithCode:
    # DRF renders a dict detail as the body as it is: {"detail", "code"}.
    exc.detail = {"detail": detail, "code": code}  # type: ignore[dict-item]  # stub: ErrorDetail only; DRF renders any dict
    exc.signed_api_code = code
    return exc


class RequestTooLarge(exceptions.APIException):
    """413 ``request_too_large``: the body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = REQUEST_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    signed_api_code: str

    def __init__(self, detail: str | None = None):
        text = detail or self.default_detail
        super().__init__(detail=text, code=self.default_code)
        _with_code(self, text, self.default_code)


class ParseErrorWithCode(exceptions.ParseError):
    """400 with ``{"detail", "code"}`` (DRF's ``ParseError`` has no code in its body)."""

    signed_api_code: str

    def __init__(self, detail: str, code: str = PARSE_ERROR):
        super().__init__(detail=detail, code=code)
        _with_code(self, detail, code)


class JSONTooDeep(ParseErrorWithCode):
    """400 ``json_too_deep``: arrays and objects nested deeper than the parser allows."""

    def __init__(self, detail: str = "The JSON body is nested too deeply."):
        super().__init__(detail, JSON_TOO_DEEP)


def _encoding(parser_context) -> str:
    """The request's charset, or ``DEFAULT_CHARSET``; only text encodings (what DRF 3.15's
    ``parsers.get_encoding`` does, which DRF 3.14 lacks). A bytes-to-bytes codec such as
    ``bz2_codec`` would decompress the body after the size limit was checked."""
    encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
    try:
        "".encode(encoding)  # unlike codecs.decode(), str.encode() refuses non-text codecs
    except (LookupError, UnicodeError):
        raise ParseErrorWithCode(f"Unsupported charset {encoding!r} in Content-Type.") from None
    return encoding


def upload_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def read_limited(stream, limit: int | None) -> bytes:
    """The whole of ``stream``, or :class:`RequestTooLarge` once it is over ``limit`` bytes
    (never more than ``limit + 1`` bytes are read)."""
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestTooLarge()
    return data


def _depth_exceeds(value, max_depth: int) -> bool:
    """Whether ``value`` nests lists and dicts deeper than ``max_depth`` (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's ``JSONParser`` with a size limit, a depth limit and a code in every error.

    ``max_depth`` (class attribute, default 100): how deeply arrays and objects may nest;
    subclass to change it. A view's serializers, renderers and ``copy.deepcopy`` recurse
    through the data, so input far below Python's recursion limit can still exhaust it later.
    """

    max_depth = 100

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = _encoding(parser_context)
        raw = read_limited(stream, _refuse_declared_size(parser_context))
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeError, LookupError) as exc:
            raise ParseErrorWithCode(f"JSON parse error - {type(exc).__name__}") from None
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise JSONTooDeep() from None
        except ValueError as exc:
            raise ParseErrorWithCode(f"JSON parse error - {exc}") from None
        if _depth_exceeds(data, self.max_depth):
            raise JSONTooDeep(
                f"The JSON body is nested more than {self.max_depth} levels deep."
            )
        return data


def _refuse_declared_size(parser_context) -> int | None:
    """The upload limit, after refusing a ``Content-Length`` already over it."""
    limit = upload_limit()
    request = (parser_context or {}).get("request")
    if limit is not None and request is not None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except (TypeError, ValueError):
            declared = 0
        if declared > limit:
            raise RequestTooLarge()
    return limit


class FormParser(parsers.FormParser):
    """DRF's ``FormParser`` (which reads the stream whatever its size) with the upload limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        from django.http import QueryDict

        limit = _refuse_declared_size(parser_context)
        raw = read_limited(stream, limit)
        return QueryDict(raw, encoding=_encoding(parser_context))


#: DRF's default parsers, with the JSON and form parsers above in place of DRF's own
#: (Django's multipart parser applies ``DATA_UPLOAD_MAX_MEMORY_SIZE`` itself).
DEFAULT_PARSER_CLASSES = [JSONParser, FormParser, parsers.MultiPartParser]


_PARSING_FILES = ("/json/decoder.py", "/json/__init__.py", "rest_framework/parsers.py")


def is_recursion_in_parser(exc: BaseException) -> bool:
    """A ``RecursionError`` raised while a parser decoded JSON (DRF's stock ``JSONParser``)."""
    if not isinstance(exc, RecursionError):
        return False
    import traceback

    for frame, _ in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename.replace("\\", "/")
        if filename.endswith(_PARSING_FILES):
            return True
    return False
