"""``signed_api.asgi``: under ASGI a body over the limit is refused without being read, and an
absolute-form request target is answered like its path.

Django's ``ASGIHandler`` reads every body to its end (to a temporary file past
``FILE_UPLOAD_MAX_MEMORY_SIZE``) before any middleware or view runs, so without
``RequestBodyLimit`` the 413 of a declared gigabyte came after the gigabyte. Here the real Django
ASGI application of the test settings (the example project's URLconf, the gateway middleware,
``ResponseSignatureMiddleware``) is driven with an ASGI ``receive`` that counts what it hands
out; tests/integration/test_gunicorn_example.py does the same over a socket, under gunicorn and
(again through test_asgi) uvicorn.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from signed_api.asgi import FROM_SETTINGS, RequestBodyLimit, default_limit, get_asgi_application

MiB = 1 << 20
SESSIONS = "/api/auth/sessions/"
GATEWAY = "/.well-known/ohttp-gateway"


class Client:
    """The sending side of one request: ``chunks`` body messages of ``chunk`` bytes (endless when
    ``chunks`` is ``None``), then nothing (it waits for its answer); counts what the application
    pulled."""

    def __init__(self, chunk: bytes, chunks: int | None):
        self.chunk = chunk
        self.left = chunks
        self.pulled = 0
        self.pulled_before_answer: int | None = None
        self.messages: list[dict] = []

    async def receive(self) -> dict:
        await asyncio.sleep(0)  # a real server suspends here until the socket has data
        if self.left == 0:
            await asyncio.Event().wait()  # waits for the answer: the application cancels this
        if self.left is not None:
            self.left -= 1
        self.pulled += len(self.chunk)
        return {"type": "http.request", "body": self.chunk, "more_body": self.left != 0}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start" and self.pulled_before_answer is None:
            self.pulled_before_answer = self.pulled
        self.messages.append(message)

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        parts = [m for m in self.messages if m["type"] == "http.response.body"]
        body = b"".join(m.get("body", b"") for m in parts)
        return start["status"], headers, body


def _scope(path: str, content_type: str, length: int | None) -> dict:
    headers = [(b"host", b"testserver"), (b"content-type", content_type.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _serve(app, scope: dict, client: Client) -> tuple[int, dict[str, str], bytes]:
    async def run():
        await asyncio.wait_for(app(scope, client.receive, client.send), timeout=30)

    asyncio.run(run())
    return client.answer()


@pytest.fixture
def application():
    return get_asgi_application()


# -- through Django --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "content_type", "code"),
    [
        (SESSIONS, "application/json", "request_too_large"),
        (GATEWAY, "message/ohttp-req", "request_too_large"),
    ],
    ids=["login", "gateway"],
)
def test_a_declared_length_over_the_limit_is_a_signed_413_with_nothing_read(
    application, path, content_type, code
):
    client = Client(bytes(MiB), chunks=None)  # would send forever
    status, headers, body = _serve(application, _scope(path, content_type, 64 * 1024 * MiB), client)
    assert status == 413, body[:200]
    assert json.loads(body)["code"] == code
    assert "signature" in headers and "content-digest" in headers
    assert client.pulled_before_answer == 0


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_is_refused_after_the_limit_and_no_more(
    application, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * MiB  # over the gateway's 3 MiB: this is the limit
    chunk = b" " * (64 * 1024)
    client = Client(chunk, chunks=None)
    status, _headers, body = _serve(application, _scope(SESSIONS, "application/json", None), client)
    assert status == 413, body[:200]
    assert json.loads(body)["code"] == "request_too_large"
    assert 4 * MiB < client.pulled_before_answer <= 4 * MiB + len(chunk)


@pytest.mark.django_db(transaction=True)
def test_a_body_within_the_limit_reaches_the_view_whole(application, user):
    from tests.accounts import PASSWORD

    payload = json.dumps({"username": "alice", "password": PASSWORD, "pad": "x" * 300_000})
    data = payload.encode()
    client = Client(data, chunks=1)
    status, _headers, body = _serve(
        application, _scope(SESSIONS, "application/json", len(data)), client
    )
    assert status == 201, body[:300]


def test_without_the_limit_django_reads_every_byte_first():
    """What ``RequestBodyLimit`` is for: Django's own application, same request."""
    from django.core.asgi import get_asgi_application as django_application

    client = Client(bytes(MiB), chunks=8)
    status, _headers, _body = _serve(
        django_application(), _scope(SESSIONS, "application/json", 64 * 1024 * MiB), client
    )
    assert status == 413
    assert client.pulled_before_answer == 8 * MiB


# -- the wrapper on its own ------------------------------------------------------------------
class Recorder:
    """An ASGI application that reads the body to its end, answers, then asks for one more
    message (as Django 5's disconnect listener does)."""

    def __init__(self, pulled: list[bytes] | None = None):
        self.body = b""
        self.after: dict | None = None
        self.pulled = pulled
        self.pulled_for_the_body: list[bytes] | None = None
        self.scope: dict = {}

    async def __call__(self, scope, receive, send):
        self.scope = scope
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if self.pulled is not None:
            self.pulled_for_the_body = list(self.pulled)
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.after = await receive()


async def _sink(message):
    pass


def _through(limit, chunks: list[bytes], length: int | None) -> tuple[Recorder, list[bytes]]:
    given = list(chunks)
    pulled: list[bytes] = []

    async def receive():
        if not given:
            return {"type": "http.disconnect"}
        chunk = given.pop(0)
        pulled.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(given)}

    recorder = Recorder(pulled)
    scope = _scope(SESSIONS, "application/json", length)
    asyncio.run(RequestBodyLimit(recorder, max_body_bytes=limit)(scope, receive, _sink))
    return recorder, pulled


