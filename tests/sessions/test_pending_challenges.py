"""The pending challenges (202s) of one user are bounded: a right password without the second
factor cannot fill the ``LoginChallenge`` table, nor buy more guesses at the code.

A right password hands its throttle charge back, so nothing throttles a loop of logins by
someone who has the password but not the second factor. Each new challenge deletes the user's
expired ones and the oldest pending ones beyond ``MAX_PENDING_CHALLENGES``, in the transaction
that writes it, with the user's challenge writers serialized (SQLite's write lock, an advisory
lock on PostgreSQL). The race tests run against the configured database: SQLite in pass 1,
PostgreSQL in pass 2.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from signed_api.conf import signed_api_settings
from signed_api.models import LoginChallenge, Session, TOTPDevice
from signed_api.services import sessions as session_flows
from signed_api.services.endings import end_sessions_of
from signed_api.services.sessions import MAX_PENDING_CHALLENGES
from tests.accounts import OTHER_PASSWORD, PASSWORD, enrol_device

from .support import assert_error, body, fresh_code, login, post_login, race, verify, wrong_code

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
ROUNDS = 5


def _login_from(address: str, username: str = "alice", password: str = PASSWORD):
    fields = {"username": username, "password": password}
    return APIClient().post("/api/auth/sessions/", fields, format="json", REMOTE_ADDR=address)


def _pending(username: str = "alice", password: str = PASSWORD, address: str = "127.0.0.1"):
    response = _login_from(address, username, password)
    assert response.status_code == 202, (response.status_code, response.content[:400])
    return body(response)


def _lookup(pending: dict) -> str:
    return pending["id"].partition("_")[2]


def _lookups(user) -> set[str]:
    return set(LoginChallenge.objects.filter(user=user).values_list("lookup", flat=True))


def _verify_from(pending: dict, code: str, address: str):
    fields = {"challenge_token": pending["challenge_token"], "code": code}
    return APIClient().post(
        f"/api/auth/sessions/{pending['id']}/verify/", fields, format="json", REMOTE_ADDR=address
    )


# -- the bound -----------------------------------------------------------------------------------
def test_a_password_without_the_second_factor_cannot_fill_the_challenge_table(user):
    """The attack review's reproduction: sixty logins with alice's password, none with her
    TOTP, each a 202. Before the fix each wrote a row (sixty rows, a loop without end)."""
    enrol_device(user)
    before = LoginChallenge.objects.filter(user=user).count()

    for _ in range(60):
        response = post_login(username="alice", password=PASSWORD)
        assert response.status_code == 202, response.content

    written = LoginChallenge.objects.filter(user=user).count() - before
    assert written <= 10, f"{written} pending challenges written by one password"
    assert LoginChallenge.objects.filter(user=user).count() == MAX_PENDING_CHALLENGES


def test_a_new_challenge_deletes_the_oldest_pending_ones_and_keeps_the_newest(user):
    enrol_device(user)
    made = [_pending() for _ in range(MAX_PENDING_CHALLENGES + 3)]

    assert _lookups(user) == {_lookup(p) for p in made[-MAX_PENDING_CHALLENGES:]}


def test_a_new_challenge_deletes_the_users_expired_ones_and_nobody_elses(user, other_user):
    enrol_device(user)
    enrol_device(other_user)
    for _ in range(3):
        _pending()
    bobs_expired = _pending("bob", OTHER_PASSWORD)
    bobs_pending = _pending("bob", OTHER_PASSWORD)
    past = timezone.now() - timedelta(seconds=1)
    LoginChallenge.objects.filter(user=user).update(expires_at=past)
    LoginChallenge.objects.filter(lookup=_lookup(bobs_expired)).update(expires_at=past)

    newest = _pending()

    assert _lookups(user) == {_lookup(newest)}
    assert _lookups(other_user) == {_lookup(bobs_expired), _lookup(bobs_pending)}


def test_expired_challenges_count_for_nothing_and_never_accumulate(user):
    """A user who logs in often, and lets challenges expire: at most the bound of rows stays."""
    enrol_device(user)
    for _ in range(4):
        for _ in range(MAX_PENDING_CHALLENGES):
            _pending()
        LoginChallenge.objects.filter(user=user).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    kept = _pending()

    assert _lookups(user) == {_lookup(kept)}


# -- an evicted challenge ------------------------------------------------------------------------
def test_an_evicted_challenge_is_challenge_expired_and_spends_neither_code_nor_budget(user):
    """The legitimate user's pending login, evicted by the attacker's logins with the password:
    its right code answers ``401 challenge_expired`` (never a 500), is not checked (the code
    still works) and costs no attempt; the user logs in again."""
    authenticator, _codes = enrol_device(user)
    legitimate = _pending(address="192.0.2.10")
    for i in range(MAX_PENDING_CHALLENGES):
        _pending(address=f"198.51.100.{i + 1}")  # the attacker's
    assert _lookup(legitimate) not in _lookups(user)
    code = fresh_code(authenticator, user)
    last_t = TOTPDevice.objects.get(user=user).last_t

    evicted = verify(legitimate, code)

    assert_error(evicted, "challenge_expired")
    assert TOTPDevice.objects.get(user=user).last_t == last_t  # the code was never checked
    again = _pending(address="192.0.2.10")
    done = verify(again, code)
    assert done.status_code == 201, done.content
    assert body(done)["id"].startswith("ses_")


def test_an_evicted_challenge_with_a_wrong_token_or_code_is_challenge_expired(user):
    authenticator, _codes = enrol_device(user)
    first = _pending()
    for _ in range(MAX_PENDING_CHALLENGES):
        _pending()

    assert_error(verify(first, wrong_code(authenticator)), "challenge_expired")
    assert_error(verify({**first, "challenge_token": "x" * 43}, "123456"), "challenge_expired")


# -- the code budget -----------------------------------------------------------------------------
def test_new_challenges_do_not_reset_the_budget_of_wrong_codes(user):
    """Someone with the password makes new challenges (each one a refunded login, from any
    address), evicting the ones they spent codes on: the wrong codes still count against the
    username, across challenges, so no more than ``LOGIN_FAILURES_PER_USERNAME`` codes are
    ever checked in the window, and then neither the right code nor the password gets in."""
    authenticator, _codes = enrol_device(user)
    bad = wrong_code(authenticator)
    limit = int(signed_api_settings.LOGIN_FAILURES_PER_USERNAME)
    per_challenge = int(signed_api_settings.TWO_FACTOR_MAX_ATTEMPTS)
    assert 1 < per_challenge < limit  # the defaults: a challenge alone is not the bound
    checked = 0
    first = _pending(address="203.0.113.1")
    for _ in range(per_challenge - 1):
        assert_error(_verify_from(first, bad, "203.0.113.1"), "otp_invalid")
        checked += 1

    fresh = [_pending(address=f"203.0.113.{i + 10}") for i in range(MAX_PENDING_CHALLENGES)]
    assert _lookup(first) not in _lookups(user)  # evicted, with its attempt count
    address = iter(f"198.51.100.{i}" for i in range(1, 200))
    throttled = None
    for pending in fresh:
        for _ in range(per_challenge):
            response = _verify_from(pending, bad, next(address))
            if response.status_code == 429:
                throttled = response
                break
            assert body(response)["code"] in ("otp_invalid", "otp_attempts_exhausted")
            checked += 1
            if body(response)["code"] == "otp_attempts_exhausted":
                break
        if throttled is not None:
            break

    assert throttled is not None
    assert checked == limit
    assert_error(throttled, "throttled", status=429)
    assert_error(
        _verify_from(fresh[-1], fresh_code(authenticator, user), next(address)),
        "throttled",
        status=429,
    )
    assert_error(_login_from(next(address)), "throttled", status=429)


# -- concurrency ---------------------------------------------------------------------------------
def _busy(response) -> bool:
    """SQLite's in-memory test database answers concurrent writers 'locked' at once, the shared
    store's table included: the flows retry, then answer 503 (never a 500). Only there is a 503
    acceptable."""
    return (
        connection.vendor == "sqlite"
        and response.status_code == 503
        and body(response)["code"] in ("database_busy", "replay_store_unavailable")
    )


@pytest.fixture
def no_throttle(settings):
    """Parallel attempts are charged before they are checked, right passwords too: more of them
    at once than the budget get 429 (tests/sessions/test_guessing_budget.py). Not the point."""
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "LOGIN_FAILURES_PER_USERNAME": 1000,
        "LOGIN_FAILURES_PER_ADDRESS": 1000,
    }


@pytest.mark.usefixtures("no_throttle")
def test_concurrent_logins_never_leave_more_than_the_bound(user):
    enrol_device(user)
    for _ in range(MAX_PENDING_CHALLENGES):
        _pending()

    for round_ in range(ROUNDS):
        before = _lookups(user)
        responses = race(
            lambda i, round_=round_: _login_from(f"10.0.{round_}.{i + 1}"),
            threads=THREADS,
        )

        assert not [r for r in responses if isinstance(r, Exception)], responses
        made = [r for r in responses if r.status_code == 202]
        assert all(r.status_code == 202 or _busy(r) for r in responses), [
            (r.status_code, r.content[:200]) for r in responses
        ]
        if connection.vendor != "sqlite":
            assert len(made) == THREADS
        assert LoginChallenge.objects.filter(user=user).count() == MAX_PENDING_CHALLENGES
        assert _lookups(user) <= before | {_lookup(body(r)) for r in made}


@pytest.mark.usefixtures("no_throttle")
def test_logins_racing_the_verify_of_the_oldest_challenge_never_fail_with_a_500(user):
    """One thread verifies the oldest pending challenge with the right code while the others log
    in and evict it: the verify wins (201) or finds it gone (401 ``challenge_expired``), and
    nothing deadlocks (verify locks the challenge and its user; eviction takes no user lock)."""
    authenticator, _codes = enrol_device(user)

    for round_ in range(ROUNDS):
        LoginChallenge.objects.filter(user=user).delete()
        oldest = _pending()
        for _ in range(MAX_PENDING_CHALLENGES - 1):
            _pending()
        code = fresh_code(authenticator, user)

        def run(i, oldest=oldest, code=code, round_=round_):
            if i == 0:
                return verify(oldest, code, APIClient())
            return _login_from(f"10.1.{round_}.{i}")

        responses = race(run, threads=THREADS)

        assert not [r for r in responses if isinstance(r, Exception)], responses
        verified, logins = responses[0], responses[1:]
        if verified.status_code == 401:
            assert body(verified)["code"] == "challenge_expired"
        else:
            assert verified.status_code == 201 or _busy(verified), verified.content
        assert all(r.status_code == 202 or _busy(r) for r in logins), [
            (r.status_code, r.content[:200]) for r in logins
        ]
        assert LoginChallenge.objects.filter(user=user).count() <= MAX_PENDING_CHALLENGES
        TOTPDevice.objects.filter(user=user).update(last_t=-1)


@pytest.mark.skipif(
    "connection.vendor == 'sqlite'",
    reason="on SQLite every writer waits for the one database lock; pass 2 runs this on "
    "PostgreSQL, where the lock is per user",
)
def test_challenge_writers_of_one_user_wait_for_each_other_and_no_one_else(user, other_user):
    """While a transaction holds alice's challenge lock, a login of alice waits for it (so it
    sees what the holder wrote) and bob's login does not."""
    enrol_device(user)
    enrol_device(other_user)
    results: dict[str, object] = {}

    def log_in(name: str, password: str) -> threading.Thread:
        def run() -> None:
            try:
                results[name] = post_login(username=name, password=password).status_code
            except Exception as exc:  # noqa: BLE001 - asserted below
                results[name] = exc
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with transaction.atomic():
        session_flows._lock_challenges_of(user)
        alice = log_in("alice", PASSWORD)
        bob = log_in("bob", OTHER_PASSWORD)
        bob.join(timeout=20)
        assert results.get("bob") == 202, results
        alice.join(timeout=1)
        assert alice.is_alive(), results  # still waiting for the lock
    alice.join(timeout=20)
    assert results.get("alice") == 202, results


