"""Issue 5, item 1: rotation with overlap, the rotate/revoke commands, irreversible revocation.

The previous secret (or public key) of a rotated key keeps verifying until
``previous_valid_until`` and never after; a request's response is signed with the secret that
request used. Time is moved by editing ``previous_valid_until`` in the database (then saving, so
every process reloads), or through ``Credential.key_for(now)``, which takes the time as input.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from signed_api import credentials
from signed_api.client import SignatureAuth, decode_secret
from signed_api.core import KeyChain, SignatureError
from signed_api.models import ApiKey, SecurityEvent
from signed_api.services import keys as key_services
from signed_api.services.keys import KeyError_
from tests.store import cold_process

from .support import (
    NOTES,
    assert_error,
    get_signed,
    key_client,
    new_ed25519,
    new_p256,
    private_pem,
    public_pem,
    run,
)

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(hours=24)


def _ok(client) -> None:
    response = client.get(NOTES)
    assert response.status_code == 200, (response.status_code, response.content[:300])


def _refused(client, code: str) -> None:
    assert_error(client.get(NOTES), code, exact=True)


def _close_to(when: datetime, expected: datetime, slack: float = 30.0) -> bool:
    return abs((when - expected).total_seconds()) <= slack


# -- overlap ---------------------------------------------------------------------------------------
def test_after_rotation_the_new_and_the_old_secret_both_verify(hmac_key):
    key, old = hmac_key
    old_client = key_client(key.key_id, old)
    _ok(old_client)  # the key is now cached in this process

    new = key_services.rotate_api_key(key)

    assert isinstance(new, bytes)
    assert len(new) == 32
    assert new != old
    _ok(key_client(key.key_id, new))
    _ok(old_client)
    cold_process()  # a process that never saw the key before the rotation
    _ok(old_client)
    _ok(key_client(key.key_id, new))
    key.refresh_from_db()
    assert key.status == "rotating"
    assert key.rotated_at is not None
    # KEY_ROTATION_GRACE defaults to 24 hours.
    assert _close_to(key.previous_valid_until, timezone.now() + DAY)


def test_the_grace_period_comes_from_the_setting(hmac_key, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "KEY_ROTATION_GRACE": 2 * 3600}
    key, _old = hmac_key

    key_services.rotate_api_key(key)

    key.refresh_from_db()
    assert _close_to(key.previous_valid_until, timezone.now() + timedelta(hours=2))


def test_the_response_is_signed_with_the_secret_the_request_used(hmac_key):
    key, old = hmac_key
    new = key_services.rotate_api_key(key)
    old_auth = SignatureAuth(key.key_id, old)
    new_auth = SignatureAuth(key.key_id, new)
    client = key_client(key.key_id, old).sign_with(None)

    response, received = get_signed(client, old_auth, NOTES)
    assert response.status_code == 200
    old_auth.verify_response(received)
    with pytest.raises(SignatureError):
        new_auth.verify_response(received)

    response, received = get_signed(client, new_auth, NOTES)
    assert response.status_code == 200
    new_auth.verify_response(received)
    with pytest.raises(SignatureError):
        old_auth.verify_response(received)


def test_grace_zero_refuses_the_old_secret_at_once_even_when_cached(hmac_key):
    key, old = hmac_key
    old_client = key_client(key.key_id, old)
    _ok(old_client)

    new = key_services.rotate_api_key(key, grace=timedelta(0))

    _refused(old_client, "signature_invalid")
    _ok(key_client(key.key_id, new))
    key.refresh_from_db()
    assert key.status == "active"


def test_once_the_overlap_ends_the_old_secret_is_refused_and_the_status_is_active(hmac_key):
    key, old = hmac_key
    new = key_services.rotate_api_key(key)
    old_client = key_client(key.key_id, old)
    _ok(old_client)

    # The deadline passes: move it into the past, then save so every process reloads the key.
    ApiKey.objects.filter(pk=key.pk).update(
        previous_valid_until=timezone.now() - timedelta(seconds=1)
    )
    key.refresh_from_db()
    key.save()

    _refused(old_client, "signature_invalid")
    _ok(key_client(key.key_id, new))
    cold_process()
    _refused(old_client, "signature_invalid")
    key.refresh_from_db()
    assert key.status == "active"
    assert key.previous_verifying_key() is None


def test_a_cached_credential_stops_chaining_the_previous_key_at_its_deadline(hmac_key):
    """``Credential.key_for(now)``: the overlap ends by the clock, not by a reload."""
    key, old = hmac_key
    new = key_services.rotate_api_key(key)
    credential = credentials.resolve(key.key_id)
    assert credential.previous_until is not None
    deadline = credential.previous_until

    during = credential.key_for(deadline - 1)
    after = credential.key_for(deadline)
    later = credential.key_for(deadline + 3600)

    assert isinstance(during, KeyChain)
    assert len(during.keys) == 2
    assert after is credential.verifying_key
    assert later is credential.verifying_key
    data = b"signature base"
    old_mac = SignatureAuth(key.key_id, old)._key.sign(data)
    new_mac = SignatureAuth(key.key_id, new)._key.sign(data)
    during.verify(data, old_mac)
    during.verify(data, new_mac)
    after.verify(data, new_mac)
    with pytest.raises(SignatureError) as refused:
        after.verify(data, old_mac)
    assert refused.value.code == "signature_invalid"


def test_a_rotation_within_the_overlap_keeps_the_secret_clients_hold(hmac_key):
    """A repeat (a double submission in the admin, a retried call) replaced the previous secret
    with the one of the first rotation, which nobody had deployed: the secret every client held
    stopped verifying at once (found by an attack review). The previous one is kept; the
    intermediate secret is replaced."""
    key, first = hmac_key
    second = key_services.rotate_api_key(key)
    third = key_services.rotate_api_key(key)

    _ok(key_client(key.key_id, first))  # what the clients hold
    _refused(key_client(key.key_id, second), "signature_invalid")
    _ok(key_client(key.key_id, third))
    [repeat] = SecurityEvent.objects.filter(kind=SecurityEvent.KEY_ROTATED).order_by("-pk")[:1]
    assert repeat.detail["kept_previous"] is True


def test_a_rotation_within_the_overlap_gives_the_held_secret_the_new_grace(hmac_key):
    """The runbook's "rotate again with a longer grace": the secret clients hold gets it."""
    key, first = hmac_key
    key_services.rotate_api_key(key, grace=timedelta(hours=1))
    key_services.rotate_api_key(key, grace=timedelta(hours=72))
    key.refresh_from_db()
    assert _close_to(key.previous_valid_until, timezone.now() + timedelta(hours=72))
    _ok(key_client(key.key_id, first))
    key_services.rotate_api_key(key, grace=timedelta(0))  # and a grace of 0 ends it at once
    _refused(key_client(key.key_id, first), "signature_invalid")


