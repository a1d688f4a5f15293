"""The client through an Oblivious HTTP gateway (RFC 9458): ``OHTTPAdapter`` for requests,
``OHTTPTransport`` and ``AsyncOHTTPTransport`` for httpx, ``--ohttp`` on the command line.

The gateway here is built from ``signed_api.core`` alone, no Django: it serves its key
configurations, opens ``message/ohttp-req`` with its keys, decodes the Binary HTTP request and
hands it to a small application that verifies the RFC 9421 signature with the core, answers
(signing its answer back, as the server does) and encapsulates the Binary HTTP response. It is
reached in process (a requests adapter, an httpx mock transport) and, for the command line, behind
a real HTTP server on the loopback.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import requests

from signed_api.client import (
    AsyncOHTTPTransport,
    OHTTPAdapter,
    OHTTPError,
    OHTTPTransport,
    SignatureAuth,
    encode_secret,
    fetch_key_configs,
    ohttp_session,
)
from signed_api.client.ohttp import KEY_PROBLEM_TYPE, choose_config, gateway_url_for
from signed_api.core import (
    Message,
    Policy,
    SignatureError,
    bhttp,
    content_digest,
    hpke,
    load_signing_key,
    load_verifying_key,
    ohttp,
    sign_message,
    verify_message,
)
from tests.unit.test_client import FAKE_JWKS_PATH, fake_jwks, fake_refusal_headers

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://api.test"
GATEWAY = ORIGIN + "/.well-known/ohttp-gateway"
SECRET = bytes(range(40, 72))
KEYID = "key-ohttp"
SESSION_ID = "ses_ohttp"
SESSION_SECRET = bytes(range(100, 132))
PASSWORD = "a password that must not travel in the clear"
GOOD_CODE = "246810"
CHALLENGE_ID = "chl_ohttp"
CHALLENGE_TOKEN = "challenge-token-ohttp"
RESPONSE_COMPONENTS = (
    '"@status"', '"content-type"', '"content-digest"', '"@method";req', '"@path";req',
    '"signature";req;key="sig1"',
)  # fmt: skip
SERVER_POLICY = Policy(
    required_components=("@method", "@authority", "@path", "@query"),
    required_params=("created", "nonce"),
    clock_skew=300,
    require_digest_for_body=True,
)
KEYS = {KEYID: SECRET, SESSION_ID: SESSION_SECRET}


# -- the application behind the gateway ------------------------------------------------------------
class _Asked:
    """The part of a request handler ``fake_refusal_headers`` reads."""

    def __init__(self, command, path, headers):
        self.command, self.path = command, path
        self.headers = _Lines(headers)


class _Lines(list):
    def items(self):
        return list(self)


class App:
    """Notes and a login with a second factor, every other route signed, answers signed back."""

    def __init__(self):
        self.seen: list[bhttp.Request] = []
        self.nonces: set[tuple[str, str]] = set()
        self.notes: list[dict] = []
        self.second_factor = False
        self.sign_wrongly = False
        self.lock = threading.Lock()

    def __call__(self, request: bhttp.Request) -> bhttp.Response:
        """The answer, a refusal signed by the server key as signed_api signs it (the client
        refuses an unsigned one); the JWKS at its path."""
        if request.path == FAKE_JWKS_PATH:
            return bhttp.Response(200, headers=(("content-type", "application/json"),),
                                  content=fake_jwks())
        response = self.route(request)
        names = {name for name, _ in response.headers}
        if response.status < 400 or "signature" in names:
            return response
        signed = fake_refusal_headers(
            _Asked(request.method, request.path, request.headers), response.status,
            response.content, "application/json" if "content-type" in names else None,
        )
        return bhttp.Response(
            response.status, content=response.content,
            headers=(*response.headers, *((k.lower(), v) for k, v in signed.items())),
        )

    def route(self, request: bhttp.Request) -> bhttp.Response:
        self.seen.append(request)
        path, sep, query = request.path.partition("?")
        if path == "/api/auth/sessions/" and request.method == "POST":
            return self.login(json.loads(request.content))
        if path == f"/api/auth/sessions/{CHALLENGE_ID}/verify/" and request.method == "POST":
            return self.verify_code(json.loads(request.content))
        message = Message(
            method=request.method, scheme=request.scheme, authority=request.authority,
            path=path, query=query if sep else None, headers=list(request.headers),
            body=request.content,
        )  # fmt: skip
        try:
            verified = verify_message(
                message, self.resolve, SERVER_POLICY, now=time.time(), nonce_store=self.once
            )
        except SignatureError as exc:
            return self.json(401, {"detail": exc.message, "code": exc.code})
        if path == "/api/notes/" and request.method == "POST":
            note = {"id": len(self.notes) + 1, "text": json.loads(request.content)["text"]}
            self.notes.append(note)
            return self.json(201, note, message, verified.keyid)
        if path == "/api/notes/" and request.method == "GET":
            answer = {"notes": self.notes, "query": query, "keyid": verified.keyid}
            return self.json(200, answer, message, verified.keyid)
        if path == f"/api/auth/sessions/{SESSION_ID}/" and request.method == "DELETE":
            return bhttp.Response(204)
        if path == "/api/auth/totp/" and request.method == "POST":
            uri = "otpauth://totp/signed_api:alice?secret=JBSWY3DPEHPK3PXP&issuer=signed_api"
            return self.json(201, {"otpauth_uri": uri}, message, verified.keyid)
        return self.json(404, {"detail": "Not found.", "code": "not_found"})

    @staticmethod
    def resolve(keyid):
        if keyid not in KEYS:
            raise SignatureError("unknown_key")
        return load_verifying_key("hmac-sha256", KEYS[keyid])

    def once(self, keyid, nonce, ttl):
        with self.lock:
            if (keyid, nonce) in self.nonces:
                return False
            self.nonces.add((keyid, nonce))
            return True

    def login(self, data):
        if data.get("username") != "alice" or data.get("password") != PASSWORD:
            return self.json(401, {"detail": "Wrong.", "code": "invalid_credentials"})
        if self.second_factor:
            return self.json(202, {
                "id": CHALLENGE_ID, "status": "pending", "challenge_token": CHALLENGE_TOKEN,
                "methods": ["totp"], "expires_at": "2030-01-01T00:00:00+00:00",
            })  # fmt: skip
        return self.session()

    def verify_code(self, data):
        if data.get("challenge_token") != CHALLENGE_TOKEN or data.get("code") != GOOD_CODE:
            return self.json(401, {"detail": "Wrong code.", "code": "otp_invalid",
                                   "attempts_remaining": 2})  # fmt: skip
        return self.session()

    def session(self):
        return self.json(201, {
            "id": SESSION_ID, "secret": encode_secret(SESSION_SECRET), "algorithm": "hmac-sha256",
            "expires_at": "2030-01-01T00:00:00+00:00", "idle_timeout": 3600,
        })  # fmt: skip

    def json(self, status, payload, request=None, keyid=None) -> bhttp.Response:
        data = json.dumps(payload).encode()
        headers = [("content-type", "application/json"), ("content-length", str(len(data)))]
        if request is not None:
            headers.append(("content-digest", content_digest(data)))
            response = Message.for_response(status, headers=headers, body=data, request=request)
            secret = KEYS[keyid] if not self.sign_wrongly else b"w" * 32
            signature_input, signature = sign_message(
                response, load_signing_key("hmac-sha256", secret),
                components=RESPONSE_COMPONENTS, keyid=keyid, created=int(time.time()),
            )  # fmt: skip
            headers += [("signature-input", signature_input), ("signature", signature)]
        return bhttp.Response(status, headers=tuple(headers), content=data)


# -- the gateway -----------------------------------------------------------------------------
def new_key(key_id: int, suites=ohttp.DEFAULT_SUITES) -> ohttp.GatewayKey:
    return ohttp.GatewayKey.from_private_key(key_id, hpke.generate_private_key(), suites=suites)


class Gateway:
    """RFC 9458's gateway from the core: ``handle(method, path, headers, body)`` answers
    ``(status, headers, body)``. Every outer exchange is kept in ``exchanges``."""

    def __init__(self, app: App):
        self.app = app
        self.keys = {1: new_key(1)}
        self.advertised: list[ohttp.KeyConfig] | None = None  # None: every accepted key
        self.cache_control = "max-age=3600"
        self.force: tuple[int, dict, bytes] | None = None  # answer this to every POST
        self.tamper = False
        self.exchanges: list[tuple[str, str, bytes, int, bytes]] = []
        self.inner_sizes: list[int] = []

    def rotate(self) -> None:
        """A new key with a new id; the old one is no longer accepted (nor advertised)."""
        key_id = max(self.keys) + 1
        self.keys = {key_id: new_key(key_id)}

    def handle(self, method: str, path: str, headers: dict, body: bytes):
        status, answer_headers, answer = self._handle(method, path, headers, body)
        self.exchanges.append((method, path, body, status, answer))
        return status, answer_headers, answer

    def _handle(self, method, path, headers, body):
        if path != "/.well-known/ohttp-gateway":
            return 404, {"Content-Type": "text/plain"}, b"not here"
        if method == "GET":
            configs = self.advertised or [k.config for k in self.keys.values()]
            return 200, {
                "Content-Type": ohttp.KEYS_MEDIA_TYPE, "Cache-Control": self.cache_control,
            }, ohttp.encode_key_configs(configs)  # fmt: skip
        if method != "POST":
            return 405, {"Content-Type": "text/plain"}, b""
        if self.force is not None:
            return self.force
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type")
        if content_type != ohttp.REQUEST_MEDIA_TYPE:
            return 415, {"Content-Type": "text/plain"}, b""
        try:
            inner, context = ohttp.decapsulate_request(self.keys, body)
        except SignatureError as exc:
            if exc.code == "ohttp_unknown_key":
                problem = {"type": KEY_PROBLEM_TYPE, "title": "key identifier unknown"}
                return 400, {"Content-Type": "application/problem+json"}, json.dumps(
                    problem
                ).encode()
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"code": exc.code}
            ).encode()
        self.inner_sizes.append(len(inner))
        response = self.app(bhttp.decode_request(inner))
        sealed = context.encapsulate_response(bhttp.encode_response(response))
        if self.tamper:
            sealed = sealed[:-1] + bytes([sealed[-1] ^ 1])
        return 200, {"Content-Type": ohttp.RESPONSE_MEDIA_TYPE}, sealed

    def posts(self) -> list[bytes]:
        return [body for method, _, body, _, _ in self.exchanges if method == "POST"]

    def gets(self) -> int:
        return sum(1 for method, *_ in self.exchanges if method == "GET")


class GatewayAdapter(requests.adapters.BaseAdapter):
    """The gateway in process, for the adapter's outer ``requests.Session``."""

    def __init__(self, gateway: Gateway):
        super().__init__()
        self.gateway = gateway
        self.urls: list[str] = []

    def send(self, request, **kwargs):
        self.urls.append(request.url)
        body = request.body or b""
        status, headers, answer = self.gateway.handle(
            request.method, urlsplit(request.url).path, dict(request.headers), bytes(body)
        )
        response = requests.Response()
        response.status_code = status
        response.headers = requests.structures.CaseInsensitiveDict(headers)
        response._content = answer
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


