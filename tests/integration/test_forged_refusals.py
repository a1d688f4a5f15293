"""Refusals injected on the way are not acted on; the server's own are (docs/protocol.md).

The example project runs as deployed, under gunicorn and under uvicorn (two workers each), and
in front of it a reverse proxy written here, on the loopback: it forwards every request to the
server (so the server sees and spends each nonce, as it would under a real attack) and then,
when a test says so, answers the client with something else: an unsigned ``401 key_revoked``,
a ``401`` signed by a key that is not the server's (under the server's real ``kid``), a real
refusal's signature replayed onto another response (the whole real refusal of another request,
and its headers over a forged body), a forged ``503``, an unsigned ``clock_skew`` naming a
far-off ``server_time``. The Python client (``requests`` and ``httpx``) raises
``UnverifiedRefusal`` for each, keeps its credentials and its clock, and its next request
passes; a genuine ``key_revoked``, ``invalid_credentials`` and ``nonce_replayed`` through the
same proxy verify and are acted on (the app below drops credentials on ``key_revoked``).
The JavaScript client (``clients/js/interop/forged_refusals.mjs``, run by Node) gets the same
forgeries through the same proxy and throws ``UnverifiedRefusalError`` for each, keeping its
credentials; a genuine refusal verifies (skipped without node / ``npm ci``, fails under CI=true).
"""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import os
import subprocess
import threading
from collections.abc import Callable

import httpx
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from signed_api.client import (
    LoginError,
    ServerKeys,
    SignatureAuth,
    UnverifiedRefusal,
    decode_secret,
    login,
)
from signed_api.core import Message, content_digest, load_signing_key, sign_message

from .test_asgi import AsgiDeployment
from .test_gunicorn_example import ExampleDeployment, _database_url, deployment_env

USERNAME = "forged-refusals-user"
PASSWORD = "correct horse battery staple, forged-refusals edition"
TIMEOUT = 15
JWKS_PATH = "/.well-known/signed-api/keys"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


