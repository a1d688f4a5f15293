"""The Python client: ``SignatureAuth`` for requests and httpx, and the command line.

RFC 9421's own test request and keys (Appendix B.1.4, B.1.5, B.2) must come out byte for byte
as B.2.5 and B.2.6 print them, through real ``requests`` and ``httpx`` request objects. The
default profile (docs/clients.md) is checked by our own verifier, in-process and behind a tiny
real HTTP server that the CLI talks to.
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from signed_api.client import DEFAULT_COMPONENTS, SignatureAuth, decode_secret, encode_secret
from signed_api.core import (
    Message,
    Policy,
    SignatureError,
    content_digest,
    load_signing_key,
    load_verifying_key,
    sign_message,
    verify_message,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).parent / "vectors"

SECRET = bytes(range(7, 39))
KEYID = "key-hmac"
ED_PRIVATE = ed25519.Ed25519PrivateKey.generate()
ED_KEYID = "key-ed"
EC_PRIVATE = ec.generate_private_key(ec.SECP256R1())
EC_KEYID = "key-ec"
PUBLIC_KEYS = {
    KEYID: load_verifying_key("hmac-sha256", SECRET),
    ED_KEYID: load_verifying_key("ed25519", ED_PRIVATE.public_key()),
    EC_KEYID: load_verifying_key("ecdsa-p256-sha256", EC_PRIVATE.public_key()),
}
# The fake servers below sign their refusals as signed_api does (docs/protocol.md), with a
# server key of their own served as a JWKS, since the client refuses unsigned refusals.
FAKE_SERVER_KEY = ed25519.Ed25519PrivateKey.generate()
FAKE_SERVER_KID = "srv_fakeserver0000"
FAKE_JWKS_PATH = "/.well-known/signed-api/keys"


def fake_jwks() -> bytes:
    raw = FAKE_SERVER_KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x,
                                 "kid": FAKE_SERVER_KID, "alg": "EdDSA", "use": "sig"}]}).encode()


def fake_refusal_headers(handler, status: int, data: bytes, content_type: str | None) -> dict:
    """``Content-Digest``, ``Signature-Input`` and ``Signature`` of a refusal by the fake
    server's key, bound to the request ``handler`` is answering."""
    request = Message(method=handler.command, path=handler.path.partition("?")[0],
                      headers=list(handler.headers.items()))
    digest = content_digest(b"" if handler.command == "HEAD" else data)
    headers = [("Content-Digest", digest)]
    components = ['"@status"', '"content-digest"', '"@method";req', '"@path";req']
    if content_type:
        headers.append(("Content-Type", content_type))
        components.insert(1, '"content-type"')
    if request.field_value("signature") is not None:
        components.append('"signature";req;key="sig1"')
    signature_input, signature = sign_message(
        Message.for_response(status, headers=headers, request=request),
        load_signing_key("ed25519", FAKE_SERVER_KEY), components=components,
        keyid=FAKE_SERVER_KID, created=int(time.time()), include_alg=True,
    )
    return {"Content-Digest": digest, "Signature-Input": signature_input, "Signature": signature}


SERVER_POLICY = Policy(
    required_components=("@method", "@authority", "@path", "@query"),
    required_params=("created", "nonce"),
    clock_skew=300,
    require_digest_for_body=True,
)


def resolve(keyid):
    try:
        return PUBLIC_KEYS[keyid]
    except KeyError:
        raise SignatureError("unknown_key") from None


class NonceStore:
    def __init__(self):
        self.seen = set()
        self.lock = threading.Lock()

    def __call__(self, keyid, nonce, ttl):
        with self.lock:
            if (keyid, nonce) in self.seen:
                return False
            self.seen.add((keyid, nonce))
            return True


# -- RFC 9421 Appendix B.2.5 and B.2.6, byte for byte ----------------------------------------
def _rfc_vectors():
    b2 = json.loads((VECTORS / "rfc9421_b2.json").read_text())
    keys = json.loads((VECTORS / "rfc9421_keys.json").read_text())["keys"]
    by_section = {}
    for example in b2["examples"]:
        section = example["source"].split()[2]  # "RFC 9421 B.2.5 (...)"
        by_section[section] = example
    return b2["test_request"], by_section, keys


TEST_REQUEST, EXAMPLES, RFC_KEYS = _rfc_vectors()


def rfc_auth(section: str) -> SignatureAuth:
    """B.1.5's shared secret for B.2.5, B.1.4's Ed25519 key for B.2.6, as a client would."""
    example = EXAMPLES[section]
    if example["alg"] == "hmac-sha256":
        key = base64.b64decode(RFC_KEYS["test-shared-secret"]["secret_base64"])
    else:
        key = RFC_KEYS["test-key-ed25519"]["private_pem"].encode()
    return SignatureAuth(
        example["keyid"],
        key,
        algorithm=example["alg"],
        components=example["covered_components"],
        label=example["label"],
        created=example["params"]["created"],
        nonce=False,
        include_alg=False,
    )


def rfc_headers() -> dict:
    # Host and Content-Length are set by the HTTP library itself, as on the wire.
    return {n: v for n, v in TEST_REQUEST["headers"] if n not in ("Host", "Content-Length")}


class CapturingAdapter(requests.adapters.BaseAdapter):
    """A requests transport that records the request it would have sent."""

    def __init__(self):
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        response = requests.Response()
        response.status_code = 204
        response.request = request
        return response

    def close(self):
        pass


def send_with_requests(auth, method, url, **kwargs) -> requests.PreparedRequest:
    session = requests.Session()
    adapter = CapturingAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.request(method, url, auth=auth, **kwargs)
    (sent,) = adapter.sent
    return sent


def send_with_httpx(auth, method, url, **kwargs) -> httpx.Request:
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.request(method, url, **kwargs)
    (request,) = sent
    return request


def send_with_async_httpx(auth, method, url, **kwargs) -> httpx.Request:
    sent = []

    async def handler(request):
        sent.append(request)
        return httpx.Response(204)

    async def run():
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, auth=auth) as client:
            await client.request(method, url, **kwargs)

    asyncio.run(run())
    (request,) = sent
    return request


SENDERS = {
    "requests": send_with_requests,
    "httpx": send_with_httpx,
    "httpx-async": send_with_async_httpx,
}


