"""``@path`` where the server hands over no raw request target: Django's test client and its
development server (``runserver``, the live server).

There is no ``RAW_URI``/``REQUEST_URI`` there, so ``signed_api.request_message`` rebuilds
``@path`` from ``PATH_INFO``. A client encodes a non-ASCII path as UTF-8 percent escapes
(RFC 3986 §2.5) and leaves the characters a path allows as they are; the rebuilt path must be the
one it signed (RFC 9421 §2.2.6). gunicorn, which gives ``RAW_URI`` and so any spelling, is covered
in ``test_gunicorn_example.py``.
"""

from __future__ import annotations

import pytest
import requests
from django.test import Client

from signed_api.client import SignatureAuth

from .support import ECHO_URLS

pytestmark = pytest.mark.urls(ECHO_URLS)

PATHS = [
    pytest.param("/echo/a%20b/", "a b", id="space"),
    pytest.param("/echo/x,y;z=1~!/", "x,y;z=1~!", id="sub-delims"),
    # Was 401 until 97ca112: PATH_INFO (already UTF-8-decoded by Django) re-encoded as Latin-1.
    pytest.param("/echo/caf%C3%A9/", "café", id="latin-1-letter"),
    pytest.param("/echo/%E2%82%AC/", "€", id="beyond-latin-1"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "item"), PATHS)
def test_path_through_the_test_client(hmac_key, path, item):
    key, secret = hmac_key
    headers = SignatureAuth(key.key_id, secret).sign("GET", "http://testserver" + path, {}, b"")
    response = Client().get(path, headers=headers)
    assert response.status_code == 200, response.content
    assert response.json()["item"] == item


@pytest.mark.parametrize(("path", "item"), PATHS)
def test_path_through_the_development_server(live_server_ip, hmac_key, path, item):
    key, secret = hmac_key
    response = requests.get(
        live_server_ip.url + path,
        auth=SignatureAuth(key.key_id, secret),
        headers={"Connection": "close"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["item"] == item
