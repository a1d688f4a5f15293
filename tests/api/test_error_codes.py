"""Every code of docs/protocol.md that ``SignatureAuthentication`` produces, provoked over HTTP.

Each request goes through the whole Django + DRF stack to the example notes API. A failure is a
401 (or the 503) whose JSON body has exactly ``detail`` and ``code``; a 401 carries
``WWW-Authenticate: Signature`` and ``Accept-Signature``. The Django test client re-raises any
exception a view lets escape, so a 500 fails the test.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from example_project.notes.models import Note
from signed_api.client import SignatureAuth
from signed_api.core import content_digest
from signed_api.models import ApiKey
from tests.api.support import (
    NOTES,
    created_ceil,
    created_floor,
    free_port,
    meta_from_headers,
    signed_meta,
)
from tests.http import assert_error

pytestmark = pytest.mark.django_db

URL = "http://testserver" + NOTES


def _auth(key, secret, **options) -> SignatureAuth:
    return SignatureAuth(key.key_id, secret, **options)


# -- signature_missing ---------------------------------------------------------------------------


def test_unsigned_request_is_401_signature_missing_with_challenge_headers(api_client):
    response = api_client.get(NOTES)

    assert_error(response, "signature_missing", exact=True, accept_signature=True)
    accept = response["Accept-Signature"]
    for component in ('"@method"', '"@authority"', '"@path"', '"@query"', '"content-digest"'):
        assert component in accept
    assert ";created" in accept
    assert ";nonce" in accept
    assert ";keyid" in accept


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Signature": "sig1=:AAAA:"}, id="signature-without-input"),
        pytest.param({"Signature-Input": 'sig1=("@method");created=1'}, id="input-without-sig"),
    ],
)
def test_half_a_signature_is_401_signature_missing(api_client, headers):
    response = api_client.get(NOTES, **meta_from_headers(headers))
    assert_error(response, "signature_missing", exact=True, accept_signature=True)


def test_labels_that_do_not_pair_up_are_signature_missing(api_client, hmac_key):
    meta = signed_meta(_auth(*hmac_key), "GET", URL)
    meta["HTTP_SIGNATURE"] = meta["HTTP_SIGNATURE"].replace("sig1=", "other=", 1)
    assert_error(
        api_client.get(NOTES, **meta), "signature_missing", exact=True, accept_signature=True
    )


# -- signature_malformed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        pytest.param("sig1=(", "sig1=:AAAA:", id="unclosed-inner-list"),
        pytest.param("sig1=(@method);keyid=KEY", "sig1=:AAAA:", id="component-not-a-string"),
        pytest.param('sig1=("@method");created="x";keyid="KEY"', "sig1=:AAAA:",
                     id="created-not-an-integer"),
        pytest.param('sig1=("@method");created=1;keyid="KEY"', "sig1=abc",
                     id="signature-not-a-byte-sequence"),
        pytest.param('sig1=("@method" "@authority" "@path" "@query" "@method");created=NOW;'
                     'keyid="KEY";nonce="n"', "sig1=:AAAA:",
                     id="component-covered-twice"),
        pytest.param('sig1=("@method"), sig1=("@path");keyid="KEY"', "sig1=:AAAA:",
                     id="duplicate-label"),
    ],
)
def test_malformed_signature_headers_are_401_signature_malformed(
    api_client, hmac_key, signature_input, signature
):
    key, _ = hmac_key
    meta = meta_from_headers(
        {
            "Signature-Input": signature_input.replace("KEY", key.key_id).replace(
                "NOW", str(created_floor())
            ),
            "Signature": signature,
        }
    )
    assert_error(
        api_client.get(NOTES, **meta), "signature_malformed", exact=True, accept_signature=True
    )


def test_missing_keyid_is_signature_malformed(api_client, hmac_key):
    key, secret = hmac_key
    meta = signed_meta(_auth(key, secret), "GET", URL)
    meta["HTTP_SIGNATURE_INPUT"] = meta["HTTP_SIGNATURE_INPUT"].replace(
        f';keyid="{key.key_id}"', ""
    )
    assert_error(
        api_client.get(NOTES, **meta), "signature_malformed", exact=True, accept_signature=True
    )


# -- signature_invalid ---------------------------------------------------------------------------


def test_wrong_secret_is_401_signature_invalid(hmac_key):
    key, _ = hmac_key
    client = APIClient()
    meta = signed_meta(_auth(key, b"w" * 32), "GET", URL)
    assert_error(client.get(NOTES, **meta), "signature_invalid", exact=True, accept_signature=True)


def test_tampered_path_is_signature_invalid(api_client, hmac_key, user):
    note = Note.objects.create(owner=user, text="mine")
    meta = signed_meta(_auth(*hmac_key), "GET", URL)  # signed for the list...
    response = api_client.get(f"{NOTES}{note.pk}/", **meta)  # ...sent to one note
    assert_error(response, "signature_invalid", exact=True, accept_signature=True)


def test_tampered_method_is_signature_invalid_and_nothing_is_deleted(api_client, hmac_key, user):
    note = Note.objects.create(owner=user, text="keep me")
    url = f"{NOTES}{note.pk}/"
    meta = signed_meta(_auth(*hmac_key), "GET", "http://testserver" + url)
    assert_error(
        api_client.delete(url, **meta), "signature_invalid", exact=True, accept_signature=True
    )
    assert Note.objects.filter(pk=note.pk).exists()


@pytest.mark.parametrize(
    ("signed_query", "sent_query"),
    [
        pytest.param("?page=1", "?page=2", id="value-changed"),
        pytest.param("", "?page=1", id="query-added"),
        pytest.param("?page=1", "", id="query-removed"),
        pytest.param("?a=1&b=2", "?b=2&a=1", id="reordered"),
    ],
)
def test_tampered_query_is_signature_invalid(api_client, hmac_key, signed_query, sent_query):
    meta = signed_meta(_auth(*hmac_key), "GET", URL + signed_query)
    assert_error(
        api_client.get(NOTES + sent_query, **meta), "signature_invalid",
        exact=True, accept_signature=True
    )


def test_tampered_authority_is_signature_invalid(api_client, hmac_key):
    meta = signed_meta(_auth(*hmac_key), "GET", URL)
    response = api_client.get(NOTES, HTTP_HOST="localhost", **meta)
    assert_error(response, "signature_invalid", exact=True, accept_signature=True)


def test_signature_bytes_flipped_is_signature_invalid(api_client, hmac_key):
    meta = signed_meta(_auth(*hmac_key), "GET", URL)
    value = meta["HTTP_SIGNATURE"]
    head, b64, tail = value.split(":")
    flipped = ("B" if b64[0] == "A" else "A") + b64[1:]
    meta["HTTP_SIGNATURE"] = f"{head}:{flipped}:{tail}"
    assert_error(
        api_client.get(NOTES, **meta), "signature_invalid", exact=True, accept_signature=True
    )


# -- component_missing, digest_missing, digest_mismatch --------------------------------------------


@pytest.mark.parametrize(
    "components",
    [
        pytest.param(("@method", "@authority", "@path"), id="no-@query"),
        pytest.param(("@method", "@authority", "@query"), id="no-@path"),
        pytest.param(("@authority", "@path", "@query"), id="no-@method"),
        pytest.param(("@method", "@path", "@query"), id="no-@authority"),
    ],
)
def test_uncovered_required_component_is_401_component_missing(api_client, hmac_key, components):
    meta = signed_meta(_auth(*hmac_key, components=components), "GET", URL + "?page=1")
    assert_error(
        api_client.get(NOTES + "?page=1", **meta), "component_missing",
        exact=True, accept_signature=True
    )


def test_more_components_than_required_are_accepted(api_client, hmac_key):
    components = ("@method", "@authority", "@path", "@query", "@scheme", "@target-uri")
    meta = signed_meta(_auth(*hmac_key, components=components), "GET", URL)
    assert api_client.get(NOTES, **meta).status_code == 200


def test_body_without_content_digest_is_401_digest_missing(api_client, hmac_key):
    body = json.dumps({"text": "no digest"}).encode()
    auth = _auth(*hmac_key, components=("@method", "@authority", "@path", "@query"))
    meta = signed_meta(auth, "POST", URL, body)
    response = api_client.post(NOTES, data=body, content_type="application/json", **meta)
    assert_error(response, "digest_missing", exact=True, accept_signature=True)
    assert not Note.objects.exists()


def test_covered_but_absent_content_digest_is_refused(api_client, hmac_key):
    """A signature covering ``content-digest`` on a request without that header cannot verify."""
    body = b'{"text": "x"}'
    meta = signed_meta(_auth(*hmac_key), "POST", URL, body)
    del meta["HTTP_CONTENT_DIGEST"]
    response = api_client.post(NOTES, data=body, content_type="application/json", **meta)
    body = json.loads(response.content)
    assert response.status_code == 401
    assert body["code"] in {"digest_missing", "component_missing"}
    assert not Note.objects.exists()


def test_body_changed_after_signing_is_401_digest_mismatch(api_client, hmac_key):
    signed_body = json.dumps({"text": "what I signed"}).encode()
    sent_body = json.dumps({"text": "what arrived"}).encode()
    meta = signed_meta(_auth(*hmac_key), "POST", URL, signed_body)
    response = api_client.post(NOTES, data=sent_body, content_type="application/json", **meta)
    assert_error(response, "digest_mismatch", exact=True, accept_signature=True)
    assert not Note.objects.exists()


def test_digest_of_the_sent_body_but_signed_over_another_is_signature_invalid(
    api_client, hmac_key
):
    signed_body = b'{"text": "a"}'
    sent_body = b'{"text": "b"}'
    meta = signed_meta(_auth(*hmac_key), "POST", URL, signed_body)
    meta["HTTP_CONTENT_DIGEST"] = content_digest(sent_body)
    response = api_client.post(NOTES, data=sent_body, content_type="application/json", **meta)
    assert_error(response, "signature_invalid", exact=True, accept_signature=True)
    assert not Note.objects.exists()


# -- clock_skew, signature_expired ----------------------------------------------------------------


def _assert_clock_skew(response):
    """401 ``clock_skew`` whose body tells the client the server's time: ``detail``, ``code``
    and ``server_time`` (integer epoch seconds), nothing else."""
    data = assert_error(response, "clock_skew", accept_signature=True)
    assert set(data) == {"detail", "code", "server_time"}, data
    assert type(data["server_time"]) is int
    assert abs(data["server_time"] - time.time()) < 5


@pytest.mark.parametrize(
    ("created", "status"),
    [
        pytest.param(lambda: created_floor(-301), 401, id="301s-in-the-past"),
        pytest.param(lambda: created_ceil(+301), 401, id="301s-in-the-future"),
        pytest.param(lambda: created_ceil(-299), 200, id="299s-in-the-past"),
        pytest.param(lambda: created_floor(+299), 200, id="299s-in-the-future"),
    ],
)
def test_created_outside_300s_either_way_is_clock_skew(api_client, hmac_key, created, status):
    meta = signed_meta(_auth(*hmac_key, created=created()), "GET", URL)
    response = api_client.get(NOTES, **meta)
    if status == 200:
        assert response.status_code == 200, response.content
    else:
        _assert_clock_skew(response)


@override_settings(SIGNED_API={**settings.SIGNED_API, "CLOCK_SKEW": 30})
def test_clock_skew_follows_the_setting(api_client, hmac_key):
    meta = signed_meta(_auth(*hmac_key, created=created_floor(-31)), "GET", URL)
    _assert_clock_skew(api_client.get(NOTES, **meta))
    meta = signed_meta(_auth(*hmac_key, created=created_ceil(-29)), "GET", URL)
    assert api_client.get(NOTES, **meta).status_code == 200


def test_expires_in_the_past_is_401_signature_expired(api_client, hmac_key):
    auth = _auth(*hmac_key, created=created_floor(-10), expires=created_floor(-2))
    assert_error(
        api_client.get(NOTES, **signed_meta(auth, "GET", URL)), "signature_expired",
        exact=True, accept_signature=True
    )


def test_expires_in_the_future_is_accepted(api_client, hmac_key):
    auth = _auth(*hmac_key, created=created_floor(-10), expires=created_ceil(+60))
    assert api_client.get(NOTES, **signed_meta(auth, "GET", URL)).status_code == 200


# -- nonce_missing, nonce_replayed ----------------------------------------------------------------


def test_signature_without_nonce_is_401_nonce_missing(api_client, hmac_key):
    meta = signed_meta(_auth(*hmac_key, nonce=False), "GET", URL)
    assert_error(api_client.get(NOTES, **meta), "nonce_missing", exact=True, accept_signature=True)


@override_settings(SIGNED_API={**settings.SIGNED_API, "REQUIRE_NONCE": False})
def test_nonce_can_be_made_optional(api_client, hmac_key):
    meta = signed_meta(_auth(*hmac_key, nonce=False), "GET", URL)
    assert api_client.get(NOTES, **meta).status_code == 200


def test_same_signed_request_twice_is_401_nonce_replayed(api_client, hmac_key):
    body = json.dumps({"text": "once"}).encode()
    meta = signed_meta(_auth(*hmac_key), "POST", URL, body)

    first = api_client.post(NOTES, data=body, content_type="application/json", **meta)
    second = api_client.post(NOTES, data=body, content_type="application/json", **meta)

    assert first.status_code == 201, first.content
    assert_error(second, "nonce_replayed", exact=True, accept_signature=True)
    assert Note.objects.count() == 1


def test_same_nonce_in_a_new_signature_is_replayed(api_client, hmac_key):
    """The nonce, not the signature bytes, is what is remembered."""
    first = signed_meta(_auth(*hmac_key, nonce="fixed-nonce-1"), "GET", URL)
    second = signed_meta(_auth(*hmac_key, nonce="fixed-nonce-1"), "GET", URL + "?page=2")
    assert api_client.get(NOTES, **first).status_code == 200
    assert_error(
        api_client.get(NOTES + "?page=2", **second), "nonce_replayed",
        exact=True, accept_signature=True
    )


def test_nonces_are_per_key(api_client, hmac_key, user):
    other_key, other_secret = ApiKey.objects.create_key(user)
    first = signed_meta(_auth(*hmac_key, nonce="shared-nonce"), "GET", URL)
    second = signed_meta(_auth(other_key, other_secret, nonce="shared-nonce"), "GET", URL)
    assert api_client.get(NOTES, **first).status_code == 200
    assert api_client.get(NOTES, **second).status_code == 200


# -- unknown_key, key_revoked, key_expired, algorithm_mismatch, user_inactive ---------------------


@pytest.mark.parametrize(
    "key_id",
    [
        pytest.param("key_doesnotexist", id="prefixed-unknown"),
        pytest.param("nope_123", id="foreign-prefix"),
        pytest.param("key_" + "x" * 200, id="too-long"),
    ],
)
def test_unknown_key_id_is_401_unknown_key(api_client, key_id):
    auth = SignatureAuth(key_id, b"s" * 32)
    assert_error(
        api_client.get(NOTES, **signed_meta(auth, "GET", URL)), "unknown_key",
        exact=True, accept_signature=True
    )


def test_revoked_key_is_401_key_revoked(api_client, hmac_key):
    key, secret = hmac_key
    key.revoke()
    assert_error(api_client.get(NOTES, **signed_meta(_auth(key, secret), "GET", URL)),
                   "key_revoked", exact=True, accept_signature=True)


def test_expired_key_is_401_key_expired(api_client, user):
    key, secret = ApiKey.objects.create_key(
        user, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_error(api_client.get(NOTES, **signed_meta(_auth(key, secret), "GET", URL)),
                   "key_expired", exact=True, accept_signature=True)


def test_key_expiring_later_is_accepted(api_client, user):
    key, secret = ApiKey.objects.create_key(user, expires_at=timezone.now() + timedelta(hours=1))
    assert api_client.get(NOTES, **signed_meta(_auth(key, secret), "GET", URL)).status_code == 200


def _ed25519_pem() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_alg_of_another_algorithm_is_401_algorithm_mismatch(api_client, hmac_key):
    key, _ = hmac_key
    auth = SignatureAuth(key.key_id, _ed25519_pem(), algorithm="ed25519")  # alg="ed25519"
    assert_error(
        api_client.get(NOTES, **signed_meta(auth, "GET", URL)), "algorithm_mismatch",
        exact=True, accept_signature=True
    )


def test_hmac_over_a_public_key_is_refused_not_confused(api_client, user):
    """The classic confusion: HMAC keyed with the server's copy of a public key."""
    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key, _ = ApiKey.objects.create_key(user, algorithm="ed25519", public_key=public_pem)
    stored = ApiKey.objects.get(pk=key.pk).public_key.encode("ascii")

    with_alg = SignatureAuth(key.key_id, stored, algorithm="hmac-sha256")
    assert_error(api_client.get(NOTES, **signed_meta(with_alg, "GET", URL)),
                   "algorithm_mismatch", exact=True, accept_signature=True)
    without_alg = SignatureAuth(key.key_id, stored, algorithm="hmac-sha256", include_alg=False)
    assert_error(api_client.get(NOTES, **signed_meta(without_alg, "GET", URL)),
                   "signature_invalid", exact=True, accept_signature=True)


