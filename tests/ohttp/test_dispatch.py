"""What the inner request is made of (only the inner message, and the client's address from the
outer one), and what comes back (status, every header line, cookies, streamed bodies), through
the gateway without the request_started / request_finished of a second request."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.test import Client

from signed_api.core import bhttp
from tests.ohttp import urls as test_urls
from tests.ohttp.support import NOTES, inner_request, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "tests.ohttp.urls"


def _echo(**kwargs):
    exchange = send(inner_request(**kwargs))
    assert exchange.status == 200, exchange.inner
    return exchange, exchange.json()


def test_the_inner_request_is_the_inner_message():
    request = bhttp.Request(
        method="PUT",
        scheme="https",
        authority="testserver:8443",
        path="/ohttp-test/echo/caf%C3%A9%2Fx?a=1&b=%7E",
        headers=(
            ("content-type", "text/plain; charset=utf-8"),
            ("x-twice", "one"),
            ("x-twice", "two"),
            ("cookie", "a=1"),
            ("cookie", "b=2"),
            ("user-agent", "inner-agent"),
        ),
        content="body é".encode(),
    )
    exchange = send(request, HTTP_USER_AGENT="outer-agent", HTTP_COOKIE="outer=1",
                    HTTP_X_OUTER="outer")
    assert exchange.status == 200, exchange.inner
    seen = exchange.json()
    assert seen["method"] == "PUT"
    assert seen["scheme"] == "https"
    assert seen["host"] == "testserver:8443"
    assert seen["path"] == "/ohttp-test/echo/café/x"
    assert seen["query"] == {"a": "1", "b": "~"}
    meta = seen["meta"]
    assert meta["RAW_URI"] == "/ohttp-test/echo/caf%C3%A9%2Fx?a=1&b=%7E"
    assert meta["QUERY_STRING"] == "a=1&b=%7E"
    assert meta["CONTENT_TYPE"] == "text/plain; charset=utf-8"
    assert meta["CONTENT_LENGTH"] == str(len("body é".encode()))
    assert meta["HTTP_X_TWICE"] == "one,two"
    assert seen["cookies"] == {"a": "1", "b": "2"}
    assert meta["HTTP_USER_AGENT"] == "inner-agent"  # nothing of the outer request's fields
    assert "HTTP_X_OUTER" not in meta
    assert meta["SERVER_PORT"] == "8443"
    assert seen["body"] == "body é".encode().decode("latin-1")
    assert seen["connection_usable"] is True


def test_forwarding_fields_inside_are_dropped_and_the_outer_address_counts():
    exchange = send(
        inner_request("GET", "/ohttp-test/echo/x", headers={
            "X-Forwarded-For": "198.51.100.1", "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "http", "Forwarded": "for=198.51.100.1", "X-Real-IP": "1.2.3.4",
            "X_Underscore": "dropped",
        }),
        REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="203.0.113.1",
    )
    meta = exchange.json()["meta"]
    assert meta["REMOTE_ADDR"] == "192.0.2.8"
    assert meta["HTTP_X_FORWARDED_FOR"] == "203.0.113.1"
    for name in ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED",
                 "HTTP_X_REAL_IP", "HTTP_X_UNDERSCORE"):
        assert name not in meta
    assert exchange.json()["host"] == "testserver"


def test_the_inner_scheme_is_the_messages(settings):
    exchange, seen = _echo(method="GET", path="/ohttp-test/echo/x", scheme="http")
    assert seen["scheme"] == "http"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    exchange = send(inner_request("GET", "/ohttp-test/echo/x", scheme="https",
                                  headers={"X-Forwarded-Proto": "http"}))
    assert exchange.json()["scheme"] == "https"


def test_every_header_line_and_cookie_comes_back():
    exchange, _seen = _echo(method="GET", path="/ohttp-test/echo/x")
    cookies = [v for n, v in exchange.inner.headers if n == "set-cookie"]
    assert len(cookies) == 2
    assert cookies[0].startswith("first=1") and "HttpOnly" in cookies[1]
    assert exchange.header("x-multi") == "a"
    assert exchange.header("content-type") == "application/json"
    assert all(name == name.lower() for name, _ in exchange.inner.headers)


def test_a_streamed_response_is_read_and_closed():
    test_urls.CLOSED.clear()
    exchange = send(inner_request("GET", "/ohttp-test/stream/"))
    assert exchange.status == 200
    assert exchange.inner.content == b"one two three"
    assert test_urls.CLOSED == ["stream"]


def test_an_error_in_a_view_is_an_inner_500_and_the_outer_answer_is_200():
    # Django reports it (got_request_exception) as for any request; the test client would
    # re-raise that report.
    client = Client(raise_request_exception=False)
    exchange = send(inner_request("GET", "/ohttp-test/boom/"), client=client)
    assert exchange.outer.status_code == 200
    assert exchange.status == 500


def test_an_answer_binary_http_cannot_carry_is_an_inner_500():
    exchange = send(inner_request("GET", "/ohttp-test/bad-header/"))
    assert exchange.outer.status_code == 200
    assert exchange.status == 500
    assert exchange.json()["code"] == "server_error"


def test_a_head_answer_has_no_content():
    exchange = send(inner_request("HEAD", "/ohttp-test/head/"))
    assert exchange.status == 200
    assert exchange.inner.content == b""


def test_an_unknown_path_is_an_inner_404():
    exchange = send(inner_request("GET", "/no/such/path/"))
    assert exchange.outer.status_code == 200
    assert exchange.status == 404


def test_one_request_started_and_finished_per_outer_request(user):
    started, finished = [], []

    def on_started(**kwargs):
        started.append(1)

    def on_finished(**kwargs):
        finished.append(1)

    request_started.connect(on_started)
    request_finished.connect(on_finished)
    try:
        exchange = send(inner_request("GET", NOTES))
    finally:
        request_started.disconnect(on_started)
        request_finished.disconnect(on_finished)
    assert exchange.status == 401
    # The key configurations' GET and the POST: one each, none for the inner request.
    assert len(started) == len(finished) == 2


def test_a_prefix_of_the_site_stays_the_prefix_inside():
    exchange = send(inner_request("GET", "/app/ohttp-test/echo/x"), SCRIPT_NAME="/app")
    assert exchange.status == 200, exchange.inner
    seen = exchange.json()
    assert seen["path"] == "/app/ohttp-test/echo/x" and seen["path_info"] == "/ohttp-test/echo/x"
    outside = send(inner_request("GET", "/elsewhere/"), SCRIPT_NAME="/app")
    assert outside.status == 421
