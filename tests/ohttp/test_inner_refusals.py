"""The gateway's own inner answers: signed by the server key, bound to the inner request.

The gateway refuses some inner requests itself, before the middleware stack (an authority that
is not one of ``ALLOWED_HOSTS``, a ``Host`` that contradicts it, a scheme other than http(s), a
target that is not a path, a ``Content-Length`` that is not the length of the content) and
answers an inner 500 when something fails after the message decoded. Those answers are signed as
``ResponseSignatureMiddleware`` signs any other answer of the app, so the client tells them from
injected ones (``verify_refusal`` against the JWKS); only the 400 of a message that does not
decode at all stays unsigned (nothing to bind a signature to).
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from example_project.notes.models import Note
from signed_api import gateway
from signed_api.client import (
    ServerKeys,
    SignatureAuth,
    UnverifiedRefusal,
    ohttp_session,
    verify_refusal,
)
from signed_api.core import Message, Policy, SignatureError, bhttp, verify_message
from signed_api.models import StoreEntry
from signed_api.response_signing import jwks
from tests.ohttp.support import (
    GATEWAY,
    HOST,
    NOTES,
    inner_request,
    send,
    verify_inner_refusal,
    verify_inner_signature,
)

pytestmark = pytest.mark.django_db

BODY = json.dumps({"text": "x"}).encode()  # 13 bytes
assert len(BODY) == 13


@pytest.fixture
def auth(hmac_key):
    key, secret = hmac_key
    return SignatureAuth(key.key_id, secret)


@pytest.fixture
def nothing_written(db):
    """After the test: no note, and no nonce spent (refused before the stack)."""
    notes, entries = Note.objects.count(), StoreEntry.objects.count()
    yield
    assert (Note.objects.count(), StoreEntry.objects.count()) == (notes, entries)


def _signed_refusal(exchange, status: int, code: str, **verify):
    assert exchange.outer.status_code == 200
    assert exchange.status == status, (exchange.status, exchange.inner.content)
    if exchange.request.method == "HEAD":
        assert exchange.inner.content == b""
    else:
        assert exchange.json()["code"] == code
    assert exchange.header("cache-control") == "no-store"
    assert exchange.header("signature") is not None, f"inner {status} {code} is unsigned"
    assert 'keyid="srv_' in exchange.header("signature-input")
    return verify_inner_refusal(exchange, **verify)


def _unsigned(exchange) -> None:
    for name in ("signature", "signature-input", "content-digest"):
        assert exchange.header(name) is None, name


def _with_raw_value(request: bhttp.Request, placeholder: str, raw: bytes) -> bytes:
    """``request`` encoded, then the field value ``placeholder`` replaced by ``raw`` (of the same
    length): bytes the encoder (which trims whitespace) would never write."""
    encoded = bhttp.encode_request(request)
    assert len(placeholder) == len(raw) and encoded.count(placeholder.encode()) == 1
    return encoded.replace(placeholder.encode(), raw)


# -- the reproductions of the attack review -------------------------------------------------------
@pytest.mark.parametrize(
    ("authority", "headers"),
    [("evil.example", {}), ("testserver", {"Host": "evil.example"})],
    ids=["authority-not-allowed", "host-contradicts-authority"],
)
def test_inner_gateway_refusals_are_signed_by_the_server_key(authority, headers):
    """Attack review: the gateway's own inner 421 went out unsigned, so the client's
    ``verify_refusal`` raised ``signature_missing`` on the genuine refusal."""
    exchange = send(inner_request("GET", NOTES, authority=authority, headers=headers))
    _signed_refusal(exchange, 421, "misdirected_request")


def test_an_inner_content_length_that_disagrees_with_the_content_is_refused(
    auth, user, nothing_written
):
    """Attack review: a signed inner POST whose ``Content-Length`` (3) disagrees with its
    content (13 bytes) was passed on with the field replaced, and a note was written."""
    request = inner_request("POST", NOTES, body=BODY, headers={"Content-Length": "3"}, auth=auth)
    exchange = send(request)
    _signed_refusal(exchange, 400, "binary_http_malformed", signed_by=auth)


# -- every refusal of the gateway itself is signed --------------------------------------------
@pytest.mark.parametrize(
    ("request_", "status", "code"),
    [
        (inner_request("GET", NOTES, authority="evil.example"), 421, "misdirected_request"),
        (
            inner_request("GET", NOTES, authority="testserver.evil.example"),
            421,
            "misdirected_request",
        ),
        (inner_request("GET", NOTES, authority=""), 421, "misdirected_request"),
        (
            bhttp.Request("GET", "https", "", NOTES, (("host", "a"), ("host", "b"))),
            421,
            "misdirected_request",
        ),
        (inner_request("GET", NOTES, scheme="ftp"), 421, "misdirected_request"),
        (
            inner_request("POST", NOTES, body=BODY, headers={"Content-Length": "14"}),
            400,
            "binary_http_malformed",
        ),
        (inner_request("GET", GATEWAY), 400, "ohttp_nested_request"),  # through the stack
    ],
    ids=["authority", "suffix", "no-authority", "two-hosts", "scheme", "content-length", "nested"],
)
def test_each_inner_refusal_of_the_gateway_verifies(request_, status, code, nothing_written):
    _signed_refusal(send(request_), status, code)


def test_a_target_that_is_not_a_path_is_signed_over_the_raw_target(nothing_written):
    """``OPTIONS *``: no URL a client builds has that target, so ``verify_refusal`` cannot take
    it; the core checks that ``@path;req`` is the raw target ``*``, as the app signs the same
    request in the clear (``RAW_URI``)."""
    exchange = send(bhttp.Request("OPTIONS", "https", "testserver", "*"))
    assert exchange.status == 400 and exchange.json()["code"] == "binary_http_malformed"
    inner = exchange.inner

    def verify(path: str):
        request = Message(method="OPTIONS", scheme="https", authority=HOST, path=path)
        message = Message.for_response(
            inner.status, headers=inner.headers, body=inner.content, request=request
        )
        policy = Policy(
            required_components=('"@status"', '"content-digest"', '"@method";req', '"@path";req'),
            required_params=("keyid", "created"),
            label="sig1",
        )
        keys = ServerKeys(jwks=jwks())
        return verify_message(message, keys.key, policy, now=time.time())

    verify("*")
    with pytest.raises(SignatureError):  # not over "/"
        verify("/")


# -- bound to the inner request -----------------------------------------------------------------
def test_the_refusal_is_bound_to_the_inner_method_and_path(nothing_written):
    exchange = send(inner_request("DELETE", NOTES + "7/", authority="evil.example"))
    _signed_refusal(exchange, 421, "misdirected_request")
    for method, url in [
        ("GET", "https://evil.example" + NOTES + "7/"),
        ("DELETE", "https://evil.example" + NOTES + "8/"),
    ]:
        with pytest.raises(UnverifiedRefusal) as caught:
            verify_inner_refusal(exchange, method=method, url=url)
        assert caught.value.reason == "signature_invalid"


def test_a_refusal_of_a_signed_request_covers_its_signature(auth, user, nothing_written):
    request = inner_request("GET", NOTES, auth=auth, authority="evil.example")
    exchange = send(request)
    verified = _signed_refusal(exchange, 421, "misdirected_request", signed_by=auth)
    assert '"signature";req;key="sig1"' in exchange.header("signature-input")
    assert verified is not None
    # The same refusal as the answer to another signature of the same request: refused.
    other = inner_request("GET", NOTES, auth=auth, authority="evil.example")
    moved = type(exchange)(outer=exchange.outer, inner=exchange.inner, request=other)
    with pytest.raises(UnverifiedRefusal):
        verify_inner_refusal(moved, signed_by=auth)


def test_a_signature_field_that_does_not_parse_is_covered_whole(nothing_written):
    exchange = send(
        inner_request(
            "GET", NOTES, authority="evil.example", headers={"Signature": "sig1=:not base64"}
        )
    )
    _signed_refusal(exchange, 421, "misdirected_request")
    assert '"signature";req)' in exchange.header("signature-input")  # no key=: the whole field
    forged = inner_request(
        "GET", NOTES, authority="evil.example", headers={"Signature": "sig1=:another:"}
    )
    with pytest.raises(UnverifiedRefusal):
        verify_inner_refusal(
            type(exchange)(outer=exchange.outer, inner=exchange.inner, request=forged)
        )


def test_a_percent_encoded_path_is_signed_as_sent(nothing_written):
    path = "/api/notes/caf%C3%A9%2F%7e/?q=a%20b&r=%zz"
    exchange = send(inner_request("GET", path, authority="evil.example"))
    _signed_refusal(exchange, 421, "misdirected_request")
    with pytest.raises(UnverifiedRefusal):  # the decoded path is another path
        verify_inner_refusal(exchange, url="https://evil.example/api/notes/café/~/?q=a%20b")


def test_a_head_refusal_has_no_content_and_the_digest_of_none(nothing_written):
    exchange = send(inner_request("HEAD", NOTES, authority="evil.example"))
    _signed_refusal(exchange, 421, "misdirected_request")
    assert exchange.inner.content == b""
    assert exchange.header("content-digest") == (
        "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"  # of no bytes
    )
    assert exchange.header("content-type") == "application/json"


def test_obs_text_in_another_field_is_signed(nothing_written):
    exchange = send(
        inner_request(
            "GET",
            NOTES,
            authority="evil.example",
            headers={
                "X-Note": "caf\xe9",
                "User-Agent": "\xff\xfe",
                "Content-Type": "text/plain; charset=\xe9",  # no such codec: Django lets it be
            },
        )
    )
    _signed_refusal(exchange, 421, "misdirected_request")


def test_a_path_outside_the_site_s_prefix_is_signed_over_the_path_sent(nothing_written):
    exchange = send(inner_request("GET", "/elsewhere/"), SCRIPT_NAME="/app")
    _signed_refusal(exchange, 421, "misdirected_request")


@pytest.mark.parametrize(
    "value", ["sig1=:\xe9:", 'sig1=:AAAA:, x="\xe9"'], ids=["obs-text", "obs-text-member"]
)
def test_obs_text_in_the_signature_field_is_covered_as_bytes(value, nothing_written):
    """A Signature field with an obs-text byte does not parse and is no ASCII text: the
    refusal covers it as bytes (``;bs``), as in the clear."""
    exchange = send(
        inner_request("GET", NOTES, authority="evil.example", headers={"Signature": value})
    )
    _signed_refusal(exchange, 421, "misdirected_request")
    assert '"signature";req;bs' in exchange.header("signature-input")


# -- the settings that decide whether answers of the app are signed ----------------------------
@pytest.mark.parametrize(
    ("change", "signed"),
    [
        ({}, True),
        ({"SERVER_SIGNATURES": "site"}, True),
        ({"SERVER_SIGNATURES": None}, False),
        ({"SIGN_RESPONSES": False}, False),
        ("no-middleware", False),
    ],
    ids=["app", "site", "none", "sign-responses-off", "no-signing-middleware"],
)
def test_inner_refusals_follow_the_rule_of_the_outer_answer(settings, change, signed):
    if change == "no-middleware":
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != gateway.SIGNING_MIDDLEWARE]
    else:
        settings.SIGNED_API = {**settings.SIGNED_API, **change}
    exchange = send(inner_request("GET", NOTES, authority="evil.example"))
    assert exchange.status == 421
    assert (exchange.header("signature") is not None) is signed
    assert (exchange.outer.get("Signature") is not None) is signed  # the same rule outside
    if signed:
        verify_inner_refusal(exchange)


# -- the inner 500, and the one answer left unsigned --------------------------------------------
def test_an_answer_binary_http_cannot_carry_is_a_signed_inner_500(settings):
    settings.ROOT_URLCONF = "tests.ohttp.urls"
    exchange = send(inner_request("GET", "/ohttp-test/bad-header/"))
    _signed_refusal(exchange, 500, "server_error")


def test_a_failure_before_dispatch_is_a_signed_inner_500(monkeypatch, nothing_written):
    def broken():
        raise RuntimeError("no handler")

    monkeypatch.setattr(gateway, "inner_handler", broken)
    exchange = send(inner_request("POST", NOTES, body=BODY))
    _signed_refusal(exchange, 500, "server_error")


def test_a_failure_to_make_the_signed_500_is_still_an_inner_500(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(gateway, "inner_handler", broken)
    monkeypatch.setattr(gateway, "_refusal", broken)
    exchange = send(inner_request("GET", NOTES))
    assert exchange.outer.status_code == 200
    assert exchange.status == 500 and exchange.json()["code"] == "server_error"
    _unsigned(exchange)


@pytest.mark.parametrize("encoded", [b"", b"\x07garbage", b"\x00\x03GET\x05https"])
def test_a_message_that_does_not_decode_is_the_one_unsigned_answer(encoded, nothing_written):
    """No method, path or Signature field to bind a signature to (module docstring)."""
    exchange = send(bhttp.Request("GET", "https", "testserver", "/"), encoded=encoded)
    assert exchange.outer.status_code == 200
    assert exchange.status == 400 and exchange.json()["code"] == "binary_http_malformed"
    _unsigned(exchange)


# -- Content-Length: exactly one decimal number, the length of the content --------------------
@pytest.mark.parametrize(
    "lines",
    [
        ["3"],
        ["12"],
        ["14"],
        ["0"],
        ["-13"],
        ["+13"],
        ["13.0"],
        ["1_3"],
        ["0x0d"],
        ["1e1"],
        ["13,13"],
        ["13, 13"],
        ["thirteen"],
        ["\xb9\xb3"],
        ["9" * 5000],
        ["0" * 200 + "14"],
        ["13", "13"],
        ["13", "3"],
        ["3", "13"],
        ["13", ""],
    ],
    ids=[
        "3",
        "12",
        "14",
        "0",
        "minus",
        "plus",
        "decimal-point",
        "underscore",
        "hex",
        "exponent",
        "list",
        "list-with-space",
        "word",
        "superscript-digits",
        "huge",
        "leading-zeros-wrong",
        "two-equal-lines",
        "two-lines",
        "two-lines-other-order",
        "a-line-and-an-empty-one",
    ],
)
def test_a_content_length_that_is_not_the_content_s_is_refused(lines, auth, user, nothing_written):
    request = inner_request("POST", NOTES, body=BODY, auth=auth)
    request = bhttp.Request(
        method=request.method,
        scheme=request.scheme,
        authority=request.authority,
        path=request.path,
        content=request.content,
        headers=(*request.headers, *(("content-length", line) for line in lines)),
    )
    exchange = send(request)
    _signed_refusal(exchange, 400, "binary_http_malformed", signed_by=auth)


@pytest.mark.parametrize("value", ["13", "013", "0000000013"])
def test_a_content_length_equal_to_the_content_s_passes(value, auth, user):
    """RFC 9110 §8.6: ``Content-Length = 1*DIGIT``, so leading zeros are part of a valid value;
    the field is dropped and the content's own length stands in for it, as before."""
    request = inner_request("POST", NOTES, body=BODY, headers={"Content-Length": value}, auth=auth)
    exchange = send(request)
    assert exchange.status == 201, exchange.inner.content
    verify_inner_signature(auth, exchange)
    assert Note.objects.get().text == "x"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_zero_content_length_of_a_request_without_content_passes(method, auth, user):
    exchange = send(inner_request(method, NOTES, headers={"Content-Length": "0"}, auth=auth))
    assert exchange.status == 200, exchange.inner.content
    verify_inner_signature(auth, exchange)
    wrong = send(inner_request(method, NOTES, headers={"Content-Length": "1"}, auth=auth))
    _signed_refusal(wrong, 400, "binary_http_malformed", signed_by=auth)


