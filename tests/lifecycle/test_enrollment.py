"""Issue 5, item 5: enrollment keys. Created by ``signed_api_createenrollment``, they sign
``POST enroll/`` and nothing else; each enrolment spends one use, atomically.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from signed_api.client import decode_secret
from signed_api.models import ApiKey, EnrollmentKey
from signed_api.services import keys as key_services
from signed_api.services.keys import KeyError_
from tests.store import cold_process

from .support import (
    ENROLL,
    KEYS,
    NOTES,
    SESSIONS,
    TOTP,
    assert_error,
    body,
    ed25519_jwk,
    key_client,
    new_ed25519,
    new_p256,
    p256_jwk,
    private_pem,
    public_pem,
    race,
    run,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Looks like a PEM public key (so it passes the serializer) but holds no key.
BAD_PEM = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"

needs_row_locks = pytest.mark.skipif(
    "connection.vendor == 'sqlite'",
    reason="SQLite's shared-cache test database answers concurrent writers with 'database "
    "table is locked' instead of waiting; pass 2 runs this race on PostgreSQL",
)


def _create(uses: int = 3, days: int = 7) -> dict:
    out, _err = run("signed_api_createenrollment", "--uses", str(uses), "--expires-in",
                    str(days), "--json")
    return json.loads(out)


def _enrol_client(created: dict):
    return key_client(created["key_id"], decode_secret(created["secret"]))


def _enrol(client, **fields):
    fields.setdefault("algorithm", "hmac-sha256")
    return client.post(ENROLL, fields, format="json")


def _uses_left(created: dict) -> int:
    return EnrollmentKey.objects.get(key_id=created["key_id"]).uses_left


def _ok(client) -> None:
    response = client.get(NOTES)
    assert response.status_code == 200, (response.status_code, response.content[:300])


# -- the command -----------------------------------------------------------------------------------
def test_createenrollment_json_gives_a_secret_that_enrols(user):
    created = _create(uses=3, days=5)

    assert created["key_id"].startswith("enr_")
    assert created["uses"] == 3
    expires = datetime.fromisoformat(created["expires_at"])
    assert abs((expires - (timezone.now() + timedelta(days=5))).total_seconds()) < 60
    assert len(decode_secret(created["secret"])) == 32

    response = _enrol(_enrol_client(created), username="alice")

    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"]
    data = body(response)
    assert data["algorithm"] == "hmac-sha256"
    key = ApiKey.objects.get(key_id=data["id"])
    assert key.user == user
    _ok(key_client(data["id"], decode_secret(data["secret"])))
    assert _uses_left(created) == 2


def test_createenrollment_prints_the_secret_once_and_stores_it_encrypted(user):
    out, _err = run("signed_api_createenrollment", "--uses", "1", "--expires-in", "1")

    lines = [line for line in out.splitlines() if line.startswith("secret:")]
    assert len(lines) == 1, out
    encoded = lines[0].split(":", 1)[1].strip()
    assert out.count(encoded) == 1
    row = EnrollmentKey.objects.values().get()
    assert row["key_id"] in out
    assert not any(encoded in str(value) for value in row.values())
    assert _enrol(key_client(row["key_id"], decode_secret(encoded)),
                  username="alice").status_code == 201


@pytest.mark.parametrize("args", [["--uses", "0"], ["--uses", "2", "--expires-in", "0"]])
def test_createenrollment_refuses_nonsense(args):
    with pytest.raises(CommandError):
        run("signed_api_createenrollment", *args)
    assert not EnrollmentKey.objects.exists()


# -- enrolling a public key ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("algorithm", "new_private", "as_public"),
    [
        ("ed25519", new_ed25519, public_pem),
        ("ed25519", new_ed25519, ed25519_jwk),
        ("ecdsa-p256-sha256", new_p256, p256_jwk),
    ],
    ids=["ed25519-pem", "ed25519-jwk", "p256-jwk"],
)
def test_enrol_a_public_key(user, algorithm, new_private, as_public):
    created = _create()
    private = new_private()

    response = _enrol(_enrol_client(created), username="alice", algorithm=algorithm,
                      public_key=as_public(private), name="phone")

    assert response.status_code == 201, response.content
    data = body(response)
    assert "secret" not in data
    assert data["name"] == "phone"
    assert ApiKey.objects.get(key_id=data["id"]).user == user
    _ok(key_client(data["id"], private, algorithm))


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "nobody"},
        {"username": "inactive"},
        {},
        {"username": "alice", "algorithm": "ed25519"},
        {"username": "alice", "algorithm": "ed25519", "public_key": "x"},
        {"username": "alice", "algorithm": "ed25519",
         "public_key": BAD_PEM},
        {"username": "alice", "algorithm": "ed25519",
         "public_key": ed25519_jwk(new_ed25519(), include_private=True)},
        {"username": "alice", "algorithm": "ed25519", "public_key": private_pem(new_ed25519())},
    ],
    ids=["unknown-user", "inactive-user", "no-username", "no-public-key", "garbage-key",
         "bad-pem", "jwk-with-d", "private-pem"],
)
def test_a_refused_enrolment_is_a_400_and_spends_no_use(user, django_user_model, fields):
    django_user_model.objects.create_user("inactive", password="x", is_active=False)
    created = _create(uses=1)
    client = _enrol_client(created)

    response = client.post(ENROLL, fields, format="json")

    assert response.status_code == 400, (response.status_code, response.content[:300])
    if fields.get("username") in ("nobody", "inactive"):
        assert_error(response, "unknown_user", 400)
    assert _uses_left(created) == 1
    assert not ApiKey.objects.exists()
    # The one use is still there.
    assert _enrol(client, username="alice").status_code == 201
    assert _uses_left(created) == 0


# -- counting uses ---------------------------------------------------------------------------------
def test_two_uses_then_the_third_enrolment_is_refused(user):
    created = _create(uses=2)
    client = _enrol_client(created)

    assert _enrol(client, username="alice").status_code == 201
    assert _enrol(client, username="alice").status_code == 201
    third = _enrol(client, username="alice")

    assert third.status_code in (401, 403), (third.status_code, third.content[:300])
    assert ApiKey.objects.count() == 2
    assert _uses_left(created) == 0
    assert EnrollmentKey.objects.get(key_id=created["key_id"]).status == "used up"


def test_the_third_enrolment_of_a_two_use_key_is_403(user):
    created = _create(uses=2)
    client = _enrol_client(created)
    for _ in range(2):
        assert _enrol(client, username="alice").status_code == 201

    assert_error(_enrol(client, username="alice"), "enrollment_used_up", 403)


@needs_row_locks
def test_threads_racing_on_three_uses_enrol_exactly_three_times(user):
    created = _create(uses=3)
    secret = decode_secret(created["secret"])
    threads = 8

    def attempt(_i: int) -> int:
        client = key_client(created["key_id"], secret)
        return _enrol(client, username="alice").status_code

    results = race(attempt, threads)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count(201) == 3, (connection.vendor, results)
    assert all(r in (401, 403) for r in results if r != 201), results
    assert ApiKey.objects.filter(user=user).count() == 3
    assert _uses_left(created) == 0


@needs_row_locks
def test_threads_racing_through_the_service_enrol_exactly_three_times(user):
    enrollment, _secret = key_services.create_enrollment_key(uses=3)

    def attempt(_i: int):
        key, _secret = key_services.enroll(enrollment, username="alice")
        return key.key_id

    results = race(attempt, 8)

    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if not isinstance(r, str)]
    assert len(winners) == 3, results
    assert all(isinstance(r, KeyError_) and r.code == "enrollment_used_up" for r in losers), losers
    assert EnrollmentKey.objects.get(pk=enrollment.pk).uses_left == 0


# -- an enrollment key does nothing else -----------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "code"),
    [("get", NOTES, "scope_missing"), ("post", NOTES, "scope_missing"),
     # Account security needs a session, whatever signs (docs/sessions.md).
     ("get", SESSIONS, "session_required"), ("delete", SESSIONS, "session_required"),
     ("get", KEYS, "session_required"), ("post", KEYS, "session_required"),
     ("post", TOTP, "session_required")],
)
def test_an_enrollment_key_signing_anything_else_is_403(user, method, path, code):
    created = _create(uses=2)

    response = getattr(_enrol_client(created), method)(path, {"text": "x"}, format="json")

    assert_error(response, code, 403, exact=True)
    if code == "session_required":  # it is told what signed, not that it was an API key
        assert response.json()["detail"].endswith("not by an enrollment key.")
    assert _uses_left(created) == 2
    assert not ApiKey.objects.exists()


def test_only_an_enrollment_key_can_enrol(user, session_signed):
    key, secret = key_services.create_api_key(user, scopes=["enroll"])

    assert_error(_enrol(session_signed, username="alice"), "scope_missing", 403, exact=True)
    assert_error(_enrol(key_client(key.key_id, secret), username="alice"),
                       "scope_missing", 403, exact=True)
    assert ApiKey.objects.count() == 1


def test_an_unsigned_enrolment_is_401(user, api_client):
    assert_error(_enrol(api_client, username="alice"), "signature_missing", 401, exact=True)


# -- expired, revoked, wrong secret ----------------------------------------------------------------
def test_an_expired_enrollment_key_is_401(user):
    created = _create(uses=3)
    client = _enrol_client(created)
    assert _enrol(client, username="alice").status_code == 201  # cached now

    EnrollmentKey.objects.filter(key_id=created["key_id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    cold_process()  # a process that reads the key afresh

    assert_error(_enrol(client, username="alice"), "key_expired", 401, exact=True)
    assert _uses_left(created) == 2


def test_a_revoked_enrollment_key_is_401_at_once(user):
    created = _create(uses=3)
    client = _enrol_client(created)
    assert _enrol(client, username="alice").status_code == 201  # cached now

    EnrollmentKey.objects.get(key_id=created["key_id"]).revoke()

    assert_error(_enrol(client, username="alice"), "key_revoked", 401, exact=True)
    assert _uses_left(created) == 2
    assert ApiKey.objects.count() == 1


def test_a_wrong_secret_is_401(user):
    created = _create(uses=3)
    client = key_client(created["key_id"], b"\x01" * 32)
    assert_error(_enrol(client, username="alice"), "signature_invalid", 401, exact=True)
    assert _uses_left(created) == 3


# -- the service, without HTTP ---------------------------------------------------------------------
def test_the_service_counts_uses_and_refuses_the_one_too_many(user):
    enrollment, secret = key_services.create_enrollment_key(uses=2)
    assert len(secret) == 32

    first, first_secret = key_services.enroll(enrollment, username="alice")
    second, _ = key_services.enroll(enrollment, username="alice", name="tablet")
    with pytest.raises(KeyError_) as refused:
        key_services.enroll(enrollment, username="alice")

    assert refused.value.code == "enrollment_used_up"
    assert {first.user, second.user} == {user}
    assert second.name == "tablet"
    assert EnrollmentKey.objects.get(pk=enrollment.pk).uses_left == 0
    assert ApiKey.objects.count() == 2
    _ok(key_client(first.key_id, first_secret))


def test_the_service_spends_no_use_on_an_unknown_or_inactive_user_or_a_bad_key(
    user, django_user_model
):
    django_user_model.objects.create_user("inactive", password="x", is_active=False)
    enrollment, _secret = key_services.create_enrollment_key(uses=1)

    for username in ("nobody", "inactive"):
        with pytest.raises(KeyError_) as refused:
            key_services.enroll(enrollment, username=username)
        assert refused.value.code == "unknown_user"
    with pytest.raises(KeyError_) as refused:
        key_services.enroll(enrollment, username="alice", algorithm="ed25519",
                            public_key=BAD_PEM.encode())
    assert refused.value.code == "invalid_key"

    assert EnrollmentKey.objects.get(pk=enrollment.pk).uses_left == 1
    assert not ApiKey.objects.exists()
    private = new_ed25519()
    key, secret = key_services.enroll(enrollment, username="alice", algorithm="ed25519",
                                      public_key=public_pem(private))
    assert secret is None
    _ok(key_client(key.key_id, private, "ed25519"))


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_the_service_never_enrols_a_staff_account(django_user_model, flag):
    django_user_model.objects.create_user("root", password="x", **{flag: True})
    enrollment, _secret = key_services.create_enrollment_key(uses=1)

    with pytest.raises(KeyError_) as refused:
        key_services.enroll(enrollment, username="root")

    assert refused.value.code == "staff_not_enrollable"
    assert EnrollmentKey.objects.get(pk=enrollment.pk).uses_left == 1
    assert not ApiKey.objects.exists()


def test_enrolling_a_staff_account_over_http_is_a_400(user, django_user_model):
    django_user_model.objects.create_user("root", password="x", is_staff=True)
    created = _create(uses=1)

    assert_error(_enrol(_enrol_client(created), username="root"), "staff_not_enrollable", 400)
    assert _uses_left(created) == 1
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_the_service_refuses_an_expired_or_revoked_enrollment_key(user, how):
    enrollment, _secret = key_services.create_enrollment_key(uses=5)
    if how == "expired":
        EnrollmentKey.objects.filter(pk=enrollment.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        enrollment.revoke()

    with pytest.raises(KeyError_) as refused:
        key_services.enroll(enrollment, username="alice")

    assert refused.value.code == "enrollment_used_up"
    assert EnrollmentKey.objects.get(pk=enrollment.pk).uses_left == 5
    assert EnrollmentKey.objects.get(pk=enrollment.pk).status == how
