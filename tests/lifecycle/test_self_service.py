"""Issue 5, item 3: the self-service key endpoints (docs/sessions.md), signed by a session.

``GET/POST keys/``, ``POST keys/{id}/rotate/``, ``DELETE keys/{id}/``: an hmac secret is shown
once, a client public key (PEM or JWK) is registered and then verifies requests signed with its
private key; a key (rather than a session) cannot manage keys.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from signed_api.client import decode_secret
from signed_api.conf import signed_api_settings
from signed_api.models import ApiKey
from signed_api.services import keys as key_services

from .support import (
    KEYS,
    NOTES,
    assert_error,
    body,
    ed25519_jwk,
    key_client,
    key_url,
    new_ed25519,
    new_p256,
    p256_jwk,
    private_pem,
    public_pem,
    rotate_url,
)

pytestmark = pytest.mark.django_db(transaction=True)

KEY_FIELDS = {
    "id", "name", "algorithm", "status", "scopes", "public_key", "created_at", "expires_at",
    "last_used_at", "previous_valid_until",
}


def _create(client, **fields):
    return client.post(KEYS, fields, format="json")


def _ok(client) -> None:
    response = client.get(NOTES)
    assert response.status_code == 200, (response.status_code, response.content[:300])


# -- hmac keys -------------------------------------------------------------------------------------
def test_create_an_hmac_key_shows_the_secret_once(user, session_signed):
    response = _create(session_signed, name="ci runner")

    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"]
    data = body(response)
    assert set(data) == KEY_FIELDS | {"secret"}
    assert data["name"] == "ci runner"
    assert data["algorithm"] == "hmac-sha256"
    assert data["status"] == "active"
    assert data["public_key"] == ""
    assert data["scopes"] == list(signed_api_settings.DEFAULT_KEY_SCOPES)
    secret = decode_secret(data["secret"])
    assert len(secret) == 32
    key = ApiKey.objects.get(key_id=data["id"])
    assert key.user == user
    _ok(key_client(data["id"], secret))

    listed = session_signed.get(KEYS)
    assert listed.status_code == 200
    assert [k["id"] for k in body(listed)] == [data["id"]]
    assert all(set(k) == KEY_FIELDS for k in body(listed))
    assert data["secret"].encode() not in listed.content
    assert secret.hex().encode() not in listed.content


def test_scopes_and_expiry_given_at_creation_are_kept(session_signed):
    response = _create(session_signed, scopes=["a:read", "a:write"], expires_in_days=3)

    assert response.status_code == 201, response.content
    data = body(response)
    assert data["scopes"] == ["a:read", "a:write"]
    expires = parse_datetime(data["expires_at"])
    assert abs((expires - (timezone.now() + timedelta(days=3))).total_seconds()) < 60
    assert ApiKey.objects.get(key_id=data["id"]).scopes == ["a:read", "a:write"]


def test_a_scope_with_a_space_is_refused(session_signed):
    response = _create(session_signed, scopes=["a read"])
    assert_error(response, "invalid_scope", 400)
    assert not ApiKey.objects.exists()


# -- client public keys ----------------------------------------------------------------------------
def _register(session_signed, algorithm: str, public_key):
    response = _create(session_signed, algorithm=algorithm, public_key=public_key)
    assert response.status_code == 201, response.content
    data = body(response)
    assert "secret" not in data
    assert data["algorithm"] == algorithm
    assert data["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    return data


@pytest.mark.parametrize(
    ("algorithm", "new_private", "as_jwk"),
    [
        ("ed25519", new_ed25519, None),
        ("ed25519", new_ed25519, ed25519_jwk),
        ("ecdsa-p256-sha256", new_p256, None),
        ("ecdsa-p256-sha256", new_p256, p256_jwk),
    ],
    ids=["ed25519-pem", "ed25519-jwk", "p256-pem", "p256-jwk"],
)
def test_a_registered_public_key_verifies_its_private_keys_signatures(
    session_signed, algorithm, new_private, as_jwk
):
    private = new_private()
    public = as_jwk(private) if as_jwk else public_pem(private)

    data = _register(session_signed, algorithm, public)

    assert data["public_key"].strip() == public_pem(private).strip()
    _ok(key_client(data["id"], private, algorithm))
    # Another private key of the same kind does not.
    assert_error(
        key_client(data["id"], new_private(), algorithm).get(NOTES), "signature_invalid", exact=True
    )


@pytest.mark.parametrize(
    ("algorithm", "public_key"),
    [
        ("ed25519", lambda: private_pem(new_ed25519())),
        ("ecdsa-p256-sha256", lambda: private_pem(new_p256())),
        ("ed25519", lambda: ed25519_jwk(new_ed25519(), include_private=True)),
        ("ecdsa-p256-sha256", lambda: p256_jwk(new_p256(), include_private=True)),
        ("ed25519", lambda: p256_jwk(new_p256())),  # a key of the other algorithm
        ("ecdsa-p256-sha256", lambda: ed25519_jwk(new_ed25519())),
        ("ed25519", lambda: {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}),
        ("ed25519", lambda: {"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        ("ed25519", lambda: "not a key"),
        ("hmac-sha256", lambda: public_pem(new_ed25519())),
    ],
    ids=[
        "ed25519-private-pem", "p256-private-pem", "ed25519-jwk-with-d", "p256-jwk-with-d",
        "ed25519-given-p256", "p256-given-ed25519", "short-x", "rsa-jwk", "garbage",
        "hmac-with-public-key",
    ],
)
def test_private_or_mismatched_key_material_is_a_400(session_signed, algorithm, public_key):
    response = _create(session_signed, algorithm=algorithm, public_key=public_key())

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert not ApiKey.objects.exists()
    assert b"PRIVATE" not in response.content


def test_a_public_key_algorithm_without_a_public_key_is_a_400(session_signed):
    assert _create(session_signed, algorithm="ed25519").status_code == 400
    assert not ApiKey.objects.exists()


# -- rotate ----------------------------------------------------------------------------------------
def test_rotate_gives_a_new_secret_and_the_old_one_lasts_the_grace(session_signed):
    created = body(_create(session_signed))
    old = decode_secret(created["secret"])
    old_client = key_client(created["id"], old)
    _ok(old_client)

    response = session_signed.post(rotate_url(created["id"]), {"grace_hours": 1}, format="json")

    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    data = body(response)
    assert data["id"] == created["id"]
    assert data["status"] == "rotating"
    until = parse_datetime(data["previous_valid_until"])
    assert abs((until - (timezone.now() + timedelta(hours=1))).total_seconds()) < 60
    new = decode_secret(data["secret"])
    assert new != old
    _ok(key_client(created["id"], new))
    _ok(old_client)
    assert data["secret"].encode() not in session_signed.get(KEYS).content


def test_rotate_with_zero_grace_ends_the_old_secret_at_once(session_signed):
    created = body(_create(session_signed))
    old_client = key_client(created["id"], decode_secret(created["secret"]))
    _ok(old_client)

    data = body(session_signed.post(rotate_url(created["id"]), {"grace_hours": 0},
                                    format="json"))

    assert_error(old_client.get(NOTES), "signature_invalid", exact=True)
    _ok(key_client(created["id"], decode_secret(data["secret"])))
    assert data["status"] == "active"


def test_rotate_without_a_body_uses_the_default_grace(session_signed):
    created = body(_create(session_signed))
    data = body(session_signed.post(rotate_url(created["id"])))
    until = parse_datetime(data["previous_valid_until"])
    assert abs((until - (timezone.now() + timedelta(hours=24))).total_seconds()) < 60


def test_rotate_a_public_key_with_a_jwk(session_signed):
    first, second = new_ed25519(), new_ed25519()
    created = _register(session_signed, "ed25519", ed25519_jwk(first))

    no_key = session_signed.post(rotate_url(created["id"]), {}, format="json")
    assert_error(no_key, "invalid_key", 400)
    response = session_signed.post(
        rotate_url(created["id"]), {"public_key": ed25519_jwk(second)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert "secret" not in body(response)
    _ok(key_client(created["id"], second, "ed25519"))
    _ok(key_client(created["id"], first, "ed25519"))


def test_rotate_a_revoked_key_is_refused(session_signed):
    created = body(_create(session_signed))
    assert session_signed.delete(key_url(created["id"])).status_code == 204
    response = session_signed.post(rotate_url(created["id"]))
    assert_error(response, "key_revoked", 409)


def test_rotating_an_hmac_key_to_a_public_key_is_a_400_and_changes_nothing(session_signed):
    """Bad input, as a bad public key is: 400 (it was a 409, which says the state is wrong)."""
    created = body(_create(session_signed))
    response = session_signed.post(
        rotate_url(created["id"]), {"public_key": ed25519_jwk(new_ed25519())}, format="json"
    )
    assert_error(response, "invalid_key", 400)
    stored = ApiKey.objects.get(key_id=created["id"])
    assert stored.previous_valid_until is None and stored.rotated_at is None
    _ok(key_client(created["id"], decode_secret(created["secret"])))


# -- revoke ----------------------------------------------------------------------------------------
def test_delete_revokes_the_key_at_once(session_signed):
    created = body(_create(session_signed))
    client = key_client(created["id"], decode_secret(created["secret"]))
    _ok(client)  # cached

    response = session_signed.delete(key_url(created["id"]))

    assert response.status_code == 204
    assert_error(client.get(NOTES), "key_revoked", exact=True)
    listed = {k["id"]: k for k in body(session_signed.get(KEYS))}
    assert listed[created["id"]]["status"] == "revoked"


# -- whose keys, and who may ask -------------------------------------------------------------------
def test_another_users_key_is_a_404_and_stays_untouched(session_signed, other_user):
    key, secret = key_services.create_api_key(other_user)

    assert session_signed.post(rotate_url(key.key_id)).status_code == 404
    assert session_signed.delete(key_url(key.key_id)).status_code == 404
    assert session_signed.post(rotate_url("key_nosuchkey")).status_code == 404
    assert session_signed.delete(key_url("key_nosuchkey")).status_code == 404

    assert key.key_id.encode() not in session_signed.get(KEYS).content
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.revoked_at is None
    assert stored.previous_valid_until is None
    _ok(key_client(key.key_id, secret))


def _key_endpoint_calls(key_id: str):
    return [
        ("get", KEYS, {}),
        ("post", KEYS, {"data": {"name": "x"}, "format": "json"}),
        ("post", rotate_url(key_id), {}),
        ("delete", key_url(key_id), {}),
    ]


def test_an_api_key_cannot_manage_keys(user):
    key, secret = key_services.create_api_key(user, scopes=["*", "keys:write", "enroll"])
    client = key_client(key.key_id, secret)

    for method, path, kwargs in _key_endpoint_calls(key.key_id):
        response = getattr(client, method)(path, **kwargs)
        assert_error(response, "session_required", 403, exact=True)

    assert ApiKey.objects.count() == 1
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.revoked_at is None
    assert stored.previous_valid_until is None


def test_unsigned_requests_are_401(hmac_key, api_client):
    key, _secret = hmac_key
    for method, path, kwargs in _key_endpoint_calls(key.key_id):
        response = getattr(api_client, method)(path, **kwargs)
        assert_error(response, "signature_missing", 401, exact=True)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_an_ended_session_cannot_manage_keys(session, session_signed):
    assert session_signed.delete(f"/api/auth/sessions/{session['id']}/").status_code == 204
    assert_error(session_signed.get(KEYS), "key_revoked", 401, exact=True)


@pytest.mark.parametrize(
    "payload",
    [
        {"grace_hours": "NaN"}, {"grace_hours": "Infinity"}, {"grace_hours": 1e308},
        {"grace_hours": -1}, {"grace_hours": True}, {"grace_hours": False},
        {"grace_hours": [1]}, {"public_key": []}, {"public_key": 5},
        {"public_key": {"kty": "OKP"}},
        {"public_key": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
        {"public_key": {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}},
    ],
)
def test_rotate_never_answers_malformed_input_with_a_500(session_signed, payload):
    created = body(_create(session_signed))
    session_signed.raise_request_exception = False

    response = session_signed.post(rotate_url(created["id"]), payload, format="json")

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response.json()["code"] == "invalid_request"
    assert ApiKey.objects.get(key_id=created["id"]).previous_valid_until is None


@pytest.mark.parametrize(
    "payload",
    [
        {"algorithm": "ed25519", "public_key": {"kty": "OKP", "crv": "Ed25519", "x": "!!!!"}},
        {"algorithm": "ed25519", "public_key": {"kty": "OKP", "crv": "Ed25519", "x": 5}},
        {"algorithm": "ecdsa-p256-sha256",
         "public_key": {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}},
        {"algorithm": "ecdsa-p256-sha256",
         "public_key": {"kty": "EC", "crv": "P-256", "x": "_" * 43, "y": "_" * 43}},
        {"algorithm": "ed25519",
         "public_key": "-----BEGIN PUBLIC KEY-----\u00e9\n-----END PUBLIC KEY-----"},
        {"scopes": "a:read"}, {"scopes": [None]}, {"name": "x" * 200}, {"expires_in_days": 0},
        {"algorithm": "rsa-pss-sha512"},
    ],
)
def test_create_never_answers_malformed_input_with_a_500(session_signed, payload):
    session_signed.raise_request_exception = False

    response = _create(session_signed, **payload)

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert not ApiKey.objects.exists()