def test_inactive_owner_is_401_user_inactive(api_client, hmac_key, user):
    user.is_active = False
    user.save()
    assert_error(api_client.get(NOTES, **signed_meta(_auth(*hmac_key), "GET", URL)),
                   "user_inactive", exact=True, accept_signature=True)


# -- replay_store_unavailable -------------------------------------------------------------------


def _redis_down(**options) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, **options},
    }


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="plain"),
        # Misconfigured to swallow errors (check E005): signed_api must still fail closed.
        pytest.param({"IGNORE_EXCEPTIONS": True}, id="ignore-exceptions"),
    ],
)
def test_unreachable_nonce_store_is_503_replay_store_unavailable(
    settings, api_client, hmac_key, options
):
    caches = {**settings.CACHES, "down": _redis_down(**options)}
    meta = signed_meta(_auth(*hmac_key), "GET", URL)
    with override_settings(CACHES=caches, SIGNED_API={"NONCE_CACHE": "down"}):
        response = api_client.get(NOTES, **meta)
    assert_error(
        response, "replay_store_unavailable", status=503, exact=True, accept_signature=True
    )


def test_nonce_cache_alias_repointed_by_caches_setting_is_used(
    settings, api_client, hmac_key, redis_url
):
    """A CACHES change under the same alias must reach the store (fixed in 7fd5b70: the
    shared store kept the old cache object)."""
    live = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}
    signed = {**settings.SIGNED_API, "NONCE_CACHE": "nonces"}
    meta = signed_meta(_auth(*hmac_key), "GET", URL)
    with override_settings(CACHES={**settings.CACHES, "nonces": live}, SIGNED_API=signed):
        assert api_client.get(NOTES, **signed_meta(_auth(*hmac_key), "GET", URL)).status_code == 200
        with override_settings(CACHES={**settings.CACHES, "nonces": _redis_down()}):
            response = api_client.get(NOTES, **meta)
    assert_error(
        response, "replay_store_unavailable", status=503, exact=True, accept_signature=True
    )


