"""docs/protocol.md: which key signs a response and names itself, and responses to ``HEAD``.

- A response to an ed25519- or ecdsa-keyed request is signed by the server's own Ed25519 key; its
  ``keyid`` is that key's ``kid`` in the JWKS (it was the request's keyid), and the JWKS lists it
  with ``"alg": "EdDSA"`` (RFC 8037; WebCrypto and JOSE libraries refuse ``ed25519``).
- ``SignatureAuth.verify_response`` picks the server key by ``kid``; hmac responses still name,
  and verify by, the request's own key id.
- A ``HEAD`` response carries a signature whose ``Content-Digest`` is of the empty body sent
  (it was the digest of the GET body nobody receives, so no client could verify it).
"""

from __future__ import annotations

import base64
import socket
from urllib.parse import urlsplit

import django
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from signed_api.client import SignatureAuth
from signed_api.core import Message, SignatureError, content_digest
from signed_api.models import ApiKey
from tests.http import exchange

pytestmark = pytest.mark.django_db(transaction=True)

JWKS_PATH = "/.well-known/signed-api/keys"


def _pem(private) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _client_held_auth(user, algorithm: str) -> SignatureAuth:
    if algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    key, _ = ApiKey.objects.create_key(user, algorithm=algorithm, public_key=_pem(private))
    return SignatureAuth(key.key_id, private, algorithm=algorithm)


@pytest.fixture(params=["ed25519", "ecdsa-p256-sha256"])
def client_held(request, user):
    """``SignatureAuth`` with a client-held key of each algorithm."""
    return _client_held_auth(user, request.param)


@pytest.fixture
def hmac_auth(user):
    key, secret = ApiKey.objects.create_key(user, name="resp")
    return SignatureAuth(key.key_id, secret)


def _jwks(live_server) -> dict:
    return requests.get(live_server.url + JWKS_PATH, timeout=10).json()


def _keyid(response) -> str:
    import http_sf

    parsed = http_sf.parse(response.headers["Signature-Input"].encode(), tltype="dictionary")
    return parsed["sig1"][1]["keyid"]


def test_jwks_names_ed25519_keys_eddsa(live_server):
    jwks = _jwks(live_server)
    assert jwks["keys"]
    for jwk in jwks["keys"]:
        assert (jwk["kty"], jwk["crv"], jwk["use"]) == ("OKP", "Ed25519", "sig")
        assert jwk["alg"] == "EdDSA"
        assert jwk["kid"].startswith("srv_") and "d" not in jwk


def test_server_signed_response_names_the_server_kid(live_server, client_held):
    response = requests.get(f"{live_server.url}/api/notes/", auth=client_held, timeout=10)
    assert response.status_code == 200
    kids = [k["kid"] for k in _jwks(live_server)["keys"]]
    assert _keyid(response) == kids[0]  # the newest server key signs
    assert _keyid(response) != client_held.key_id
    verified = client_held.verify_response(response, server_keys=_jwks(live_server))
    assert verified.keyid == kids[0]


def test_verify_response_picks_the_server_key_by_kid(live_server, client_held):
    response = requests.get(f"{live_server.url}/api/notes/", auth=client_held, timeout=10)
    jwks = _jwks(live_server)
    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    decoy = {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "srv_decoy",
             "x": base64.urlsafe_b64encode(other).rstrip(b"=").decode()}
    # Another key listed first does not matter: the kid picks the one that signed.
    client_held.verify_response(response, server_keys={"keys": [decoy, *jwks["keys"]]})
    # The right key under another kid is not the key the response names.
    renamed = [{**jwk, "kid": "srv_renamed"} for jwk in jwks["keys"]]
    with pytest.raises(SignatureError) as excinfo:
        client_held.verify_response(response, server_keys={"keys": renamed})
    assert excinfo.value.code == "unknown_key"
    # A list of public keys (no kids) still works: any of them may verify.
    pem = [_jwk_pem(jwk) for jwk in jwks["keys"]]
    client_held.verify_response(response, server_keys=pem)


def _jwk_pem(jwk: dict) -> bytes:
    from signed_api.core.jwk import jwk_to_pem

    return jwk_to_pem({k: jwk[k] for k in ("kty", "crv", "x")})


def test_hmac_response_names_and_verifies_by_the_request_key(live_server, hmac_auth):
    response = requests.get(f"{live_server.url}/api/notes/", auth=hmac_auth, timeout=10)
    assert _keyid(response) == hmac_auth.key_id
    assert hmac_auth.verify_response(response).keyid == hmac_auth.key_id


# -- HEAD --------------------------------------------------------------------------------------
@pytest.fixture(params=["hmac-sha256", "ed25519", "ecdsa-p256-sha256"])
def any_auth(request, user):
    if request.param == "hmac-sha256":
        key, secret = ApiKey.objects.create_key(user, name="head")
        return SignatureAuth(key.key_id, secret)
    return _client_held_auth(user, request.param)


def test_head_response_verifies_with_the_python_client(live_server, any_auth):
    response = requests.head(f"{live_server.url}/api/notes/", auth=any_auth, timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Digest"] == content_digest(b"")
    any_auth.verify_response(response, server_keys=_jwks(live_server))


def test_get_response_still_digests_its_body(live_server, hmac_auth):
    response = requests.get(f"{live_server.url}/api/notes/", auth=hmac_auth, timeout=10)
    assert response.content and response.headers["Content-Digest"] == content_digest(
        response.content
    )


def raw_request(base_url: str, request_bytes: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send bytes as they are; read until the server closes. Returns status, header lines, body."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        raw = exchange(sock, request_bytes)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
    return status, headers, body


def test_raw_head_response_has_no_body_and_a_verifiable_signature(live_server, hmac_auth):
    host = urlsplit(live_server.url).netloc
    url = f"http://{host}/api/notes/"
    signed = hmac_auth.sign("HEAD", url, {}, b"")
    request_bytes = (
        f"HEAD /api/notes/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in signed.items())
        + "\r\n"
    ).encode("latin-1")
    status, headers, body = raw_request(live_server.url, request_bytes)
    assert status == 200
    if django.VERSION >= (5, 0):  # older development servers wrote the body after a HEAD
        assert body == b""
    names = {name.lower() for name, _ in headers}
    assert {"signature", "signature-input", "content-digest"} <= names
    # A HEAD response has no content (RFC 9110 §9.3.2), whatever a server writes after it.
    verify_raw_response(hmac_auth, "HEAD", url, signed, status, headers, b"")


def verify_raw_response(auth, method, url, signed_headers, status, headers, body):
    """What a client holding only the bytes checks: the core verifier over the raw message."""
    from signed_api.core import verify_message

    request_message = Message.from_url(method, url, headers=list(signed_headers.items()), body=b"")
    message = Message.for_response(status, headers=headers, body=body, request=request_message)

    def resolver(keyid):
        assert keyid == auth.key_id
        return auth._key.verifying_key() if hasattr(auth._key, "verifying_key") else auth._key

    import time

    return verify_message(message, resolver, auth.response_policy(), now=time.time())
