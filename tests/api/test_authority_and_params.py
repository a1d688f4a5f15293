"""``@authority`` as Django sees the host (docs/protocol.md), and limits on signature parameters."""

from __future__ import annotations

import pytest

from signed_api.client import SignatureAuth
from tests.api.support import NOTES, created_floor, signed_meta
from tests.http import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(hmac_key):
    key, secret = hmac_key
    return SignatureAuth(key.key_id, secret)


@pytest.mark.parametrize(
    ("signed_url", "extra"),
    [
        pytest.param("http://testserver/api/notes/", {"HTTP_HOST": "TestServer"},
                     id="host-case-insensitive"),
        pytest.param("http://testserver/api/notes/", {"HTTP_HOST": "testserver:80"},
                     id="default-http-port-dropped"),
        pytest.param("https://testserver/api/notes/",
                     {"HTTP_HOST": "testserver:443", "secure": True},
                     id="default-https-port-dropped"),
        pytest.param("http://localhost:8000/api/notes/", {"HTTP_HOST": "localhost:8000"},
                     id="other-port-kept"),
    ],
)
def test_authority_is_normalized_as_rfc_9110_says(api_client, auth, signed_url, extra):
    response = api_client.get(NOTES, **extra, **signed_meta(auth, "GET", signed_url))
    assert response.status_code == 200, response.content


def test_authority_port_matters(api_client, auth):
    meta = signed_meta(auth, "GET", "http://localhost:8000/api/notes/")
    assert_error(api_client.get(NOTES, HTTP_HOST="localhost:8001", **meta),
                   "signature_invalid", exact=True, accept_signature=True)


@pytest.mark.parametrize(("use_forwarded", "status"), [(True, 200), (False, 401)])
def test_forwarded_host_only_when_django_trusts_it(
    settings, api_client, auth, use_forwarded, status
):
    settings.USE_X_FORWARDED_HOST = use_forwarded
    meta = signed_meta(auth, "GET", "http://localhost/api/notes/")
    response = api_client.get(NOTES, HTTP_X_FORWARDED_HOST="localhost", **meta)
    if status == 200:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, "signature_invalid", exact=True, accept_signature=True)


def test_host_not_allowed_is_400_not_500(api_client, auth):
    meta = signed_meta(auth, "GET", "http://evil.example/api/notes/")
    assert api_client.get(NOTES, HTTP_HOST="evil.example", **meta).status_code == 400


@pytest.mark.parametrize(("length", "code"), [(128, None), (129, "signature_malformed")])
def test_nonce_length_limit(api_client, hmac_key, length, code):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret, nonce="n" * length)
    response = api_client.get(NOTES, **signed_meta(auth, "GET", "http://testserver" + NOTES))
    if code is None:
        assert response.status_code == 200
    else:
        assert_error(response, code, exact=True, accept_signature=True)


def test_expires_before_created_is_malformed(api_client, hmac_key):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret, created=created_floor(), expires=created_floor(-1))
    response = api_client.get(NOTES, **signed_meta(auth, "GET", "http://testserver" + NOTES))
    assert_error(response, "signature_malformed", exact=True, accept_signature=True)


@pytest.mark.parametrize(
    ("setting", "tag", "status"),
    [("notes-app", "notes-app", 200), ("notes-app", "other", 401), ("notes-app", None, 401)],
)
def test_signature_tag_setting(settings, api_client, hmac_key, setting, tag, status):
    settings.SIGNED_API = {**settings.SIGNED_API, "SIGNATURE_TAG": setting}
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret, tag=tag)
    response = api_client.get(NOTES, **signed_meta(auth, "GET", "http://testserver" + NOTES))
    if status == 200:
        assert response.status_code == 200
    else:
        assert_error(response, "signature_missing", exact=True, accept_signature=True)


def test_signature_label_setting(settings, api_client, hmac_key):
    settings.SIGNED_API = {**settings.SIGNED_API, "SIGNATURE_LABEL": "app"}
    key, secret = hmac_key
    url = "http://testserver" + NOTES
    assert api_client.get(NOTES, **signed_meta(SignatureAuth(key.key_id, secret, label="app"),
                                               "GET", url)).status_code == 200
    assert_error(
        api_client.get(NOTES, **signed_meta(SignatureAuth(key.key_id, secret), "GET", url)),
        "signature_missing", exact=True, accept_signature=True,
    )
