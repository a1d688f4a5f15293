"""The nonce store on a real Redis (django-redis), in both passes of ``make test``.

docs/protocol.md: one atomic add per nonce, after the signature verified, for twice the skew window,
under a bounded key; key state tokens are shared through the same alias.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches

from example_project.notes.models import Note
from signed_api import credentials
from signed_api.client import SignatureAuth
from signed_api.models import ApiKey
from signed_api.test import SignedAPIClient
from tests.api.support import NOTES, signed_meta
from tests.http import assert_error

URL = "http://testserver" + NOTES


def _redis():
    return caches["nonces"].client.get_client(write=True)


def _raw_nonce_keys() -> list[bytes]:
    return sorted(_redis().scan_iter(match="*signed_api:nonce:*"))


@pytest.mark.django_db
@pytest.mark.parametrize("skew", [300, 45])
def test_nonce_is_recorded_for_twice_the_skew(settings, redis_nonce_cache, hmac_key, skew):
    settings.SIGNED_API = {**settings.SIGNED_API, "CLOCK_SKEW": skew}
    key, secret = hmac_key
    assert SignedAPIClient(key_id=key.key_id, key=secret).get(NOTES).status_code == 200

    [raw] = _raw_nonce_keys()
    assert 2 * skew - 5 <= _redis().ttl(raw) <= 2 * skew


@pytest.mark.django_db
def test_nonce_key_is_bounded_whatever_the_nonce(redis_nonce_cache, api_client, hmac_key):
    key, secret = hmac_key
    for nonce in ("a", "n" * 128, "with spaces and \\\"quotes\\\""):
        auth = SignatureAuth(key.key_id, secret, nonce=nonce)
        assert api_client.get(NOTES, **signed_meta(auth, "GET", URL)).status_code == 200
    raw_keys = _raw_nonce_keys()
    assert len(raw_keys) == 3
    assert len({len(k) for k in raw_keys}) == 1
    assert all(len(k) < 80 for k in raw_keys)


@pytest.mark.django_db
def test_replay_is_refused_through_redis(redis_nonce_cache, api_client, hmac_key):
    body = b'{"text": "once"}'
    meta = signed_meta(SignatureAuth(*_id_secret(hmac_key)), "POST", URL, body)
    first = api_client.post(NOTES, data=body, content_type="application/json", **meta)
    second = api_client.post(NOTES, data=body, content_type="application/json", **meta)
    assert first.status_code == 201
    assert_error(second, "nonce_replayed", exact=True, accept_signature=True)
    assert Note.objects.count() == 1


@pytest.mark.django_db
def test_replay_is_refused_after_this_process_forgot_everything(
    redis_nonce_cache, api_client, hmac_key
):
    """The nonce lives in Redis, not in the process: a fresh key cache changes nothing."""
    meta = signed_meta(SignatureAuth(*_id_secret(hmac_key)), "GET", URL)
    assert api_client.get(NOTES, **meta).status_code == 200
    credentials.key_cache.clear()
    assert_error(api_client.get(NOTES, **meta), "nonce_replayed", exact=True, accept_signature=True)


@pytest.mark.django_db(transaction=True)
def test_state_token_is_published_to_redis(redis_nonce_cache, hmac_key):
    key, secret = hmac_key
    assert SignedAPIClient(key_id=key.key_id, key=secret).get(NOTES).status_code == 200
    raw_state = next(_redis().scan_iter(match="*signed_api:state:*"))
    before = _redis().get(raw_state)

    key.revoke()

    after = _redis().get(raw_state)
    assert after != before
    assert after.decode() == ApiKey.objects.get(pk=key.pk).state_token


def _id_secret(hmac_key):
    key, secret = hmac_key
    return key.key_id, secret