@pytest.fixture
def app():
    return App()


@pytest.fixture
def gateway(app):
    return Gateway(app)


@pytest.fixture
def outer(gateway):
    session = requests.Session()
    session.mount("http://", GatewayAdapter(gateway))
    return session


@pytest.fixture
def auth():
    return SignatureAuth(KEYID, SECRET)


def httpx_outer(gateway: Gateway, *, asynchronous: bool = False):
    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, answer = gateway.handle(
            request.method, request.url.path, dict(request.headers), request.read()
        )
        return httpx.Response(status, headers=headers, content=answer)

    async def async_handler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        return handler(request)

    return httpx.MockTransport(async_handler if asynchronous else handler)


# -- round trips ---------------------------------------------------------------------------------
TARGET = ORIGIN + "/api/notes/?q=caf%C3%A9&tag=a%20b&empty="


def test_requests_round_trip_verifies_inside_and_answers_the_inner_response(
    gateway, app, outer, auth
):
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        created = http.post(ORIGIN + "/api/notes/", json={"text": "secret note"}, timeout=5)
        listed = http.get(TARGET, timeout=5)
    assert (created.status_code, created.reason) == (201, "Created")
    assert created.json() == {"id": 1, "text": "secret note"}
    assert listed.status_code == 200
    assert listed.json()["notes"] == [{"id": 1, "text": "secret note"}]
    assert listed.json()["query"] == "q=caf%C3%A9&tag=a%20b&empty="  # raw, as signed
    assert listed.url == TARGET and listed.request.url == TARGET
    assert listed.headers["Content-Type"] == "application/json"
    # The inner responses are what SignatureAuth verifies: signed for this very request.
    for response in (created, listed):
        verified = auth.verify_response(response)
        assert verified.keyid == KEYID
    # The inner requests as the gateway's application got them.
    post, get = app.seen
    assert (post.method, post.scheme, post.authority, post.path) == (
        "POST", "http", "api.test", "/api/notes/",
    )  # fmt: skip
    assert post.content == b'{"text": "secret note"}'
    names = [name for name, _ in post.headers]
    assert {"signature", "signature-input", "content-digest", "content-type"} <= set(names)
    assert "connection" not in names  # connection-specific fields stay outside
    assert get.path == "/api/notes/?q=caf%C3%A9&tag=a%20b&empty="
    # Outside, only the gateway was ever asked: once for the keys, then one POST each.
    assert [(m, p) for m, p, *_ in gateway.exchanges] == [
        ("GET", "/.well-known/ohttp-gateway"),
        ("POST", "/.well-known/ohttp-gateway"),
        ("POST", "/.well-known/ohttp-gateway"),
    ]


