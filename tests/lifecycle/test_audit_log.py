"""Issue 5, item 6: the audit log. A ``SecurityEvent`` row and a ``security_event`` signal for
each security-relevant step, with user, key id and client address, and never a secret; events
an unauthenticated caller can cause are gated (one row per subject per ``EVENT_THROTTLE``);
``signed_api_cleanup`` removes events past ``EVENT_RETENTION_DAYS``.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from signed_api.client import SignatureAuth, decode_secret
from signed_api.models import RememberToken, SecurityEvent
from signed_api.services import events
from signed_api.services import keys as key_services
from signed_api.signals import security_event

from .support import (
    KEYS,
    NOTES,
    PASSWORD,
    SESSIONS,
    assert_error,
    body,
    enrol_totp,
    fresh_code,
    key_url,
    login,
    rotate_url,
    run,
    session_client,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ADDRESS = "127.0.0.1"  # REMOTE_ADDR of Django's test client


@pytest.fixture
def signalled():
    """Every ``security_event`` sent during the test: a list of ``(event, request)``."""
    received = []

    def receiver(sender, event, request=None, **kwargs):
        assert sender is SecurityEvent
        received.append((event, request))

    security_event.connect(receiver, weak=False)
    yield received
    security_event.disconnect(receiver)


@pytest.fixture
def lenient_throttle(settings):
    """Failed logins are not throttled within a test, so every one reaches the audit gate."""
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "LOGIN_FAILURES_PER_USERNAME": 1000,
        "LOGIN_FAILURES_PER_ADDRESS": 1000,
    }


def _only(kind: str, **filters) -> SecurityEvent:
    rows = list(SecurityEvent.objects.filter(kind=kind, **filters))
    assert len(rows) == 1, (kind, [(r.kind, r.username, r.key_id) for r in rows])
    return rows[0]


def _assert_signalled(signalled, event: SecurityEvent) -> None:
    matches = [e for e, _request in signalled if e.pk == event.pk]
    assert len(matches) == 1, (event.kind, [e.kind for e, _ in signalled])
    assert matches[0].kind == event.kind


def _bad_login(client: APIClient | None = None, username: str = "alice", **extra):
    client = client or APIClient()
    return client.post(SESSIONS, {"username": username, "password": "wrong"}, format="json",
                       **extra)


# -- keys ------------------------------------------------------------------------------------------
def test_key_created_rotated_revoked_and_expiry_changed(user, session_signed, signalled):
    created = body(session_signed.post(KEYS, {"name": "ci"}, format="json"))
    key_id = created["id"]
    assert session_signed.post(rotate_url(key_id), {"grace_hours": 2},
                               format="json").status_code == 200
    key = key_services.ApiKey.objects.get(key_id=key_id)
    key_services.extend_expiry(key, timezone.now() + timedelta(days=9), actor=user)
    assert session_signed.delete(key_url(key_id)).status_code == 204

    for kind in ("key_created", "key_rotated", "key_revoked"):
        event = _only(kind, key_id=key_id)
        assert event.user == user
        assert event.username == "alice"
        assert event.client_address == CLIENT_ADDRESS
        assert event.detail["via"] == "api"
        assert event.detail["by"] == "alice"
        _assert_signalled(signalled, event)
    assert _only("key_created", key_id=key_id).detail["algorithm"] == "hmac-sha256"
    assert _only("key_rotated", key_id=key_id).detail["grace_seconds"] == 2 * 3600
    changed = _only("key_expiry_changed", key_id=key_id)
    assert changed.user == user
    assert changed.detail["expires_at"]
    _assert_signalled(signalled, changed)


def test_commands_record_who_did_it_as_a_command(hmac_key):
    key, _secret = hmac_key
    run("signed_api_rotatekey", key.key_id, "--json")
    run("signed_api_revokekey", key.key_id)
    run("signed_api_revokekey", key.key_id)  # already revoked: no second event

    assert _only("key_rotated", key_id=key.key_id).detail["via"] == "command"
    revoked = _only("key_revoked", key_id=key.key_id)
    assert revoked.detail["via"] == "command"
    assert revoked.client_address is None


def test_enrollment_key_created_and_enrolled(user, signalled):
    enrollment, _secret = key_services.create_enrollment_key(uses=2)
    key, _key_secret = key_services.enroll(enrollment, username="alice")

    _assert_signalled(signalled, _only("enrollment_key_created", key_id=enrollment.key_id))
    enrolled = _only("enrolled", key_id=key.key_id)
    assert enrolled.user == user
    assert enrolled.detail["enrollment_key"] == enrollment.key_id
    assert _only("key_created", key_id=key.key_id).detail["via"] == "enrollment"
    _assert_signalled(signalled, enrolled)


# -- logins ----------------------------------------------------------------------------------------
def test_login_success_and_failure(user, signalled):
    session = login("alice", PASSWORD)
    assert_error(_bad_login(), "invalid_credentials")
    assert_error(_bad_login(username="mallory"), "invalid_credentials")

    succeeded = _only("login_succeeded")
    assert succeeded.user == user
    assert succeeded.key_id == session["id"]
    assert succeeded.client_address == CLIENT_ADDRESS
    _assert_signalled(signalled, succeeded)
    failed = _only("login_failed", username="alice")
    assert failed.user is None
    assert failed.client_address == CLIENT_ADDRESS
    _assert_signalled(signalled, failed)
    unknown = _only("login_failed", username="mallory")
    assert unknown.client_address == CLIENT_ADDRESS
    request = next(r for e, r in signalled if e.pk == failed.pk)
    assert request is not None


def test_second_factor_failure(user, session_signed, signalled):
    authenticator = enrol_totp(session_signed)
    pending = APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD},
                               format="json")
    assert pending.status_code == 202

    response = APIClient().post(f"{SESSIONS}{body(pending)['id']}/verify/",
                                {"challenge_token": body(pending)["challenge_token"],
                                 "code": wrong_code(authenticator)}, format="json")

    assert_error(response, "otp_invalid")
    event = _only("second_factor_failed")
    assert event.user == user
    assert event.client_address == CLIENT_ADDRESS
    _assert_signalled(signalled, event)
    assert _only("totp_enabled").user == user


def test_replay_refused(hmac_key, signalled):
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    headers = auth.sign("GET", "http://testserver" + NOTES, {}, b"")
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    client = APIClient()
    assert client.get(NOTES, **meta).status_code == 200

    assert_error(client.get(NOTES, **meta), "nonce_replayed")

    event = _only("replay_refused")
    assert event.key_id == key.key_id
    assert event.client_address == CLIENT_ADDRESS
    _assert_signalled(signalled, event)


def test_remember_token_theft(user, signalled):
    first = APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD,
                                        "remember": True}, format="json")
    token = body(first)["remember_token"]
    assert APIClient().post(SESSIONS, {"remember_token": token},
                            format="json").status_code == 201
    # The token was consumed a minute ago, well past REMEMBER_REUSE_GRACE.
    RememberToken.objects.filter(consumed_at__isnull=False).update(
        consumed_at=timezone.now() - timedelta(minutes=1)
    )

    stolen = APIClient().post(SESSIONS, {"remember_token": token}, format="json",
                              REMOTE_ADDR="203.0.113.9")

    assert_error(stolen, "remember_token_reused")
    event = _only("remember_token_theft")
    assert event.user == user
    assert event.client_address == "203.0.113.9"
    _assert_signalled(signalled, event)


# -- no secret, ever -------------------------------------------------------------------------------
def _forms(secret) -> set[str]:
    """The ways a secret could be written down: as given, base64url, base64, hex."""
    raw = secret.encode() if isinstance(secret, str) else secret
    forms = {
        base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        base64.b64encode(raw).rstrip(b"=").decode(),
        raw.hex(),
    }
    if isinstance(secret, str):
        forms.add(secret)
    return {f for f in forms if len(f) >= 8}


def test_no_event_contains_a_secret(user, lenient_throttle):
    secrets: list = [PASSWORD, "wrong"]
    # A session, keys made, rotated and revoked over the API.
    session = login("alice", PASSWORD)
    secrets.append(decode_secret(session["secret"]))
    signed = session_client(session)
    created = body(signed.post(KEYS, {}, format="json"))
    secrets.append(decode_secret(created["secret"]))
    rotated = body(signed.post(rotate_url(created["id"]), {}, format="json"))
    secrets.append(decode_secret(rotated["secret"]))
    signed.delete(key_url(created["id"]))
    # Keys by the commands, an enrollment key and an enrolment.
    key, secret = key_services.create_api_key(user)
    secrets.append(secret)
    secrets.append(decode_secret(json.loads(run("signed_api_rotatekey", key.key_id,
                                                "--json")[0])["secret"]))
    enrollment = json.loads(run("signed_api_createenrollment", "--uses", "2", "--json")[0])
    secrets.append(decode_secret(enrollment["secret"]))
    enrollment_key = key_services.EnrollmentKey.objects.get(key_id=enrollment["key_id"])
    _enrolled, enrolled_secret = key_services.enroll(enrollment_key, username="alice")
    secrets.append(enrolled_secret)
    # Failed logins, a replay, remember-me with a theft, a second factor with a failure.
    _bad_login()
    remembered = body(APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD,
                                                  "remember": True}, format="json"))
    secrets += [decode_secret(remembered["secret"]), remembered["remember_token"]]
    again = body(APIClient().post(SESSIONS, {"remember_token": remembered["remember_token"]},
                                  format="json"))
    secrets += [decode_secret(again["secret"]), again["remember_token"]]
    RememberToken.objects.update(consumed_at=timezone.now() - timedelta(minutes=1))
    APIClient().post(SESSIONS, {"remember_token": remembered["remember_token"]}, format="json")
    auth = SignatureAuth(key.key_id, secret)
    headers = auth.sign("GET", "http://testserver" + NOTES, {}, b"")
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    APIClient().get(NOTES, **meta)
    APIClient().get(NOTES, **meta)
    secrets.append(headers["Signature"].split(":")[1])
    second_session = login("alice", PASSWORD)
    signed = session_client(second_session)
    started = signed.post("/api/auth/totp/")
    uri = body(started)["otpauth_uri"]
    seed = parse_qs(urlsplit(uri).query)["secret"][0]
    secrets.append(seed)
    import pyotp

    authenticator = pyotp.TOTP(seed)
    confirmed = signed.post("/api/auth/totp/confirm/", {"code": fresh_code(authenticator, user)},
                            format="json")
    recovery = body(confirmed)["recovery_codes"]
    secrets += recovery
    pending = body(APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD},
                                    format="json"))
    secrets.append(pending["challenge_token"])
    APIClient().post(f"{SESSIONS}{pending['id']}/verify/",
                     {"challenge_token": pending["challenge_token"],
                      "code": wrong_code(authenticator)}, format="json")

    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {
        "key_created", "key_rotated", "key_revoked", "login_succeeded", "login_failed",
        "replay_refused", "remember_token_theft", "second_factor_failed", "enrolled",
        "enrollment_key_created", "totp_enabled",
    } <= kinds, kinds
    forms = set().union(*(_forms(s) for s in secrets))
    for row in SecurityEvent.objects.values():
        text = json.dumps(row, default=str)
        leaked = [f for f in forms if f in text]
        assert not leaked, (row["kind"], leaked)


# -- gates -----------------------------------------------------------------------------------------
def test_twenty_failed_logins_for_one_username_from_one_address_write_one_row(
    user, lenient_throttle
):
    client = APIClient()
    for _ in range(20):
        assert_error(_bad_login(client), "invalid_credentials")

    assert SecurityEvent.objects.filter(kind="login_failed").count() == 1

    # Another subject is another row: another username, or the same one from elsewhere.
    assert_error(_bad_login(client, username="bob"), "invalid_credentials")
    assert_error(_bad_login(client, REMOTE_ADDR="198.51.100.7"), "invalid_credentials")
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 3
    assert SecurityEvent.objects.filter(kind="login_failed", username="alice").count() == 2


def test_a_failed_login_after_the_gate_expired_writes_a_new_row(user, lenient_throttle):
    from signed_api.stores import get_store

    assert_error(_bad_login(), "invalid_credentials")
    assert_error(_bad_login(), "invalid_credentials")
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 1
    # The gate is an entry of the shared store with a timeout; its expiry is its removal.
    get_store().clear()
    assert_error(_bad_login(), "invalid_credentials")
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 2


def test_ten_replays_of_one_request_write_one_row(user, hmac_key):
    key, secret = hmac_key
    other, other_secret = key_services.create_api_key(user)

    def captured(key_id, key_secret):
        headers = SignatureAuth(key_id, key_secret).sign("GET", "http://testserver" + NOTES,
                                                         {}, b"")
        return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}

    meta = captured(key.key_id, secret)
    client = APIClient()
    assert client.get(NOTES, **meta).status_code == 200
    for _ in range(10):
        assert_error(client.get(NOTES, **meta), "nonce_replayed")

    assert SecurityEvent.objects.filter(kind="replay_refused").count() == 1
    other_meta = captured(other.key_id, other_secret)
    assert client.get(NOTES, **other_meta).status_code == 200
    assert_error(client.get(NOTES, **other_meta), "nonce_replayed")
    assert SecurityEvent.objects.filter(kind="replay_refused").count() == 2
    assert SecurityEvent.objects.filter(kind="replay_refused", key_id=other.key_id).exists()


def test_repeated_wrong_codes_write_one_row(user, session_signed, lenient_throttle):
    authenticator = enrol_totp(session_signed)
    for _ in range(3):
        pending = body(APIClient().post(SESSIONS, {"username": "alice", "password": PASSWORD},
                                        format="json"))
        response = APIClient().post(f"{SESSIONS}{pending['id']}/verify/",
                                    {"challenge_token": pending["challenge_token"],
                                     "code": wrong_code(authenticator)}, format="json")
        assert_error(response, "otp_invalid")

    assert SecurityEvent.objects.filter(kind="second_factor_failed").count() == 1


def test_events_of_authenticated_actions_are_not_gated(hmac_key):
    key, _secret = hmac_key
    for _ in range(3):
        key_services.rotate_api_key(key)
    assert SecurityEvent.objects.filter(kind="key_rotated", key_id=key.key_id).count() == 3


def test_a_gated_event_that_is_let_through_is_returned_and_the_rest_are_none():
    first = events.record("login_failed", username="x", gate="x")
    second = events.record("login_failed", username="x", gate="x")
    assert isinstance(first, SecurityEvent)
    assert second is None


# -- retention -------------------------------------------------------------------------------------
def _event_aged(days: float) -> SecurityEvent:
    event = events.record("key_created", key_id=f"key_aged_{days}")
    SecurityEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return event


def test_cleanup_removes_events_past_the_default_retention_of_90_days():
    old, kept, fresh = _event_aged(91), _event_aged(89), _event_aged(0)

    out, _err = run("signed_api_cleanup")

    remaining = set(SecurityEvent.objects.values_list("pk", flat=True))
    assert remaining == {kept.pk, fresh.pk}
    assert old.pk not in remaining
    assert "1 security event(s)" in out


def test_cleanup_follows_event_retention_days(settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "EVENT_RETENTION_DAYS": 30}
    gone = [_event_aged(31), _event_aged(365)]
    kept = [_event_aged(29), _event_aged(1)]

    out, _err = run("signed_api_cleanup")

    remaining = set(SecurityEvent.objects.values_list("pk", flat=True))
    assert remaining == {e.pk for e in kept}
    assert not remaining & {e.pk for e in gone}
    assert "2 security event(s)" in out
    run("signed_api_cleanup")
    assert set(SecurityEvent.objects.values_list("pk", flat=True)) == remaining
