"""Reading the JSON answers of the API in tests (shared by the test packages)."""

from __future__ import annotations

import contextlib
import json

FAILURE_KEYS = {"detail", "code"}


def body(response) -> dict:
    return json.loads(response.content)


def assert_error(
    response, code: str, status: int = 401, *, exact: bool = False,
    accept_signature: bool = False,
) -> dict:
    """A failure of docs/protocol.md: the status and ``{"detail": <sentence>, "code": code, ...}``;
    a 401 also carries ``WWW-Authenticate: Signature``. Returns the body.

    ``exact``: the body has ``detail`` and ``code`` and nothing else. ``accept_signature``: a 401
    also carries an ``Accept-Signature`` header (what the server asks a client to sign).
    """
    assert response.status_code == status, (response.status_code, response.content[:400])
    data = body(response)
    if exact:
        assert set(data) == FAILURE_KEYS, data
    assert data["code"] == code, data
    assert isinstance(data["detail"], str)
    assert data["detail"]
    if status == 401:
        assert response["WWW-Authenticate"] == "Signature"
        if accept_signature:
            assert response.has_header("Accept-Signature")
    return data


def exchange(sock, data: bytes) -> bytes:
    """Send ``data`` on a connected socket and read until the server closes; returns what it sent.

    A server may answer before it has read the whole request (a 413 on ``Content-Length``) and
    close the connection with the rest unread. The kernel then resets the connection: sending
    fails with ``EPIPE`` or ``ECONNRESET``, and reading ends with ``ECONNRESET`` after the answer,
    which is already in the receive queue. Both are the end of the exchange here, not a failure;
    a reset before any answer arrived still raises.
    """
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            if not chunks:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


# -- hostile bodies ---------------------------------------------------------------------------
def form_body(count: int) -> bytes:
    """An urlencoded body of ``count`` fields (``f0=1&f1=1...``)."""
    return b"&".join(b"f%d=1" % i for i in range(count))


def multipart_body(count: int, *, files: bool) -> bytes:
    """A ``multipart/form-data; boundary=x`` body of ``count`` fields, or of ``count`` files."""
    parts = []
    for i in range(count):
        name = f'name="f{i}"' + (f'; filename="f{i}.txt"' if files else "")
        parts.append(f"--x\r\nContent-Disposition: form-data; {name}\r\n\r\na\r\n".encode())
    return b"".join(parts) + b"--x--\r\n"