def test_the_outer_messages_hold_nothing_of_the_inner_ones(gateway, outer, auth):
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        response = http.post(
            ORIGIN + "/api/notes/?private=query", json={"text": "secret note"}, timeout=5
        )
    assert response.status_code == 201
    signature = response.request.headers["Signature"].split(":")[1].encode()
    for method, _path, sent, _status, answer in gateway.exchanges:
        if method != "POST":
            continue
        assert sent[:1] == b"\x01" and answer  # key id 1, then ciphertext
        for plain in (b"secret note", b"/api/notes/", b"private=query", b"signature",
                      signature, KEYID.encode(), b"application/json"):  # fmt: skip
            assert plain not in sent and plain not in answer


def test_login_with_a_second_factor_and_logout_through_the_gateway(gateway, app, outer):
    from signed_api.client import login, logout

    app.second_factor = True
    with ohttp_session(ORIGIN, outer=outer) as http:
        creds = login(
            ORIGIN + "/api/auth/", "alice", PASSWORD, code_prompt=lambda info: GOOD_CODE,
            http=http,
        )  # fmt: skip
        assert creds.id == SESSION_ID and creds.secret == SESSION_SECRET
        notes = http.get(ORIGIN + "/api/notes/", auth=creds.auth(), timeout=5)
        assert notes.json()["keyid"] == SESSION_ID
        logout(ORIGIN + "/api/auth/", creds.id, creds.auth(), http=http)
    sent = b"".join(gateway.posts())
    for plain in (PASSWORD.encode(), GOOD_CODE.encode(), CHALLENGE_TOKEN.encode(), b"alice"):
        assert plain not in sent
    assert [r.path for r in app.seen] == [
        "/api/auth/sessions/", f"/api/auth/sessions/{CHALLENGE_ID}/verify/", "/api/notes/",
        f"/api/auth/sessions/{SESSION_ID}/",
    ]  # fmt: skip


def test_a_wrongly_signed_inner_response_fails_verification(app, outer, auth):
    app.sign_wrongly = True
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        response = http.get(ORIGIN + "/api/notes/", timeout=5)
    assert response.status_code == 200
    with pytest.raises(SignatureError) as excinfo:
        auth.verify_response(response)
    assert excinfo.value.code == "signature_invalid"


def test_an_unsigned_inner_request_is_refused_inside(outer):
    with ohttp_session(ORIGIN, outer=outer) as http:
        response = http.get(ORIGIN + "/api/notes/", timeout=5)
    assert response.status_code == 401  # the inner answer, carried in an outer 200
    assert response.json()["code"] == "signature_missing"


