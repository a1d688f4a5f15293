"""Helpers of the key-lifecycle tests (imported by the test modules).

Everything a client does goes over HTTP: an unsigned ``APIClient`` for the login endpoint, a
``SignedAPIClient`` signing with a session, an API key or an enrollment key for the rest.
Public keys are built here from ``cryptography`` objects (PEM and JWK by hand, not through the
code under test), and pyotp is the independent judge of TOTP codes.
"""

from __future__ import annotations

import base64
import io

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.core.management import call_command
from rest_framework.test import APIClient

from signed_api.client import SignatureAuth
from signed_api.test import SignedAPIClient
from tests.accounts import (  # noqa: F401 - re-exported for the tests
    NOTES,
    OTHER_PASSWORD,
    PASSWORD,
    SESSIONS,
    STEP,
    TOTP,
    TOTP_CONFIRM,
    enrol,
    fresh_code,
    login,
    session_client,
    wrong_code,
)
from tests.http import assert_error, body  # noqa: F401 - re-exported for the tests
from tests.threads import race  # noqa: F401 - re-exported for the tests

AUTH = "/api/auth/"
KEYS = AUTH + "keys/"
ENROLL = AUTH + "enroll/"


def key_url(key_id: str) -> str:
    return f"{KEYS}{key_id}/"


def rotate_url(key_id: str) -> str:
    return f"{KEYS}{key_id}/rotate/"


# -- clients --------------------------------------------------------------------------------------
def key_client(key_id: str, key, algorithm: str = "hmac-sha256") -> SignedAPIClient:
    """A client signing with an API key or enrollment key (secret bytes or private key)."""
    return SignedAPIClient(key_id=key_id, key=key, algorithm=algorithm)


# -- client-held keys, built independently of the code under test ----------------------------------
def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def private_pem(private) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def ed25519_jwk(private, *, include_private: bool = False) -> dict:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    if include_private:
        jwk["d"] = b64u(private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        ))
    return jwk


def p256_jwk(private, *, include_private: bool = False) -> dict:
    numbers = private.public_key().public_numbers()
    jwk = {
        "kty": "EC", "crv": "P-256",
        "x": b64u(numbers.x.to_bytes(32, "big")), "y": b64u(numbers.y.to_bytes(32, "big")),
    }
    if include_private:
        jwk["d"] = b64u(private.private_numbers().private_value.to_bytes(32, "big"))
    return jwk


def new_ed25519():
    return ed25519.Ed25519PrivateKey.generate()


def new_p256():
    return ec.generate_private_key(ec.SECP256R1())


# -- requests whose response signature we check ----------------------------------------------------
class _SentRequest:
    def __init__(self, method: str, url: str, headers: dict, content: bytes):
        self.method, self.url, self.headers, self.body = method, url, headers, content


class _Received:
    """What ``SignatureAuth.verify_response`` reads of a requests/httpx response."""

    def __init__(self, request: _SentRequest, response):
        self.request = request
        self.status_code = response.status_code
        self.headers = dict(response.items())
        self.content = response.content


def get_signed(client: APIClient, auth: SignatureAuth, path: str):
    """``GET path`` signed by ``auth``; returns ``(response, received)`` where ``received``
    can be handed to ``auth.verify_response``."""
    url = "http://testserver" + path
    headers = auth.sign("GET", url, {}, b"")
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    response = client.get(path, **meta)
    return response, _Received(_SentRequest("GET", url, headers, b""), response)


# -- management commands ---------------------------------------------------------------------------
def run(command: str, *args) -> tuple[str, str]:
    """``manage.py command args...``; returns ``(stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# -- TOTP ------------------------------------------------------------------------------------------
def enrol_totp(signed: SignedAPIClient) -> pyotp.TOTP:
    """Start and confirm a TOTP device over HTTP; returns the authenticator."""
    return enrol(signed)[0]