def test_a_rotation_after_the_overlap_ended_moves_the_current_secret_to_previous(hmac_key):
    key, first = hmac_key
    second = key_services.rotate_api_key(key, grace=timedelta(0))
    third = key_services.rotate_api_key(key)

    _refused(key_client(key.key_id, first), "signature_invalid")
    _ok(key_client(key.key_id, second))
    _ok(key_client(key.key_id, third))


def test_a_public_key_rotation_within_the_overlap_keeps_the_key_clients_hold(user):
    first, second, third = new_ed25519(), new_ed25519(), new_ed25519()
    key, _ = key_services.create_api_key(user, algorithm="ed25519", public_key=public_pem(first))
    key_services.rotate_api_key(key, public_key=public_pem(second))
    key_services.rotate_api_key(key, public_key=public_pem(third))
    _ok(key_client(key.key_id, first, "ed25519"))
    _refused(key_client(key.key_id, second, "ed25519"), "signature_invalid")
    _ok(key_client(key.key_id, third, "ed25519"))


# -- what cannot be rotated ------------------------------------------------------------------------
def test_rotating_a_revoked_key_fails_and_changes_nothing(hmac_key):
    key, secret = hmac_key
    key_services.revoke_api_key(key)
    before = ApiKey.objects.get(pk=key.pk)

    with pytest.raises(KeyError_) as failed:
        key_services.rotate_api_key(key)

    assert failed.value.code == "key_revoked"
    after = ApiKey.objects.get(pk=key.pk)
    assert after.secret_encrypted == before.secret_encrypted
    assert after.previous_secret_encrypted == ""
    assert after.previous_valid_until is None
    _refused(key_client(key.key_id, secret), "key_revoked")