def test_httpx_round_trip_and_inner_verification(gateway, app, auth):
    transport = OHTTPTransport(GATEWAY, outer=httpx_outer(gateway))
    with httpx.Client(transport=transport, auth=auth) as client:
        created = client.post(ORIGIN + "/api/notes/", json={"text": "from httpx"})
        listed = client.get(TARGET)
    assert created.status_code == 201 and created.json()["text"] == "from httpx"
    assert listed.json()["query"] == "q=caf%C3%A9&tag=a%20b&empty="
    assert auth.verify_response(created).keyid == KEYID
    assert auth.verify_response(listed).keyid == KEYID
    assert app.seen[0].authority == "api.test"
    assert "connection" not in [name for name, _ in app.seen[0].headers]
    assert gateway.gets() == 1


def test_async_httpx_round_trip(gateway, auth):
    async def run():
        transport = AsyncOHTTPTransport(GATEWAY, outer=httpx_outer(gateway, asynchronous=True))
        async with httpx.AsyncClient(transport=transport, auth=auth) as client:
            created = await client.post(ORIGIN + "/api/notes/", json={"text": "async"})
            listed = await client.get(ORIGIN + "/api/notes/")
        return created, listed

    created, listed = asyncio.run(run())
    assert created.status_code == 201
    assert [n["text"] for n in listed.json()["notes"]] == ["async"]
    auth.verify_response(listed)


def test_a_replayed_signed_request_is_refused_inside(outer, auth):
    prepared = requests.Request("GET", ORIGIN + "/api/notes/", auth=auth).prepare()
    with ohttp_session(ORIGIN, outer=outer) as http:
        first, second = http.send(prepared, timeout=5), http.send(prepared, timeout=5)
    assert (first.status_code, second.status_code) == (200, 401)
    assert second.json()["code"] == "nonce_replayed"


# -- the outer POST, prepared once (OHTTPAdapter._post) -------------------------------------------
class RecordingGatewayAdapter(GatewayAdapter):
    """Also keeps the headers and the send arguments of each outer request."""

    def __init__(self, gateway: Gateway):
        super().__init__(gateway)
        self.sent: list[tuple[dict, dict]] = []

    def send(self, request, **kwargs):
        self.sent.append((dict(request.headers), kwargs))
        return super().send(request, **kwargs)


def _recording_outer(gateway):
    session = requests.Session()
    adapter = RecordingGatewayAdapter(gateway)
    session.mount("http://", adapter)
    return session, adapter


def _posts(adapter):
    return [(h, kw) for h, kw in adapter.sent if h.get("Content-Type") == "message/ohttp-req"]


def test_each_outer_post_has_its_own_body_and_length_and_the_outer_sessions_headers_now(
    gateway, auth
):
    outer, adapter = _recording_outer(gateway)
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        assert http.post(ORIGIN + "/api/notes/", json={"text": "one"}).status_code == 201
        outer.headers["X-Relay-Tenant"] = "t1"  # changed after the first request: seen
        assert http.post(ORIGIN + "/api/notes/", json={"text": "two " * 40}).status_code == 201
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
    posts = _posts(adapter)
    assert len(posts) == 3
    bodies = gateway.posts()
    assert len({bytes(b) for b in bodies}) == 3  # three encapsulations, never a reused body
    for (headers, kwargs), body in zip(posts, bodies, strict=True):
        assert headers["Content-Length"] == str(len(body))
        assert headers["Accept"] == "message/ohttp-res"
        assert kwargs["timeout"] is None and kwargs["verify"]  # True, or the CA bundle of the env
    assert "X-Relay-Tenant" not in posts[0][0]
    assert posts[1][0]["X-Relay-Tenant"] == posts[2][0]["X-Relay-Tenant"] == "t1"


def test_sixteen_threads_share_one_adapter_and_each_post_carries_its_own_body(
    gateway, app, auth
):
    """The prepared outer request is shared; each thread's copy gets its own body and length."""
    outer, adapter = _recording_outer(gateway)
    texts = [f"note {i} " + "x" * i for i in range(16)]
    barrier = threading.Barrier(len(texts), timeout=10)
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:

        def post(text):
            barrier.wait()
            return http.post(ORIGIN + "/api/notes/", json={"text": text}).status_code

        threads_results: list[int] = []
        workers = [threading.Thread(target=lambda t=t: threads_results.append(post(t)))
                   for t in texts]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10)
    assert threads_results == [201] * len(texts)
    assert sorted(note["text"] for note in app.notes) == sorted(texts)
    posts = _posts(adapter)
    assert len(posts) == len(texts)
    assert sorted(int(h["Content-Length"]) for h, _ in posts) == sorted(
        len(body) for body in gateway.posts()
    )


def test_the_outer_sessions_proxies_verify_and_cert_apply_to_the_outer_post(gateway, auth):
    outer, adapter = _recording_outer(gateway)
    outer.proxies = {"http": "http://proxy.test:3128"}
    outer.cert = "/etc/client.pem"
    outer.verify = "/etc/ca.pem"
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        http.proxies = {"https": "http://other.test:8080"}
        assert http.get(ORIGIN + "/api/notes/", verify="/etc/inner-ca.pem").status_code == 200
    [(_headers, kwargs)] = _posts(adapter)
    # The inner request's settings win; the outer session's fill in what they leave out.
    assert kwargs["proxies"] == {"http": "http://proxy.test:3128", "https": "http://other.test:8080"}
    assert kwargs["verify"] == "/etc/inner-ca.pem"
    assert kwargs["cert"] == "/etc/client.pem"


def test_outer_cookies_and_an_outer_auth_take_the_full_session_path(gateway, auth):
    outer, adapter = _recording_outer(gateway)
    outer.cookies.set("lb", "node-2", domain="api.test", path="/")
    outer.auth = ("relay-user", "relay-password")
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
    [(headers, _kwargs)] = _posts(adapter)
    assert headers["Cookie"] == "lb=node-2"
    assert headers["Authorization"].startswith("Basic ")