def test_unsigned_request_needs_no_replay_store(settings, api_client):
    caches = {**settings.CACHES, "down": _redis_down()}
    with override_settings(CACHES=caches, SIGNED_API={"NONCE_CACHE": "down"}):
        assert_error(api_client.get(NOTES), "signature_missing", exact=True, accept_signature=True)


# -- success ------------------------------------------------------------------------------------


def test_success_sets_request_user_to_the_owner_and_request_auth_to_the_key(
    signed_client, hmac_key, user
):
    key, _ = hmac_key
    response = signed_client.post(NOTES, {"text": "hello"}, format="json")

    assert response.status_code == 201, response.content
    note = Note.objects.get(pk=response.json()["id"])
    assert note.owner == user
    drf_request = response.renderer_context["request"]
    assert drf_request.user.pk == user.pk
    assert isinstance(drf_request.auth, ApiKey)
    assert drf_request.auth.pk == key.pk


def test_list_shows_only_own_notes(signed_client, user, other_user):
    mine = Note.objects.create(owner=user, text="mine")
    Note.objects.create(owner=other_user, text="theirs")

    response = signed_client.get(NOTES)

    assert response.status_code == 200
    assert [n["id"] for n in response.json()] == [mine.pk]


@pytest.mark.parametrize("method", ["get", "delete"])
def test_other_users_note_is_404(signed_client, other_user, method):
    theirs = Note.objects.create(owner=other_user, text="theirs")
    response = getattr(signed_client, method)(f"{NOTES}{theirs.pk}/")
    assert response.status_code == 404
    assert Note.objects.filter(pk=theirs.pk).exists()


def test_own_note_can_be_retrieved_and_deleted(signed_client, user):
    note = Note.objects.create(owner=user, text="mine")
    assert signed_client.get(f"{NOTES}{note.pk}/").json()["text"] == "mine"
    assert signed_client.delete(f"{NOTES}{note.pk}/").status_code == 204
    assert not Note.objects.filter(pk=note.pk).exists()


def test_several_signatures_the_known_key_is_used(api_client, hmac_key):
    """RFC 9421 §4.3: with several signatures the server verifies the one whose key it knows."""
    unknown = signed_meta(SignatureAuth("key_unknown", b"u" * 32, label="a"), "GET", URL)
    known = signed_meta(_auth(*hmac_key, label="b"), "GET", URL)
    meta = {
        name: f"{unknown[name]}, {known[name]}"
        for name in ("HTTP_SIGNATURE_INPUT", "HTTP_SIGNATURE")
    }
    assert api_client.get(NOTES, **meta).status_code == 200