# -- a pending login does not outlive what ends sessions -----------------------------------------
def test_a_login_pending_its_second_factor_ends_with_a_password_change(user):
    """The attack review's reproduction: a 202 started with the old password, the password
    changed (what the admin's form and ``changepassword`` do), then the TOTP code. It gave a
    live session made after the change and a remember token bound to the new password."""
    authenticator, _codes = enrol_device(user)
    pending = _pending()
    user.set_password("a brand new password")
    user.save()

    assert not LoginChallenge.objects.filter(user=user).exists()
    assert_error(verify(pending, fresh_code(authenticator, user)), "challenge_expired")
    assert not Session.objects.filter(user=user).exists()
    # The new password logs in, to a challenge of its own.
    assert _pending(password="a brand new password")["challenge_token"]


def test_log_out_my_other_devices_ends_their_pending_logins_too(user):
    mine = login("alice", PASSWORD)  # before the second factor: a session at once
    enrol_device(user)
    pending = _pending()

    kept = Session.objects.get(key_id=mine["id"])
    end_sessions_of(user, reason="logout_others", keep_session=kept)

    assert not LoginChallenge.objects.filter(user=user).exists()
    assert_error(verify(pending, "000000"), "challenge_expired")
    assert Session.objects.live().filter(user=user).count() == 1