# -- padding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding", [64, 256, 1000])
def test_padding_makes_each_inner_request_a_multiple_of_n_bytes(gateway, outer, auth, padding):
    texts = ["x", "a longer note " * 5, "y" * 300]
    with ohttp_session(ORIGIN, auth=auth, outer=outer, padding=padding) as http:
        for text in texts:
            assert http.post(ORIGIN + "/api/notes/", json={"text": text}).status_code == 201
    assert len(gateway.inner_sizes) == len(texts)
    assert all(size % padding == 0 for size in gateway.inner_sizes), gateway.inner_sizes
    # The outer size is the inner one plus a fixed overhead: header, enc, tag.
    pairs = zip(gateway.posts(), gateway.inner_sizes, strict=True)
    overhead = {len(sent) - size for sent, size in pairs}
    assert overhead == {7 + 32 + 16}


def test_padding_hides_the_length_of_a_password(gateway, app, outer):
    from signed_api.client import LoginError, login

    sizes = []
    with ohttp_session(ORIGIN, outer=outer, padding=1024) as http:
        for password in ("short", "a much, much longer password than that one"):
            with pytest.raises(LoginError):
                login(ORIGIN + "/api/auth/", "alice", password, http=http)
            sizes.append(len(gateway.posts()[-1]))
    assert sizes[0] == sizes[1]


def test_without_padding_sizes_follow_the_content(gateway, outer, auth):
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        http.post(ORIGIN + "/api/notes/", json={"text": "x"})
        http.post(ORIGIN + "/api/notes/", json={"text": "xx"})
    first, second = gateway.inner_sizes
    assert second == first + 1


def test_padding_is_not_negative():
    with pytest.raises(ValueError, match="padding"):
        OHTTPAdapter(GATEWAY, padding=-1)


# -- key configurations ---------------------------------------------------------------------------
def test_a_rotated_key_is_fetched_again_once_and_the_request_retried(gateway, app, outer, auth):
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
        gateway.rotate()  # the cached configuration names a key the gateway no longer has
        response = http.get(ORIGIN + "/api/notes/")
        assert response.status_code == 200
        auth.verify_response(response)
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
    statuses = [(m, s) for m, _, _, s, _ in gateway.exchanges]
    assert statuses == [
        ("GET", 200), ("POST", 200), ("POST", 400), ("GET", 200), ("POST", 200), ("POST", 200),
    ]  # fmt: skip
    assert len(app.seen) == 3  # the refused one never reached the application


@pytest.mark.parametrize(
    "problem",
    [
        {"type": KEY_PROBLEM_TYPE, "title": "key identifier unknown"},  # RFC 9458 §5.3
        {"type": "about:blank", "code": "ohttp_unknown_key"},  # signed_api's code says it too
    ],
    ids=["rfc-type", "code"],
)
def test_a_gateway_that_keeps_refusing_the_key_is_an_error_after_one_retry(
    gateway, outer, auth, problem
):
    problem = json.dumps(problem).encode()
    gateway.force = (400, {"Content-Type": "application/problem+json"}, problem)
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http, pytest.raises(OHTTPError) as e:
        http.post(ORIGIN + "/api/notes/", json={"text": "secret note"})
    excinfo = e
    assert (excinfo.value.status, excinfo.value.code) == (400, "ohttp_key")
    assert [m for m, *_ in gateway.exchanges] == ["GET", "POST", "GET", "POST"]
    assert "secret note" not in str(excinfo.value) and "/api/notes/" not in str(excinfo.value)


def test_max_age_decides_how_long_the_configurations_are_used(gateway, outer, auth):
    gateway.cache_control = "public, max-age=0"
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        for _ in range(3):
            assert http.get(ORIGIN + "/api/notes/").status_code == 200
    assert gateway.gets() == 3


def test_configurations_given_out_of_band_are_used_without_fetching(gateway, outer, auth):
    configs = [k.config for k in gateway.keys.values()]
    with ohttp_session(ORIGIN, auth=auth, outer=outer, key_configs=configs) as http:
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
    assert gateway.gets() == 0


def test_the_first_usable_configuration_and_suite_are_chosen(gateway):
    chacha = ((hpke.KDF_HKDF_SHA256, hpke.AEAD_CHACHA20_POLY1305),)
    first = new_key(7, suites=chacha).config
    unknown_kem = ohttp.KeyConfig(9, 0x0012, b"\x04" * 133, ohttp.DEFAULT_SUITES)
    assert choose_config([unknown_kem, first]) == (first, chacha[0])
    with pytest.raises(OHTTPError) as excinfo:
        choose_config([unknown_kem])
    assert excinfo.value.code == "key_configs_unusable"


def test_a_chacha20_only_gateway_works(gateway, outer, auth):
    gateway.keys = {3: new_key(3, suites=((hpke.KDF_HKDF_SHA256, hpke.AEAD_CHACHA20_POLY1305),))}
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        response = http.get(ORIGIN + "/api/notes/")
    assert response.status_code == 200
    assert gateway.posts()[0][:7] == bytes([3, 0, 0x20, 0, 1, 0, 3])  # key 3, X25519, ChaCha20


