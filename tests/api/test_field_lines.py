"""A covered field sent on several lines (RFC 9421 §2.1: each line trimmed, joined with ``", "``),
whatever the server joined the lines with before Django saw them.

WSGI servers hand one joined value over (gunicorn, Django's development server and Django's ASGI
handler join with ``","``); ASGI gives every line in ``scope["headers"]``, read as sent. The
raw-socket test against gunicorn is ``tests/integration/test_raw_socket_gunicorn.py``.
"""

from __future__ import annotations

import secrets
import time

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from signed_api.core import Message, sign_message
from signed_api.core.algorithms import load_signing_key
from tests.api.support import NOTES, meta_from_headers
from tests.http import assert_error

pytestmark = pytest.mark.django_db

URL = "http://testserver" + NOTES
COMPONENTS = ["@method", "@authority", "@path", "@query", "x-list"]


def sign_lines(hmac_key, lines):
    key, secret = hmac_key
    message = Message.from_url("GET", URL, headers=lines, body=b"")
    signature_input, signature = sign_message(
        message, load_signing_key("hmac-sha256", secret), components=COMPONENTS,
        keyid=key.key_id, created=int(time.time()), nonce=secrets.token_urlsafe(16),
    )
    return {"Signature-Input": signature_input, "Signature": signature}


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        pytest.param(["a", "b"], "a,b", id="gunicorn-join"),
        pytest.param(["a", "b"], "a, b", id="comma-space-join"),
        pytest.param(["a, b", "c"], "a, b,c", id="line-with-its-own-list"),
        pytest.param(["a,b"], "a,b", id="one-line-bare-comma"),
        pytest.param(["a", "b"], "a ,b", id="space-before-comma"),
    ],
)
def test_wsgi_joined_lines_verify(api_client, hmac_key, lines, joined):
    headers = sign_lines(hmac_key, [("X-List", v) for v in lines])
    response = api_client.get(NOTES, HTTP_X_LIST=joined, **meta_from_headers(headers))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("joined", ["a,c", "ab", "a,b,c", "b,a"])
def test_wsgi_joined_lines_of_another_value_are_refused(api_client, hmac_key, joined):
    headers = sign_lines(hmac_key, [("X-List", "a"), ("X-List", "b")])
    response = api_client.get(NOTES, HTTP_X_LIST=joined, **meta_from_headers(headers))
    assert_error(response, "signature_invalid", exact=True, accept_signature=True)


class RepeatedHeaderAsyncClient(AsyncClient):
    """An ``AsyncClient`` whose scope carries some header lines twice, as an ASGI server does."""

    def __init__(self, lines, **kwargs):
        super().__init__(**kwargs)
        self.lines = lines

    def _base_scope(self, **request):
        scope = super()._base_scope(**request)
        scope["headers"] = [*scope["headers"], *self.lines]
        return scope


def test_asgi_lines_are_read_as_sent(hmac_key):
    headers = sign_lines(hmac_key, [("X-List", "a"), ("X-List", "b")])
    client = RepeatedHeaderAsyncClient([(b"x-list", b"a"), (b"x-list", b"b")])
    response = async_to_sync(client.get)(NOTES, headers=headers)
    assert response.status_code == 200, response.content


def test_asgi_lines_of_another_value_are_refused(hmac_key):
    headers = sign_lines(hmac_key, [("X-List", "a"), ("X-List", "b")])
    client = RepeatedHeaderAsyncClient([(b"x-list", b"a"), (b"x-list", b"c")])
    response = async_to_sync(client.get)(NOTES, headers=headers)
    assert_error(response, "signature_invalid", exact=True, accept_signature=True)