# -- the forging reverse proxy -------------------------------------------------------------------
class Answer:
    """A response as the proxy relays it."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def without(self, *names: str) -> list[tuple[str, str]]:
        lowered = {n.lower() for n in names}
        return [(k, v) for k, v in self.headers if k.lower() not in lowered]


#: ``forge(method, path, real answer, request headers) -> the answer to send instead, or None``.
Forger = Callable[[str, str, Answer, list[tuple[str, str]]], "Answer | None"]


class ForgingProxy:
    """An HTTP reverse proxy on 127.0.0.1: relays each request to ``upstream`` and sends back
    the upstream's answer, or what ``forge`` makes of it. ``real`` keeps every real answer."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.forge: Forger | None = None
        self.real: list[tuple[str, str, Answer]] = []
        self.forged = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=TIMEOUT)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True,
                                    skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        if name.lower() not in HOP_BY_HOP:
                            conn.putheader(name, value)
                    conn.endheaders(body or None)
                    upstream = conn.getresponse()
                    real = Answer(upstream.status, [
                        (k, v) for k, v in upstream.getheaders() if k.lower() not in HOP_BY_HOP
                    ], upstream.read())
                finally:
                    conn.close()
                proxy.real.append((self.command, self.path, real))
                # The JWKS is relayed as is: an attacker who can rewrite it too is defeated only
                # by a pinned JWKS (ServerKeys(jwks=...)) or TLS, not by any check here.
                forging = proxy.forge and not self.path.startswith(JWKS_PATH)
                sent = list(self.headers.items())
                answer = proxy.forge(self.command, self.path, real, sent) if forging else None
                if answer is None:
                    answer = real
                else:
                    proxy.forged += 1
                self.send_response_only(answer.status)
                for name, value in answer.headers:
                    if name.lower() not in ("content-length", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_DELETE = do_HEAD = do_PUT = do_PATCH = _relay

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- forged answers ------------------------------------------------------------------------------
def refusal_body(code: str, **extra) -> bytes:
    return json.dumps({"detail": "forged", "code": code, **extra}).encode()


def unsigned(status: int, code: str, **extra) -> Forger:
    body = refusal_body(code, **extra)
    headers = [("Content-Type", "application/json"), ("Content-Digest", content_digest(body))]
    if status == 503:
        headers.append(("Retry-After", "3600"))
    return lambda *relayed: Answer(status, headers, body)


def signed_by_a_wrong_key(status: int, code: str, kid: str) -> Forger:
    """A complete, well-formed signature over the forged refusal, under the server's ``kid``,
    by a key of the attacker's (it covers what the server's would, from the relayed request)."""
    attacker = load_signing_key("ed25519", ed25519.Ed25519PrivateKey.generate())
    body = refusal_body(code)

    def forge(method, path, real, sent):
        headers = [("Content-Type", "application/json"), ("Content-Digest", content_digest(body))]
        request = Message(method=method, path=path.split("?", 1)[0], headers=sent)
        components = ['"@status"', '"content-type"', '"content-digest"', '"@method";req',
                      '"@path";req']
        if request.field_value("signature") is not None:
            components.append('"signature";req;key="sig1"')
        message = Message.for_response(status, headers=headers, request=request)
        signature_input, signature = sign_message(
            message, attacker, label="sig1", keyid=kid, created=int(_now()), include_alg=True,
            components=components,
        )
        return Answer(status, [*headers, ("Signature-Input", signature_input),
                               ("Signature", signature)], body)

    return forge


def _now() -> float:
    import time

    return time.time()


# -- the deployments -----------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["gunicorn", "uvicorn"])
def site(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"forged-{request.param}")
    database_url, drop_database = _database_url(request, workdir)
    kind = ExampleDeployment if request.param == "gunicorn" else AsgiDeployment
    example = kind(workdir, deployment_env(database_url))
    proxy = None
    try:
        example.manage("migrate", "--noinput")
        example.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})",
        )  # fmt: skip
        example.start()
        port = int(example.base_url.rsplit(":", 1)[1])
        proxy = ForgingProxy(("127.0.0.1", port))
        example.proxy = proxy
        yield example
    finally:
        if proxy is not None:
            proxy.close()
        example.stop()
        drop_database()


@pytest.fixture
def proxy(site):
    site.proxy.forge = None
    yield site.proxy
    site.proxy.forge = None


@pytest.fixture
def key(site):
    key_id, secret = site.create_key(USERNAME)
    return key_id, decode_secret(secret)


class App:
    """What an app does with the client: drops its credentials on a ``key_revoked`` and backs
    off on a ``503``, and never acts on a refusal the client would not vouch for."""

    def __init__(self, base_url: str, auth: SignatureAuth, http=None):
        self.base_url, self.auth, self.http = base_url, auth, http or requests.Session()
        self.backing_off = False
        self.ignored: list[UnverifiedRefusal] = []

    def notes(self):
        if self.auth is None:
            return None
        try:
            response = self.http.get(self.base_url + "/api/notes/", auth=self.auth,
                                     timeout=TIMEOUT)
        except UnverifiedRefusal as exc:
            self.ignored.append(exc)
            return None
        code = response.json().get("code") if response.status_code >= 400 else None
        if code in ("key_revoked", "session_expired"):
            self.auth = None  # credentials dropped
        elif response.status_code == 503:
            self.backing_off = True
        return response


def _auth(key, **options) -> SignatureAuth:
    # Our own cache, so that the gunicorn and the uvicorn run each fetch their JWKS.
    return SignatureAuth(key[0], key[1], **options)


def _server_keys(site) -> ServerKeys:
    return ServerKeys(site.proxy.base_url)


# -- forged refusals are not acted on -------------------------------------------------------------
def test_an_unsigned_key_revoked_does_not_drop_the_credentials(site, proxy, key):
    app = App(proxy.base_url, _auth(key, server_keys=_server_keys(site)))
    proxy.forge = unsigned(401, "key_revoked")
    assert app.notes() is None
    assert app.auth is not None, "credentials dropped on a forged refusal"
    [refused] = app.ignored
    assert (refused.status, refused.claimed_code, refused.reason) == (
        401, "key_revoked", "signature_missing")
    proxy.forge = None
    assert app.notes().status_code == 200  # the key was never revoked


