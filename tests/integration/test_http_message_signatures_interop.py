"""Requests signed by another implementation, ``http-message-signatures``, accepted by our class.

Real HTTP: ``requests`` sends each request over a socket to Django's threaded WSGI server on
127.0.0.1, and ``SignatureAuthentication`` verifies it through the whole stack (WSGI environ,
middleware, DRF). The other library builds the signature base on its own (RFC 9421 §2.5) from the
prepared request: ``@method @authority @path @query`` and ``content-digest`` (RFC 9530, sha-256,
computed by the library) with ``created``, ``nonce``, ``keyid`` and ``alg``.
"""

from __future__ import annotations

import datetime
import json
import secrets

import pytest
import requests
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from .support import ECHO_URLS

TIMEOUT = 30
COMPONENTS = ("@method", "@authority", "@path", "@query")

pytestmark = [pytest.mark.urls(ECHO_URLS), pytest.mark.django_db(transaction=True)]


def _signer(algorithm, key_id, key):
    resolver = MappingKeyResolver(public_keys={}, private_keys={key_id: key})
    return HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver)


def _prepare(method, url, body=None, **kwargs):
    # Connection: close, so no server thread lingers on a kept-alive socket after the test.
    headers = {"Connection": "close"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return requests.Request(method, url, data=body, headers=headers, **kwargs).prepare()


def _sign(signer, prepared, key_id, *, components=COMPONENTS, with_body=None, **options):
    """Sign ``prepared`` in place with the other library; ``with_body`` adds Content-Digest."""
    options.setdefault("nonce", secrets.token_urlsafe(16))
    signer.sign(
        prepared,
        key_id=key_id,
        covered_component_ids=components,
        body=with_body,
        **options,
    )
    return prepared


def _send(prepared):
    with requests.Session() as session:
        return session.send(prepared, timeout=TIMEOUT, allow_redirects=False)


@pytest.fixture(params=["hmac-sha256", "ed25519"])
def key_and_signer(request):
    """``(api_key, signer)`` for each algorithm, signing with the other library."""
    if request.param == "hmac-sha256":
        key, secret = request.getfixturevalue("hmac_key")
        return key, _signer(algorithms.HMAC_SHA256, key.key_id, secret)
    key, private = request.getfixturevalue("ed25519_key")
    return key, _signer(algorithms.ED25519, key.key_id, private)


def test_post_with_content_digest_and_query_is_accepted(live_server_ip, key_and_signer):
    key, signer = key_and_signer
    body = json.dumps({"text": "signed elsewhere", "n": 1}).encode()
    url = live_server_ip.url + "/echo/?tag=a%20b&tag=c%2Fd&q=caf%C3%A9&empty="
    prepared = _sign(signer, _prepare("POST", url, body), key.key_id, with_body=body)

    input_ = prepared.headers["Signature-Input"]
    assert input_.startswith(
        'pyhms=("@method" "@authority" "@path" "@query" "content-digest");created='
    )
    assert f'keyid="{key.key_id}"' in input_ and ";nonce=" in input_
    assert f'alg="{key.algorithm}"' in input_
    assert prepared.headers["Content-Digest"].startswith("sha-256=:")

    response = _send(prepared)

    assert response.status_code == 201, response.text
    echo = response.json()
    assert echo["user"] == "alice"
    assert echo["key_id"] == key.key_id
    assert echo["data"] == {"text": "signed elsewhere", "n": 1}
    assert echo["query"] == {"tag": ["a b", "c/d"], "q": ["café"], "empty": [""]}


def test_get_without_body_and_without_query_is_accepted(live_server_ip, key_and_signer):
    key, signer = key_and_signer
    prepared = _sign(signer, _prepare("GET", live_server_ip.url + "/echo/"), key.key_id)
    assert "content-digest" not in prepared.headers["Signature-Input"]

    response = _send(prepared)

    assert response.status_code == 200, response.text
    assert response.json()["key_id"] == key.key_id


@pytest.mark.parametrize(
    ("target", "item", "query"),
    [
        ("/echo/a%20b,c;d=e~x/?k=%E2%82%AC&k=%2B", "a b,c;d=e~x", {"k": ["€", "+"]}),
        ("/echo/caf%C3%A9%E2%82%AC/?q=%C3%A9", "café€", {"q": ["é"]}),
    ],
)
def test_percent_encoded_path_is_signed_as_sent(
    live_server_ip, key_and_signer, target, item, query
):
    """``@path`` is the still-encoded path (RFC 9421 §2.2.6). Django's development server gives
    no raw request target, so the path is spelled the way a server re-encodes it (UTF-8 escapes,
    path characters left alone); gunicorn covers any spelling in test_gunicorn_example.py."""
    key, signer = key_and_signer
    prepared = _sign(signer, _prepare("DELETE", live_server_ip.url + target), key.key_id)

    response = _send(prepared)

    assert response.status_code == 200, response.text
    assert response.json()["item"] == item
    assert response.json()["query"] == query


def test_more_components_and_an_expiry_are_accepted(live_server_ip, key_and_signer):
    key, signer = key_and_signer
    body = b'{"more": true}'
    url = live_server_ip.url + "/echo/?x=1"
    prepared = _prepare("POST", url, body)
    expires = datetime.datetime.now(tz=datetime.timezone.utc) + datetime.timedelta(minutes=2)
    _sign(
        signer,
        prepared,
        key.key_id,
        components=(*COMPONENTS, "content-type", "@target-uri"),
        with_body=body,
        expires=expires,
        label="other",
    )

    response = _send(prepared)

    assert response.status_code == 201, response.text


def test_the_same_request_sent_twice_is_a_replay(live_server_ip, key_and_signer):
    key, signer = key_and_signer
    body = b'{"text": "once"}'
    prepared = _sign(
        signer, _prepare("POST", live_server_ip.url + "/echo/", body), key.key_id, with_body=body
    )

    first, second = _send(prepared), _send(prepared)

    assert first.status_code == 201, first.text
    assert second.status_code == 401
    assert second.json()["code"] == "nonce_replayed"
    assert second.headers["WWW-Authenticate"] == "Signature"


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("body", "digest_mismatch"),
        ("query", "signature_invalid"),
        ("path", "signature_invalid"),
        ("no_nonce", "nonce_missing"),
        ("target_uri_only", "component_missing"),
    ],
)
def test_a_request_changed_after_signing_is_refused(live_server_ip, key_and_signer, tamper, code):
    """The control: the other library's signatures are checked, not merely parsed."""
    key, signer = key_and_signer
    body = b'{"text": "original"}'
    base = live_server_ip.url
    options = {}
    components = COMPONENTS
    if tamper == "no_nonce":
        options["nonce"] = None
    if tamper == "target_uri_only":
        components = ("@method", "@target-uri")
    prepared = _sign(
        signer,
        _prepare("POST", base + "/echo/a/?n=1", body),
        key.key_id,
        components=components,
        with_body=body,
        **options,
    )
    if tamper == "body":
        prepared.prepare_body(b'{"text": "changed!"}', None)  # same length, other bytes
    elif tamper == "query":
        prepared.url = base + "/echo/a/?n=2"
    elif tamper == "path":
        prepared.url = base + "/echo/b/?n=1"

    response = _send(prepared)

    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    assert response.headers["WWW-Authenticate"] == "Signature"
    assert "Accept-Signature" in response.headers
