"""The client's JWKS fetch: rate-limited against forged kids, and through the adapter that
carried the request, surviving a kept-alive connection the server closes just as the fetch is
sent on it.

``ServerKeys`` fetches the JWKS the first time and again for an unknown ``kid``, at most every
``min_refresh`` seconds counted from the last attempt, failed or not: refusals that each name a
fresh, forged ``kid`` while the JWKS fetch fails cannot make the client fetch on every response
(each fetch up to ``timeout``, under the lock every verification waits on), and a genuine new
server key is still fetched once ``min_refresh`` has passed.

For the second: a ``requests`` response hook fetches the JWKS through the request's own
adapter, so a pooled connection may be reused. A server may close such a connection after a
response without saying ``Connection: close`` (Django's threaded server does when the request
asked for ``close``; any server does when its keep-alive timeout ends): the GET then meets a
closed connection and no response. RFC 9112 §9.3.1.1 lets a client retry an idempotent request on a
new connection then; without it the genuine refusal was reported as unverifiable
(``server_keys_unavailable``).

The server below makes that interleaving certain: it answers the first request on a connection
without ``Connection: close``, waits for the next request on the same connection, and closes it
unanswered; a new connection gets the JWKS.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from signed_api.client import refusals
from signed_api.client.auth import _adapter_fetch
from signed_api.client.refusals import JWKS_PATH, ServerKeys
from signed_api.core import SignatureError
from signed_api.core.jwk import public_key_to_jwk

WAIT = 10  # seconds: the most any socket operation may take


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


def _answer(body: bytes, *, close: bool) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


class _ClosingServer:
    """Connection 1: one answer kept alive, then the next request is read and left unanswered
    (the connection closed); every later connection gets the JWKS."""

    def __init__(self, jwks: dict):
        self.jwks = json.dumps(jwks).encode()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(WAIT)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests_by_connection: list[list[bytes]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(WAIT)
                seen = [_read_request(conn)]
                self.requests_by_connection.append(seen)
                conn.sendall(_answer(b"{}", close=False))
                seen.append(_read_request(conn))  # the JWKS GET on the kept-alive connection
            while True:  # closed unanswered; new connections get the JWKS
                conn, _ = self.sock.accept()
                with conn:
                    conn.settimeout(WAIT)
                    self.requests_by_connection.append([_read_request(conn)])
                    conn.sendall(_answer(self.jwks, close=True))
        except OSError:
            return  # the listening socket was closed: the test is over

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        self.sock.close()
        self.thread.join(WAIT)


@pytest.fixture
def server_key():
    private = ed25519.Ed25519PrivateKey.generate()
    jwk = public_key_to_jwk(private.public_key())
    jwk.update({"kid": "srv_test", "alg": "EdDSA", "use": "sig"})
    return private, {"keys": [jwk]}


# -- the refetch limit ----------------------------------------------------------------------------
class _Clock:
    """``refusals.time`` with a monotonic clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:  # pragma: no cover - verify_refusal's, unused here
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(refusals, "time", clock)
    return clock


def _jwk(private, kid: str) -> dict:
    jwk = public_key_to_jwk(private.public_key())
    jwk.update({"kid": kid, "alg": "EdDSA", "use": "sig"})
    return jwk


@pytest.mark.parametrize("failure", ["unreachable", "not-json", "503"])
def test_forged_kids_cannot_make_the_client_fetch_the_jwks_on_every_response(failure):
    """Attacker: on the path, makes the JWKS fetch fail (drops it, answers an HTML page or a
    503), then injects refusals that each name a fresh, unknown ``kid``. Promise (docs of
    ``ServerKeys``): the JWKS is fetched again for an unknown kid at most every
    ``min_refresh`` seconds, so a stream of forged kids cannot make the client fetch on every
    response. (It did: ``_refresh`` recorded the time only after ``fetch`` returned, and
    ``key()`` refetched whenever no JWKS was ever loaded, regardless of ``min_refresh``: every
    forged refusal cost one more fetch, each up to ``timeout`` = 30 s, under the lock that
    every other verification waits on.)"""
    calls: list[str] = []

    def fetch(url: str, timeout: float):
        calls.append(url)
        if failure == "unreachable":
            raise ConnectionError("connection refused")
        if failure == "not-json":
            raise ValueError("Expecting value: line 1 column 1")  # requests' .json() of HTML
        return 503, None

    keys = ServerKeys("https://api.example", fetch=fetch, min_refresh=60)
    for i in range(5):
        with pytest.raises(refusals._KeysUnavailable) as excinfo:
            keys.key(f"srv_forged_{i}")
        assert excinfo.value.code == "server_keys_unavailable"
    assert len(calls) == 1, f"{len(calls)} JWKS fetches for 5 forged kids within min_refresh"
    assert keys.fetches == 1


