"""Secrets at rest (issue 3 item 2): a database dump alone never lets anyone sign a request.

hmac secrets are sealed with AES-GCM under the keyring (``MASTER_KEYS``, newest first, or keys
derived from ``SECRET_KEY`` and its fallbacks), bound to the row's key id. A secret that cannot
be opened makes the key unusable: a 401, never a 500.
"""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from signed_api.client import encode_secret
from signed_api.models import ApiKey
from signed_api.test import SignedAPIClient
from tests.api.support import NOTES
from tests.http import assert_error

pytestmark = pytest.mark.django_db

MASTER_A = base64.urlsafe_b64encode(b"A" * 32).rstrip(b"=").decode()
MASTER_B = base64.urlsafe_b64encode(b"B" * 32).rstrip(b"=").decode()


def _encodings(secret: bytes) -> list[str]:
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.b64encode(secret).rstrip(b"=").decode(),
        base64.urlsafe_b64encode(secret).decode(),
        encode_secret(secret),
        secret.decode("latin-1"),
    ]


def _table_dump() -> str:
    """Every column of every row of the key table, as text (what a dump would show)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")  # noqa: S608
        return "\n".join(repr(row) for row in cursor.fetchall())


def _client(key, secret) -> SignedAPIClient:
    return SignedAPIClient(key_id=key.key_id, key=secret)


def _signed_api(settings, **values):
    settings.SIGNED_API = {**settings.SIGNED_API, **values}


# -- never in plaintext ---------------------------------------------------------------------------


@pytest.mark.parametrize("master_keys", [(), (MASTER_A,)], ids=["derived", "master-keys"])
def test_database_never_holds_the_secret_in_any_encoding(settings, user, master_keys):
    _signed_api(settings, MASTER_KEYS=master_keys)
    secrets = [ApiKey.objects.create_key(user)[1] for _ in range(3)]

    dump = _table_dump()

    assert dump.count("v1.") >= 3  # the sealed form is there...
    for secret in secrets:  # ...and no form of the plaintext
        for encoded in _encodings(secret):
            assert encoded not in dump


def test_the_stored_form_is_sealed_under_the_primary_master_key(settings, user):
    _signed_api(settings, MASTER_KEYS=[MASTER_B, MASTER_A])
    from signed_api.state import keyring

    key, _ = ApiKey.objects.create_key(user)
    stored = ApiKey.objects.get(pk=key.pk).secret_encrypted
    assert stored.startswith("v1.")
    assert keyring().key_id_of(stored) == keyring().primary_id


# -- bound to the key id ------------------------------------------------------------------------


def test_secret_copied_into_another_row_does_not_open(user, api_client):
    key_a, secret_a = ApiKey.objects.create_key(user)
    key_b, secret_b = ApiKey.objects.create_key(user)
    # A database writer copies A's sealed secret into B's row.
    ApiKey.objects.filter(pk=key_b.pk).update(
        secret_encrypted=ApiKey.objects.get(pk=key_a.pk).secret_encrypted
    )

    assert_error(
        _client(key_b, secret_a).get(NOTES), "unknown_key", exact=True, accept_signature=True
    )
    assert_error(
        _client(key_b, secret_b).get(NOTES), "unknown_key", exact=True, accept_signature=True
    )
    assert _client(key_a, secret_a).get(NOTES).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda s: s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1], id="bit-flip"),
        pytest.param(lambda s: s.replace("v1.", "v2.", 1), id="unknown-version"),
        pytest.param(lambda s: "v1.00000000." + s.split(".", 2)[2], id="unknown-master-key"),
        pytest.param(lambda s: "v1.x.!!!", id="garbage"),
        pytest.param(lambda s: "", id="empty"),
    ],
)
def test_tampered_sealed_secret_is_401_not_500(user, tamper):
    key, secret = ApiKey.objects.create_key(user)
    stored = ApiKey.objects.get(pk=key.pk).secret_encrypted
    ApiKey.objects.filter(pk=key.pk).update(secret_encrypted=tamper(stored))

    assert_error(_client(key, secret).get(NOTES), "unknown_key", exact=True, accept_signature=True)


# -- MASTER_KEYS rotation ------------------------------------------------------------------------


def test_master_key_rotation_old_keys_still_decrypt(settings, user):
    _signed_api(settings, MASTER_KEYS=[MASTER_A])
    key, secret = ApiKey.objects.create_key(user)
    assert _client(key, secret).get(NOTES).status_code == 200

    _signed_api(settings, MASTER_KEYS=[MASTER_B, MASTER_A])  # B is new, A still decrypts
    assert _client(key, secret).get(NOTES).status_code == 200
    new_key, new_secret = ApiKey.objects.create_key(user)  # sealed under B

    _signed_api(settings, MASTER_KEYS=[MASTER_B])  # A dropped too early
    assert_error(_client(key, secret).get(NOTES), "unknown_key", exact=True, accept_signature=True)
    assert _client(new_key, new_secret).get(NOTES).status_code == 200


def test_keys_sealed_under_derived_key_need_it_in_master_keys(settings, user):
    """Moving from the SECRET_KEY-derived key to MASTER_KEYS strands secrets sealed before."""
    _signed_api(settings, MASTER_KEYS=())
    key, secret = ApiKey.objects.create_key(user)

    _signed_api(settings, MASTER_KEYS=[MASTER_A])
    assert_error(_client(key, secret).get(NOTES), "unknown_key", exact=True, accept_signature=True)


# -- derived from SECRET_KEY ---------------------------------------------------------------------


def test_secret_key_rotation_with_fallback_still_decrypts(settings, user):
    _signed_api(settings, MASTER_KEYS=())
    old_secret_key = settings.SECRET_KEY
    key, secret = ApiKey.objects.create_key(user)

    settings.SECRET_KEY = "a-new-secret-key-for-this-test"
    settings.SECRET_KEY_FALLBACKS = [old_secret_key]
    assert _client(key, secret).get(NOTES).status_code == 200

    settings.SECRET_KEY_FALLBACKS = []
    assert_error(_client(key, secret).get(NOTES), "unknown_key", exact=True, accept_signature=True)


def test_secret_key_change_seals_new_keys_under_the_new_key(settings, user):
    _signed_api(settings, MASTER_KEYS=())
    old_secret_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-this-test"
    settings.SECRET_KEY_FALLBACKS = [old_secret_key]
    key, secret = ApiKey.objects.create_key(user)

    settings.SECRET_KEY_FALLBACKS = []
    assert _client(key, secret).get(NOTES).status_code == 200
