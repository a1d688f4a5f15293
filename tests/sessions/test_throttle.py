"""Throttling of credential guessing: failures per username (known or not) and per client
address, counted in the shared store (its database table, or Redis), 429 ``throttled`` with
``Retry-After``; successes never count."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from signed_api.conf import signed_api_settings
from signed_api.stores import get_store
from tests.accounts import OTHER_PASSWORD, PASSWORD, SESSIONS
from tests.store import store_keys

from .support import (
    TOTP,
    assert_error,
    enrol,
    login,
    post_login,
    session_client,
    verify,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)

FAIL_PREFIX = "signed_api:fail:"


@pytest.fixture(params=["configured", "redis"])
def nonce_cache(request):
    """The shared store as configured (the database table in pass 1, Redis in pass 2), and on a
    real Redis in both passes."""
    if request.param == "redis":
        request.getfixturevalue("redis_nonce_cache")
    return get_store()


def locmem_keys(cache) -> set[str]:
    return {k.split(":", 2)[-1] for k in cache._cache}  # locmem keys carry ":1:"


def attempt(username: str, password: str, address: str = "127.0.0.1"):
    return APIClient().post(
        "/api/auth/sessions/", {"username": username, "password": password},
        format="json", REMOTE_ADDR=address,
    )


def assert_throttled(response) -> int:
    assert_error(response, "throttled", status=429, exact=True)
    assert '"retry-after"' in response["Signature-Input"]  # the wait is signed too
    wait = int(response["Retry-After"])
    assert 0 < wait <= signed_api_settings.LOGIN_FAILURE_WINDOW
    return wait


# -- per username ------------------------------------------------------------------------------
def test_failures_for_one_username_throttle_it_even_with_the_right_password(user, nonce_cache):
    limit = signed_api_settings.LOGIN_FAILURES_PER_USERNAME
    for _ in range(limit):
        assert_error(attempt("alice", "wrong"), "invalid_credentials")

    assert_throttled(attempt("alice", PASSWORD))
    assert_throttled(attempt("alice", "wrong"))
    # From another address too: the count is per username.
    assert_throttled(attempt("alice", PASSWORD, address="10.9.8.7"))


def test_the_username_limit_leaves_other_users_alone(user, other_user, nonce_cache):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        attempt("alice", "wrong")
    assert attempt("bob", OTHER_PASSWORD).status_code == 201


def test_one_failure_less_than_the_limit_is_not_throttled(user):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME - 1):
        attempt("alice", "wrong")
    assert attempt("alice", PASSWORD).status_code == 201


def test_unknown_usernames_are_throttled_too(nonce_cache):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        assert_error(attempt("ghost", "guess"), "invalid_credentials")
    assert_throttled(attempt("ghost", "guess"))


def test_the_username_count_ignores_case_and_surrounding_spaces(user):
    for name in ["alice", "ALICE", "Alice", " alice", "aLiCe "]:
        assert attempt(name, "wrong").status_code == 401
    assert_throttled(attempt("alice", PASSWORD))


def test_a_throttled_answer_does_not_tell_whether_the_password_was_right(user):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        attempt("alice", "wrong")
    right, wrong = attempt("alice", PASSWORD), attempt("alice", "still wrong")
    assert right.status_code == wrong.status_code == 429
    assert right.content == wrong.content


# -- per address -------------------------------------------------------------------------------
def test_failures_from_one_address_across_usernames_throttle_that_address(user, nonce_cache):
    limit = signed_api_settings.LOGIN_FAILURES_PER_ADDRESS
    assert limit > signed_api_settings.LOGIN_FAILURES_PER_USERNAME
    for i in range(limit):
        assert_error(attempt(f"guess{i}", "pw", address="10.0.0.1"), "invalid_credentials")

    assert_throttled(attempt("alice", PASSWORD, address="10.0.0.1"))
    assert_throttled(attempt("fresh-name", "pw", address="10.0.0.1"))
    # Another address is not held back, nor is the username itself.
    assert attempt("alice", PASSWORD, address="10.0.0.2").status_code == 201


def test_invalid_remember_tokens_count_against_the_address(user):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_ADDRESS):
        response = APIClient().post(
            "/api/auth/sessions/", {"remember_token": "rmb_" + "0" * 18 + "_x"},
            format="json", REMOTE_ADDR="10.0.0.3",
        )
        assert_error(response, "remember_token_invalid")
    assert_throttled(attempt("alice", PASSWORD, address="10.0.0.3"))


# -- successes ---------------------------------------------------------------------------------
def test_ten_correct_logins_in_a_row_are_never_throttled(user, nonce_cache):
    for _ in range(10):
        assert attempt("alice", PASSWORD).status_code == 201


def test_successes_after_a_few_failures_are_not_throttled(user):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME - 1):
        attempt("alice", "wrong")
    for _ in range(10):
        assert attempt("alice", PASSWORD).status_code == 201


# -- where the counters live -------------------------------------------------------------------
def test_the_counters_live_in_the_shared_store(user, nonce_cache):
    default = caches["default"]
    default.clear()
    assert not store_keys(FAIL_PREFIX)

    attempt("alice", "wrong", address="10.1.1.1")

    failures = store_keys(FAIL_PREFIX)
    assert len(failures) == 2, failures  # one per username, one per address
    assert not {k for k in locmem_keys(default) if k.startswith(FAIL_PREFIX)}
    # The usernames and addresses are not stored in clear in the key.
    assert not any("alice" in k or "10.1.1.1" in k for k in failures)


def test_clearing_the_shared_store_lifts_the_throttle(user, nonce_cache):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        attempt("alice", "wrong")
    assert_throttled(attempt("alice", PASSWORD))
    nonce_cache.clear()
    assert attempt("alice", PASSWORD).status_code == 201


def test_the_throttle_ends_with_its_window(user, settings, nonce_cache):
    settings.SIGNED_API = {**settings.SIGNED_API, "LOGIN_FAILURE_WINDOW": 2}
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        attempt("alice", "wrong")
    assert assert_throttled(attempt("alice", PASSWORD)) <= 2
    time.sleep(3.2)  # the window, and the second the table may add to it
    assert attempt("alice", PASSWORD).status_code == 201


def test_retry_after_counts_down_with_redis(user, redis_nonce_cache, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "LOGIN_FAILURE_WINDOW": 60}
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        attempt("alice", "wrong")
    wait = assert_throttled(attempt("alice", PASSWORD))
    assert 55 <= wait <= 60


# -- second-factor codes -----------------------------------------------------------------------
def test_wrong_codes_when_removing_the_device_are_throttled(user):
    signed = session_client(login("alice", PASSWORD))
    authenticator, _codes = enrol(signed)
    bad = wrong_code(authenticator)
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        assert_error(signed.delete(TOTP, {"code": bad}, format="json"), "otp_invalid", 403)
    response = signed.delete(TOTP, {"code": authenticator.now()}, format="json")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert response.json()["code"] == "throttled"
    # A verified request's refusal, signed by its session key: the wait is covered too.
    assert response["Signature-Input"].startswith(
        'sig1=("@status" "content-type" "content-digest" "retry-after" "@method";req'
    )
    # And the same counter holds the password login back.
    assert_throttled(post_login(username="alice", password=PASSWORD))


def test_wrong_codes_across_challenges_are_throttled(user):
    signed = session_client(login("alice", PASSWORD))
    authenticator, _codes = enrol(signed)
    bad = wrong_code(authenticator)
    limit = signed_api_settings.LOGIN_FAILURES_PER_USERNAME
    wrong = 0
    while wrong < limit:
        pending = post_login(username="alice", password=PASSWORD)
        assert pending.status_code == 202, pending.content
        for _ in range(signed_api_settings.TWO_FACTOR_MAX_ATTEMPTS):
            assert verify(pending.json(), bad).status_code == 401
            wrong += 1
            if wrong == limit:
                break

    response = post_login(username="alice", password=PASSWORD)
    if response.status_code == 202:  # throttling at the code instead of the password is fine
        response = verify(response.json(), bad)
    assert_throttled(response)


# -- a request without a client address ---------------------------------------------------------
def test_requests_without_a_client_address_share_one_address_budget(user, caplog):
    """gunicorn on a unix socket sets ``REMOTE_ADDR`` to ``""``, and so does a request with fewer
    ``X-Forwarded-For`` entries than ``NUM_PROXIES`` reaching such a server. The address budget
    was skipped for it: one client could try a password against any number of usernames (found
    by an attack review). Such requests now share one budget, and the first is logged."""
    from signed_api.services import throttle

    throttle._warned_no_address = False
    limit = int(signed_api_settings.LOGIN_FAILURES_PER_ADDRESS)
    client = APIClient(REMOTE_ADDR="")
    statuses = [
        client.post(SESSIONS, {"username": f"spray{i}", "password": "Winter2026!"}, format="json")
        .status_code
        for i in range(limit + 2)
    ]
    assert statuses == [401] * limit + [429, 429]
    warned = [r for r in caplog.records if "without a client address" in r.getMessage()]
    assert len(warned) == 1
    # A client with an address has its own budget.
    other = APIClient(REMOTE_ADDR="192.0.2.7")
    assert other.post(SESSIONS, {"username": "alice", "password": PASSWORD}, format="json"
                      ).status_code == 201
