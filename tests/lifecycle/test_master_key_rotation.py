"""Issue 5, item 7: ``signed_api_rotate_master_key``. Every kind of stored secret (API key
secrets current and previous, session secrets, enrollment key secrets, TOTP seeds) is sealed
under master key A; with ``MASTER_KEYS = [B, A]`` the command re-seals them under B, and with
``[B]`` alone every one of them still works. The command is idempotent, safe to re-run after an
interruption, and refuses to write anything it cannot decrypt; an undecryptable row makes a
request fail with a 401, never a 500.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from signed_api import credentials, ohttp_keys, state
from signed_api.client import SignatureAuth, decode_secret
from signed_api.core.keyring import Keyring
from signed_api.models import ApiKey, EnrollmentKey, OHTTPKey, Session, TOTPDevice
from signed_api.services import keys as key_services
from tests.store import cold_process

from .support import (
    ENROLL,
    NOTES,
    PASSWORD,
    SESSIONS,
    assert_error,
    body,
    enrol_totp,
    fresh_code,
    key_client,
    login,
    run,
    session_client,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _master(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).rstrip(b"=").decode()


A, B, C = _master(0xA1), _master(0xB2), _master(0xC3)
SEALED = {
    ApiKey: ("secret_encrypted", "previous_secret_encrypted"),
    Session: ("secret_encrypted",),
    EnrollmentKey: ("secret_encrypted",),
    TOTPDevice: ("seed_encrypted",),
    OHTTPKey: ("private_key_encrypted",),
}
COUNTS = re.compile(r"^(?P<what>.+): (?P<n>\d+) re-encrypted$", re.MULTILINE)


def _kid(master: str) -> str:
    """The keyring id a token sealed under ``master`` carries (``v1.<kid>.<data>``)."""
    return Keyring([base64.urlsafe_b64decode(master + "=")]).primary_id


def _use(settings, *masters: str) -> None:
    # Keep the nonce cache alias of tests/settings.py: only MASTER_KEYS changes.
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": list(masters)}


def _sealed() -> dict:
    """Every stored sealed value: ``{(model, pk, field): token}`` (empty ones left out)."""
    values = {}
    for model, fields in SEALED.items():
        for row in model.objects.values("pk", *fields):
            for field in fields:
                if row[field]:
                    values[(model.__name__, row["pk"], field)] = row[field]
    return values


def _kids() -> set[str]:
    return {token.split(".")[1] for token in _sealed().values()}


def _rotate(*args) -> dict[str, int]:
    out, _err = run("signed_api_rotate_master_key", *args)
    counts = {m["what"]: int(m["n"]) for m in COUNTS.finditer(out)}
    assert set(counts) == {"API keys", "sessions", "enrollment keys", "TOTP devices",
                           "OHTTP gateway keys"}, out
    total = re.search(r"done: (\d+) row", out)
    assert total is not None, out
    assert int(total.group(1)) == sum(counts.values())
    return counts


def _ok(response, status: int = 200) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])


@pytest.fixture
def world(settings, user):
    """Under MASTER_KEYS=[A]: a rotated hmac key (so a previous secret is stored), a session,
    an enrollment key, a confirmed TOTP device of alice and a stored gateway key."""
    _use(settings, A)
    key, previous = key_services.create_api_key(user, name="rotated")
    current = key_services.rotate_api_key(key)
    session = login("alice", PASSWORD)
    enrollment, enrollment_secret = key_services.create_enrollment_key(uses=3)
    authenticator = enrol_totp(session_client(session))
    run("signed_api_ohttp_keys", "generate", "--key-id", "7")
    assert _kids() == {_kid(A)}
    assert len(_sealed()) == 6
    return {
        "key": key, "current": current, "previous": previous, "session": session,
        "enrollment": enrollment, "enrollment_secret": enrollment_secret,
        "authenticator": authenticator, "user": user,
    }


def _assert_everything_works(world) -> None:
    key = world["key"]
    _ok(key_client(key.key_id, world["current"]).get(NOTES))
    _ok(key_client(key.key_id, world["previous"]).get(NOTES))
    _ok(session_client(world["session"]).get(SESSIONS))
    # The enrollment key's secret opens and verifies what its holder signs.
    credential = credentials.load_credential(world["enrollment"].key_id)
    mac = SignatureAuth("x", world["enrollment_secret"])._key.sign(b"base")
    credential.verifying_key.verify(b"base", mac)
    # A login with the second factor: the TOTP seed opens.
    pending = APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD},
                               format="json")
    _ok(pending, 202)
    code = fresh_code(world["authenticator"], world["user"])
    done = APIClient().post(f"{SESSIONS}{body(pending)['id']}/verify/",
                            {"challenge_token": body(pending)["challenge_token"], "code": code},
                            format="json")
    _ok(done, 201)
    _ok(session_client(body(done)).get(NOTES))
    # The stored gateway key opens (a key that does not is left out of the gateway's keys).
    ohttp_keys.reset()
    assert 7 in ohttp_keys.gateway_keys()


# -- the rotation ----------------------------------------------------------------------------------
def test_rotate_then_drop_the_old_master_key_and_every_secret_still_works(settings, world):
    _use(settings, B, A)
    # Before the command A still opens everything (the TOTP login here adds a session that
    # is sealed under B already, so the command finds one session to re-seal, not two).
    _assert_everything_works(world)

    counts = _rotate()

    assert counts == {"API keys": 1, "sessions": 1, "enrollment keys": 1, "TOTP devices": 1,
                      "OHTTP gateway keys": 1}
    assert _kids() == {_kid(B)}
    _use(settings, B)
    _assert_everything_works(world)


def test_running_it_again_changes_nothing(settings, world):
    _use(settings, B, A)
    _rotate()
    before = _sealed()

    assert set(_rotate().values()) == {0}
    _use(settings, B)
    assert set(_rotate().values()) == {0}

    assert _sealed() == before


def test_new_secrets_are_sealed_under_the_newest_master_key_at_once(settings, world):
    _use(settings, B, A)
    key, secret = key_services.create_api_key(world["user"])

    token = ApiKey.objects.get(pk=key.pk).secret_encrypted
    assert token.split(".")[1] == _kid(B)
    assert _rotate()["API keys"] == 1  # only the old key
    _use(settings, B)
    _ok(key_client(key.key_id, secret).get(NOTES))


def test_an_interrupted_rotation_is_finished_by_running_it_again(settings, world):
    """Half done (the session already under B), then small batches finish the rest."""
    _use(settings, B, A)
    for _ in range(3):
        key_services.create_api_key(world["user"])  # sealed under B already
    # Three more under A, so the API key batches of one hold work and no work.
    _use(settings, A)
    for _ in range(3):
        key_services.create_api_key(world["user"])
    _use(settings, B, A)
    ring = state.keyring()
    session = Session.objects.get(key_id=world["session"]["id"])
    Session.objects.filter(pk=session.pk).update(
        secret_encrypted=ring.encrypt(
            ring.decrypt(session.secret_encrypted, context=session._context),
            context=session._context,
        )
    )

    counts = _rotate("--batch-size", "1")

    assert counts["API keys"] == 4
    assert counts["sessions"] == 0  # re-sealed by hand above, as if a first run got that far
    assert counts["enrollment keys"] == 1
    assert counts["TOTP devices"] == 1
    assert _kids() == {_kid(B)}
    _use(settings, B)
    _assert_everything_works(world)


def test_an_unknown_master_key_fails_clearly_and_writes_nothing(settings, world):
    before = _sealed()
    _use(settings, C)

    with pytest.raises(CommandError) as failed:
        run("signed_api_rotate_master_key")

    message = str(failed.value)
    assert "could not be decrypted" in message
    assert "MASTER_KEYS" in message
    assert _sealed() == before


def test_a_row_it_cannot_decrypt_is_reported_and_the_rest_is_rotated(settings, world):
    _use(settings, B, A)
    ApiKey.objects.filter(pk=world["key"].pk).update(
        previous_secret_encrypted="v1.00000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    )

    with pytest.raises(CommandError, match="1 secret"):
        run("signed_api_rotate_master_key")

    tokens = _sealed()
    bad = ("ApiKey", world["key"].pk, "previous_secret_encrypted")
    assert tokens.pop(bad).startswith("v1.00000000.")
    assert {t.split(".")[1] for t in tokens.values()} == {_kid(B)}


# -- an undecryptable row is a 401, never a 500 ----------------------------------------------------
def test_with_an_unknown_master_key_requests_are_401(settings, world):
    _use(settings, C)
    key = world["key"]

    assert_error(key_client(key.key_id, world["current"]).get(NOTES), "unknown_key", exact=True)
    assert_error(key_client(key.key_id, world["previous"]).get(NOTES), "unknown_key", exact=True)
    assert_error(session_client(world["session"]).get(SESSIONS), "unknown_key", exact=True)
    enrol = key_client(world["enrollment"].key_id, world["enrollment_secret"])
    assert_error(
        enrol.post(ENROLL, {"username": "alice"}, format="json"), "unknown_key", exact=True
    )


@pytest.mark.parametrize(
    "token",
    [
        "v1.00000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # an unknown master key
        "not a token",
        "",
    ],
    ids=["unknown-master", "garbage", "empty"],
)
def test_a_row_that_cannot_decrypt_makes_its_requests_401(settings, world, token):
    _use(settings, B, A)
    _rotate()
    _use(settings, B)
    key = world["key"]
    ApiKey.objects.filter(pk=key.pk).update(secret_encrypted=token)
    Session.objects.filter(key_id=world["session"]["id"]).update(secret_encrypted=token)
    cold_process()

    assert_error(key_client(key.key_id, world["current"]).get(NOTES), "unknown_key", exact=True)
    assert_error(session_client(world["session"]).get(SESSIONS), "unknown_key", exact=True)


def test_a_secret_swapped_in_from_another_row_does_not_open(settings, world):
    """The context binds each sealed value to its row: a copied token is as good as none."""
    other, other_secret = key_services.create_api_key(world["user"])
    stolen = ApiKey.objects.get(pk=other.pk).secret_encrypted
    ApiKey.objects.filter(pk=world["key"].pk).update(secret_encrypted=stolen)
    cold_process()

    assert_error(
        key_client(world["key"].key_id, other_secret).get(NOTES), "unknown_key", exact=True
    )
    _ok(key_client(other.key_id, other_secret).get(NOTES))


def test_a_totp_seed_that_cannot_decrypt_is_not_a_500(settings, world):
    _use(settings, B)  # A is gone and the command never ran: the seed does not open
    pending = APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD},
                               format="json")
    assert pending.status_code == 202
    client = APIClient()
    client.raise_request_exception = False

    response = client.post(f"{SESSIONS}{body(pending)['id']}/verify/",
                           {"challenge_token": body(pending)["challenge_token"],
                            "code": world["authenticator"].now()}, format="json")

    assert response.status_code != 500
    assert 400 <= response.status_code < 500, response.status_code
    signed = session_client(world["session"])
    signed.raise_request_exception = False
    removed = signed.delete("/api/auth/totp/", {"code": world["authenticator"].now()},
                            format="json")
    assert 400 <= removed.status_code < 500, removed.status_code


def test_the_enrollment_key_enrols_after_the_old_master_key_is_gone(settings, world):
    _use(settings, B, A)
    _rotate()
    _use(settings, B)
    client = key_client(world["enrollment"].key_id, world["enrollment_secret"])

    response = client.post(ENROLL, {"username": "alice"}, format="json")

    _ok(response, 201)
    _ok(key_client(body(response)["id"], decode_secret(body(response)["secret"])).get(NOTES))
