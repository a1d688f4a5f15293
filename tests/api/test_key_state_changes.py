"""Revocation, expiry, deactivation and secret changes take effect at once, cached or not.

Each process keeps verified keys in memory (``credentials.key_cache``); every change to a key or
its owner writes a new state token and publishes it to the shared cache after the commit, and
every request compares its cached copy's token with the shared one (``credentials.confirm``).

The tests run with real commits (``transaction=True``), as in production, so the after-commit
publication happens when it would there. "Another process" is simulated by putting the stale
cache entry back after the change: this process then knows only what the shared cache says.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from signed_api import credentials
from signed_api.models import ApiKey
from signed_api.stores import StoreUnavailable, get_store
from signed_api.test import SignedAPIClient
from tests.api.support import NOTES
from tests.http import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


def _warm(client, key) -> credentials.Credential:
    """Two accepted requests; returns the entry this process now caches for ``key``."""
    assert client.get(NOTES).status_code == 200
    assert client.get(NOTES).status_code == 200
    cached = credentials.key_cache.get(key.key_id)
    assert cached is not None
    return cached


# -- in this process -----------------------------------------------------------------------------


def test_revoke_refuses_the_cached_key_on_the_next_request(signed_client, hmac_key):
    key, _ = hmac_key
    _warm(signed_client, key)

    key.revoke()

    assert_error(signed_client.get(NOTES), "key_revoked", exact=True, accept_signature=True)


def test_a_revoked_key_stays_revoked(hmac_key):
    key, _ = hmac_key
    key.revoke()
    key.revoked_at = None
    with pytest.raises(ValueError, match="revoked"):
        key.save()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_deactivating_the_owner_refuses_the_cached_key(signed_client, hmac_key, user):
    key, _ = hmac_key
    _warm(signed_client, key)

    user.is_active = False
    user.save()
    assert_error(signed_client.get(NOTES), "user_inactive", exact=True, accept_signature=True)

    user.is_active = True
    user.save()
    assert signed_client.get(NOTES).status_code == 200


def test_expiry_set_on_a_cached_key_applies_at_once(signed_client, hmac_key):
    key, _ = hmac_key
    _warm(signed_client, key)

    key.expires_at = timezone.now() - timedelta(seconds=1)
    key.save()

    assert_error(signed_client.get(NOTES), "key_expired", exact=True, accept_signature=True)


def test_a_cached_key_expires_when_its_time_comes(user):
    """No write at all: the expiry time itself ends the key, in real time."""
    expires_at = timezone.now() + timedelta(seconds=1.5)
    key, secret = ApiKey.objects.create_key(user, expires_at=expires_at)
    client = SignedAPIClient(key_id=key.key_id, key=secret)
    _warm(client, key)

    time.sleep(max(0.0, (expires_at - timezone.now()).total_seconds()) + 0.05)

    assert_error(client.get(NOTES), "key_expired", exact=True, accept_signature=True)


def test_new_secret_replaces_the_old_one_at_once(hmac_key):
    key, old_secret = hmac_key
    old_client = SignedAPIClient(key_id=key.key_id, key=old_secret)
    _warm(old_client, key)

    new_secret = secrets.token_bytes(32)
    key.set_secret(new_secret)
    key.save()

    assert_error(old_client.get(NOTES), "signature_invalid", exact=True, accept_signature=True)
    assert SignedAPIClient(key_id=key.key_id, key=new_secret).get(NOTES).status_code == 200
    assert_error(old_client.get(NOTES), "signature_invalid", exact=True, accept_signature=True)


def test_deleting_the_owner_ends_the_cached_key(signed_client, hmac_key, user):
    key, _ = hmac_key
    _warm(signed_client, key)
    user.delete()
    assert_error(signed_client.get(NOTES), "unknown_key", exact=True, accept_signature=True)


# -- as another process sees it: a stale entry, only the shared token changed ---------------------


def _revoke(key, user):
    key.revoke()


def _expire(key, user):
    key.expires_at = timezone.now() - timedelta(seconds=1)
    key.save()


def _deactivate(key, user):
    user.is_active = False
    user.save()


def _delete(key, user):
    key.delete()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_revoke, "key_revoked"),
        (_expire, "key_expired"),
        (_deactivate, "user_inactive"),
        (_delete, "unknown_key"),
    ],
)
def test_stale_cached_entry_is_reloaded_when_the_shared_token_changed(
    signed_client, hmac_key, user, change, code
):
    key, _ = hmac_key
    stale = _warm(signed_client, key)

    change(key, user)
    credentials.key_cache.put(stale)  # this "process" never heard of the change

    assert_error(signed_client.get(NOTES), code, exact=True, accept_signature=True)


def test_stale_entry_is_replaced_by_the_current_one(signed_client, hmac_key):
    key, _ = hmac_key
    stale = _warm(signed_client, key)

    key.name = "renamed"
    key.save()  # any save publishes a new state token
    credentials.key_cache.put(stale)
    with CaptureQueriesContext(connection) as queries:
        assert signed_client.get(NOTES).status_code == 200

    current = credentials.key_cache.get(key.key_id)
    assert current is not stale
    assert current.token == ApiKey.objects.get(pk=key.pk).state_token != stale.token
    assert current.auth.name == "renamed"
    reads = [q["sql"] for q in queries if "signed_api_apikey" in q["sql"]]
    assert len(reads) == 1, reads  # one reload of the key, then the list query


def test_stale_entry_with_the_shared_token_evicted_is_reloaded(signed_client, hmac_key):
    """A missing shared token means "ask the database", never "the cache is current"."""
    key, _ = hmac_key
    stale = _warm(signed_client, key)

    key.revoke()
    credentials.key_cache.put(stale)
    get_store().delete(credentials.state_key(key.key_id))

    assert_error(signed_client.get(NOTES), "key_revoked", exact=True, accept_signature=True)


def test_old_secret_refused_by_a_process_with_a_stale_entry(hmac_key):
    key, old_secret = hmac_key
    old_client = SignedAPIClient(key_id=key.key_id, key=old_secret)
    stale = _warm(old_client, key)

    key.set_secret(secrets.token_bytes(32))
    key.save()
    credentials.key_cache.put(stale)

    assert_error(old_client.get(NOTES), "signature_invalid", exact=True, accept_signature=True)


def test_new_secret_accepted_by_a_process_with_a_stale_entry(hmac_key):
    """The stale entry's old secret must not shadow the new one (fixed in 97ca112)."""
    key, old_secret = hmac_key
    stale = _warm(SignedAPIClient(key_id=key.key_id, key=old_secret), key)

    new_secret = secrets.token_bytes(32)
    key.set_secret(new_secret)
    key.save()
    credentials.key_cache.put(stale)

    assert SignedAPIClient(key_id=key.key_id, key=new_secret).get(NOTES).status_code == 200


def test_revocation_whose_publication_failed_still_reaches_other_processes(
    monkeypatch, signed_client, hmac_key
):
    key, _ = hmac_key
    stale = _warm(signed_client, key)

    def store_unreachable(*args, **kwargs):
        raise StoreUnavailable("simulated: the shared store did not answer this write")

    with monkeypatch.context() as patch:
        patch.setattr(type(get_store()), "set_token", store_unreachable)
        with contextlib.suppress(StoreUnavailable):
            key.revoke()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None  # committed
    credentials.key_cache.put(stale)  # another process, the store reachable again

    assert_error(signed_client.get(NOTES), "key_revoked", exact=True, accept_signature=True)
