"""``RedisStore.confirm``, the one round trip of every signed request, on a Redis of its own.

``confirm`` writes ``SET NX EX`` + ``GET`` as one buffer on a connection it keeps checked out of
the pool (signed_api/stores/redis.py). What could go wrong with a held connection, provoked for
real: the server restarts or closes it between two requests (the next request must pass, not
503), Redis goes down (503 ``replay_store_unavailable`` at the edge, never a pass), an error reply
to the first command (a reply is left unread: the connection must never be reused out of step),
a fork (a child must not share the parent's socket), many threads at once (one connection each,
one nonce accepted once).
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from signed_api.stores import StoreUnavailable, get_store
from signed_api.stores.redis import HELD_CONNECTIONS, RedisStore
from tests.api.support import NOTES
from tests.http import assert_error
from tests.servers import RedisProcess, find_redis_server
from tests.threads import race

STATE = "signed_api:state:confirm"


@pytest.fixture
def redis_process(tmp_path):
    try:
        find_redis_server()
    except Exception as exc:  # noqa: BLE001 - no binary: nothing to test against
        pytest.skip(f"no redis-server: {exc}")
    process = RedisProcess(tmp_path / "redis", name="confirm")
    process.start()
    yield process
    process.kill()


@pytest.fixture
def own_store(redis_process, settings):
    """The store on ``redis_process`` (short timeouts: a dead server answers quickly)."""
    settings.CACHES = {
        **django_settings.CACHES,
        "nonces": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_process.url(),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        },
    }
    settings.SIGNED_API = {**settings.SIGNED_API, "NONCE_CACHE": "nonces"}
    store = get_store()
    assert isinstance(store, RedisStore)
    return store


def _raw(process: RedisProcess):
    import redis

    return redis.Redis(host="127.0.0.1", port=process.port, socket_timeout=2)


def _held(store: RedisStore) -> list:
    return list(store._held)


def test_confirm_reuses_one_held_connection(own_store, redis_process):
    own_store.set_token(STATE, "tok", 60)
    assert own_store.confirm("signed_api:nonce:a", 60, STATE) == (True, "tok")
    [first] = _held(own_store)
    assert own_store.confirm("signed_api:nonce:b", 60, STATE) == (True, "tok")
    assert own_store.confirm("signed_api:nonce:a", 60, STATE) == (False, "tok")
    assert _held(own_store) == [first]
    # Without a nonce: the token alone.
    assert own_store.confirm(None, 60, STATE) == (True, "tok")
    assert own_store.confirm(None, 60, "signed_api:state:none") == (True, None)
    # The nonce is written with its expiry, under the alias's prefix and version.
    raw = _raw(redis_process)
    [name] = list(raw.scan_iter(match="*signed_api:nonce:a"))
    assert name == own_store._key("signed_api:nonce:a").encode()
    assert 55 <= raw.ttl(name) <= 60


def test_a_restarted_redis_is_used_again_without_a_refusal(own_store, redis_process):
    assert own_store.confirm("signed_api:nonce:r1", 60, STATE) == (True, None)
    assert len(_held(own_store)) == 1
    redis_process.stop()
    redis_process.start()  # same port; the held socket is now closed by the old server
    # The held connection is found closed before anything is sent, and reconnected.
    assert own_store.confirm("signed_api:nonce:r2", 60, STATE) == (True, None)
    assert own_store.confirm("signed_api:nonce:r2", 60, STATE) == (False, None)


def test_a_connection_the_server_closed_is_reconnected(own_store, redis_process):
    assert own_store.confirm("signed_api:nonce:k1", 60, STATE) == (True, None)
    raw = _raw(redis_process)
    killed = raw.client_kill_filter(_type="normal", skipme=True)
    assert killed >= 1
    assert own_store.confirm("signed_api:nonce:k2", 60, STATE) == (True, None)


def test_redis_down_is_unavailable_and_recovers(own_store, redis_process):
    assert own_store.confirm("signed_api:nonce:d1", 60, STATE) == (True, None)
    redis_process.kill()
    for nonce in ("signed_api:nonce:d1", "signed_api:nonce:d2"):  # a replay too: no pass
        with pytest.raises(StoreUnavailable):
            own_store.confirm(nonce, 60, STATE)
    redis_process.start()  # an empty Redis (no persistence): d1 is forgotten with it
    assert own_store.confirm("signed_api:nonce:d3", 60, STATE) == (True, None)


def test_an_error_reply_never_leaves_a_reply_unread(own_store, redis_process):
    """OOM on the SET: the GET's reply is still on the wire. Had the connection been kept, the
    next confirm would read that stale reply as its own answer."""
    raw = _raw(redis_process)
    raw.set(own_store._key(STATE), "old")
    assert own_store.confirm("signed_api:nonce:o0", 60, STATE) == (True, "old")
    raw.config_set("maxmemory-policy", "noeviction")
    raw.config_set("maxmemory", "1")
    try:
        with pytest.raises(StoreUnavailable):
            own_store.confirm("signed_api:nonce:o1", 60, STATE)
    finally:
        raw.config_set("maxmemory", "0")
    raw.set(own_store._key(STATE), "new")
    assert own_store.confirm("signed_api:nonce:o2", 60, STATE) == (True, "new")
    assert own_store.confirm("signed_api:nonce:o1", 60, STATE) == (True, "new")  # not written
    assert own_store.confirm("signed_api:nonce:o2", 60, STATE) == (False, "new")


def test_a_forked_child_never_shares_the_parents_connection(own_store):
    assert own_store.confirm("signed_api:nonce:f0", 60, STATE) == (True, None)
    [parent_connection] = _held(own_store)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own connection, the parent's left alone
        status = 1
        try:
            ok = own_store.confirm("signed_api:nonce:f1", 60, STATE) == (True, None)
            fresh = own_store._held and own_store._held[0] is not parent_connection
            status = 0 if ok and fresh else 2
        finally:
            os.write(write, bytes([status]))
            os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 1) == b"\x00"
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    # The parent's connection still answers in step.
    assert own_store.confirm("signed_api:nonce:f1", 60, STATE) == (False, None)
    assert _held(own_store) == [parent_connection]


def test_threads_confirm_at_once_and_one_nonce_wins_once(own_store):
    results = race(lambda _i: own_store.confirm("signed_api:nonce:t", 60, STATE), threads=16)
    assert sorted(added for added, _token in results) == [False] * 15 + [True]
    distinct = race(
        lambda i: own_store.confirm(f"signed_api:nonce:t{i}", 60, STATE),
        threads=16,
    )
    assert all(added for added, _token in distinct)
    assert 1 <= len(_held(own_store)) <= HELD_CONNECTIONS


def test_settings_changed_means_a_new_pool_and_new_connections(own_store, redis_process):
    assert own_store.confirm("signed_api:nonce:s0", 60, STATE) == (True, None)
    old = _held(own_store)
    with override_settings(CACHES={**django_settings.CACHES, "nonces": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_process.url(db=1),
    }}, SIGNED_API={"NONCE_CACHE": "nonces"}):  # fmt: skip
        store = get_store()
        assert store is not own_store
        assert store.confirm("signed_api:nonce:s0", 60, STATE) == (True, None)  # db 1
        assert not set(map(id, _held(store))) & set(map(id, old))


@pytest.mark.django_db
def test_redis_down_mid_run_is_503_then_passes_again(own_store, redis_process, signed_client):
    assert signed_client.get(NOTES).status_code == 200
    redis_process.kill()
    assert_error(
        signed_client.get(NOTES), "replay_store_unavailable", status=503, exact=True,
        accept_signature=True,
    )  # fmt: skip
    redis_process.start()
    assert signed_client.get(NOTES).status_code == 200


def test_the_refund_script_is_loaded_again_after_a_script_flush(own_store, redis_process):
    """``incr`` and ``decr`` are Lua scripts (EVALSHA): a flushed script cache (a restart,
    SCRIPT FLUSH, a failover to a replica that never saw it) is NOSCRIPT, loaded again."""
    window = own_store.incr("signed_api:fail:x", 60)[2]
    assert own_store.incr("signed_api:fail:x", 60)[0] == 2
    own_store.decr("signed_api:fail:x", window)
    _raw(redis_process).script_flush()
    own_store.decr("signed_api:fail:x", window)
    own_store.decr("signed_api:fail:x", window)  # never below zero
    _raw(redis_process).script_flush()
    assert own_store.incr("signed_api:fail:x", 60)[::2] == (1, window)


def test_a_counter_written_before_windows_were_named_keeps_its_count(own_store, redis_process):
    """An upgrade meets counters stored as a plain string (``SET NX`` + ``INCR``): the next
    charge carries on from its count and its time left, so an upgrade hands no guesser a fresh
    budget, and a refund then works on it."""
    raw = _raw(redis_process)
    name = own_store._key("signed_api:fail:old")
    raw.set(name, 4, ex=100)
    count, left, window = own_store.incr("signed_api:fail:old", 900)
    assert count == 5
    assert 90 <= left <= 100
    assert raw.type(name) == b"hash"
    own_store.decr("signed_api:fail:old", window)
    assert own_store.incr("signed_api:fail:old", 900)[0] == 5


def test_a_replaced_store_gives_its_connections_back(own_store, redis_process):
    """Each settings change builds a new store. The old one's held connections count as in use
    in the cache's pool (redis-py allows 100) until released: three hundred rebuilds, each
    after a request of its own, must not exhaust it (a MaxConnectionsError is a 503 for all)."""
    from signed_api.stores import reset

    pool = own_store.client().connection_pool
    for i in range(3 * pool.max_connections):
        store = get_store()
        assert store.confirm(f"signed_api:nonce:rebuild:{i}", 60, STATE) == (True, None)
        reset()
    assert len(pool._in_use_connections) <= 1
    # A request still in flight when its store is replaced returns its connection to the pool.
    store = get_store()
    pool_, connection = store._acquire()
    reset()
    store._release(pool_, connection)
    assert _held(store) == []
    assert connection not in pool._in_use_connections