def test_a_failed_jwks_fetch_is_tried_again_once_min_refresh_has_passed(clock, server_key):
    """The very first attempt is always made; after a failed one the next waits
    ``min_refresh`` (not forever): the JWKS that comes back is used."""
    private, jwks = server_key
    answers = [(503, None), (200, jwks)]
    keys = ServerKeys(
        "https://api.example", fetch=lambda url, timeout: answers.pop(0), min_refresh=10
    )
    with pytest.raises(refusals._KeysUnavailable):
        keys.key("srv_test")
    clock.now += 9.5
    with pytest.raises(refusals._KeysUnavailable):
        keys.key("srv_test")  # not due: nothing fetched
    assert keys.fetches == 1
    clock.now += 0.5
    keys.key("srv_test").verify(b"refusal", private.sign(b"refusal"))
    assert keys.fetches == 2 and answers == []


def test_a_rotated_server_key_is_fetched_once_min_refresh_has_passed(clock, server_key):
    """A legitimate rotation: the server's JWKS gains a new kid (a new master key). A refusal
    naming it within ``min_refresh`` of the last fetch is ``unknown_key`` without a fetch;
    after it, the JWKS is fetched once more and the new key verifies; the old one stays."""
    old_private, jwks = server_key
    new_private = ed25519.Ed25519PrivateKey.generate()
    rotated = {"keys": [_jwk(new_private, "srv_new"), *jwks["keys"]]}
    served = [jwks]
    calls = []

    def fetch(url: str, timeout: float):
        calls.append(url)
        return 200, served[0]

    keys = ServerKeys("https://api.example", fetch=fetch, min_refresh=10)
    keys.key("srv_test")
    served[0] = rotated
    clock.now += 5
    with pytest.raises(SignatureError) as excinfo:
        keys.key("srv_new")
    assert excinfo.value.code == "unknown_key" and len(calls) == 1
    clock.now += 5
    keys.key("srv_new").verify(b"refusal", new_private.sign(b"refusal"))
    assert len(calls) == 2
    keys.key("srv_test").verify(b"refusal", old_private.sign(b"refusal"))  # cached
    assert len(calls) == 2 and calls == ["https://api.example" + JWKS_PATH] * 2


# -- a pooled connection closed before any answer -------------------------------------------------
@pytest.fixture
def closing_server(server_key):
    server = _ClosingServer(server_key[1])
    yield server
    server.close()


def test_jwks_fetch_retries_on_a_new_connection_when_the_kept_alive_one_closes(
    closing_server, server_key
):
    """As :class:`~signed_api.client.SignatureAuth`'s response hook does: the answer read
    (its connection back in the pool), then the JWKS fetched through the same adapter."""
    keys = ServerKeys(closing_server.url)
    found = []

    def hook(response, **send_kwargs):
        assert response.content == b"{}"  # read: its connection is pooled, kept alive
        fetch = _adapter_fetch(response.connection, send_kwargs)
        found.append(keys.key("srv_test", fetch=fetch))
        return response

    with requests.Session() as session:
        first = session.get(closing_server.url + "/echo/", hooks={"response": hook}, timeout=WAIT)
    assert first.status_code == 200

    private, _jwks = server_key
    found[0].verify(b"refusal", private.sign(b"refusal"))  # the server's very key
    assert keys.fetches == 1
    # The JWKS GET went out on the kept-alive connection first (closed unanswered), then once
    # more on a new one.
    connections = closing_server.requests_by_connection
    assert [len(c) for c in connections] == [2, 1], connections
    assert connections[0][1].startswith(b"GET " + JWKS_PATH.encode() + b" ")
    assert connections[1][0].startswith(b"GET " + JWKS_PATH.encode() + b" ")


def test_jwks_fetch_does_not_retry_when_the_server_cannot_be_reached(server_key):
    """A refused connection is not retried: only a reused connection's close is."""
    sock = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # nothing listens there now
    attempts = []

    class CountingAdapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            attempts.append(request.url)
            return super().send(request, **kwargs)

    adapter = CountingAdapter()
    try:
        with pytest.raises(requests.ConnectionError):
            _adapter_fetch(adapter, {"timeout": WAIT})(url + JWKS_PATH, WAIT)
    finally:
        adapter.close()
    assert attempts == [url + JWKS_PATH]
