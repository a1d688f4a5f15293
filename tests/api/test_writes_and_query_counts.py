"""What a request costs and writes: ``last_used_at``, nonces, and database queries.

- ``last_used_at`` is written on success, at most once per ``LAST_USED_INTERVAL`` per key, never
  on a failure path;
- a failed verification records no nonce;
- a cached, verified key costs no query on the credential tables: besides the view's own query
  there are only the shared store's statements (two on its table: the nonce and the key's state
  token; none on Redis, where they are one round trip).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from example_project.notes.models import Note
from signed_api.client import SignatureAuth
from signed_api.models import ApiKey
from signed_api.test import SignedAPIClient
from tests.api.support import (
    NOTES,
    created_floor,
    nonce_keys,
    signed_meta,
)
from tests.http import assert_error
from tests.store import other_statements, statements_per_request, store_statements

pytestmark = pytest.mark.django_db

URL = "http://testserver" + NOTES


def _last_used_updates(queries) -> list[str]:
    return [
        q["sql"] for q in queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and "last_used_at" in q["sql"]
    ]


def _stored_last_used(key):
    return ApiKey.objects.filter(pk=key.pk).values_list("last_used_at", flat=True).get()


# -- last_used_at ---------------------------------------------------------------------------------


def test_success_writes_last_used_at(signed_client, hmac_key):
    key, _ = hmac_key
    assert _stored_last_used(key) is None
    before = timezone.now()

    assert signed_client.get(NOTES).status_code == 200

    last_used = _stored_last_used(key)
    assert last_used is not None
    assert before - timedelta(seconds=1) <= last_used <= timezone.now() + timedelta(seconds=1)


def test_two_requests_within_the_interval_write_once(signed_client, hmac_key):
    key, _ = hmac_key
    with CaptureQueriesContext(connection) as queries:
        assert signed_client.get(NOTES).status_code == 200
        first = _stored_last_used(key)
        assert signed_client.post(NOTES, {"text": "x"}, format="json").status_code == 201
        assert signed_client.get(NOTES).status_code == 200

    assert len(_last_used_updates(queries)) == 1, _last_used_updates(queries)
    assert _stored_last_used(key) == first


def test_a_new_write_once_the_interval_has_passed(settings, signed_client, hmac_key):
    settings.SIGNED_API = {**settings.SIGNED_API, "LAST_USED_INTERVAL": 1}
    key, _ = hmac_key
    assert signed_client.get(NOTES).status_code == 200
    first = _stored_last_used(key)

    time.sleep(1.05)
    with CaptureQueriesContext(connection) as queries:
        assert signed_client.get(NOTES).status_code == 200

    assert len(_last_used_updates(queries)) == 1
    assert _stored_last_used(key) > first


def test_last_used_is_tracked_per_key(user):
    clients = []
    for _ in range(2):
        key, secret = ApiKey.objects.create_key(user)
        clients.append((key, SignedAPIClient(key_id=key.key_id, key=secret)))
    for _, client in clients:
        assert client.get(NOTES).status_code == 200
    assert all(_stored_last_used(key) is not None for key, _ in clients)


def _wrong_secret(key, secret):
    return SignatureAuth(key.key_id, b"w" * 32), "GET", b"", "signature_invalid"


def _digest_mismatch(key, secret):
    return SignatureAuth(key.key_id, secret), "POST", b'{"text": "other"}', "digest_mismatch"


def _clock_skew(key, secret):
    return SignatureAuth(key.key_id, secret, created=created_floor(-400)), "GET", b"", "clock_skew"


def _component_missing(key, secret):
    auth = SignatureAuth(key.key_id, secret, components=("@method", "@authority", "@path"))
    return auth, "GET", b"", "component_missing"


def _nonce_missing(key, secret):
    return SignatureAuth(key.key_id, secret, nonce=False), "GET", b"", "nonce_missing"


def _algorithm_mismatch(key, secret):
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SignatureAuth(key.key_id, pem, algorithm="ed25519"), "GET", b"", "algorithm_mismatch"


def _send(client, auth, method, body):
    if method == "GET":
        return client.get(NOTES, **signed_meta(auth, "GET", URL))
    signed_body = b'{"text": "signed"}'
    meta = signed_meta(auth, "POST", URL, signed_body)
    return client.post(NOTES, data=body or signed_body, content_type="application/json", **meta)


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "cached"])
@pytest.mark.parametrize(
    "make",
    [_wrong_secret, _digest_mismatch, _clock_skew, _component_missing, _nonce_missing,
     _algorithm_mismatch],
)
def test_failed_verification_writes_no_row_and_no_nonce(hmac_key, make, warm):
    key, secret = hmac_key
    client = APIClient()
    if warm:  # the key is cached and was used: a failure must not touch it either
        assert SignedAPIClient(key_id=key.key_id, key=secret).get(NOTES).status_code == 200
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=None)
    auth, method, body, code = make(key, secret)
    nonces_before = nonce_keys()

    with CaptureQueriesContext(connection) as queries:
        # (clock_skew adds the server's time, server_time, to tell the client its offset)
        assert_error(_send(client, auth, method, body), code, exact=code != "clock_skew",
                     accept_signature=True)

    writes = [q["sql"] for q in queries
              if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    # (a refusal may read the key's state token from the store table; it writes nothing there)
    assert writes == []
    assert nonce_keys() == nonces_before
    assert _stored_last_used(key) is None
    assert not Note.objects.exists()


def test_a_successful_request_records_exactly_one_nonce(signed_client):
    """The positive control of the test above: the nonce listing does see nonces."""
    before = nonce_keys()
    assert signed_client.get(NOTES).status_code == 200
    assert len(nonce_keys() - before) == 1


def _revoked(key, user):
    key.revoke()


def _expired(key, user):
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def _inactive(key, user):
    user.is_active = False
    user.save()


@pytest.mark.parametrize(
    ("change", "code"),
    [(_revoked, "key_revoked"), (_expired, "key_expired"), (_inactive, "user_inactive")],
)
def test_refused_key_does_not_write_last_used_at(signed_client, hmac_key, user, change, code):
    key, _ = hmac_key
    change(key, user)
    with CaptureQueriesContext(connection) as queries:
        assert_error(signed_client.get(NOTES), code, exact=True, accept_signature=True)
    assert _last_used_updates(queries) == []
    assert _stored_last_used(key) is None


# -- queries per request --------------------------------------------------------------------------


def _private_pem(private) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(params=["hmac-sha256", "ed25519", "ecdsa-p256-sha256"])
def any_client(request, user):
    algorithm = request.param
    if algorithm == "hmac-sha256":
        key, secret = ApiKey.objects.create_key(user)
        return SignedAPIClient(key_id=key.key_id, key=secret)
    private = (
        ed25519.Ed25519PrivateKey.generate() if algorithm == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key, _ = ApiKey.objects.create_key(user, algorithm=algorithm, public_key=public)
    return SignedAPIClient(key_id=key.key_id, key=_private_pem(private), algorithm=algorithm)


def _only_the_view_and_the_store(queries, view_statements: int) -> None:
    assert len(other_statements(queries)) == view_statements, other_statements(queries)
    assert len(store_statements(queries)) == statements_per_request(), store_statements(queries)


def test_cached_key_costs_no_query_list_is_one(any_client):
    assert any_client.get(NOTES).status_code == 200  # loads and caches the key

    with CaptureQueriesContext(connection) as queries:
        assert any_client.get(NOTES).status_code == 200
    _only_the_view_and_the_store(queries, 1)  # SELECT the notes; nothing for the credential


def test_cached_key_costs_no_query_create_is_one(any_client, user):
    assert any_client.get(NOTES).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = any_client.post(NOTES, {"text": "cheap"}, format="json")
    _only_the_view_and_the_store(queries, 1)  # INSERT the note
    assert response.status_code == 201
    assert json.loads(response.content)["text"] == "cheap"
    assert Note.objects.get().owner == user


def test_refusing_a_bad_signature_on_a_cached_key_costs_no_query(signed_client, hmac_key):
    key, _ = hmac_key
    assert signed_client.get(NOTES).status_code == 200
    meta = signed_meta(SignatureAuth(key.key_id, b"w" * 32), "GET", URL)

    with CaptureQueriesContext(connection) as queries:
        assert_error(
            APIClient().get(NOTES, **meta), "signature_invalid", exact=True, accept_signature=True
        )
    # Nothing on the credential tables; on the store table at most the state-token read that
    # tells whether the key was rotated elsewhere.
    assert other_statements(queries) == []
    assert all(q.lstrip().upper().startswith("SELECT") for q in store_statements(queries))
    assert len(store_statements(queries)) <= 1


def test_many_cached_requests_cost_one_query_each(signed_client):
    assert signed_client.get(NOTES).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        for _ in range(10):
            assert signed_client.get(NOTES).status_code == 200
    assert len(other_statements(queries)) == 10
    assert len(store_statements(queries)) == 10 * statements_per_request()