def test_fetch_key_configs(gateway, outer):
    configs = fetch_key_configs(GATEWAY, session=outer)
    assert configs == [k.config for k in gateway.keys.values()]
    assert gateway_url_for("https://api.example.com/api/auth/?x=1") == (
        "https://api.example.com/.well-known/ohttp-gateway"
    )


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ((404, {"Content-Type": "text/html"}, b"<html>no</html>"), "gateway_refused"),
        ((406, {"Content-Type": "application/json"}, b'{"detail": "Not acceptable"}'),
         "gateway_refused"),
        ((200, {"Content-Type": "text/html"}, b"<html>a page</html>"), "key_configs_unusable"),
        ((200, {"Content-Type": ohttp.KEYS_MEDIA_TYPE}, b"\x00\x05abc"), "key_configs_unusable"),
    ],
    ids=["404", "406-not-a-gateway", "not-ohttp-keys", "garbage"],
)  # fmt: skip
def test_unusable_key_configurations_are_an_ohttp_error(gateway, outer, answer, code):
    """Whatever its status or media type, an answer to the key configuration request that is
    not a usable ``application/ohttp-keys`` says so: ``key_request`` (most likely, the URL is
    not a gateway at all)."""
    gateway._handle = lambda *args: answer
    with pytest.raises(OHTTPError) as excinfo:
        fetch_key_configs(GATEWAY, session=outer)
    assert excinfo.value.code == code and excinfo.value.key_request
    with ohttp_session(ORIGIN, outer=outer) as http, pytest.raises(OHTTPError) as excinfo:
        http.get(ORIGIN + "/api/notes/")
    assert excinfo.value.code == code and excinfo.value.key_request


def test_key_configurations_with_no_usable_one_are_a_key_request_error(gateway, outer):
    unknown_kem = ohttp.KeyConfig(9, 0x0012, b"\x04" * 133, ohttp.DEFAULT_SUITES)
    answer = (200, {"Content-Type": ohttp.KEYS_MEDIA_TYPE}, ohttp.encode_key_configs([unknown_kem]))
    gateway._handle = lambda *args: answer
    with pytest.raises(OHTTPError) as excinfo:
        fetch_key_configs(GATEWAY, session=outer)
    assert (excinfo.value.code, excinfo.value.key_request) == ("key_configs_unusable", True)


# -- outer errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        ((500, {"Content-Type": "text/html"}, b"<h1>Server Error</h1>"), 500, "gateway_refused"),
        ((502, {}, b""), 502, "gateway_refused"),
        ((413, {"Content-Type": "application/json"}, b'{"code": "ohttp_too_large"}'), 413,
         "ohttp_too_large"),
        ((400, {"Content-Type": "application/json"}, b'{"code": "ohttp_malformed"}'), 400,
         "ohttp_malformed"),
        ((400, {"Content-Type": "application/json"}, b'{"code": "\\u001b[2J x"}'), 400,
         "gateway_refused"),
        ((200, {"Content-Type": "application/json"}, b"{}"), 200, "not_ohttp"),
        ((200, {"Content-Type": ohttp.RESPONSE_MEDIA_TYPE}, b"short"), None, "ohttp_malformed"),
        ((200, {"Content-Type": ohttp.RESPONSE_MEDIA_TYPE}, bytes(80)), None,
         "ohttp_decryption_failed"),
    ],
    ids=["500", "502-empty", "413-code", "400-code", "400-hostile-code", "200-json", "200-short",
         "200-garbage"],
)  # fmt: skip
def test_outer_answers_that_are_no_encapsulated_response(gateway, outer, auth, answer, status,
                                                         code):  # fmt: skip
    gateway.force = answer
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http, pytest.raises(OHTTPError) as e:
        http.post(ORIGIN + "/api/notes/", json={"text": "secret note"})
    assert (e.value.status, e.value.code) == (status, code)
    assert not e.value.key_request  # the keys were fine: the gateway refused the POST
    assert GATEWAY in str(e.value)
    for plain in ("secret note", "/api/notes/", KEYID):
        assert plain not in str(e.value) and plain not in repr(e.value)
    assert gateway.gets() == 1 and len(gateway.posts()) == 1  # no retry but for the key problem


def test_a_tampered_response_does_not_open(gateway, outer, auth):
    gateway.tamper = True
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http, pytest.raises(OHTTPError) as e:
        http.get(ORIGIN + "/api/notes/")
    assert e.value.code == "ohttp_decryption_failed"


def test_httpx_outer_errors_and_key_refetch(gateway, auth):
    transport = OHTTPTransport(GATEWAY, outer=httpx_outer(gateway))
    with httpx.Client(transport=transport, auth=auth) as client:
        assert client.get(ORIGIN + "/api/notes/").status_code == 200
        gateway.rotate()
        assert client.get(ORIGIN + "/api/notes/").status_code == 200
        assert gateway.gets() == 2
        gateway.force = (503, {}, b"")
        with pytest.raises(OHTTPError) as excinfo:
            client.get(ORIGIN + "/api/notes/")
    assert (excinfo.value.status, excinfo.value.code) == (503, "gateway_refused")


def test_a_streamed_body_is_refused(outer, auth):
    with ohttp_session(ORIGIN, outer=outer) as http, pytest.raises(TypeError):
        http.post(ORIGIN + "/api/notes/", data=iter([b"a", b"b"]))


def test_a_relay_gets_the_posts_and_the_gateway_the_key_requests(gateway, auth):
    relay = "http://relay.test/relay/api.test"
    adapter = GatewayAdapter(gateway)
    outer = requests.Session()
    outer.mount("http://", adapter)
    # The relay forwards to the gateway unchanged: here, the same in-process gateway.
    gateway_handle = gateway.handle
    gateway.handle = lambda method, path, headers, body: gateway_handle(
        method, "/.well-known/ohttp-gateway" if path.startswith("/relay/") else path, headers,
        body,
    )  # fmt: skip
    with ohttp_session(ORIGIN, auth=auth, outer=outer, relay_url=relay) as http:
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
    assert adapter.urls == [GATEWAY, relay]