def test_a_negative_grace_is_refused(hmac_key):
    key, secret = hmac_key
    with pytest.raises(KeyError_) as failed:
        key_services.rotate_api_key(key, grace=timedelta(hours=-1))
    assert (failed.value.code, failed.value.http_status) == ("invalid_grace", 400)
    _ok(key_client(key.key_id, secret))


def test_an_hmac_key_cannot_be_rotated_to_a_public_key(hmac_key):
    key, secret = hmac_key
    with pytest.raises(KeyError_) as failed:
        key_services.rotate_api_key(key, public_key=public_pem(new_ed25519()))
    assert (failed.value.code, failed.value.http_status) == ("invalid_key", 400)
    _ok(key_client(key.key_id, secret))
    assert ApiKey.objects.get(pk=key.pk).previous_valid_until is None


@pytest.mark.parametrize(
    ("algorithm", "new_private"), [("ed25519", new_ed25519), ("ecdsa-p256-sha256", new_p256)]
)
def test_a_public_key_rotation_needs_the_new_public_key_and_keeps_the_old_one_for_the_grace(
    user, algorithm, new_private
):
    first = new_private()
    key, secret = key_services.create_api_key(user, algorithm=algorithm,
                                              public_key=public_pem(first))
    assert secret is None

    with pytest.raises(KeyError_) as failed:
        key_services.rotate_api_key(key)
    assert (failed.value.code, failed.value.http_status) == ("invalid_key", 400)
    with pytest.raises(KeyError_):
        key_services.rotate_api_key(key, public_key=private_pem(new_private()))
    assert ApiKey.objects.get(pk=key.pk).previous_valid_until is None

    second = new_private()
    assert key_services.rotate_api_key(key, public_key=public_pem(second)) is None
    _ok(key_client(key.key_id, second, algorithm))
    _ok(key_client(key.key_id, first, algorithm))
    assert ApiKey.objects.get(pk=key.pk).status == "rotating"

    third = new_private()
    key_services.rotate_api_key(key, public_key=public_pem(third), grace=timedelta(0))
    _ok(key_client(key.key_id, third, algorithm))
    _refused(key_client(key.key_id, second, algorithm), "signature_invalid")
    _refused(key_client(key.key_id, first, algorithm), "signature_invalid")


# -- signed_api_rotatekey --------------------------------------------------------------------------
def test_rotatekey_prints_the_new_secret_once_and_it_works(hmac_key):
    key, old = hmac_key
    _ok(key_client(key.key_id, old))

    out, _err = run("signed_api_rotatekey", key.key_id)

    lines = [line for line in out.splitlines() if line.startswith("new secret:")]
    assert len(lines) == 1, out
    encoded = lines[0].split(":", 1)[1].strip()
    new = decode_secret(encoded)
    assert len(new) == 32
    assert out.count(encoded) == 1
    assert key.key_id in out
    _ok(key_client(key.key_id, new))
    _ok(key_client(key.key_id, old))
    # Nowhere at rest in the clear.
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert not any(encoded in str(value) for value in row.values())