def test_a_refusal_signed_by_a_wrong_key_is_not_acted_on(site, proxy, key):
    keys = _server_keys(site)
    kid = requests.get(proxy.base_url + "/.well-known/signed-api/keys",
                       timeout=TIMEOUT).json()["keys"][0]["kid"]
    app = App(proxy.base_url, _auth(key, server_keys=keys))
    proxy.forge = signed_by_a_wrong_key(401, "key_revoked", kid)
    assert app.notes() is None and app.auth is not None
    assert app.ignored[0].reason == "signature_invalid"
    # Under a kid the server does not have: the JWKS is fetched again, the kid still unknown.
    proxy.forge = signed_by_a_wrong_key(401, "key_revoked", "srv_0123456789abcdef")
    assert app.notes() is None and app.auth is not None
    assert app.ignored[1].reason == "unknown_key"


def test_a_replayed_real_refusal_is_not_acted_on(site, proxy, key):
    """A genuine signed refusal of another request, whole, and its headers over a new body."""
    other = SignatureAuth(key[0], bytes(32), verify_refusals=False)  # a wrong secret
    genuine = requests.get(proxy.base_url + "/api/notes/", auth=other, timeout=TIMEOUT)
    assert genuine.status_code == 401 and "Signature" in genuine.headers
    captured = proxy.real[-1][2]
    app = App(proxy.base_url, _auth(key, server_keys=_server_keys(site)))
    proxy.forge = lambda *relayed: captured  # the whole real refusal, replayed
    assert app.notes() is None and app.auth is not None
    assert app.ignored[-1].reason == "signature_invalid"  # it covers the other request's signature
    body = refusal_body("key_revoked")
    proxy.forge = lambda *relayed: Answer(
        401, [*captured.without("Content-Digest"), ("Content-Digest", content_digest(body))],
        body)  # the real signature headers over a forged body (and its honest digest)
    assert app.notes() is None and app.auth is not None
    assert app.ignored[-1].reason == "signature_invalid"
    proxy.forge = lambda *relayed: Answer(401, captured.headers, body)
    assert app.notes() is None and app.ignored[-1].reason in ("digest_mismatch",
                                                              "signature_invalid")


def test_a_forged_503_does_not_stop_the_app(site, proxy, key):
    app = App(proxy.base_url, _auth(key, server_keys=_server_keys(site)))
    proxy.forge = unsigned(503, "replay_store_unavailable")
    assert app.notes() is None
    assert not app.backing_off and app.ignored[0].status == 503


def test_a_retry_after_added_or_lengthened_on_the_way_is_not_acted_on(site, proxy, key):
    """The server's own refusal of this very request, with a wait an attacker added; then a
    genuine 429's signed Retry-After, lengthened to a day."""
    keys = _server_keys(site)
    wrong = SignatureAuth(key[0], bytes(32), server_keys=keys)  # refused, and signed for it

    def longer(method, path, real, sent):
        return Answer(real.status, [*real.without("Retry-After"), ("Retry-After", "86400")],
                      real.body)

    proxy.forge = longer
    with pytest.raises(UnverifiedRefusal) as excinfo:
        requests.get(proxy.base_url + "/api/notes/", auth=wrong, timeout=TIMEOUT)
    assert excinfo.value.reason == "component_missing"
    proxy.forge = None
    auth_url = proxy.base_url + "/api/auth/"
    target = "retry-after-target"  # a username of this test's own: the others stay unthrottled
    codes = []
    for _ in range(6):
        with pytest.raises(LoginError) as refused:
            login(auth_url, target, "wrong", timeout=TIMEOUT, server_keys=keys)
        codes.append(refused.value.code)
    assert codes[-1] == "throttled", codes
    genuine = proxy.real[-1][2]
    assert int(genuine.header("Retry-After")) > 0
    assert '"retry-after"' in genuine.header("Signature-Input")
    proxy.forge = longer
    with pytest.raises(UnverifiedRefusal) as excinfo:
        login(auth_url, target, "wrong", timeout=TIMEOUT, server_keys=keys)
    assert excinfo.value.reason == "signature_invalid" and excinfo.value.status == 429