def test_every_url_of_the_session_goes_through_the_gateway(gateway, app, outer, auth):
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        http.get("http://elsewhere.test/api/notes/")
    assert app.seen[0].authority == "elsewhere.test"  # the gateway decides (ALLOWED_HOSTS)
    assert {path for _, path, *_ in gateway.exchanges} == {"/.well-known/ohttp-gateway"}


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture
def gateway_server(gateway):
    """The gateway behind a real HTTP server on the loopback; its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, answer = gateway.handle(
                self.command, self.path, dict(self.headers.items()), body
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run_cli(args, env=None, timeout=60):
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "signed_api.client", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


KEY_ENV = {"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_SECRET": encode_secret(SECRET)}


def test_cli_request_through_the_gateway(gateway_server, gateway, app):
    done = run_cli(
        ["POST", gateway_server + "/api/notes/", "--json", '{"text": "cli note"}', "--ohttp"],
        KEY_ENV,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HTTP 201 Created\n")
    assert json.loads(done.stdout.partition("\n\n")[2]) == {"id": 1, "text": "cli note"}
    assert "response signature: verified" in done.stderr
    assert f"encrypted through the gateway {gateway_server}/.well-known/ohttp-gateway" in (
        done.stderr
    )
    assert app.seen[0].authority == urlsplit(gateway_server).netloc
    assert gateway.inner_sizes[0] % 256 == 0  # the command line pads by default
    assert b"cli note" not in b"".join(gateway.posts())


def test_cli_replay_through_the_gateway_is_refused_inside(gateway_server):
    done = run_cli(["GET", gateway_server + "/api/notes/", "--replay", "--ohttp"], KEY_ENV)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.split("\n--- the same signed request again (a replay) ---\n")
    assert first.startswith("HTTP 200 ") and second.startswith("HTTP 401 ")
    assert '"nonce_replayed"' in second


def test_cli_login_with_a_code_logout_and_totp_through_the_gateway(gateway_server, gateway, app):
    app.second_factor = True
    auth_url = gateway_server + "/api/auth/"
    done = run_cli(
        ["login", auth_url, "--username", "alice", "--code", GOOD_CODE, "--ohttp",
         "--ohttp-padding", "512"],
        {"SIGNED_API_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"(encrypted through the gateway {gateway_server}/.well-known/ohttp-gateway)\n" in (
        done.stderr
    )
    exports = dict(line[len("export "):].split("=", 1) for line in done.stdout.splitlines())
    assert exports == {
        "SIGNED_API_KEY_ID": SESSION_ID, "SIGNED_API_SECRET": encode_secret(SESSION_SECRET),
    }  # fmt: skip
    session_env = dict(exports)
    enabled = run_cli(["totp", "enable", auth_url, "--ohttp"], session_env)
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout.startswith("otpauth://totp/")
    # The interpreter that ran it (run_cli runs it from ROOT).
    python = os.path.relpath(sys.executable, ROOT)
    python = python if len(python) < len(sys.executable) else sys.executable
    assert f"then: {python} -m signed_api.client totp confirm {auth_url} CODE --ohttp\n" in (
        enabled.stderr
    )
    assert enabled.stderr.startswith(f"(encrypted through the gateway {gateway_server}/")
    out = run_cli(["logout", auth_url, "--ohttp-gateway", GATEWAY_PATH_OF(gateway_server)],
                  session_env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout == "logged out\n"
    assert out.stderr == f"(encrypted through the gateway {GATEWAY_PATH_OF(gateway_server)})\n"
    assert all(size % 512 == 0 for size in gateway.inner_sizes[:2])
    sent = b"".join(gateway.posts())
    for plain in (PASSWORD, GOOD_CODE, CHALLENGE_TOKEN, "/api/auth/", "alice"):
        assert plain.encode() not in sent
    assert [r.path for r in app.seen] == [
        "/api/auth/sessions/", f"/api/auth/sessions/{CHALLENGE_ID}/verify/", "/api/auth/totp/",
        f"/api/auth/sessions/{SESSION_ID}/",
    ]  # fmt: skip


def GATEWAY_PATH_OF(base: str) -> str:  # noqa: N802 - reads as a constant
    return base + "/.well-known/ohttp-gateway"


def test_cli_gateway_errors_are_one_line(gateway_server, gateway):
    # No gateway at that URL: a usage problem, with a hint.
    done = run_cli(["GET", gateway_server + "/api/notes/", "--ohttp-gateway",
                    gateway_server + "/nothing/"], KEY_ENV)  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: no usable gateway: ") and "HTTP 404" in lines[0]
    assert lines[1].startswith("hint: ") and len(lines) == 2
    # The gateway refuses: the server refused, exit status 1, nothing of the request shown.
    gateway.force = (400, {"Content-Type": "application/json"}, b'{"code": "ohttp_malformed"}')
    done = run_cli(["POST", gateway_server + "/api/notes/", "--json", '{"text": "hidden"}',
                    "--ohttp"], KEY_ENV)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert re.fullmatch(r"error: gateway: the gateway \S+ answered HTTP 400 \(ohttp_malformed\)\n",
                        done.stderr), done.stderr  # fmt: skip
    done = run_cli(["login", gateway_server + "/api/auth/", "--username", "alice", "--ohttp"],
                   {"SIGNED_API_PASSWORD": PASSWORD})  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: gateway: ") and PASSWORD not in done.stderr
    # Nothing listening: unreachable, exit status 2.
    done = run_cli(["GET", "http://127.0.0.1:9/api/notes/", "--ohttp"], KEY_ENV)
    assert done.returncode == 2 and done.stderr.startswith("error: cannot reach 127.0.0.1:9")


@pytest.mark.parametrize("value", ["-1", "x", "70000"])
def test_cli_padding_must_be_a_number_of_bytes(value):
    done = run_cli(["GET", "http://127.0.0.1:9/", "--ohttp", "--ohttp-padding", value], KEY_ENV)
    assert done.returncode == 2 and "--ohttp-padding" in done.stderr


def test_cli_help_documents_ohttp():
    done = run_cli(["--help"])
    assert done.returncode == 0
    assert "--ohttp" in done.stdout and ".well-known/ohttp-gateway" in done.stdout
    for command in (["login"], ["logout"], ["totp", "enable"], ["GET", "x"]):
        sub = run_cli([*command, "--help"])
        assert sub.returncode == 0, sub.stderr
        for option in ("--ohttp", "--ohttp-gateway URL", "--ohttp-padding BYTES"):
            assert option in sub.stdout, (command, option)


# -- pinned configurations -------------------------------------------------------------------------
# Key configurations given out of band (``key_configs=``) are pinned: nothing the network says
# replaces them. The attack: a proxy that ends TLS in front of the gateway answers the first
# encapsulated request with an unsigned 400 problem document of RFC 9458 §5.3 ("key identifier
# unknown"). A client that then fetched the configurations again would take the proxy's own from
# the same proxy, seal the request to it a second time and hand the proxy the password it
# carries. A pinned client raises OHTTPError("ohttp_key") instead and fetches nothing.
FORGED_KEY_PROBLEM = (
    400,
    {"Content-Type": "application/problem+json"},
    json.dumps({"type": KEY_PROBLEM_TYPE, "title": "key identifier unknown"}).encode(),
)


def _pinned(gateway):
    return [k.config for k in gateway.keys.values()]


def test_requests_a_forged_key_problem_does_not_unpin(gateway, outer, auth):
    configs = _pinned(gateway)
    with ohttp_session(ORIGIN, auth=auth, outer=outer, key_configs=configs) as http:
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
        gateway.force = FORGED_KEY_PROBLEM
        with pytest.raises(OHTTPError) as excinfo:
            http.post(ORIGIN + "/api/notes/", json={"password": "hunter2"})
        gateway.force = None
        assert http.get(ORIGIN + "/api/notes/").status_code == 200  # still the pinned one
    assert (excinfo.value.status, excinfo.value.code) == (400, "ohttp_key")
    assert "out of band" in str(excinfo.value)
    assert gateway.gets() == 0
    assert [m for m, *_ in gateway.exchanges] == ["POST", "POST", "POST"]


def test_httpx_a_forged_key_problem_does_not_unpin(gateway, auth):
    transport = OHTTPTransport(GATEWAY, outer=httpx_outer(gateway), key_configs=_pinned(gateway))
    with httpx.Client(transport=transport, auth=auth) as client:
        gateway.force = FORGED_KEY_PROBLEM
        with pytest.raises(OHTTPError) as excinfo:
            client.post(ORIGIN + "/api/notes/", json={"password": "hunter2"})
    assert excinfo.value.code == "ohttp_key"
    assert gateway.gets() == 0 and len(gateway.posts()) == 1


def test_async_httpx_a_forged_key_problem_does_not_unpin(gateway, auth):
    async def run():
        transport = AsyncOHTTPTransport(
            GATEWAY, outer=httpx_outer(gateway, asynchronous=True), key_configs=_pinned(gateway)
        )
        async with httpx.AsyncClient(transport=transport, auth=auth) as client:
            gateway.force = FORGED_KEY_PROBLEM
            with pytest.raises(OHTTPError) as excinfo:
                await client.post(ORIGIN + "/api/notes/", json={"password": "hunter2"})
        return excinfo.value

    error = asyncio.run(run())
    assert error.code == "ohttp_key"
    assert gateway.gets() == 0 and len(gateway.posts()) == 1


def test_without_pinning_a_key_problem_still_fetches_once_and_retries(gateway, outer, auth):
    with ohttp_session(ORIGIN, auth=auth, outer=outer) as http:
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
        gateway.rotate()
        assert http.get(ORIGIN + "/api/notes/").status_code == 200
    assert gateway.gets() == 2


# -- the inner Content-Length ----------------------------------------------------------------------
def test_the_inner_content_length_is_the_length_of_the_content_sent(monkeypatch):
    """requests 2.31 (and any requests with urllib3 1.x) gives a str body the Content-Length of
    its characters, and the body goes out as UTF-8: the inner message carries the length of the
    content it holds, which the gateway checks (an inner 400 otherwise)."""
    import requests.utils

    from signed_api import gateway as django_gateway
    from signed_api.client.ohttp import _body_bytes, _Gateway

    monkeypatch.setattr(requests.utils, "is_urllib3_1", True)
    prepared = requests.Request(
        "POST", ORIGIN + "/api/notes/", data="héllo wörld",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    ).prepare()  # fmt: skip
    assert prepared.headers["Content-Length"] == "11"  # characters, not bytes
    client = _Gateway(GATEWAY, relay_url=None, padding=0, key_configs=None)
    lines = [*prepared.headers.items(), ("Content-Length", "11")]  # and a second line
    message = bhttp.decode_request(client.encode(prepared.method, prepared.url, lines,
                                                 _body_bytes(prepared.body)))  # fmt: skip
    assert len(message.content) == 13
    assert [v for n, v in message.headers if n == "content-length"] == ["13"]
    django_gateway._check_content_length(message)  # does not refuse it