def test_rotatekey_json(hmac_key):
    key, old = hmac_key

    out, _err = run("signed_api_rotatekey", key.key_id, "--grace", "2", "--json")

    data = json.loads(out)
    assert {"key_id", "secret", "previous_valid_until"} <= set(data)
    assert data["key_id"] == key.key_id
    new = decode_secret(data["secret"])
    assert len(new) == 32
    until = datetime.fromisoformat(data["previous_valid_until"])
    assert _close_to(until, timezone.now() + timedelta(hours=2))
    assert until == ApiKey.objects.get(pk=key.pk).previous_valid_until
    _ok(key_client(key.key_id, new))
    _ok(key_client(key.key_id, old))


def test_rotatekey_twice_gives_two_different_secrets_and_keeps_the_held_one(hmac_key):
    key, old = hmac_key
    first = json.loads(run("signed_api_rotatekey", key.key_id, "--json")[0])["secret"]
    second = json.loads(run("signed_api_rotatekey", key.key_id, "--json")[0])["secret"]
    assert first != second
    _refused(key_client(key.key_id, decode_secret(first)), "signature_invalid")
    _ok(key_client(key.key_id, decode_secret(second)))
    _ok(key_client(key.key_id, old))


def test_rotatekey_grace_zero_ends_the_old_secret_at_once(hmac_key):
    key, old = hmac_key
    old_client = key_client(key.key_id, old)
    _ok(old_client)

    data = json.loads(run("signed_api_rotatekey", key.key_id, "--grace", "0", "--json")[0])

    _refused(old_client, "signature_invalid")
    _ok(key_client(key.key_id, decode_secret(data["secret"])))
    assert ApiKey.objects.get(pk=key.pk).status == "active"


def test_rotatekey_with_a_public_key_file(user, tmp_path):
    first, second = new_ed25519(), new_ed25519()
    key, _ = key_services.create_api_key(user, algorithm="ed25519", public_key=public_pem(first))
    with pytest.raises(CommandError):
        run("signed_api_rotatekey", key.key_id)
    pem_file = tmp_path / "new.pem"
    pem_file.write_text(public_pem(second))

    data = json.loads(
        run("signed_api_rotatekey", key.key_id, "--public-key", str(pem_file), "--json")[0]
    )

    assert data["secret"] is None
    _ok(key_client(key.key_id, second, "ed25519"))
    _ok(key_client(key.key_id, first, "ed25519"))


@pytest.mark.parametrize("args", [["--grace", "-1"], []])
def test_rotatekey_refuses_a_negative_grace_an_unknown_or_a_revoked_key(hmac_key, args):
    key, secret = hmac_key
    with pytest.raises(CommandError, match="no key"):
        run("signed_api_rotatekey", "key_doesnotexist", *args)
    if args:
        with pytest.raises(CommandError, match="negative"):
            run("signed_api_rotatekey", key.key_id, *args)
        _ok(key_client(key.key_id, secret))
        return
    key_services.revoke_api_key(key)
    with pytest.raises(CommandError, match="revoked"):
        run("signed_api_rotatekey", key.key_id)


# -- signed_api_revokekey and irreversibility ------------------------------------------------------
def test_revokekey_revokes_at_once_and_says_so_when_run_again(hmac_key):
    key, secret = hmac_key
    client = key_client(key.key_id, secret)
    _ok(client)  # cached in this process

    out, _err = run("signed_api_revokekey", key.key_id)

    assert "revoked" in out
    assert key.key_id in out
    _refused(client, "key_revoked")
    assert ApiKey.objects.get(pk=key.pk).status == "revoked"
    again, _err = run("signed_api_revokekey", key.key_id)
    assert "already revoked" in again
    assert SecurityEvent.objects.filter(kind="key_revoked", key_id=key.key_id).count() == 1
    with pytest.raises(CommandError, match="no key"):
        run("signed_api_revokekey", "key_doesnotexist")