def test_a_forged_clock_skew_does_not_move_the_clock(site, proxy, key):
    auth = _auth(key, server_keys=_server_keys(site))
    proxy.forge = unsigned(401, "clock_skew", server_time=int(_now()) + 86400)
    with pytest.raises(UnverifiedRefusal):
        requests.get(proxy.base_url + "/api/notes/", auth=auth, timeout=TIMEOUT)
    assert auth.clock_offset == 0.0
    proxy.forge = None
    assert requests.get(proxy.base_url + "/api/notes/", auth=auth,
                        timeout=TIMEOUT).status_code == 200


def test_httpx_refuses_forged_refusals_too(site, proxy, key):
    auth = _auth(key, server_keys=_server_keys(site))
    with httpx.Client(auth=auth, timeout=TIMEOUT) as http:
        proxy.forge = unsigned(401, "session_expired")
        with pytest.raises(UnverifiedRefusal) as excinfo:
            http.get(proxy.base_url + "/api/notes/")
        assert excinfo.value.claimed_code == "session_expired"
        proxy.forge = unsigned(503, "database_unavailable")
        with pytest.raises(UnverifiedRefusal):
            http.get(proxy.base_url + "/api/notes/")
        proxy.forge = None
        assert http.get(proxy.base_url + "/api/notes/").status_code == 200


def test_a_forged_login_refusal_is_not_a_login_error(site, proxy):
    auth_url = proxy.base_url + "/api/auth/"
    proxy.forge = unsigned(429, "throttled")
    with pytest.raises(UnverifiedRefusal) as excinfo:
        login(auth_url, USERNAME, PASSWORD, timeout=TIMEOUT, server_keys=_server_keys(site))
    assert not isinstance(excinfo.value, LoginError) and excinfo.value.claimed_code == "throttled"
    proxy.forge = None
    creds = login(auth_url, USERNAME, PASSWORD, timeout=TIMEOUT, server_keys=_server_keys(site))
    assert creds.id.startswith("ses_")


# -- genuine refusals are acted on ----------------------------------------------------------------
def test_a_genuine_key_revoked_drops_the_credentials(site, proxy, key):
    app = App(proxy.base_url, _auth(key, server_keys=_server_keys(site)))
    assert app.notes().status_code == 200
    site.manage("signed_api_revokekey", key[0])
    response = app.notes()
    assert (response.status_code, response.json()["code"]) == (401, "key_revoked")
    assert app.auth is None and not app.ignored


def test_genuine_login_and_replay_refusals_verify(site, proxy, key):
    with pytest.raises(LoginError) as excinfo:
        login(proxy.base_url + "/api/auth/", USERNAME, "wrong", timeout=TIMEOUT,
              server_keys=_server_keys(site))
    assert excinfo.value.code == "invalid_credentials"
    # A replay relayed as is: the server's nonce_replayed is signed over the replayed request.
    auth = _auth(key, server_keys=_server_keys(site))
    first = requests.get(proxy.base_url + "/api/notes/", auth=auth, timeout=TIMEOUT)
    assert first.status_code == 200
    replay = requests.Request("GET", proxy.base_url + "/api/notes/",
                              headers=dict(first.request.headers)).prepare()
    replay.register_hook("response", auth._on_response)
    with requests.Session() as session:
        answer = session.send(replay, timeout=TIMEOUT)
    assert (answer.status_code, answer.json()["code"]) == (401, "nonce_replayed")