def test_a_body_at_the_limit_is_handed_on_whole():
    recorder, pulled = _through(10, [b"12345", b"67890"], None)
    assert recorder.body == b"1234567890"
    assert recorder.after == {"type": "http.disconnect"}
    assert pulled == [b"12345", b"67890"]


def test_a_body_over_the_limit_ends_one_byte_past_it_and_the_rest_is_dropped():
    recorder, pulled = _through(10, [b"12345", b"678901234", b"more", b"and more"], None)
    assert recorder.body == b"12345678901"  # limit + 1: the application sees it is over
    assert recorder.pulled_for_the_body == [b"12345", b"678901234"]
    # ... and is declared so (Django reads the headers after the body; DRF reads no body
    # without a Content-Length)
    assert [v for k, v in recorder.scope["headers"] if k == b"content-length"] == [b"11"]
    assert pulled == [b"12345", b"678901234"]  # the rest is never asked of the server


def test_a_declared_length_over_the_limit_reads_nothing():
    recorder, pulled = _through(10, [b"12345678901"], 11)
    assert recorder.body == b""
    assert recorder.pulled_for_the_body == []
    assert pulled == []  # never asked of the server
    # Asked for more after the body (Django 5 listens for a disconnect), the application gets
    # the disconnect once it has answered (see the test through Django).


def test_a_declared_length_within_the_limit_passes_as_it_is():
    recorder, pulled = _through(10, [b"1234567890"], 10)
    assert recorder.body == b"1234567890" and pulled == [b"1234567890"]


@pytest.mark.parametrize("length", [b"1e9", b"-1", b"", b"abc"])
def test_a_content_length_that_is_no_number_is_counted_as_it_comes(length):
    given = [b"x" * 6, b"x" * 6, b"x" * 6]

    async def receive():
        if not given:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": given.pop(0), "more_body": bool(given)}

    recorder = Recorder()
    scope = _scope(SESSIONS, "application/json", None)
    scope["headers"].append((b"content-length", length))
    asyncio.run(RequestBodyLimit(recorder, max_body_bytes=10)(scope, receive, _sink))
    assert recorder.body == b"x" * 11


def test_two_content_lengths_that_disagree_are_counted_as_they_come():
    recorder = Recorder()
    scope = _scope(SESSIONS, "application/json", 5)
    scope["headers"].append((b"content-length", b"50"))
    chunks = [b"x" * 8, b"x" * 8]

    async def receive():
        if not chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    asyncio.run(RequestBodyLimit(recorder, max_body_bytes=10)(scope, receive, _sink))
    assert recorder.body == b"x" * 11


def test_other_scopes_and_no_limit_pass_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["type"], receive))

    async def receive():
        return {"type": "lifespan.startup"}

    asyncio.run(RequestBodyLimit(app, max_body_bytes=10)({"type": "lifespan"}, receive, None))
    scope = _scope(SESSIONS, "application/json", 10**12)
    asyncio.run(RequestBodyLimit(app, max_body_bytes=None)(scope, receive, _sink))
    assert seen == [("lifespan", receive), ("http", receive)]


@pytest.mark.parametrize("bad", [True, 1.5, "10", -1])
def test_a_limit_that_is_no_size_is_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        RequestBodyLimit(Recorder(), max_body_bytes=bad)


def test_the_default_limit_follows_the_settings(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    assert default_limit() == 3 * MiB  # the gateway's OHTTP_MAX_REQUEST_BYTES is larger
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * MiB
    assert default_limit() == 5 * MiB
    assert RequestBodyLimit(Recorder()).limit() == 5 * MiB
    assert RequestBodyLimit(Recorder(), max_body_bytes=FROM_SETTINGS).limit() == 5 * MiB
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    assert default_limit() is None


def test_the_example_project_serves_the_limited_application():
    from example_project import asgi

    assert isinstance(asgi.application, RequestBodyLimit)


# -- an absolute-form target -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "raw", "expected"),
    [
        ("http://testserver/api/notes/", b"http://testserver/api/notes/", "/api/notes/"),
        ("https://h.example:8443/a%2Fb", b"https://h.example:8443/a%2Fb", "/a%2Fb"),
        ("http://testserver", b"http://testserver", "/"),
        ("/api/notes/", b"/api/notes/", "/api/notes/"),  # origin-form: untouched
        ("/x/http://y/", b"/x/http://y/", "/x/http://y/"),
    ],
)
def test_an_absolute_form_target_reaches_the_application_as_its_path(path, raw, expected):
    from signed_api.asgi import OriginFormTarget

    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    scope = {**_scope(SESSIONS, "application/json", 0), "path": path, "raw_path": raw}
    asyncio.run(OriginFormTarget(app)(scope, None, None))
    assert seen["path"] == expected
    assert seen["raw_path"] == expected.encode()
    assert scope["path"] == path  # the server's scope is not changed


@pytest.mark.django_db(transaction=True)
def test_an_absolute_form_target_is_answered_like_its_path_through_django(application):
    scope = {
        **_scope("/api/notes/", "application/json", 0),
        "method": "GET",
        "path": "http://testserver/api/notes/",
        "raw_path": b"http://testserver/api/notes/",
    }
    client = Client(b"", chunks=1)
    status, headers, body = _serve(application, scope, client)
    assert (status, json.loads(body)["code"]) == (401, "signature_missing")
    assert "signature" in headers
