"""docs/protocol.md: the response to a verified request is signed, bound to that request."""

from __future__ import annotations

import base64

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core import checks
from django.test import override_settings

from signed_api.client import SignatureAuth
from signed_api.core import SignatureError
from signed_api.models import ApiKey
from signed_api.services import keys as key_services

pytestmark = pytest.mark.django_db(transaction=True)

REQUIRED = (
    '"@status"',
    '"content-digest"',
    '"@method";req',
    '"@path";req',
    '"signature";req;key="sig1"',
)


def test_hmac_response_is_signed_and_verifies(live_server, hmac_key):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    response = requests.post(
        f"{live_server.url}/api/notes/", json={"text": "signed back"}, auth=auth, timeout=10
    )
    assert response.status_code == 201
    signature_input = response.headers["Signature-Input"]
    for component in REQUIRED:
        assert component in signature_input
    assert f'keyid="{key.key_id}"' in signature_input
    verified = auth.verify_response(response)
    assert verified.keyid == key.key_id


def test_tampered_response_body_fails(live_server, hmac_key):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    response = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    assert response.status_code == 200
    response._content = response.content + b" "
    with pytest.raises(SignatureError) as excinfo:
        auth.verify_response(response)
    assert excinfo.value.code == "digest_mismatch"


def test_response_cannot_answer_another_request(live_server, hmac_key):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    first = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    second = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    # Present the first response as the answer to the second request (different nonce and
    # so different request signature): the covered "signature";req no longer matches.
    first.request = second.request
    with pytest.raises(SignatureError) as excinfo:
        auth.verify_response(first)
    assert excinfo.value.code == "signature_invalid"


def test_wrong_secret_does_not_verify_the_response(live_server, hmac_key):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    response = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    impostor = SignatureAuth(key.key_id, bytes(32))
    with pytest.raises(SignatureError) as excinfo:
        impostor.verify_response(response)
    assert excinfo.value.code == "signature_invalid"


def test_unsigned_and_failed_requests_are_answered_with_the_server_key(live_server, hmac_key):
    """No request key verified: the server key signs the refusal (test_server_signed_refusals)."""
    key, secret = hmac_key
    unsigned = requests.get(f"{live_server.url}/api/notes/", timeout=10)
    assert 'keyid="srv_' in unsigned.headers["Signature-Input"]
    bad = SignatureAuth(key.key_id, bytes(32))
    refused = requests.get(f"{live_server.url}/api/notes/", auth=bad, timeout=10)
    assert refused.status_code == 401
    assert 'keyid="srv_' in refused.headers["Signature-Input"]
    assert f'keyid="{key.key_id}"' not in refused.headers["Signature-Input"]


def test_client_held_key_is_answered_with_the_server_key(live_server, user):
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key, secret = ApiKey.objects.create_key(user, algorithm="ed25519", public_key=pem)
    assert secret is None
    auth = SignatureAuth(key.key_id, private, algorithm="ed25519")
    response = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    assert response.status_code == 200
    assert 'alg="ed25519"' in response.headers["Signature-Input"]
    jwks = requests.get(f"{live_server.url}/.well-known/signed-api/keys", timeout=10).json()
    assert jwks["keys"] and all(k["kty"] == "OKP" and "d" not in k for k in jwks["keys"])
    auth.verify_response(response, server_keys=jwks)
    # A JWKS of some other server does not verify it.
    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    foreign = {"keys": [{"kty": "OKP", "crv": "Ed25519",
                         "x": base64.urlsafe_b64encode(other).rstrip(b"=").decode()}]}
    with pytest.raises(SignatureError):
        auth.verify_response(response, server_keys=foreign)


def test_response_during_rotation_uses_the_secret_the_request_used(live_server, hmac_key):
    key, old_secret = hmac_key
    new_secret = key_services.rotate_api_key(key)
    for secret in (old_secret, new_secret):
        auth = SignatureAuth(key.key_id, secret)
        response = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
        assert response.status_code == 200
        auth.verify_response(response)  # signed with this very secret
    # And the response to the old secret does not verify under the new one.
    old_auth = SignatureAuth(key.key_id, old_secret)
    response = requests.get(f"{live_server.url}/api/notes/", auth=old_auth, timeout=10)
    with pytest.raises(SignatureError):
        SignatureAuth(key.key_id, new_secret).verify_response(response)


def test_switching_response_signing_off(live_server, hmac_key, settings):
    key, secret = hmac_key
    settings.SIGNED_API = {**settings.SIGNED_API, "SIGN_RESPONSES": False}
    response = requests.get(
        f"{live_server.url}/api/notes/", auth=SignatureAuth(key.key_id, secret), timeout=10
    )
    assert response.status_code == 200
    assert "Signature" not in response.headers


@pytest.mark.parametrize(
    ("middleware", "expected"),
    [
        ([], "signed_api.W005"),
        (["django.middleware.common.CommonMiddleware",
          "signed_api.response_signing.ResponseSignatureMiddleware"], "signed_api.W006"),
        (["signed_api.response_signing.ResponseSignatureMiddleware"], None),
        # Above it only what changes no body: the gateway's early answer, CORS headers.
        (["corsheaders.middleware.CorsMiddleware", "signed_api.gateway.OHTTPGatewayMiddleware",
          "signed_api.response_signing.ResponseSignatureMiddleware"], None),
        (["signed_api.gateway.OHTTPGatewayMiddleware",
          "django.middleware.gzip.GZipMiddleware",
          "signed_api.response_signing.ResponseSignatureMiddleware"], "signed_api.W006"),
    ],
)
def test_response_signing_checks(middleware, expected):
    from signed_api.checks import check_response_signing

    with override_settings(MIDDLEWARE=middleware):
        ids = [m.id for m in check_response_signing()]
    assert ids == ([expected] if expected else [])
    assert all(isinstance(m, checks.CheckMessage) for m in check_response_signing())
