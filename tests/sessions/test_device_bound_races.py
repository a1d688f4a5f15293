"""Parallel exchanges of one device-bound remember-me token (the family row is locked with
``select_for_update``). Against the configured database: SQLite in pass 1 (skipped: no row
locks), PostgreSQL in pass 2 (``python -m tests.servers run -- pytest ...``)."""

from __future__ import annotations

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from signed_api.models import RememberFamily, RememberToken, Session
from tests.accounts import PASSWORD

from .support import body, race
from .test_device_bound import ED25519, P256, Device, bound_login, exchange

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4

needs_row_locks = pytest.mark.skipif(
    "connection.vendor == 'sqlite'",
    reason="SQLite has no row locks (select_for_update is a no-op) and its shared-cache test "
    "database answers concurrent writers with 'database table is locked' instead of waiting; "
    "pass 2 runs this on PostgreSQL",
)


@pytest.fixture
def no_throttle(settings):
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "LOGIN_FAILURES_PER_USERNAME": 1000,
        "LOGIN_FAILURES_PER_ADDRESS": 1000,
    }


@needs_row_locks
@pytest.mark.parametrize("algorithm", [P256, ED25519])
def test_parallel_signed_exchanges_of_one_token_within_the_grace_all_succeed(user, algorithm):
    """A waking device sends its token from several requests at once: each is signed (its own
    nonce), each gets a session bound to the same key and a new token; nothing is revoked."""
    device = Device(algorithm)
    token = bound_login(device, remember=True)["remember_token"]
    before = Session.objects.count()

    responses = race(lambda _i: exchange(token, device), THREADS)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert sorted(r.status_code for r in responses) == [201] * THREADS, [
        r.content for r in responses
    ]
    data = [body(r) for r in responses]
    assert len({d["remember_token"] for d in data}) == THREADS
    assert {d["key_thumbprint"] for d in data} == {device.thumbprint}
    assert Session.objects.count() == before + THREADS
    assert RememberFamily.objects.get().revoked_at is None
    assert all(device.client(d["id"]).get("/api/notes/").status_code == 200 for d in data)


@needs_row_locks
@pytest.mark.usefixtures("no_throttle")
def test_parallel_unsigned_and_signed_exchanges(user):
    """A thief with the token races the device: every unsigned request is refused, every
    signed one succeeds, and the thief's refusals consume nothing."""
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]

    responses = race(lambda i: exchange(token, device if i % 2 else None), THREADS)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    for i, response in enumerate(responses):
        if i % 2:
            assert response.status_code == 201, response.content
        else:
            assert response.status_code == 401
            assert body(response)["code"] == "device_signature_required"
    assert RememberFamily.objects.get().revoked_at is None


@needs_row_locks
@pytest.mark.usefixtures("no_throttle")
def test_parallel_key_swaps_of_one_token_one_wins(user):
    """Each request, signed by the old key, registers a different new key: the first to lock
    the family moves it; the others are then signed by a key the family no longer has."""
    old = Device()
    token = bound_login(old, remember=True)["remember_token"]
    new_keys = [Device(P256 if i % 2 else ED25519) for i in range(THREADS)]

    responses = race(lambda i: exchange(token, old, **new_keys[i].registration()), THREADS)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [401] * (THREADS - 1), [r.content for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    family = RememberFamily.objects.get()
    assert family.key_thumbprint == new_keys[winner].thumbprint
    for response in responses:
        if response.status_code == 401:
            refused = body(response)
            assert refused["code"] == "device_signature_invalid"
            assert refused["signature_error"] == "unknown_key"
    # The token was consumed once; nothing was revoked.
    assert RememberToken.objects.filter(consumed_at__isnull=False).count() == 1
    assert family.revoked_at is None


def test_parallel_exchanges_never_bind_two_keys_on_any_database(user, settings):
    """The safety half on every database: whatever SQLite refuses with a lock, the family
    ends bound to at most one new key, and each success names the key it was bound to."""
    settings.SIGNED_API = {**settings.SIGNED_API, "LOGIN_FAILURES_PER_ADDRESS": 1000}
    old = Device()
    token = bound_login(old, remember=True)["remember_token"]
    new_keys = [Device() for _ in range(THREADS)]

    responses = race(lambda i: exchange(token, old, **new_keys[i].registration()), THREADS)

    winners = [i for i, r in enumerate(responses)
               if not isinstance(r, Exception) and r.status_code == 201]
    assert len(winners) <= 1, winners
    family = RememberFamily.objects.get()
    if winners:
        assert family.key_thumbprint == new_keys[winners[0]].thumbprint
    else:
        assert family.key_thumbprint == old.thumbprint
    assert PASSWORD  # alice's password untouched by the races