def test_the_jwks_is_fetched_once(site, proxy, key):
    keys = _server_keys(site)
    app = App(proxy.base_url, _auth(key, server_keys=keys))
    proxy.forge = unsigned(401, "key_revoked")
    for _ in range(3):
        app.notes()
    assert keys.fetches == 0  # an unsigned refusal needs no key
    proxy.forge = None
    bad = SignatureAuth(key[0], bytes(32), server_keys=keys)
    for _ in range(3):
        assert requests.get(proxy.base_url + "/api/notes/", auth=bad,
                            timeout=TIMEOUT).status_code == 401
    assert keys.fetches == 1


# -- the JavaScript client, through the same proxy ------------------------------------------------
def test_the_js_client_refuses_forged_refusals(site, proxy, key, tmp_path):
    """clients/js/interop/forged_refusals.mjs: each forgery below (chosen by the request's
    ``X-Test-Forge`` header) throws ``UnverifiedRefusalError``; the credentials stay, the next
    request passes; a genuine refusal verifies."""
    from .test_js_interop import PACKAGE, _node

    node = _node()
    kid = requests.get(proxy.base_url + JWKS_PATH, timeout=TIMEOUT).json()["keys"][0]["kid"]
    other = SignatureAuth(key[0], bytes(32), verify_refusals=False)  # a real refusal to replay
    assert requests.get(proxy.base_url + "/api/notes/", auth=other,
                        timeout=TIMEOUT).status_code == 401
    captured = proxy.real[-1][2]
    body = refusal_body("key_revoked")
    forgeries: dict[str, tuple[Forger, int, str, set[str]]] = {
        "unsigned-key-revoked": (unsigned(401, "key_revoked"), 401, "key_revoked",
                                 {"signature_missing"}),
        "wrong-key": (signed_by_a_wrong_key(401, "key_revoked", kid), 401, "key_revoked",
                      {"signature_invalid"}),
        "unknown-kid": (signed_by_a_wrong_key(401, "session_expired", "srv_0123456789abcdef"),
                        401, "session_expired", {"unknown_key"}),
        "replayed-refusal": (lambda *relayed: captured, 401, "invalid_signature",
                             {"signature_invalid"}),
        "replayed-over-forged-body": (lambda *relayed: Answer(
            401, [*captured.without("Content-Digest"), ("Content-Digest", content_digest(body))],
            body), 401, "key_revoked", {"signature_invalid"}),
        "forged-503": (unsigned(503, "replay_store_unavailable"), 503,
                       "replay_store_unavailable", {"signature_missing"}),
        "forged-clock-skew": (unsigned(401, "clock_skew", server_time=int(_now()) + 86400), 401,
                              "clock_skew", {"signature_missing"}),
    }
    claimed = json.loads(captured.body)["code"]
    forgeries["replayed-refusal"] = (*forgeries["replayed-refusal"][:2], claimed,
                                     forgeries["replayed-refusal"][3])

    def forge(method, path, real, sent):
        name = next((v for k, v in sent if k.lower() == "x-test-forge"), None)
        return forgeries[name][0](method, path, real, sent) if name else None

    proxy.forge = forge
    config = tmp_path / "forged.json"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"baseUrl": proxy.base_url, "keyId": key[0],
                   "secret": base64.urlsafe_b64encode(key[1]).decode().rstrip("="),
                   "forgeries": [{"name": name, "status": status, "claimedCode": code}
                                 for name, (_, status, code, _) in forgeries.items()]}, fh)
    forged_before = proxy.forged
    result = subprocess.run(
        [node, str(PACKAGE / "interop" / "forged_refusals.mjs"), str(config)], cwd=PACKAGE,
        capture_output=True, text=True, timeout=120, env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )  # fmt: skip
    print(result.stdout)
    assert result.returncode == 0, f"node failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines[-1].get("done") is True
    checks = {line["check"]: line for line in lines if "check" in line}
    assert all(line["ok"] for line in checks.values())
    assert "a genuine refusal verifies by the server key" in checks
    for name, (_, _, _, reasons) in forgeries.items():
        assert checks[f"{name}: the next request passes"]["ok"], name
        assert checks[f"{name}: credentials kept"]["reason"] in reasons, name
    assert proxy.forged - forged_before == len(forgeries)  # each forgery was sent, once
