"""Account security over HTTP: what needs a session, and what ends sessions and remember-me
families (logout, "log out my other devices", a new password, the second factor turned off),
the cap on live sessions, and that a login does not disturb the user's other credentials."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signed_api.models import (
    ApiKey,
    RememberFamily,
    SecurityEvent,
    Session,
    TOTPDevice,
)
from signed_api.services import second_factor
from signed_api.test import SignedAPIClient
from tests.accounts import OTHER_PASSWORD, PASSWORD

from .support import (
    NOTES,
    SESSIONS,
    TOTP,
    TOTP_CONFIRM,
    assert_error,
    body,
    detail_url,
    enrol,
    fresh_code,
    login,
    post_login,
    second_factor_login,
    session_client,
)

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = "/api/auth/keys/"
ENDED = {"session_expired", "key_revoked", "unknown_key"}


def remember(token: str):
    return post_login(remember_token=token)


def assert_refused(client: SignedAPIClient) -> None:
    """The session's key is refused (cached or not)."""
    response = client.get(NOTES)
    assert response.status_code == 401, response.content
    assert body(response)["code"] in ENDED, body(response)


def assert_works(client: SignedAPIClient) -> None:
    response = client.get(NOTES)
    assert response.status_code == 200, response.content


@pytest.fixture
def read_only_key(user):
    key, secret = ApiKey.objects.create_key(user, name="reader", scopes=["notes:read"])
    return key, SignedAPIClient(key_id=key.key_id, key=secret)


# -- finding: account security needs a session -------------------------------------------------
def test_a_read_only_api_key_cannot_touch_account_security(user, read_only_key):
    """A key that may only read notes can neither enrol a second factor (whose seed its holder
    would keep), nor list or end its owner's sessions, nor manage keys: 403 session_required."""
    key, client = read_only_key
    mine = login("alice", PASSWORD, remember=True)
    assert_works(client)  # the key itself is fine for what it may do

    calls = [
        ("post", TOTP, None),
        ("post", TOTP_CONFIRM, {"code": "123456"}),
        ("delete", TOTP, {"code": "123456"}),
        ("get", SESSIONS, None),
        ("delete", SESSIONS, None),
        ("delete", detail_url(mine["id"]), None),
        ("get", KEYS, None),
        ("post", KEYS, {"name": "minted"}),
        ("post", f"{KEYS}{key.key_id}/rotate/", {}),
        ("delete", f"{KEYS}{key.key_id}/", None),
    ]
    for method, path, data in calls:
        response = getattr(client, method)(path, data, format="json")
        assert_error(response, "session_required", 403, exact=True)

    assert not TOTPDevice.objects.exists()
    assert_works(session_client(mine))
    assert remember(mine["remember_token"]).status_code == 201
    assert list(ApiKey.objects.values_list("key_id", "revoked_at", "rotated_at")) == [
        (key.key_id, None, None)
    ]


def test_an_api_key_with_every_scope_is_still_not_a_session(user):
    key, secret = ApiKey.objects.create_key(user, scopes=["*", "notes:read", "keys:write"])
    response = SignedAPIClient(key_id=key.key_id, key=secret).post(TOTP)
    assert_error(response, "session_required", 403)
    assert response.json()["detail"].endswith("not by an API key.")
    assert not TOTPDevice.objects.exists()


def test_login_and_verify_stay_unauthenticated_and_unsigned_is_401(user, api_client):
    assert post_login(username="alice", password=PASSWORD).status_code == 201
    for method, path in [("get", SESSIONS), ("delete", SESSIONS), ("post", TOTP),
                         ("get", KEYS)]:
        response = getattr(api_client, method)(path)
        assert_error(response, "signature_missing", 401)


# -- finding: what ends sessions and remember families ------------------------------------------
def test_logout_ends_the_remember_family_of_the_session(user):
    data = login("alice", PASSWORD, remember=True)
    signed = session_client(data)

    assert signed.delete(detail_url(data["id"])).status_code == 204

    assert_refused(signed)
    assert_error(remember(data["remember_token"]), "remember_token_invalid")
    family = RememberFamily.objects.get()
    assert family.revoked_at is not None and family.revoked_reason == "logout"


def test_logout_of_a_session_from_a_rotated_token_ends_the_family(user):
    first = login("alice", PASSWORD, remember=True)
    rotated = body(remember(first["remember_token"]))
    assert session_client(rotated).delete(detail_url(rotated["id"])).status_code == 204
    assert_error(remember(rotated["remember_token"]), "remember_token_invalid")
    assert_refused(session_client(first))  # the family's earlier session of that device too


def test_logging_out_a_plain_session_leaves_other_families_alone(user):
    laptop = login("alice", PASSWORD, remember=True)
    plain = login("alice", PASSWORD)
    assert session_client(plain).delete(detail_url(plain["id"])).status_code == 204
    assert remember(laptop["remember_token"]).status_code == 201