@pytest.mark.parametrize(
    "raw", [b" 13", b"13 ", b"\t13"], ids=["leading-space", "trailing-space", "leading-tab"]
)
def test_whitespace_around_a_content_length_does_not_decode(raw, nothing_written):
    """The encoder trims whitespace (RFC 9110 §5.5: not part of the value) and the decoder
    refuses a value that starts or ends with it: such a message does not decode, so it is the
    unsigned 400."""
    request = inner_request("POST", NOTES, body=BODY, headers={"Content-Length": "XYZ"})
    exchange = send(request, encoded=_with_raw_value(request, "XYZ", raw))
    assert exchange.status == 400 and exchange.json()["code"] == "binary_http_malformed"
    _unsigned(exchange)


@given(
    value=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=30),
    length=st.integers(min_value=0, max_value=10**6),
)
def test_content_length_is_judged_as_decimal_digits(value, length):
    message = bhttp.Request("POST", "https", HOST, "/", (("content-length", value),), bytes(length))
    expected_ok = value.isascii() and value.isdigit() and int(value) == length
    try:
        gateway._check_content_length(message)
    except gateway._Refused as refused:
        assert not expected_ok
        assert (refused.status, refused.code) == (400, "binary_http_malformed")
    else:
        assert expected_ok


# -- the Python client end to end ----------------------------------------------------------------
class _DjangoAdapter(requests.adapters.BaseAdapter):
    """The outer requests of ``ohttp_session`` into Django's test client (the whole stack)."""

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in request.headers.items()
            if name.lower() not in ("content-type", "content-length", "host")
        }
        body = request.body or b""
        answer = Client().generic(
            request.method,
            target,
            body,
            content_type=request.headers.get("Content-Type", ""),
            **extra,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        response._content = answer.content
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def _pinned(hmac_key, jwks_: dict) -> SignatureAuth:
    """A ``SignatureAuth`` with ``jwks_`` pinned (``evil.example`` serves no JWKS: a refusal for
    it is checked against the keys of the server the client trusts)."""
    key, secret = hmac_key
    return SignatureAuth(key.key_id, secret, server_keys=ServerKeys(jwks=jwks_))


def _client(auth=None):
    outer = requests.Session()
    outer.mount("http://", _DjangoAdapter())
    return ohttp_session(f"http://{HOST}", auth=auth, outer=outer)


def test_the_python_client_verifies_the_gateway_s_refusals(hmac_key, user, nothing_written):
    with _client() as http:
        refused = http.get(f"https://evil.example{NOTES}", timeout=5)
    assert refused.status_code == 421 and refused.json()["code"] == "misdirected_request"
    verify_refusal(refused, jwks())
    pinned = _pinned(hmac_key, jwks())
    assert pinned.verify_refusals  # the client's own hook checks each refusal, and raises
    with _client(pinned) as http:
        refused = http.delete(f"https://evil.example{NOTES}1/", timeout=5)
    assert refused.status_code == 421
    verify_refusal(refused, jwks(), signed_by=pinned)
    untrusting = _pinned(hmac_key, {"keys": []})  # trusts no server key: the check is real
    with _client(untrusting) as http, pytest.raises(UnverifiedRefusal):
        http.delete(f"https://evil.example{NOTES}1/", timeout=5)


def test_the_python_client_s_content_length_passes(auth, user, monkeypatch):
    """``requests`` writes a ``Content-Length`` of its own, which the adapter keeps inside."""
    seen = []
    decode = bhttp.decode_request

    def spy(data, **kwargs):
        message = decode(data, **kwargs)
        seen.append(message)
        return message

    monkeypatch.setattr(gateway.bhttp, "decode_request", spy)
    with _client(auth) as http:
        created = http.post(
            f"https://{HOST}{NOTES}", json={"text": "through the client"}, timeout=5
        )
    assert created.status_code == 201, created.content
    auth.verify_response(created)
    lengths = [value for name, value in seen[-1].headers if name == "content-length"]
    assert lengths == [str(len(seen[-1].content))]
    assert Note.objects.get().text == "through the client"
