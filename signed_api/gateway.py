"""The Oblivious HTTP gateway (RFC 9458, RFC 9540): ``/.well-known/ohttp-gateway``.

- ``GET``: the key configurations, ``application/ohttp-keys`` (RFC 9458 §3.2), cacheable for
  ``OHTTP_KEY_LIFETIME`` seconds; no authentication.
- ``POST`` of a ``message/ohttp-req``: the body is decapsulated with one of the gateway keys
  (:mod:`signed_api.ohttp_keys`), decoded as a Binary HTTP request (RFC 9292), run through the
  whole Django stack of this site, the response encoded as Binary HTTP, encapsulated and
  answered as ``200 message/ohttp-res``.

Errors before the request is decrypted answer in the clear (no key is shared yet): an unknown
key id or suite is the problem document of RFC 9458 §5.3 (400, ``ohttp_unknown_key``);
anything else that cannot be opened is 400 ``ohttp_malformed`` or ``ohttp_decryption_failed``;
a body over ``OHTTP_MAX_REQUEST_BYTES`` 413 ``request_too_large``; another media type 415
``unsupported_media_type``. Errors after it travel encrypted inside a 200 (RFC 9458 §5.2):
a Binary HTTP message that does not decode is an inner 400 ``binary_http_malformed``, so is a
target that is not a path (origin form: ``OPTIONS *``) and a ``Content-Length`` field that is not
exactly one decimal number equal to the length of the content (the field is dropped either way:
the content's own length stands in for it); an inner authority that is not one of
``ALLOWED_HOSTS``, a ``Host`` that contradicts it or a scheme other than http(s) is an inner 421
``misdirected_request``; an inner request for the gateway itself an inner 400
``ohttp_nested_request``; anything that fails once the message decoded an inner 500
``server_error``.

The gateway's own inner answers are signed with the server key as
``ResponseSignatureMiddleware`` signs any other answer of the app (when it is installed,
``SIGN_RESPONSES`` is on and ``SERVER_SIGNATURES`` is not ``None``), bound to the inner request
as it decoded: its method, the path of its raw target, its ``Signature`` members. The one
exception is the 400 of a message that does not decode at all: there is no request to bind the
signature to, so it goes out unsigned (a client's own encoder never produces such a message, and a
client treats the answer as the unverified refusal it is).

The inner request is a ``WSGIRequest`` built from the Binary HTTP message alone: method, raw
target (``RAW_URI``, so the signature's ``@path`` and ``@query`` are what the client signed),
header fields, content, ``Host`` = the inner authority, ``wsgi.url_scheme`` = the inner scheme.
From the outer request only the client's address comes in (``REMOTE_ADDR`` and
``X-Forwarded-For``, so the guessing budget counts the real client as ``NUM_PROXIES`` says);
forwarding fields inside the inner message are dropped. It is dispatched by a handler of its
own (``BaseHandler.get_response``, not ``WSGIHandler.__call__``: no ``request_started`` or
``request_finished``, which would close the database connections in the middle of the outer
request).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
from urllib.parse import unquote_to_bytes

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.http.request import split_domain_port, validate_host
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.views.decorators.csrf import csrf_exempt

from . import ohttp_keys
from .conf import signed_api_settings
from .core import bhttp, ohttp
from .core.errors import (
    BINARY_HTTP_MALFORMED,
    MESSAGES,
    OHTTP_DECRYPTION_FAILED,
    OHTTP_MALFORMED,
    OHTTP_UNKNOWN_KEY,
    SignatureError,
)
from .logsafe import get_logger

__all__ = [
    "KEY_CONFIG_PROBLEM",
    "OHTTPGatewayMiddleware",
    "answer_encapsulated",
    "gateway",
    "inner_handler",
]

logger = get_logger("signed_api.gateway")

#: The ``type`` of the RFC 9458 §5.3 problem document for an unknown key configuration.
KEY_CONFIG_PROBLEM = "https://iana.org/assignments/http-problem-types#ohttp-key"
PROBLEM_MEDIA_TYPE = "application/problem+json"

REQUEST_TOO_LARGE = "request_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
METHOD_NOT_ALLOWED = "method_not_allowed"
MISDIRECTED_REQUEST = "misdirected_request"
NESTED_REQUEST = "ohttp_nested_request"
SERVER_ERROR = "server_error"
SERVER_ERROR_DETAIL = "A server error occurred."

#: The environ key that marks a request the gateway decapsulated.
INNER_MARK = "signed_api.ohttp"

# Fields a WSGI server never passes on as HTTP_* (connection-specific, RFC 9110 §7.6.1, or
# computed from the message itself), and the forwarding fields, which only the outer request's
# proxies may set: inside the message they would let a client name its own address or host.
_DROPPED_FIELDS = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade",
    "host", "content-length", "trailer",
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port",
    "x-forwarded-proto", "x-forwarded-scheme", "x-real-ip",
})  # fmt: skip
_OUTER_FIELDS = ("REMOTE_ADDR", "REMOTE_HOST", "HTTP_X_FORWARDED_FOR")

_handler_lock = threading.Lock()
_handler: BaseHandler | None = None


def inner_handler() -> BaseHandler:
    """The handler inner requests go through: this site's ``MIDDLEWARE``, loaded once."""
    global _handler
    handler = _handler
    if handler is None:
        with _handler_lock:
            handler = _handler
            if handler is None:
                handler = BaseHandler()
                handler.load_middleware()
                _handler = handler
    return handler


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    global _handler
    if setting == "MIDDLEWARE":
        with _handler_lock:
            _handler = None
    if setting == "ROOT_URLCONF":
        _gateway_paths.clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_gateway_handler_reset")