def test_delete_sessions_ends_every_other_session_and_family(user, other_user):
    mine = login("alice", PASSWORD, remember=True)
    phone = login("alice", PASSWORD, remember=True)
    tablet = login("alice", PASSWORD, remember=True)
    plain = login("alice", PASSWORD)
    bobs = login("bob", OTHER_PASSWORD, remember=True)
    for data in (mine, phone, tablet, plain):
        assert_works(session_client(data))  # cached in this process
    # A session of my own family, from a rotated token: another device of the chain.
    rotated = body(remember(mine["remember_token"]))

    response = session_client(mine).delete(SESSIONS)

    assert response.status_code == 200, response.content
    assert body(response) == {"ended": 4}
    assert_works(session_client(mine))
    for data in (phone, tablet, plain, rotated):
        assert_refused(session_client(data))
    assert_error(remember(phone["remember_token"]), "remember_token_invalid")
    assert_error(remember(tablet["remember_token"]), "remember_token_invalid")
    # My own family stays: its newest token still logs me in.
    assert remember(rotated["remember_token"]).status_code == 201
    # Bob is not touched.
    assert_works(session_client(bobs))
    assert remember(bobs["remember_token"]).status_code == 201
    listed = body(session_client(mine).get(SESSIONS))
    assert mine["id"] in [s["id"] for s in listed]
    assert not {phone["id"], tablet["id"], plain["id"]} & {s["id"] for s in listed}


def test_delete_sessions_alone_ends_nothing(user):
    mine = login("alice", PASSWORD)
    response = session_client(mine).delete(SESSIONS)
    assert (response.status_code, body(response)) == (200, {"ended": 0})
    assert_works(session_client(mine))


def test_a_password_change_ends_every_session_and_family(user, other_user):
    """``set_password(); save()`` is what the admin's password form and ``changepassword``
    do: every session of the user ends at once, every remember token is refused."""
    one = login("alice", PASSWORD, remember=True)
    two = login("alice", PASSWORD)
    bobs = login("bob", OTHER_PASSWORD)
    key, secret = ApiKey.objects.create_key(user)
    for data in (one, two):
        assert_works(session_client(data))

    user.set_password("a brand new password")
    user.save()

    assert_refused(session_client(one))
    assert_refused(session_client(two))
    assert_error(remember(one["remember_token"]), "remember_token_invalid")
    assert not Session.objects.live().filter(user=user).exists()
    assert RememberFamily.objects.get(user=user).revoked_reason == "password_changed"
    # API keys are not sessions: they stay (revoke them on their own when needed).
    assert SignedAPIClient(key_id=key.key_id, key=secret).get(NOTES).status_code == 200
    assert_works(session_client(bobs))
    assert login("alice", "a brand new password")


def test_a_password_change_through_update_fields_ends_sessions_too(user):
    data = login("alice", PASSWORD)
    user.set_password("another password")
    user.save(update_fields=["password"])
    assert_refused(session_client(data))


class FastPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000


