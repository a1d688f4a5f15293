"""Threads racing one signed request against a real Redis nonce store: exactly one wins.

docs/protocol.md: the nonce is recorded with one atomic add after the signature verified, never a
get-then-set, so however many copies of a request arrive at once, one is accepted and every other
one is 401 ``nonce_replayed``. Sixteen threads send the very same signed request (same headers,
same nonce) at the same moment, released together by a barrier.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connections
from django.test import Client

from signed_api import credentials
from signed_api.client import SignatureAuth
from signed_api.client.refusals import ServerKeys

from .support import ECHO_URLS, redis_url_with_db

THREADS = 16
WAIT = 30  # seconds: the most any thread or request may take

pytestmark = pytest.mark.urls(ECHO_URLS)


def _race(send, n=THREADS):
    """Run ``send()`` in ``n`` threads released at once; return the results in order."""
    barrier = threading.Barrier(n, timeout=WAIT)

    def worker():
        try:
            barrier.wait()
            return send()
        finally:
            connections.close_all()  # each thread opened its own database connection

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(worker) for _ in range(n)]
        return [future.result(timeout=WAIT) for future in futures]


def _nonce_keys_in_redis(redis_client, key_id: str, nonce: str) -> list[bytes]:
    wanted = credentials.nonce_key(key_id, nonce)
    return list(redis_client.scan_iter(match=f"*{wanted}", count=1000))


def _assert_one_winner(statuses_and_bodies, winner_status):
    statuses = sorted(status for status, _ in statuses_and_bodies)
    winners = [body for status, body in statuses_and_bodies if status == winner_status]
    losers = [body for status, body in statuses_and_bodies if status != winner_status]
    assert len(winners) == 1, statuses
    assert statuses.count(401) == THREADS - 1, statuses
    assert {body["code"] for body in losers} == {"nonce_replayed"}, losers
    return winners[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key_cache", ["cold", "warm"])
def test_sixteen_threads_one_signed_post_exactly_one_accepted(
    redis_nonces, redis_client, hmac_key, key_cache
):
    """In-process, one Django test ``Client`` per thread, each with its own database connection.

    ``cold``: no thread has the key in the process cache yet, so all of them load it from the
    database at once; ``warm``: the key is cached and only the nonce decides.
    """
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    if key_cache == "warm":
        warm = Client().get("/echo/", headers=auth.sign("GET", "http://testserver/echo/", {}, b""))
        assert warm.status_code == 200, warm.content
    body = json.dumps({"text": "sent sixteen times, stored once"}).encode()
    headers = auth.sign(
        "POST", "http://testserver/echo/?race=1", {"Content-Type": "application/json"}, body
    )
    nonce = _nonce_of(headers)

    def send():
        response = Client().post(
            "/echo/?race=1", data=body, content_type="application/json", headers=headers
        )
        return response.status_code, response.json()

    results = _race(send)

    winner = _assert_one_winner(results, 201)
    assert winner["key_id"] == key.key_id
    assert winner["data"] == {"text": "sent sixteen times, stored once"}
    # The race was decided in Redis: one nonce entry, kept for twice the clock skew.
    stored = _nonce_keys_in_redis(redis_client, key.key_id, nonce)
    assert len(stored) == 1
    assert 0 < redis_client.ttl(stored[0]) <= 2 * 300


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_through_a_live_wsgi_server_exactly_one_accepted(
    redis_nonces, redis_client, hmac_key, live_server_ip
):
    """The same race over real sockets: 16 connections to Django's threaded WSGI server."""
    key, secret = hmac_key
    # The client verifies every refusal against this server's JWKS, in a cache of its own (the
    # process-wide one is per origin: an earlier server on this port had other keys). The
    # JWKS is fetched on a connection of the pool a 401 came on, which the server closes
    # unannounced (the request asked for close): tests/test_jwks_fetch.py.
    auth = SignatureAuth(key.key_id, secret, server_keys=ServerKeys(live_server_ip.url))
    url = live_server_ip.url + "/echo/?race=live"
    # One request first, so the server threads share a loaded key (the in-memory SQLite test
    # database is a single connection shared by the server's threads).
    close = {"Connection": "close"}  # no server thread left on a kept-alive socket
    warm = requests.get(live_server_ip.url + "/echo/", auth=auth, headers=close, timeout=WAIT)
    assert warm.status_code == 200, warm.text
    prepared = requests.Request("DELETE", url, auth=auth, headers=close).prepare()
    nonce = _nonce_of(prepared.headers)

    def send():
        with requests.Session() as session:
            response = session.send(prepared, timeout=WAIT)
        return response.status_code, response.json()

    results = _race(send)

    _assert_one_winner(results, 200)
    assert len(_nonce_keys_in_redis(redis_client, key.key_id, nonce)) == 1


@pytest.mark.django_db(transaction=True)
def test_each_thread_with_its_own_nonce_is_accepted(redis_nonces, hmac_key):
    """The control: the same race with a fresh nonce per request accepts all sixteen."""
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)

    def send():
        headers = auth.sign("GET", "http://testserver/echo/", {}, b"")
        return Client().get("/echo/", headers=headers).status_code

    assert _race(send) == [200] * THREADS


@pytest.mark.django_db(transaction=True)
def test_nonce_store_follows_a_caches_change(settings, redis_url, hmac_key):
    """Moving ``NONCE_CACHE`` to another server takes effect for the next request (the store
    object built from the old ``CACHES`` is dropped), so the race above really ran on Redis."""
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    settings.CACHES = {
        **settings.CACHES,
        "nonces": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url},
    }
    settings.SIGNED_API = {**settings.SIGNED_API, "NONCE_CACHE": "nonces"}
    first = auth.sign("GET", "http://testserver/echo/", {}, b"")
    assert Client().get("/echo/", headers=first).status_code == 200

    # Now move the nonces to a Redis database nobody else uses.
    own_db = redis_url_with_db(redis_url, 11)
    settings.CACHES = {
        **settings.CACHES,
        "nonces": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": own_db},
    }
    import redis

    own = redis.Redis.from_url(own_db, socket_timeout=10)
    try:
        own.flushdb()
        second = auth.sign("GET", "http://testserver/echo/", {}, b"")
        assert Client().get("/echo/", headers=second).status_code == 200
        wanted = credentials.nonce_key(key.key_id, _nonce_of(second))
        recorded = list(own.scan_iter(match=f"*{wanted}"))
    finally:
        own.flushdb()
        own.close()
    assert recorded, "the second request's nonce was not recorded in the configured Redis"


def _nonce_of(headers) -> str:
    signature_input = headers["Signature-Input"]
    return signature_input.split(';nonce="', 1)[1].split('"', 1)[0]
