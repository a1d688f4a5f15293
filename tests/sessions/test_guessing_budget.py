"""The guessing budget itself (``signed_api.services.throttle``): charged before evaluation,
refunded on success, failing closed, and the client address behind trusted proxies.

The HTTP-level throttle behaviour is in test_throttle.py; forty simultaneous wrong passwords
through two gunicorn workers are in tests/integration/test_replay_across_workers.py.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from signed_api.services import throttle
from signed_api.stores import StoreUnavailable, get_store
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["database", "redis"])
def budget(request, settings):
    if request.param == "redis":
        request.getfixturevalue("redis_nonce_cache")
    else:
        settings.SIGNED_API = {}
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "LOGIN_FAILURES_PER_USERNAME": 5,
        "LOGIN_FAILURES_PER_ADDRESS": 20,
    }
    get_store().clear()
    yield get_store()
    get_store().clear()


def _evaluate_failing(username, address, evaluated: list) -> str:
    try:
        with throttle.attempt(username, address):
            evaluated.append(1)
            return "wrong"
    except throttle.ThrottledError:
        return "throttled"


def test_failures_are_counted_and_the_sixth_is_refused_unevaluated(budget):
    evaluated: list = []
    outcomes = [_evaluate_failing("erin", "10.0.0.1", evaluated) for _ in range(8)]
    assert outcomes == ["wrong"] * 5 + ["throttled"] * 3
    assert len(evaluated) == 5


def test_a_success_is_refunded(budget):
    for _ in range(20):
        with throttle.attempt("erin", "10.0.0.1") as attempt:
            attempt.succeeded()
    evaluated: list = []
    assert [_evaluate_failing("erin", "10.0.0.1", evaluated) for _ in range(5)] == ["wrong"] * 5


def test_an_exception_while_evaluating_keeps_the_charge(budget):
    for _ in range(5):
        with pytest.raises(RuntimeError), throttle.attempt("erin", None):
            raise RuntimeError("the password hasher blew up")
    with pytest.raises(throttle.ThrottledError) as refused:
        throttle.charge("erin", None)
    assert 0 < refused.value.wait <= 900


def test_a_success_refunded_after_its_window_ended_gives_the_next_window_nothing(
    budget, settings
):
    """The attack: a login whose evaluation outlasts the window (a slow hasher, a loaded
    store) refunds late. Taken from the window that followed, that refund let a guesser who
    spent the new window's budget evaluate a sixth password."""
    import time

    settings.SIGNED_API = {**settings.SIGNED_API, "LOGIN_FAILURE_WINDOW": 2}
    slow = throttle.charge("erin", "10.0.0.3")  # evaluated while the window ends
    time.sleep(3.2)  # the window, and the second the table may add to it
    evaluated: list = []
    assert [_evaluate_failing("erin", "10.0.0.4", evaluated) for _ in range(5)] == ["wrong"] * 5
    slow.succeeded()  # its window is gone: nothing is handed back
    assert _evaluate_failing("erin", "10.0.0.4", evaluated) == "throttled"
    assert len(evaluated) == 5


def test_refusals_do_not_push_a_shared_address_counter_higher(budget):
    """A flood of refused attempts is not counted: once its username's budget is spent, the
    address behind it (a NAT, a proxy) keeps its own budget for other users."""
    evaluated: list = []
    for _ in range(50):
        _evaluate_failing("erin", "10.0.0.9", evaluated)
    assert len(evaluated) == 5
    others = [_evaluate_failing(f"user{i}", "10.0.0.9", evaluated) for i in range(15)]
    assert others == ["wrong"] * 15  # 5 + 15 = the address budget of 20


def test_a_throttled_address_creates_no_counter_for_new_usernames(budget):
    """What fills storage: one client cycling through made-up usernames. Once its address is
    over budget, an attempt touches no username counter at all."""
    from tests.store import store_keys

    for i in range(20):
        _evaluate_failing(f"made-up-{i}", "10.0.0.7", [])
    before = store_keys("signed_api:fail:")
    for i in range(100):
        assert _evaluate_failing(f"more-{i}", "10.0.0.7", []) == "throttled"
    assert store_keys("signed_api:fail:") == before


def test_an_ipv6_host_counts_with_its_slash_64(budget):
    evaluated: list = []
    for i in range(20):
        _evaluate_failing(f"user{i}", f"2001:db8:1:2::{i + 1:x}", evaluated)
    assert len(evaluated) == 20
    assert _evaluate_failing("another", "2001:db8:1:2:ffff::9", evaluated) == "throttled"
    assert _evaluate_failing("another", "2001:db8:1:3::1", evaluated) == "wrong"  # another /64


def test_parallel_attempts_are_charged_before_any_is_evaluated(budget):
    if budget.__class__.__name__ == "DatabaseStore":
        from django.db import connection

        if connection.vendor == "sqlite":
            pytest.skip("raced on a SQLite file under gunicorn (test_replay_across_workers)")
    evaluated: list = []
    outcomes = race(lambda _i: _evaluate_failing("erin", "10.0.0.2", evaluated), 40)
    assert outcomes.count("wrong") == 5, outcomes
    assert outcomes.count("throttled") == 35
    assert len(evaluated) == 5


def test_a_store_that_cannot_count_refuses_before_evaluating(settings):
    settings.SIGNED_API = {"STORE": "no.such.Store"}
    evaluated = []
    with pytest.raises(StoreUnavailable), throttle.attempt("erin", "10.0.0.1"):
        evaluated.append(1)
    assert evaluated == []


# -- the client address --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "192.0.2.1"),  # no proxy trusted: the header is the client's to forge
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # the forged left part is ignored
        (2, "1.2.3.4, 203.0.113.7, 198.51.100.2", "203.0.113.7"),
        (2, "203.0.113.7", "192.0.2.1"),  # fewer hops than proxies: the peer is what we know
        (1, "not-an-address", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.SIGNED_API = {**settings.SIGNED_API, "NUM_PROXIES": proxies}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == expected


def test_behind_a_balancer_one_client_does_not_throttle_everybody(settings, django_user_model):
    """Every request reaches the app from the balancer's address; with NUM_PROXIES=1 the budget
    is per real client, so twenty failures from one client leave another client alone."""
    from rest_framework.test import APIClient

    settings.SIGNED_API = {**settings.SIGNED_API, "NUM_PROXIES": 1,
                           "LOGIN_FAILURES_PER_USERNAME": 100}
    django_user_model.objects.create_user("frank", password="frank-password")

    def login(password, client_address):
        return APIClient().post(
            "/api/auth/sessions/", {"username": "frank", "password": password}, format="json",
            REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=client_address,
        )

    for _ in range(20):
        assert login("wrong", "203.0.113.50").status_code == 401
    assert login("frank-password", "203.0.113.50").status_code == 429
    assert login("frank-password", "198.51.100.60").status_code == 201