def test_a_password_hash_upgrade_at_login_is_not_a_password_change(user, settings):
    """``check_password()`` re-hashes a correct password when the hasher changed: the same
    password, so the user's other sessions stay."""
    before = login("alice", PASSWORD, remember=True)
    settings.PASSWORD_HASHERS = [
        "tests.sessions.test_account_security.FastPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    old_hash = type(user).objects.get(pk=user.pk).password

    login("alice", PASSWORD)

    assert type(user).objects.get(pk=user.pk).password != old_hash  # it was upgraded
    assert_works(session_client(before))


def test_turning_the_second_factor_off_ends_every_other_session_and_family(user):
    caller = login("alice", PASSWORD, remember=True)
    signed = session_client(caller)
    authenticator, _codes = enrol(signed)
    _p, answer = second_factor_login(
        "alice", PASSWORD, fresh_code(authenticator, user), remember=True
    )
    other = body(answer)
    assert_works(session_client(other))

    removed = signed.delete(TOTP, {"code": fresh_code(authenticator, user)}, format="json")

    assert removed.status_code == 204, removed.content
    assert_works(signed)  # the session that asked stays
    assert_refused(session_client(other))
    assert_error(remember(other["remember_token"]), "remember_token_invalid")
    assert not RememberFamily.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert [s.key_id for s in Session.objects.live().filter(user=user)] == [caller["id"]]


def test_the_admin_reset_of_the_second_factor_ends_every_session(user):
    data = login("alice", PASSWORD)
    enrol(session_client(data))
    assert second_factor.reset(user) is True
    assert_refused(session_client(data))


def test_a_remember_token_login_writes_the_login_audit_event(user):
    data = login("alice", PASSWORD, remember=True)
    again = body(remember(data["remember_token"]))
    event = SecurityEvent.objects.filter(kind=SecurityEvent.LOGIN_SUCCEEDED, key_id=again["id"])
    assert event.count() == 1
    assert event.get().user == user
    assert event.get().detail["via"] == "remember_token"


# -- finding: a login leaves the other credentials alone; the cap on live sessions ----------------
def _state_tokens(user) -> dict[str, str]:
    rows = list(ApiKey.objects.filter(user=user).values_list("key_id", "state_token"))
    rows += list(Session.objects.filter(user=user).values_list("key_id", "state_token"))
    return dict(rows)


def test_a_login_leaves_the_state_of_other_keys_and_sessions_unchanged(user):
    ApiKey.objects.create_key(user, name="one")
    ApiKey.objects.create_key(user, name="two")
    login("alice", PASSWORD)
    login("alice", PASSWORD, remember=True)
    before = _state_tokens(user)

    with CaptureQueriesContext(connection) as queries:
        new = login("alice", PASSWORD)

    after = _state_tokens(user)
    del after[new["id"]]
    assert after == before
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    touched = [w for w in writes if "signed_api_apikey" in w or "state_token" in w]
    assert touched == [], touched


def test_saving_a_user_unchanged_leaves_the_state_tokens(user):
    ApiKey.objects.create_key(user)
    login("alice", PASSWORD)
    before = _state_tokens(user)
    type(user).objects.get(pk=user.pk).save()
    assert _state_tokens(user) == before


def test_a_change_that_matters_still_refuses_the_keys_at_once(user):
    key, secret = ApiKey.objects.create_key(user)
    client = SignedAPIClient(key_id=key.key_id, key=secret)
    data = login("alice", PASSWORD)
    assert client.get(NOTES).status_code == 200  # both cached now
    assert_works(session_client(data))
    before = _state_tokens(user)

    user.is_active = False
    user.save()

    assert_error(client.get(NOTES), "user_inactive")
    assert_error(session_client(data).get(NOTES), "user_inactive")
    assert all(_state_tokens(user)[k] != v for k, v in before.items())


def test_without_the_snapshot_receiver_a_change_still_refuses_the_keys(user):
    """Should the pre_save receiver be missing, the post_save one assumes everything changed:
    never the other way round."""
    from django.db.models.signals import pre_save

    from signed_api import receivers

    key, secret = ApiKey.objects.create_key(user)
    client = SignedAPIClient(key_id=key.key_id, key=secret)
    assert client.get(NOTES).status_code == 200
    assert pre_save.disconnect(sender=type(user), dispatch_uid="signed_api_user_about_to_save")
    try:
        user.is_active = False
        user.save()
    finally:
        pre_save.connect(receivers.user_about_to_save, sender=type(user),
                         dispatch_uid="signed_api_user_about_to_save")
    assert_error(client.get(NOTES), "user_inactive")


def test_live_sessions_are_capped_and_the_oldest_end_at_once(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "MAX_SESSIONS_PER_USER": 3}
    first = login("alice", PASSWORD)
    second = login("alice", PASSWORD)
    third = login("alice", PASSWORD)
    for data in (first, second, third):
        assert_works(session_client(data))

    fourth = login("alice", PASSWORD)

    assert_refused(session_client(first))
    for data in (second, third, fourth):
        assert_works(session_client(data))
    live = set(Session.objects.live().filter(user=user).values_list("key_id", flat=True))
    assert live == {second["id"], third["id"], fourth["id"]}

    fifth = login("alice", PASSWORD)
    assert_refused(session_client(second))
    assert Session.objects.live().filter(user=user).count() == 3
    assert_works(session_client(fifth))


def test_the_session_cap_defaults_to_fifty(user):
    from signed_api.conf import signed_api_settings

    assert signed_api_settings.MAX_SESSIONS_PER_USER == 50


# -- a database that stays locked: 503, never 500 -------------------------------------------------
def _locked_for(monkeypatch, target: str, times: int) -> list[int]:
    """Make ``sessions.<target>`` raise SQLite's "database is locked" ``times`` times."""
    from django.db import OperationalError

    from signed_api.services import database, sessions

    real = getattr(sessions, target)
    calls: list[int] = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(sessions, target, flaky)
    monkeypatch.setattr(database.time, "sleep", lambda _s: None)
    return calls


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's lock only")
def test_a_remember_login_retries_a_locked_database(user, monkeypatch):
    data = login("alice", PASSWORD, remember=True)
    calls = _locked_for(monkeypatch, "_redeem_remember_token", times=2)
    response = remember(data["remember_token"])
    assert response.status_code == 201, response.content
    assert len(calls) == 3


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's lock only")
def test_a_database_that_stays_locked_is_503_database_busy(user, monkeypatch):
    data = login("alice", PASSWORD, remember=True)
    _locked_for(monkeypatch, "_redeem_remember_token", times=100)
    response = remember(data["remember_token"])
    assert_error(response, "database_busy", 503)
    assert response["Retry-After"] == "1"
    # Nothing was consumed: the token still works once the database is free.
    monkeypatch.undo()
    assert remember(data["remember_token"]).status_code == 201


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's lock only")
def test_a_code_check_on_a_locked_database_is_503_not_500(user, monkeypatch):
    signed = session_client(login("alice", PASSWORD))
    authenticator, _codes = enrol(signed)
    pending = body(post_login(username="alice", password=PASSWORD))
    _locked_for(monkeypatch, "_answer_challenge", times=100)
    from .support import verify

    assert_error(verify(pending, fresh_code(authenticator, user)), "database_busy", 503)