@pytest.mark.parametrize("transport", SENDERS)
@pytest.mark.parametrize("section", ["B.2.5", "B.2.6"])
def test_rfc9421_b_2_5_and_b_2_6_byte_for_byte(section, transport):
    example = EXAMPLES[section]
    body = TEST_REQUEST["body"].encode()
    sent = SENDERS[transport](
        rfc_auth(section),
        TEST_REQUEST["method"],
        TEST_REQUEST["url"],
        headers=rfc_headers(),
        **({"data": body} if transport == "requests" else {"content": body}),
    )
    assert sent.headers["Signature-Input"] == example["signature_input"]
    assert sent.headers["Signature"] == example["signature"]
    # Explicit components are used exactly: nothing added, the RFC's own digest untouched.
    assert sent.headers["Content-Digest"] == dict(TEST_REQUEST["headers"])["Content-Digest"]


def test_rfc9421_b_2_5_through_a_bare_prepared_request():
    prepared = requests.Request(
        "POST",
        TEST_REQUEST["url"],
        headers=rfc_headers(),
        data=TEST_REQUEST["body"].encode(),
        auth=rfc_auth("B.2.5"),
    ).prepare()
    assert prepared.headers["Signature"] == EXAMPLES["B.2.5"]["signature"]


def test_auth_sign_returns_only_the_added_headers_rfc9421_b_2_6():
    added = rfc_auth("B.2.6").sign(
        "POST",
        TEST_REQUEST["url"],
        {**rfc_headers(), "Content-Length": "18"},
        TEST_REQUEST["body"].encode(),
    )
    assert added == {
        "Signature-Input": EXAMPLES["B.2.6"]["signature_input"],
        "Signature": EXAMPLES["B.2.6"]["signature"],
    }


# -- the default profile (docs/clients.md) ---------------------------------------------------
def to_message(sent) -> Message:
    if isinstance(sent, httpx.Request):
        headers, body = sent.headers.multi_items(), sent.content
    else:
        body = sent.body or b""
        headers, body = list(sent.headers.items()), body.encode() if isinstance(body, str) else body
    return Message.from_url(sent.method, str(sent.url), headers=headers, body=body)


def verify_sent(sent, store=None):
    return verify_message(
        to_message(sent), resolve, SERVER_POLICY, now=time.time(), nonce_store=store
    )


URL = "https://api.example.com/api/notes/?page=2"


@pytest.mark.parametrize("transport", SENDERS)
def test_default_profile_post_covers_a_content_digest_rfc9530(transport):
    auth = SignatureAuth(KEYID, SECRET)
    sent = SENDERS[transport](auth, "POST", URL, json={"text": "hello"})
    result = verify_sent(sent)
    covered = [c.serialize() for c in result.components]
    assert covered == ['"@method"', '"@authority"', '"@path"', '"@query"', '"content-digest"']
    assert sent.headers["Content-Digest"].startswith("sha-256=:")
    assert result.params["alg"] == "hmac-sha256" and result.keyid == KEYID
    assert abs(result.created - time.time()) < 60


@pytest.mark.parametrize("transport", SENDERS)
@pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD"])
def test_default_profile_without_body_has_no_content_digest(transport, method):
    sent = SENDERS[transport](SignatureAuth(KEYID, SECRET), method, URL)
    assert "Content-Digest" not in sent.headers
    result = verify_sent(sent)
    assert [c.name for c in result.components] == list(DEFAULT_COMPONENTS)


@pytest.mark.parametrize("transport", SENDERS)
def test_nonce_is_random_per_request_and_replay_is_caught(transport):
    auth = SignatureAuth(KEYID, SECRET)
    store = NonceStore()
    first = SENDERS[transport](auth, "GET", URL)
    second = SENDERS[transport](auth, "GET", URL)
    nonces = {verify_sent(first, store).nonce, verify_sent(second, store).nonce}
    assert len(nonces) == 2 and all(len(n) >= 16 for n in nonces)
    with pytest.raises(SignatureError) as excinfo:
        verify_sent(first, store)
    assert excinfo.value.code == "nonce_replayed"


@pytest.mark.parametrize(
    ("algorithm", "keyid", "key"),
    [
        ("ed25519", ED_KEYID, ED_PRIVATE),
        (
            "ed25519",
            ED_KEYID,
            ED_PRIVATE.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        ),
        ("ecdsa-p256-sha256", EC_KEYID, EC_PRIVATE),
    ],
    ids=["ed25519-object", "ed25519-pem", "ecdsa-p256-object"],
)
@pytest.mark.parametrize("transport", ["requests", "httpx"])
def test_client_held_keys_rfc9421_3_3(algorithm, keyid, key, transport):
    auth = SignatureAuth(keyid, key, algorithm=algorithm)
    sent = SENDERS[transport](auth, "POST", URL, json={"n": 1})
    result = verify_sent(sent)
    assert result.params["alg"] == algorithm and result.key.alg == algorithm


@pytest.mark.parametrize("transport", ["requests", "httpx"])
def test_parameters_nonce_tag_expires_label_and_alg_switch(transport):
    auth = SignatureAuth(
        KEYID,
        SECRET,
        label="mine",
        nonce="fixed-nonce",
        include_alg=False,
        tag="app",
        expires=int(time.time()) + 60,
    )
    sent = SENDERS[transport](auth, "GET", URL)
    signature_input = sent.headers["Signature-Input"]
    assert signature_input.startswith('mine=("@method" "@authority" "@path" "@query");created=')
    assert ';nonce="fixed-nonce";tag="app"' in signature_input and "alg=" not in signature_input
    tagged = Policy(required_components=DEFAULT_COMPONENTS, tag="app")
    result = verify_message(to_message(sent), resolve, tagged, now=time.time())
    assert (result.label, result.nonce, result.params["tag"]) == ("mine", "fixed-nonce", "app")


def test_nonce_false_omits_it_and_the_server_profile_refuses():
    sent = send_with_requests(SignatureAuth(KEYID, SECRET, nonce=False), "GET", URL)
    assert "nonce=" not in sent.headers["Signature-Input"]
    with pytest.raises(SignatureError) as excinfo:
        verify_sent(sent)
    assert excinfo.value.code == "nonce_missing"


@pytest.mark.parametrize("transport", ["requests", "httpx"])
def test_explicit_components_are_used_exactly(transport):
    auth = SignatureAuth(KEYID, SECRET, components=("@method", "@path"))
    sent = SENDERS[transport](auth, "POST", URL, json={"x": 1})
    assert "Content-Digest" not in sent.headers  # nothing added behind the caller's back
    assert sent.headers["Signature-Input"].startswith('sig1=("@method" "@path");')
    with pytest.raises(SignatureError) as excinfo:
        verify_sent(sent)
    assert excinfo.value.code == "component_missing"


