"""The Python client: ``SignatureAuth`` for requests and httpx, and the command line.

RFC 9421's own test request and keys (Appendix B.1.4, B.1.5, B.2) must come out byte for byte
as B.2.5 and B.2.6 print them, through real ``requests`` and ``httpx`` request objects. The
default profile (docs/protocol.md, docs/clients.md) is checked by our own verifier, in-process and behind a tiny
real HTTP server that the CLI talks to.
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import os
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


# -- the default profile (docs/protocol.md, docs/clients.md) -----------------------------------------------------
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
