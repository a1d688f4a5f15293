"""The client's JWKS fetch through the adapter that carried the request survives a kept-alive
connection the server closes just as the fetch is sent on it.

A ``requests`` response hook fetches the JWKS through the request's own adapter, so a pooled
connection may be reused. A server may close such a connection after a response without
saying ``Connection: close`` (Django's threaded server does when the request asked for
``close``; any server does when its keep-alive timeout ends): the GET then meets a closed
connection and no response. RFC 9112 §9.3.1.1 lets a client retry an idempotent request on a
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

from signed_api.client.auth import _adapter_fetch
from signed_api.client.refusals import JWKS_PATH, ServerKeys
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