def test_a_given_content_digest_is_kept_and_covered():
    given = "sha-512=:" + base64.b64encode(b"\0" * 64).decode() + ":"
    sent = send_with_requests(
        SignatureAuth(KEYID, SECRET), "POST", URL, data=b"abc", headers={"Content-Digest": given}
    )
    assert sent.headers["Content-Digest"] == given
    assert "content-digest" in sent.headers["Signature-Input"]
    with pytest.raises(SignatureError) as excinfo:
        verify_sent(sent)
    assert excinfo.value.code == "digest_mismatch"


def test_created_is_fixed_when_given():
    sent = send_with_requests(SignatureAuth(KEYID, SECRET, created=1_700_000_000), "GET", URL)
    assert ";created=1700000000;" in sent.headers["Signature-Input"]


def test_requests_streamed_body_is_refused():
    auth = SignatureAuth(KEYID, SECRET)
    with pytest.raises(TypeError, match="streamed"):
        requests.Request("POST", URL, data=iter([b"a", b"b"]), auth=auth).prepare()


def test_repr_never_shows_the_secret():
    auth = SignatureAuth(KEYID, SECRET)
    assert KEYID in repr(auth)
    for text in (repr(auth), repr(auth._key), str(vars(auth))):
        assert encode_secret(SECRET) not in text and repr(SECRET) not in text


@pytest.mark.parametrize("secret", [SECRET, b"\xff" * 32, b"\0", bytes(range(64))])
def test_secret_encoding_is_base64url_without_padding(secret):
    text = encode_secret(secret)
    assert "=" not in text and "+" not in text and "/" not in text
    assert decode_secret(text) == secret
    assert decode_secret(f"  {text}\n") == secret


# -- against a real local HTTP server that verifies with the core ----------------------------
RESPONSE_COMPONENTS = (
    "@status",
    "content-type",
    "content-digest",
    '"@method";req',
    '"@path";req',
    '"signature";req;key="sig1"',
)


class VerifyingHandler(http.server.BaseHTTPRequestHandler):
    """Answers 200 with what it verified, or 401 with the docs/protocol.md error body. Answers to
    hmac-signed requests are signed back with the same secret, as docs/protocol.md describes."""

    store = NonceStore()

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == FAKE_JWKS_PATH:
            data = fake_jwks()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        path, sep, query = self.path.partition("?")
        message = Message(
            method=self.command,
            scheme="http",
            authority=self.headers["Host"],
            path=path,
            query=query if sep else None,
            headers=list(self.headers.items()),
            body=body,
        )
        try:
            result = verify_message(
                message, resolve, SERVER_POLICY, now=time.time(), nonce_store=self.store
            )
        except SignatureError as exc:
            self._reply(
                401, {"detail": exc.message, "code": exc.code}, {"WWW-Authenticate": "Signature"}
            )
            return
        self._reply(
            200,
            {
                "keyid": result.keyid,
                "covered": [c.serialize() for c in result.components],
                "body": body.decode("utf-8"),
            },
            {"X-Verified-Label": result.label},
            request=message if result.keyid == KEYID else None,
        )

    def _reply(self, status, payload, headers, request=None):
        data = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(data)),
            **headers,
        }
        if request is None and status >= 400:
            headers.update(fake_refusal_headers(self, status, data, "application/json"))
        if request is not None:
            headers["Content-Digest"] = content_digest(data)
            response = Message.for_response(
                status, headers=list(headers.items()), body=data, request=request
            )
            signature_input, signature = sign_message(
                response,
                load_signing_key("hmac-sha256", SECRET),
                components=RESPONSE_COMPONENTS,
                keyid=KEYID,
                created=int(time.time()),
            )
            headers.update({"Signature-Input": signature_input, "Signature": signature})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, format, *args):  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def server_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), VerifyingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("client", ["requests", "httpx"])