def test_revoking_a_rotating_key_ends_the_previous_secret_too(hmac_key):
    key, old = hmac_key
    new = key_services.rotate_api_key(key)
    run("signed_api_revokekey", key.key_id)
    _refused(key_client(key.key_id, old), "key_revoked")
    _refused(key_client(key.key_id, new), "key_revoked")


def test_revocation_is_irreversible_in_code(hmac_key):
    key, secret = hmac_key
    assert key_services.revoke_api_key(key) is True
    assert key_services.revoke_api_key(key) is False
    key.refresh_from_db()
    revoked_at = key.revoked_at
    assert revoked_at is not None

    key.revoked_at = None
    with pytest.raises(ValueError):
        key.save()
    key.revoked_at = revoked_at + timedelta(days=1)
    with pytest.raises(ValueError):
        key.save(update_fields=["revoked_at"])

    assert ApiKey.objects.get(pk=key.pk).revoked_at == revoked_at
    with pytest.raises(KeyError_):
        key_services.extend_expiry(key, timezone.now() + DAY)
    _refused(key_client(key.key_id, secret), "key_revoked")


@pytest.mark.parametrize("grace", ["nan", "inf", "-inf", "1e10", "2161"])
def test_rotatekey_refuses_a_grace_that_is_no_number_of_hours_or_over_90_days(hmac_key, grace):
    """``--grace nan|inf|1e10`` was a ValueError or OverflowError traceback, and ``2e7`` was
    taken (the old secret valid until the year 4308); the endpoint caps it at 90 days."""
    key, secret = hmac_key
    before = ApiKey.objects.get(pk=key.pk).secret_encrypted
    with pytest.raises(CommandError, match="grace"):
        run("signed_api_rotatekey", key.key_id, "--grace", grace)
    assert ApiKey.objects.get(pk=key.pk).secret_encrypted == before
    _ok(key_client(key.key_id, secret))


def test_rotate_api_key_refuses_a_grace_over_90_days(hmac_key):
    key, _secret = hmac_key
    with pytest.raises(KeyError_) as refused:
        key_services.rotate_api_key(key, grace=timedelta(days=91))
    assert refused.value.code == "invalid_grace"


# -- a key whose secret no master key opens any more ---------------------------------------------
def _masters(settings, *bytes_: int) -> None:
    import base64

    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "MASTER_KEYS": [base64.urlsafe_b64encode(bytes([b]) * 32).rstrip(b"=").decode()
                        for b in bytes_],
    }


def test_a_key_whose_secret_no_master_key_opens_recovers_by_a_rotation(settings, user):
    """The master key that sealed it was removed too early (or SECRET_KEY changed without
    SECRET_KEY_FALLBACKS): re-sealing its old secret as the previous one raised KeyringError, a
    500 at POST keys/{id}/rotate/, in the admin and in the command (found by an attack review).
    It now rotates without an overlap: the old secret verifies nothing anyway."""
    from tests.accounts import PASSWORD, login, session_client
    from tests.lifecycle.support import rotate_url

    _masters(settings, 0xA1)
    key, _old = key_services.create_api_key(user, name="sealed under A")
    _masters(settings, 0xB2)  # A is gone
    _refused(key_client(key.key_id, _old), "unknown_key")
    client = session_client(login("alice", PASSWORD))
    response = client.post(rotate_url(key.key_id), {}, format="json")
    assert response.status_code == 200, response.content[:300]
    _ok(key_client(key.key_id, decode_secret(response.json()["secret"])))
    key.refresh_from_db()
    assert key.previous_secret_encrypted == "" and key.status == "active"
    # The command too (a CommandError or a rotation, never a traceback).
    data = json.loads(run("signed_api_rotatekey", key.key_id, "--json")[0])
    _ok(key_client(key.key_id, decode_secret(data["secret"])))