# -- answers in the clear -------------------------------------------------------------------------
def _json(status: int, code: str, detail: str, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"detail": detail, "code": code}),
        status=status,
        content_type="application/json",
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    response["Cache-Control"] = "no-store"
    return response


def _key_config_problem() -> HttpResponse:
    body = {
        "type": KEY_CONFIG_PROBLEM,
        "title": "key identifier unknown",
        "detail": MESSAGES[OHTTP_UNKNOWN_KEY],
        "code": OHTTP_UNKNOWN_KEY,
    }
    response = HttpResponse(json.dumps(body), status=400, content_type=PROBLEM_MEDIA_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _keys_unavailable() -> HttpResponse:
    return _json(503, "ohttp_keys_unavailable",
                 "The gateway keys cannot be read now; try again later.", Retry_After="5")


def _media_type(request: HttpRequest) -> str:
    return (request.META.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()


def _key_configs(request: HttpRequest) -> HttpResponse:
    try:
        configs = ohttp_keys.advertised_configs()
    except Exception:  # noqa: BLE001 - the database is down or a key does not open
        logger.exception("OHTTP gateway keys could not be loaded")
        return _keys_unavailable()
    if not configs:  # every stored key is unreadable: logged by ohttp_keys
        return _keys_unavailable()
    response = HttpResponse(ohttp.encode_key_configs(configs), content_type=ohttp.KEYS_MEDIA_TYPE)
    response["Cache-Control"] = f"max-age={int(signed_api_settings.OHTTP_KEY_LIFETIME)}"
    return response


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or ``None`` when it is over ``limit`` (at most ``limit + 1`` bytes are read)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if declared > limit:
        return None
    data = request.read(limit + 1)
    return None if len(data) > limit else data


def _decapsulate(body: bytes) -> tuple[bytes, ohttp.GatewayContext]:
    try:
        return ohttp.decapsulate_request(ohttp_keys.gateway_keys(), body)
    except SignatureError as exc:
        # A key made by another process a moment ago: read the keys again, at most every few
        # seconds, and try once more.
        if exc.code != OHTTP_UNKNOWN_KEY or not ohttp_keys.refresh():
            raise
    return ohttp.decapsulate_request(ohttp_keys.gateway_keys(), body)


@csrf_exempt
@transaction.non_atomic_requests
def gateway(request: HttpRequest) -> HttpResponse:
    """``/.well-known/ohttp-gateway``: ``GET`` the key configurations, ``POST`` a request."""
    if request.META.get(INNER_MARK):
        # Only reachable from inside: the inner response says so, encrypted.
        return _json(400, NESTED_REQUEST,
                     "The gateway does not forward a request to itself.")
    if request.method in ("GET", "HEAD"):
        return _key_configs(request)
    if request.method != "POST":
        return _json(405, METHOD_NOT_ALLOWED, f"Method {request.method!r} is not allowed here.",
                     Allow="GET, HEAD, POST")
    return answer_encapsulated(request)


def answer_encapsulated(request: HttpRequest) -> HttpResponse:
    """The outer answer to a ``POST`` of the gateway, whoever calls it (the view, or
    :class:`OHTTPGatewayMiddleware` before the rest of the stack): the one place that makes it.
    Never raises; never a 5xx but the 503 of unreadable keys."""
    if _media_type(request) != ohttp.REQUEST_MEDIA_TYPE:
        return _json(415, UNSUPPORTED_MEDIA_TYPE,
                     f"The gateway accepts {ohttp.REQUEST_MEDIA_TYPE} only.")
    limit = int(signed_api_settings.OHTTP_MAX_REQUEST_BYTES)
    try:
        body = _read_body(request, limit)
    except OSError:  # the client went away mid-body (UnreadablePostError)
        return _json(400, OHTTP_MALFORMED, MESSAGES[OHTTP_MALFORMED])
    if body is None:
        return _json(413, REQUEST_TOO_LARGE,
                     f"The encapsulated request is larger than {limit} bytes.")
    try:
        encoded, context = _decapsulate(body)
    except SignatureError as exc:
        logger.info("OHTTP request refused: %s (%s)", exc.code, exc.detail)
        if exc.code == OHTTP_UNKNOWN_KEY:
            return _key_config_problem()
        code = exc.code if exc.code in (OHTTP_MALFORMED, OHTTP_DECRYPTION_FAILED) else (
            OHTTP_MALFORMED
        )
        return _json(400, code, MESSAGES[code])
    except Exception:  # noqa: BLE001 - the keys cannot be read (database down)
        logger.exception("OHTTP gateway keys could not be loaded")
        return _keys_unavailable()
    try:
        answer = _answer(request, encoded)
    except Exception:  # noqa: BLE001 - never a 500 in the clear: the inner one says it
        # Only when even the signed inner 500 of _answer could not be made.
        logger.exception("OHTTP inner request failed")
        answer = _encode(_inner_error(500, SERVER_ERROR, SERVER_ERROR_DETAIL))
    encapsulated = context.encapsulate_response(answer)
    response = HttpResponse(encapsulated, content_type=ohttp.RESPONSE_MEDIA_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _encode(response: bhttp.Response) -> bytes:
    """The Binary HTTP answer, padded with zeros (RFC 9292 §3.8) to a multiple of
    ``OHTTP_RESPONSE_PADDING`` bytes, so that its size on the wire says less."""
    data = bhttp.encode_response(response)
    bucket = int(signed_api_settings.OHTTP_RESPONSE_PADDING or 0)
    if bucket > 1 and len(data) % bucket:
        data += bytes(bucket - len(data) % bucket)
    return data


# -- the inner request ----------------------------------------------------------------------------
def _inner_error(status: int, code: str, detail: str) -> bhttp.Response:
    """An inner answer of the gateway itself, unsigned: only for a message that does not
    decode (no request to bind a signature to) and as the last resort; else :func:`_refusal`."""
    content = json.dumps({"detail": detail, "code": code}).encode("utf-8")
    return bhttp.Response(
        status=status,
        headers=(("content-type", "application/json"), ("cache-control", "no-store")),
        content=content,
    )


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def _answer(outer: HttpRequest, encoded: bytes) -> bytes:
    """The inner answer to the Binary HTTP request ``encoded``, encoded (and padded)."""
    try:
        message = bhttp.decode_request(encoded)
    except SignatureError as exc:
        logger.info("OHTTP inner message refused: %s (%s)", exc.code, exc.detail)
        # Unsigned: no method, path or Signature field to bind a signature to.
        return _encode(_inner_error(400, BINARY_HTTP_MALFORMED, MESSAGES[BINARY_HTTP_MALFORMED]))
    try:
        return _encode(_dispatch(outer, message))
    except _Refused as refused:
        logger.info("OHTTP inner request refused: %s (%s)", refused.code, refused.detail)
        return _encode(_refusal(message, refused.status, refused.code, refused.detail))
    except Exception:  # noqa: BLE001 - never a 500 in the clear: the inner one says it
        logger.exception("OHTTP inner request failed")
        return _encode(_refusal(message, 500, SERVER_ERROR, SERVER_ERROR_DETAIL))


def _dispatch(outer: HttpRequest, message: bhttp.Request) -> bhttp.Response:
    """The inner request through the whole stack (raises :class:`_Refused` before it)."""
    request = WSGIRequest(_environ(outer, message))
    response = inner_handler().get_response(request)
    try:
        return _collect(request, response)
    finally:
        _close(response)


def _refusal(message: bhttp.Request, status: int, code: str, detail: str) -> bhttp.Response:
    """An inner answer of the gateway itself to the decoded ``message``, signed with the server
    key as ``ResponseSignatureMiddleware`` would sign an answer of the app, bound to
    ``message`` (its method, the path of its raw target, its ``Signature`` members)."""
    response = _json(status, code, detail)
    try:
        request = _bound_request(message)
    except Exception:  # noqa: BLE001 - unsigned beats no answer (never seen: the fields decoded)
        logger.exception("OHTTP inner refusal not signed")
        return _inner_error(status, code, detail)
    if _signs_inner_answers():
        from .response_signing import sign_with_server_key

        sign_with_server_key(request, response)  # never raises: unsigned on a failure, logged
    return _collect(request, response)


def _signs_inner_answers() -> bool:
    """Whether the gateway's own inner answers are signed: the rule of the outer answer
    (``OHTTPGatewayMiddleware.answer``) and of ``ResponseSignatureMiddleware`` for an answer of
    the app (``SERVER_SIGNATURES`` "app" and "site" both count the gateway's)."""
    return (
        SIGNING_MIDDLEWARE in settings.MIDDLEWARE
        and bool(signed_api_settings.SIGN_RESPONSES)
        and signed_api_settings.SERVER_SIGNATURES is not None
    )


def _bound_request(message: bhttp.Request) -> WSGIRequest:
    """The decoded ``message`` as a minimal ``WSGIRequest``, for signing an answer to it: its
    method, raw target (``RAW_URI``: ``@path`` is what the client signed; ``*`` stays ``*``),
    and header fields exactly as :func:`_environ` passes them on. No ``Host`` and nothing that
    is checked: it is never dispatched, and ``get_host()`` is never called on it."""
    target, query, path_info = _split_target(message.path)
    if not target.startswith("/"):
        path_info = "/"
    scheme = message.scheme.lower()
    environ: dict = {
        "REQUEST_METHOD": message.method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "RAW_URI": target,
        "QUERY_STRING": query,
        "wsgi.url_scheme": scheme if scheme in ("http", "https") else "http",
        "wsgi.input": io.BytesIO(b""),
        "CONTENT_LENGTH": "",
        INNER_MARK: True,
    }
    environ.update(_fields(message))
    return WSGIRequest(environ)


def _split_target(target: str) -> tuple[str, str, str]:
    """``(target without its fragment, query, PATH_INFO)`` of a raw request target; PATH_INFO
    as a WSGI server puts it: the path percent-decoded, its bytes as Latin-1 (WSGIRequest
    decodes them as UTF-8 as for any request)."""
    target = target.split("#", 1)[0]
    raw_path, _, query = target.partition("?")
    return target, query, unquote_to_bytes(raw_path).decode("latin-1")


def _authority(message: bhttp.Request) -> tuple[str, str, str]:
    """``(authority, host, port)`` of the inner request, refused unless ``ALLOWED_HOSTS`` has
    it."""
    hosts = [value.strip() for name, value in message.headers if name == "host"]
    authority = message.authority or (hosts[0] if len(hosts) == 1 else "")
    if not authority or len(hosts) > 1 or (hosts and hosts[0].lower() != authority.lower()):
        raise _Refused(421, MISDIRECTED_REQUEST,
                       "The inner request names no authority, or two different ones.")
    domain, port = split_domain_port(authority)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what HttpRequest.get_host() allows
    if not domain or not validate_host(domain, allowed):
        raise _Refused(421, MISDIRECTED_REQUEST,
                       "The inner request's authority is not a host of this site.")
    return authority, domain, port


def _environ(outer: HttpRequest, message: bhttp.Request) -> dict:
    scheme = message.scheme.lower()
    if scheme not in ("http", "https"):
        raise _Refused(421, MISDIRECTED_REQUEST, "The inner request's scheme is not http(s).")
    authority, domain, port = _authority(message)
    target = message.path
    if not target.startswith("/"):
        raise _Refused(400, BINARY_HTTP_MALFORMED,
                       "The inner request target is not a path (origin form).")
    _check_content_length(message)
    target, query, path_info = _split_target(target)
    script_name = outer.META.get("SCRIPT_NAME", "") or ""
    if script_name:
        if path_info != script_name and not path_info.startswith(script_name.rstrip("/") + "/"):
            raise _Refused(421, MISDIRECTED_REQUEST,
                           "The inner request's path is not under this site's prefix.")
        path_info = path_info[len(script_name.rstrip("/")):] or "/"
    meta = outer.META
    environ: dict = {
        "REQUEST_METHOD": message.method.upper(),
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        "RAW_URI": target,
        "QUERY_STRING": query,
        "SERVER_NAME": domain,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": meta.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "HTTP_HOST": authority,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(message.content),
        "wsgi.errors": meta.get("wsgi.errors", sys.stderr),
        "wsgi.multithread": meta.get("wsgi.multithread", True),
        "wsgi.multiprocess": meta.get("wsgi.multiprocess", True),
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(message.content)) if message.content else "",
        INNER_MARK: True,
    }
    for name in _OUTER_FIELDS:
        if meta.get(name):
            environ[name] = meta[name]
    environ.update(_fields(message))
    return environ


def _check_content_length(message: bhttp.Request) -> None:
    """Refuse a ``Content-Length`` field that is not exactly one decimal number (RFC 9110 §8.6:
    ``1*DIGIT``; leading zeros are digits too) equal to the length of the content: on one line
    only (two lines, even equal ones, are the list RFC 9110 lets a recipient reject), no sign, no
    space (the decoder refuses one around a value), compared as digits (no ``int()`` of a value
    of any length)."""
    values = [value for name, value in message.headers if name == "content-length"]
    if not values:
        return
    value = values[0]
    if (
        len(values) == 1
        and value.isascii()
        and value.isdigit()
        and (value.lstrip("0") or "0") == str(len(message.content))
    ):
        return
    raise _Refused(
        400,
        BINARY_HTTP_MALFORMED,
        "The inner request's Content-Length is not the length of its content.",
    )


def _fields(message: bhttp.Request) -> dict[str, str]:
    """The header fields of ``message`` as a WSGI server puts them in the environ (without the
    dropped ones)."""
    proxy_header = (getattr(settings, "SECURE_PROXY_SSL_HEADER", None) or (None,))[0]
    environ: dict[str, str] = {}
    lines: dict[str, list[str]] = {}
    for name, value in message.headers:
        name = name.lower()
        if "_" in name or name in _DROPPED_FIELDS:
            continue  # WSGI servers drop names with "_": HTTP_X_A and x_a would be one key
        if name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            if key == proxy_header:
                continue
        lines.setdefault(key, []).append(value)
    for key, values in lines.items():
        # Several lines become one value as a WSGI server joins them; cookies with "; ".
        environ[key] = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    return environ


def _collect(request: WSGIRequest, response: HttpResponseBase) -> bhttp.Response:
    headers = [(name.lower(), str(value)) for name, value in response.items()]
    headers += [("set-cookie", cookie.output(header="").strip())
                for cookie in response.cookies.values()]
    if isinstance(response, StreamingHttpResponse):  # FileResponse too
        content = b"".join(bytes(chunk) for chunk in response)
    elif isinstance(response, HttpResponse):
        content = bytes(response.content)
    else:  # a response class of its own that neither streams nor holds content
        content = b""
    if request.method == "HEAD":
        content = b""  # what a server sends for a HEAD; its Content-Length stays
    return bhttp.Response(status=response.status_code, headers=tuple(headers), content=content)


def _close(response: HttpResponseBase) -> None:
    """What ``response.close()`` does but the ``request_finished`` signal: that would close
    the database connections while the outer request still runs."""
    closers = getattr(response, "_resource_closers", [])
    for closer in closers:
        with contextlib.suppress(Exception):  # as HttpResponseBase.close does
            closer()
    closers.clear()
    response.closed = True


# -- the outer request, before the middleware stack -----------------------------------------------
#: The URL name of the gateway (``signed_api.ohttp_urls``).
URL_NAME = "signed-api-ohttp-gateway"
SIGNING_MIDDLEWARE = "signed_api.response_signing.ResponseSignatureMiddleware"
_gateway_paths: dict[object, str | None] = {}


def _gateway_path(urlconf: str | None) -> str | None:
    """The ``PATH_INFO`` of the gateway in ``urlconf`` (``None``: not mounted), per URLconf
    and script prefix (reversing costs more than the comparison it serves)."""
    prefix = get_script_prefix()
    key = (urlconf or settings.ROOT_URLCONF, prefix)
    try:
        return _gateway_paths[key]
    except KeyError:
        pass
    try:
        full = reverse(URL_NAME, urlconf=urlconf)
    except NoReverseMatch:
        path = None
    else:
        path = "/" + full[len(prefix):] if full.startswith(prefix) else None
    if len(_gateway_paths) > 64:  # a script prefix per request would grow it: start again
        _gateway_paths.clear()
    _gateway_paths[key] = path
    return path


def _answers_early(request: HttpRequest) -> bool:
    """Whether :class:`OHTTPGatewayMiddleware` answers ``request`` itself: an outer ``POST`` to
    the gateway whose ``Host`` is one of ``ALLOWED_HOSTS`` and that ``SECURE_SSL_REDIRECT``
    would not redirect (those go down the stack and are refused or redirected there, as any
    request)."""
    if request.method != "POST" or request.META.get(INNER_MARK):
        return False
    if request.path_info != _gateway_path(getattr(request, "urlconf", None)):
        return False
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return not (settings.SECURE_SSL_REDIRECT and not request.is_secure())


class OHTTPGatewayMiddleware:
    """Put it first in ``MIDDLEWARE``: it answers an outer ``POST`` of the gateway before the
    rest of the stack, which has nothing to do with the opaque ``message/ohttp-req`` (no
    session, cookie, CSRF token, user or signature is in it) and would cost the request
    ~150-250 µs. The inner request still passes the whole stack, this middleware included (it
    lets inner requests through). Everything else, the ``GET`` of the key configurations
    included, goes on down the stack. The outer answer is signed with the server key as
    :class:`~signed_api.response_signing.ResponseSignatureMiddleware` would sign it, when that
    middleware is installed; ``X-Content-Type-Options: nosniff`` is set as
    ``SecurityMiddleware`` would. Without this middleware the gateway view answers the same,
    only later (check ``signed_api.W013``)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.sign = SIGNING_MIDDLEWARE in settings.MIDDLEWARE
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        if _answers_early(request):
            return self.answer(request)
        return self.get_response(request)

    async def __acall__(self, request):
        if _answers_early(request):
            # The inner request runs the sync handler, as the gateway view does under ASGI.
            return await sync_to_async(self.answer, thread_sensitive=True)(request)
        return await self.get_response(request)

    def answer(self, request: HttpRequest) -> HttpResponse:
        request.signed_api_app = True  # type: ignore[attr-defined] # the app's own answer
        response = answer_encapsulated(request)
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if self.sign:
            from .response_signing import ResponseSignatureMiddleware

            ResponseSignatureMiddleware.sign(request, response)
        return response