@pytest.mark.parametrize(
    ("method", "payload"),
    [("GET", None), ("POST", {"text": "h\u00e9llo"}), ("PUT", "caf\u00e9 as text")],
    ids=["get", "post-json", "put-str-body"],
)
def test_signed_requests_verify_at_a_real_server(server_url, client, method, payload):
    url = f"{server_url}/api/notes/?page=2&q=a%20b"
    auth = SignatureAuth(KEYID, SECRET)
    kwargs = {}
    if isinstance(payload, dict):
        kwargs["json"] = payload
    elif payload is not None:
        kwargs["data" if client == "requests" else "content"] = payload
    if client == "requests":
        response = requests.request(method, url, auth=auth, timeout=10, **kwargs)
    else:
        response = httpx.request(method, url, auth=auth, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    covered = response.json()["covered"]
    assert ('"content-digest"' in covered) == (payload is not None)
    assert response.headers["X-Verified-Label"] == "sig1"


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_verify_response_of_a_real_server_rfc9421_2_4(server_url, client):
    auth = SignatureAuth(KEYID, SECRET)
    url = f"{server_url}/api/notes/?page=2"
    if client == "requests":
        response = requests.post(url, json={"a": 1}, auth=auth, timeout=10)
    else:
        response = httpx.post(url, json={"a": 1}, auth=auth, timeout=10)
    assert response.status_code == 200
    verified = auth.verify_response(response)
    assert [c.serialize() for c in verified.components][-1] == '"signature";req;key="sig1"'
    # Another request's signature under the same answer: the binding fails.
    other = SignatureAuth(KEYID, SECRET)
    other_request = requests.Request("POST", url, json={"a": 1}, auth=other).prepare()
    response.request = (
        other_request
        if client == "requests"
        else httpx.Request(
            "POST", url, headers=dict(other_request.headers), content=other_request.body
        )
    )
    with pytest.raises(SignatureError) as excinfo:
        auth.verify_response(response)
    assert excinfo.value.code == "signature_invalid"


def test_real_server_refuses_a_wrong_secret(server_url):
    response = requests.get(
        f"{server_url}/api/notes/", auth=SignatureAuth(KEYID, b"w" * 32), timeout=10
    )
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert response.headers["WWW-Authenticate"] == "Signature"


# -- the command line ------------------------------------------------------------------------
def run_cli(args, env, timeout=60):
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run(
        [sys.executable, "-m", "signed_api.client", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


HMAC_ENV = {"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_SECRET": encode_secret(SECRET)}


def test_cli_get_prints_status_headers_and_body(server_url):
    done = run_cli(["GET", f"{server_url}/api/notes/?page=2"], HMAC_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "response signature: verified\n"
    head, _, body = done.stdout.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == "HTTP 200 OK"
    assert "X-Verified-Label: sig1" in lines and "Content-Type: application/json" in lines
    payload = json.loads(body)
    assert payload["keyid"] == KEYID
    assert payload["covered"] == ['"@method"', '"@authority"', '"@path"', '"@query"']


def test_cli_post_json_is_digested_and_covered(server_url):
    done = run_cli(["post", f"{server_url}/api/notes/", "--json", '{"text": "hi"}'], HMAC_ENV)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout.partition("\n\n")[2])
    assert '"content-digest"' in payload["covered"]
    assert json.loads(payload["body"]) == {"text": "hi"}


def test_cli_with_a_client_held_ed25519_key(server_url, tmp_path):
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        ED_PRIVATE.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = {
        "SIGNED_API_KEY_ID": ED_KEYID,
        "SIGNED_API_ALGORITHM": "ed25519",
        "SIGNED_API_PRIVATE_KEY": str(pem),
    }
    done = run_cli(["DELETE", f"{server_url}/api/notes/7/"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.partition("\n\n")[2])["keyid"] == ED_KEYID


def test_cli_replay_is_refused_by_the_server(server_url):
    done = run_cli(["GET", f"{server_url}/api/notes/", "--replay"], HMAC_ENV)
    first, marker, second = done.stdout.partition("--- the same signed request again")
    assert marker, done.stdout
    assert first.startswith("HTTP 200 OK\n")
    assert "HTTP 401 Unauthorized" in second and '"code": "nonce_replayed"' in second
    assert done.returncode == 0  # --replay succeeds when the replay was refused
    # One report per answer: the first by the key's secret, the refusal by the server key.
    assert done.stderr.splitlines() == [
        "response signature: verified",
        "refusal signature: verified (the server key of the JWKS)",
    ], done.stderr


def test_cli_reports_a_401_with_a_non_zero_exit(server_url):
    env = {**HMAC_ENV, "SIGNED_API_SECRET": encode_secret(b"w" * 32)}
    done = run_cli(["GET", f"{server_url}/api/notes/"], env)
    assert done.returncode == 1
    assert done.stdout.startswith("HTTP 401 Unauthorized\n")
    assert json.loads(done.stdout.partition("\n\n")[2])["code"] == "signature_invalid"


def test_cli_connection_error_is_one_line_and_exit_2():
    done = run_cli(["GET", "http://127.0.0.1:9/"], HMAC_ENV)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("env", "mentions"),
    [
        ({}, "SIGNED_API_KEY_ID"),
        ({"SIGNED_API_SECRET": encode_secret(SECRET)}, "SIGNED_API_KEY_ID"),
        ({"SIGNED_API_KEY_ID": KEYID}, "SIGNED_API_SECRET"),
        ({"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_SECRET": "a"}, "SIGNED_API_SECRET"),
        ({"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_ALGORITHM": "ed25519"}, "SIGNED_API_PRIVATE_KEY"),
    ],
    ids=["nothing", "no-key-id", "no-secret", "secret-not-base64url", "no-private-key"],
)
def test_cli_missing_configuration_is_a_clear_error(env, mentions):
    done = run_cli(["GET", "http://127.0.0.1:9/"], env)
    assert done.returncode != 0
    assert done.stderr.startswith("error: ") and mentions in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    "env",
    [
        {"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_SECRET": "="},
        {"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_SECRET": "!!!!"},
        {
            "SIGNED_API_KEY_ID": KEYID,
            "SIGNED_API_ALGORITHM": "ed25519",
            "SIGNED_API_PRIVATE_KEY": "/nonexistent/key.pem",
        },
        {
            "SIGNED_API_KEY_ID": KEYID,
            "SIGNED_API_ALGORITHM": "ed25519",
            "SIGNED_API_PRIVATE_KEY": str(ROOT / "pyproject.toml"),
        },
        {
            "SIGNED_API_KEY_ID": KEYID,
            "SIGNED_API_ALGORITHM": "hmac",
            "SIGNED_API_PRIVATE_KEY": str(ROOT / "pyproject.toml"),
        },
    ],
    ids=[
        "secret-decodes-empty",
        "secret-all-invalid",
        "key-file-missing",
        "key-file-not-pem",
        "unknown-algorithm",
    ],
)
def test_cli_bad_configuration_is_a_clear_error_not_a_traceback(env):
    done = run_cli(["GET", "http://127.0.0.1:9/"], env)
    assert done.returncode != 0
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_cli_help_needs_no_configuration():
    done = run_cli(["--help"], {})
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m signed_api.client") and "--json" in done.stdout


# -- the worked example of docs/protocol.md is exact -----------------------------------------
def test_protocol_doc_worked_example_matches_the_client():
    doc = (ROOT / "docs" / "protocol.md").read_text()
    section = doc.split("### Worked example", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```")
    snippet = next(b for b in blocks if b.startswith("python\n"))[len("python\n") :]
    base_block = next(b for b in blocks if b.startswith("text\n"))[len("text\n") :].rstrip("\n")

    namespace: dict = {}
    exec(compile(snippet, "docs/protocol.md", "exec"), namespace)  # the stdlib-only template
    auth = SignatureAuth(
        "key_4CkXtZ2vQm8rW1nP",
        decode_secret("c2lnbmVkLWFwaS1kb2NzLWV4YW1wbGUtc2VjcmV0ISE"),
        created=1735689600,
        nonce="kX0mEoF7ZJ3v9QsW2yRt-A",
    )
    sent = send_with_requests(
        auth, "POST", "https://api.example.com/api/notes/?page=2", json={"text": "hello"}
    )
    ours = {name: sent.headers[name] for name in ("Content-Digest", "Signature-Input", "Signature")}
    assert namespace["headers"] == ours
    assert namespace["base"] == base_block
    for name, value in ours.items():
        assert f"{name}: {value}\n" in section
        assert f"{name}: {value}\n" in doc.split("## Signature-Input and Signature", 1)[0]
    assert sent.body == b'{"text": "hello"}' and sent.headers["Content-Length"] == "17"


# -- the command line against a small fake of signed_api's auth endpoints ----------------------
# It speaks the wire format of docs/sessions.md: a 202 with a public id and a separate
# challenge_token, verify/ with both (the token in the body), account security (sessions/,
# totp/) signed by a session only (an API key gets 403 session_required).
PROG = "python -m signed_api.client"
SESSION_ID = "ses_cli"
SESSION_SECRET = bytes(range(100, 132))
CHALLENGE_ID = "chl_public"
CHALLENGE_TOKEN = "ctk_secret_part"
GOOD_CODE = "246810"
OTPAUTH = "otpauth://totp/Fake:alice?secret=JBSWY3DPEHPK3PXP&issuer=Fake"
RECOVERY = [f"rc-{n:04d}-abcd" for n in range(8)]
SESSION_ENV = {"SIGNED_API_KEY_ID": SESSION_ID, "SIGNED_API_SECRET": encode_secret(SESSION_SECRET)}
AUTH_KEYS = {**PUBLIC_KEYS, SESSION_ID: load_verifying_key("hmac-sha256", SESSION_SECRET)}


class FakeAuthHandler(http.server.BaseHTTPRequestHandler):
    state: dict  # set per server by the fixture

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.partition("?")[0]
        if path == FAKE_JWKS_PATH:
            return self._send(200, fake_jwks(), "application/json")
        self.state["calls"].append((self.command, path, raw))
        if path.startswith("/html/"):  # not where signed_api is mounted
            status = 201 if path.endswith("/sessions/") and self.command == "POST" else 404
            return self._send(status, b"<html>a web page</html>", "text/html")
        if path.startswith("/broken/"):  # a server error page
            return self._send(500, b"<html>Server Error (500)</html>", "text/html")
        if not path.startswith("/api/auth/"):
            return self._json(404, {"detail": "Not found.", "code": "not_found"})
        route = (self.command, path[len("/api/auth/"):])
        data = json.loads(raw) if raw else {}
        if route == ("POST", "sessions/"):
            return self._login(data)
        if route == ("POST", f"sessions/{CHALLENGE_ID}/verify/"):
            return self._verify(data)
        keyid = self._verified(path, raw)
        if keyid is None:
            return None
        if keyid != SESSION_ID:
            return self._json(403, {"detail": "Log in first.", "code": "session_required"})
        if route == ("DELETE", "sessions/"):
            return self._json(200, {"ended": 2})
        if route == ("DELETE", f"sessions/{SESSION_ID}/"):
            return self._send(204, b"", None)
        if route == ("POST", "totp/"):
            return self._json(201, {"otpauth_uri": OTPAUTH, "qr_svg": None})
        if route in (("POST", "totp/confirm/"), ("DELETE", "totp/")):
            if len(data.get("code", "")) > 64:  # DRF's field errors, as CodeSerializer's
                return self._json(400, {"code": ["Ensure this field has no more than 64 "
                                                 "characters."]})
            if data.get("code") != GOOD_CODE:
                return self._json(403, {"detail": "Wrong code.", "code": "otp_invalid"})
            if route[0] == "DELETE":
                return self._send(204, b"", None)
            return self._json(200, {"recovery_codes": RECOVERY})
        return self._json(404, {"detail": "Not found.", "code": "not_found"})

    def _login(self, data):
        if data.get("username") == "mallory":  # a hostile server's words
            return self._json(401, {"detail": "no\x1b[2J\nerror: forged line",
                                    "code": "invalid_credentials"})
        if data.get("username") != "alice" or data.get("password") != "pw":
            return self._json(401, {"detail": "Wrong.", "code": "invalid_credentials"})
        if self.state["second_factor"]:
            return self._json(202, {
                "id": CHALLENGE_ID, "status": "pending", "challenge_token": CHALLENGE_TOKEN,
                "methods": ["totp", "recovery_code"], "expires_at": "2030-01-01T00:00:00+00:00",
            })
        return self._session()

    def _verify(self, data):
        if data.get("challenge_token") != CHALLENGE_TOKEN:
            return self._json(401, {"detail": "No such challenge.", "code": "challenge_expired"})
        if data.get("code") == GOOD_CODE:
            return self._session()
        self.state["attempts"] -= 1
        if self.state["attempts"] <= 0:
            return self._json(401, {"detail": "No more.", "code": "otp_attempts_exhausted"})
        return self._json(401, {
            "detail": "Wrong code.", "code": "otp_invalid",
            "attempts_remaining": self.state["attempts"],
        })

    def _session(self):
        return self._json(201, {
            "id": SESSION_ID, "secret": encode_secret(SESSION_SECRET), "algorithm": "hmac-sha256",
            "expires_at": "2030-01-01T00:00:00+00:00", "idle_timeout": 3600,
        })

    def _verified(self, path, raw):
        query = self.path.partition("?")[2]
        message = Message(
            method=self.command, scheme="http", authority=self.headers["Host"], path=path,
            query=query or None, headers=list(self.headers.items()), body=raw,
        )

        def resolve_key(keyid):
            if keyid not in AUTH_KEYS:
                raise SignatureError("unknown_key")
            return AUTH_KEYS[keyid]

        try:
            result = verify_message(
                message, resolve_key, SERVER_POLICY, now=time.time(),
                nonce_store=self.state["nonces"],
            )
        except SignatureError as exc:
            self._json(401, {"detail": exc.message, "code": exc.code})
            return None
        return result.keyid

    def _json(self, status, payload):
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status, data, content_type):
        self.send_response(status)
        if status >= 400:
            for name, value in fake_refusal_headers(self, status, data, content_type).items():
                self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _handle

    def log_message(self, format, *args):
        pass


@pytest.fixture
def fake_auth():
    """A fresh fake per test: ``url`` (the AUTH_URL), ``state`` (switches and recorded calls)."""
    state = {"second_factor": False, "attempts": 3, "calls": [], "nonces": NonceStore()}
    handler = type("Handler", (FakeAuthHandler,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield {"url": f"{base}/api/auth/", "base": base, "state": state}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def verify_calls(fake) -> list[tuple[str, dict]]:
    return [
        (path, json.loads(raw)) for method, path, raw in fake["state"]["calls"]
        if path.endswith("/verify/")
    ]


def cli_exports(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    assert lines and all(line.startswith("export ") for line in lines), stdout
    return dict(line[len("export "):].partition("=")[::2] for line in lines)


def assert_one_line_error(done, status: int, *mentions: str) -> None:
    """An ``error: …`` line (maybe a ``hint: …`` line after it), the exit status, no traceback."""
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), done.stderr
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), done.stderr
    assert sum(line.startswith("error: ") for line in lines) == 1, done.stderr
    for text in mentions:
        assert text in done.stderr, (text, done.stderr)


# -- --help --------------------------------------------------------------------------------------
def test_cli_help_lists_every_command_and_every_environment_variable():
    done = run_cli(["--help"], {})
    assert done.returncode == 0, done.stderr
    source = "".join(p.read_text() for p in (ROOT / "signed_api" / "client").glob("*.py"))
    variables = set(re.findall(r"SIGNED_API_[A-Z_]+", source))
    assert {"SIGNED_API_KEY_ID", "SIGNED_API_SECRET", "SIGNED_API_PRIVATE_KEY",
            "SIGNED_API_ALGORITHM", "SIGNED_API_PASSWORD", "SIGNED_API_REMEMBER_TOKEN"} <= variables
    listed = done.stdout.split("environment variables:", 1)[1]
    for name in variables:  # each on its own line, with a description
        assert re.search(rf"^  {name} +\S", listed, re.M), name
    commands = done.stdout.split("commands:", 1)[1].split("\n\n", 1)[0]
    for name in ("METHOD URL", "login", "logout", "totp enable", "totp confirm", "totp disable"):
        assert re.search(rf"^  {name} +\S", commands, re.M), name
    for usage in ("login AUTH_URL", "--code CODE", "logout AUTH_URL [--others]",
                  "totp confirm AUTH_URL CODE"):
        assert usage in done.stdout
    for command in (["login"], ["logout"], ["totp"], ["totp", "enable"]):
        sub = run_cli([*command, "--help"], {})
        assert sub.returncode == 0 and sub.stdout.startswith(f"usage: {PROG} {command[0]}")


# -- login ---------------------------------------------------------------------------------------
def test_cli_login_code_sends_the_challenge_token_in_the_body_not_the_url(fake_auth):
    fake_auth["state"]["second_factor"] = True
    done = run_cli(["login", fake_auth["url"], "--username", "alice", "--code", GOOD_CODE],
                   {"SIGNED_API_PASSWORD": "pw"})
    assert done.returncode == 0, done.stderr
    assert cli_exports(done.stdout) == SESSION_ENV
    [(path, sent)] = verify_calls(fake_auth)
    assert path == f"/api/auth/sessions/{CHALLENGE_ID}/verify/"
    assert sent == {"challenge_token": CHALLENGE_TOKEN, "code": GOOD_CODE}
    assert CHALLENGE_TOKEN not in done.stdout + done.stderr


def test_cli_login_with_a_refused_code_stops_after_one_try(fake_auth):
    fake_auth["state"]["second_factor"] = True
    done = run_cli(["login", fake_auth["url"], "--username", "alice", "--code", "000000"],
                   {"SIGNED_API_PASSWORD": "pw"})
    assert_one_line_error(done, 1, "otp_invalid", "2 attempts left", "hint: ")
    assert done.stdout == ""
    assert len(verify_calls(fake_auth)) == 1


def test_cli_login_code_is_unused_without_a_second_factor(fake_auth):
    done = run_cli(["login", fake_auth["url"], "--username", "alice", "--code", GOOD_CODE],
                   {"SIGNED_API_PASSWORD": "pw"})
    assert done.returncode == 0, done.stderr
    assert cli_exports(done.stdout) == SESSION_ENV
    assert verify_calls(fake_auth) == []


def test_cli_login_without_code_and_no_terminal_says_to_give_one(fake_auth):
    fake_auth["state"]["second_factor"] = True
    done = run_cli(["login", fake_auth["url"], "--username", "alice"],
                   {"SIGNED_API_PASSWORD": "pw"})
    assert_one_line_error(done, 2, "no terminal", "--code")
    assert verify_calls(fake_auth) == []


def run_on_a_terminal(args, env, answers, timeout=30):
    """Run the CLI with a pseudo-terminal as its controlling terminal, stdin, stdout and stderr;
    each of ``answers`` is ``(prompt text to wait for, bytes to type)``. Returns
    ``(exit status, everything it wrote)``."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "signed_api.client", *args],
                  {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})
    output = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)

    def read_some():
        nonlocal output
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                return False
            if not chunk:
                return False
            output += chunk
        return True

    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0].encode() in output:
                os.write(fd, pending.pop(0)[1])
                output += b"<typed>"
            if not read_some():
                break
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pseudo-terminal")
def test_cli_login_asks_for_the_code_on_the_terminal_and_again_after_a_wrong_one(fake_auth):
    fake_auth["state"]["second_factor"] = True
    status, output = run_on_a_terminal(
        ["login", fake_auth["url"], "--username", "alice"], {},
        [("Password for alice: ", b"pw\n"),
         ("recovery code: ", b"111111\n"),
         ("(2 attempts left): ", GOOD_CODE.encode() + b"\n")],
    )
    assert status == 0, output
    assert f"export SIGNED_API_KEY_ID={SESSION_ID}" in output
    assert "pw" not in output.replace("export", "") and GOOD_CODE not in output
    assert [sent["code"] for _, sent in verify_calls(fake_auth)] == ["111111", GOOD_CODE]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize(
    ("answers", "env", "status", "message"),
    [
        ([("Password for alice: ", b"\x04")], {}, 2, "error: no password given (end of input)"),
        ([("recovery code: ", b"\x04")], {"SIGNED_API_PASSWORD": "pw"}, 2,
         "error: no code given (end of input)"),
        ([("recovery code: ", b"\x03")], {"SIGNED_API_PASSWORD": "pw"}, 130,
         "error: interrupted"),
    ],
    ids=["eof-at-password", "eof-at-code", "ctrl-c-at-code"],
)
def test_cli_login_eof_or_ctrl_c_at_a_prompt_is_one_line(fake_auth, answers, env, status, message):
    fake_auth["state"]["second_factor"] = True
    got, output = run_on_a_terminal(["login", fake_auth["url"], "--username", "alice"], env,
                                    answers)
    assert got == status, output
    assert message in output
    assert "Traceback" not in output and "export" not in output


# -- totp ----------------------------------------------------------------------------------------
def test_cli_totp_enable_prints_the_uri_its_secret_and_a_qr_code(fake_auth):
    pytest.importorskip("segno")
    done = run_cli(["totp", "enable", fake_auth["url"]], SESSION_ENV)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == OTPAUTH
    assert "secret (to type in instead): JBSWY3DPEHPK3PXP" in lines
    drawing = lines[1:-1]
    assert len(drawing) > 10 and all(set(row) <= set(" ▀▄█") for row in drawing)
    assert f"totp confirm {fake_auth['url']} CODE" in done.stderr


def test_cli_totp_enable_without_segno_prints_the_uri_and_a_hint(fake_auth, monkeypatch, capsys):
    from signed_api.client.__main__ import main

    monkeypatch.setitem(sys.modules, "segno", None)  # import segno raises ImportError
    for name in ("SIGNED_API_PRIVATE_KEY", "SIGNED_API_ALGORITHM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SESSION_ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["totp", "enable", fake_auth["url"]]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [OTPAUTH, "secret (to type in instead): JBSWY3DPEHPK3PXP"]
    assert "pip install 'django-signed-api[qr]'" in err


def test_print_qr_falls_back_when_the_output_cannot_show_blocks():
    import io

    from signed_api.client.__main__ import print_qr

    pytest.importorskip("segno")
    latin1 = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    assert print_qr(OTPAUTH, out=latin1) is False
    utf8 = io.StringIO()
    assert print_qr(OTPAUTH, out=utf8) is True and "▀" in utf8.getvalue()


def test_cli_totp_confirm_prints_the_recovery_codes_once_with_a_warning(fake_auth):
    done = run_cli(["totp", "confirm", fake_auth["url"], GOOD_CODE], SESSION_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == RECOVERY
    assert "will not be shown again" in done.stderr
    calls = fake_auth["state"]["calls"]
    posted = [json.loads(raw) for _, path, raw in calls if path.endswith("confirm/")]
    assert posted == [{"code": GOOD_CODE}]


def test_cli_totp_confirm_with_a_wrong_code_is_refused(fake_auth):
    done = run_cli(["totp", "confirm", fake_auth["url"], "000000"], SESSION_ENV)
    assert_one_line_error(done, 1, "403 otp_invalid")
    assert done.stdout == ""


def test_cli_totp_disable(fake_auth):
    done = run_cli(["totp", "disable", fake_auth["url"], GOOD_CODE], SESSION_ENV)
    assert done.returncode == 0, done.stderr
    assert ("DELETE", "/api/auth/totp/", json.dumps({"code": GOOD_CODE}).encode()) in [
        (m, p, raw) for m, p, raw in fake_auth["state"]["calls"]
    ]


@pytest.mark.parametrize(
    "command",
    [["totp", "enable"], ["totp", "confirm", "{url}", GOOD_CODE], ["totp", "disable", "{url}", "1"],
     ["logout", "{url}", "--others"]],
    ids=["totp-enable", "totp-confirm", "totp-disable", "logout-others"],
)
def test_cli_account_security_with_an_api_key_hints_at_logging_in(fake_auth, command):
    args = [a.replace("{url}", fake_auth["url"]) for a in command]
    if len(args) == 2:
        args.append(fake_auth["url"])
    done = run_cli(args, HMAC_ENV)
    assert_one_line_error(done, 1, "403 session_required", "hint: ", "needs a session",
                          "login AUTH_URL --username NAME")


def test_cli_request_to_account_security_with_an_api_key_hints_at_logging_in(fake_auth):
    done = run_cli(["GET", fake_auth["url"] + "sessions/"], HMAC_ENV)
    assert done.returncode == 1
    assert done.stdout.startswith("HTTP 403")
    report, hint = done.stderr.splitlines()
    assert report == "refusal signature: verified (the server key of the JWKS)"
    assert hint.startswith("hint: ") and "needs a session" in hint


def test_cli_next_commands_name_the_interpreter_running_now(tmp_path, monkeypatch):
    """``then: …`` and hints name ``sys.executable``: relative to the current directory when
    that is shorter, quoted for a shell."""
    from signed_api.client import __main__ as cli_main

    venv = tmp_path / "project" / ".venv" / "bin"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    monkeypatch.chdir(tmp_path / "project")
    assert cli_main._python() == ".venv/bin/python"
    monkeypatch.chdir(venv)
    assert cli_main._python() == "python"
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    assert cli_main._python() == "/usr/bin/python3"  # ../../…/usr/bin/python3 is longer
    monkeypatch.setattr(sys, "executable", "/opt/my python/bin/python3")
    assert cli_main._python() == "'/opt/my python/bin/python3'"
    monkeypatch.setattr(sys, "executable", "")
    assert cli_main._next_command("totp confirm U CODE") == (
        "python -m signed_api.client totp confirm U CODE"
    )


# -- logout --------------------------------------------------------------------------------------
def test_cli_logout_others_prints_how_many_ended(fake_auth):
    done = run_cli(["logout", fake_auth["url"], "--others"], SESSION_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ended 2 other sessions and every other remember token\n"
    calls = [(method, path) for method, path, _ in fake_auth["state"]["calls"]]
    assert calls == [("DELETE", "/api/auth/sessions/")]


def test_cli_logout_ends_this_session(fake_auth):
    done = run_cli(["logout", fake_auth["url"]], SESSION_ENV)
    assert done.returncode == 0, done.stderr
    assert [(m, p) for m, p, _ in fake_auth["state"]["calls"]] == [
        ("DELETE", f"/api/auth/sessions/{SESSION_ID}/")
    ]


# -- one-line errors for every user mistake ------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "env", "status", "mentions"),
    [
        (["POST", "{base}/api/notes/", "--json", "{text: 1}"], HMAC_ENV, 2, ["--json"]),
        (["GET", "/api/notes/"], HMAC_ENV, 2, ["absolute"]),
        (["GET", "http://127.0.0.1:9/"], HMAC_ENV, 2, ["cannot reach 127.0.0.1:9",
                                                      "connection refused"]),
        (["login", "http://127.0.0.1:9/api/auth/", "--username", "alice"],
         {"SIGNED_API_PASSWORD": "pw"}, 2, ["cannot reach 127.0.0.1:9"]),
        (["logout", "http://127.0.0.1:9/api/auth/"], SESSION_ENV, 2, ["cannot reach"]),
        (["totp", "enable", "http://127.0.0.1:9/api/auth/"], SESSION_ENV, 2, ["cannot reach"]),
        (["login", "{base}/html/", "--username", "alice"], {"SIGNED_API_PASSWORD": "pw"}, 2,
         ["did not answer as signed_api", "hint: AUTH_URL"]),
        (["totp", "enable", "{base}/html/"], SESSION_ENV, 2,
         ["HTTP 404 without a signed_api error", "hint: AUTH_URL"]),
        (["login", "{base}/api/auth/"], {}, 2, ["--username", "SIGNED_API_REMEMBER_TOKEN"]),
        (["login", "{base}/api/auth/", "--username", "alice"], {"SIGNED_API_PASSWORD": "no"}, 1,
         ["401 invalid_credentials"]),
        (["login", "api/auth/", "--username", "alice"], {}, 2, ["AUTH_URL", "absolute"]),
        (["totp", "confirm", "{base}/api/auth/", "1"], {"SIGNED_API_KEY_ID": SESSION_ID,
                                                       "SIGNED_API_SECRET": "***"}, 2,
         ["SIGNED_API_SECRET", "base64url"]),
        (["logout", "{base}/api/auth/"], {}, 2, ["SIGNED_API_KEY_ID"]),
        (["totp", "confirm", "{base}/api/auth/", "1" * 65], SESSION_ENV, 2,
         ["400 the server refused the input: code: Ensure this field"]),
        (["login", "{base}/broken/", "--username", "alice"], {"SIGNED_API_PASSWORD": "pw"}, 1,
         ["HTTP 500: a server error"]),
        (["login", "{base}/api/auth/", "--username", "mallory"], {"SIGNED_API_PASSWORD": "pw"},
         1, ["401 invalid_credentials: no [2J error: forged line"]),
        (["GE T", "{base}/api/notes/"], HMAC_ENV, 2, ["not an HTTP method"]),
        (["GET", "http://[::1/"], HMAC_ENV, 2, ["not a valid URL"]),
        (["GET", "http://127.0.0.1:99999/"], HMAC_ENV, 2, ["not a valid URL"]),
        (["login", "http://[::1/", "--username", "a"], {}, 2, ["not a valid AUTH_URL"]),
        (["POST", "{base}/api/notes/", "--json", "[" * 100_000], HMAC_ENV, 2,
         ["--json is nested too deeply"]),
    ],
    ids=["bad-json", "relative-url", "connection-refused", "login-refused-connection",
         "logout-refused-connection", "totp-refused-connection", "login-not-json",
         "totp-not-json", "login-nothing-to-log-in-with", "login-wrong-password",
         "login-relative-url", "bad-secret", "logout-no-key", "field-errors", "server-error",
         "control-characters-from-the-server", "bad-method", "bad-ipv6-url", "bad-port",
         "login-bad-url", "json-too-deep"],
)
def test_cli_user_mistakes_are_one_line_errors(fake_auth, args, env, status, mentions):
    args = [a.replace("{base}", fake_auth["base"]) for a in args]
    done = run_cli(args, env)
    assert_one_line_error(done, status, *mentions)
    assert done.stdout == ""


@pytest.mark.parametrize(
    "args",
    [["totp"], ["totp", "confirm", "http://h/api/auth/"], ["totp", "frobnicate"], [],
     ["login"], ["GET"], ["GET", "http://h/", "--timeout", "0"],
     ["login", "http://h/", "--timeout", "nan"]],
    ids=["totp-no-action", "totp-confirm-no-code", "totp-unknown-action", "nothing",
         "login-no-url", "request-no-url", "timeout-zero", "timeout-nan"],
)
def test_cli_usage_errors_exit_2_with_the_usage(args):
    done = run_cli(args, {})
    assert done.returncode == 2
    assert done.stderr.startswith("usage: ") and "error: " in done.stderr
    assert "Traceback" not in done.stderr


# -- keys held by the client: the hints name SIGNED_API_PRIVATE_KEY, never a secret -----------
def pem_file(tmp_path, private) -> str:
    path = tmp_path / "key.pem"
    path.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return str(path)


@pytest.mark.parametrize(("private", "keyid"), [(ED_PRIVATE, ED_KEYID), (EC_PRIVATE, EC_KEYID)],
                         ids=["ed25519", "ecdsa-p256-sha256"])
def test_cli_client_held_key_algorithm_comes_from_the_pem(server_url, tmp_path, private, keyid):
    env = {"SIGNED_API_KEY_ID": keyid, "SIGNED_API_PRIVATE_KEY": pem_file(tmp_path, private)}
    done = run_cli(["GET", f"{server_url}/api/notes/"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.partition("\n\n")[2])["keyid"] == keyid


@pytest.mark.parametrize(
    ("env", "mentions", "never"),
    [
        ({"SIGNED_API_KEY_ID": ED_KEYID, "SIGNED_API_ALGORITHM": "ed25519",
          "SIGNED_API_SECRET": encode_secret(SECRET)},
         ["held by the client", "SIGNED_API_PRIVATE_KEY", "SIGNED_API_SECRET is for hmac"], []),
        ({"SIGNED_API_KEY_ID": EC_KEYID, "SIGNED_API_ALGORITHM": "ecdsa-p256-sha256"},
         ["ecdsa-p256-sha256 keys are held by the client", "SIGNED_API_PRIVATE_KEY"],
         ["SIGNED_API_SECRET"]),
        ({"SIGNED_API_PRIVATE_KEY": "/some/key.pem"}, ["SIGNED_API_KEY_ID"],
         ["SIGNED_API_SECRET"]),
        ({}, ["SIGNED_API_KEY_ID", "hint: ", "SIGNED_API_PRIVATE_KEY", "login"], []),
        ({"SIGNED_API_KEY_ID": ED_KEYID}, ["SIGNED_API_SECRET", "hint: ", "has no secret",
                                            "SIGNED_API_PRIVATE_KEY"], []),
        ({"SIGNED_API_KEY_ID": ED_KEYID, "SIGNED_API_ALGORITHM": "ed-25519"},
         ["SIGNED_API_ALGORITHM", "hmac-sha256, ed25519, ecdsa-p256-sha256"], []),
    ],
    ids=["ed25519-with-a-secret", "ecdsa-without-a-key", "pem-without-key-id", "nothing",
         "no-secret-suggests-a-pem", "unknown-algorithm"],
)
def test_cli_client_held_key_hints(env, mentions, never):
    done = run_cli(["GET", "http://127.0.0.1:9/"], env)
    assert_one_line_error(done, 2, *mentions)
    for text in never:
        assert text not in done.stderr


def test_cli_a_pem_of_another_kind_is_a_clear_error(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    env = {"SIGNED_API_KEY_ID": KEYID, "SIGNED_API_PRIVATE_KEY": pem_file(tmp_path, key)}
    done = run_cli(["GET", "http://127.0.0.1:9/"], env)
    assert_one_line_error(done, 2, "RSAPrivateKey", "Ed25519 or ECDSA P-256")


def test_clients_doc_lists_every_command_and_environment_variable():
    doc = (ROOT / "docs" / "clients.md").read_text()
    section = doc.split("## Command line\n", 1)[1].split("\n## ", 1)[0]
    source = "".join(p.read_text() for p in (ROOT / "signed_api" / "client").glob("*.py"))
    table = section.split("### Environment variables", 1)[1].split("\n### ", 1)[0]
    for name in set(re.findall(r"SIGNED_API_[A-Z_]+", source)):
        assert f"| `{name}` |" in table, name
    for usage in ("METHOD URL", "login AUTH_URL", "--code CODE", "logout AUTH_URL [--others]",
                  "totp enable AUTH_URL", "totp confirm AUTH_URL CODE",
                  "totp disable AUTH_URL CODE"):
        assert f"python -m signed_api.client {usage}" in section or usage in section, usage
