"""Interoperability with the PyPI library ``http-message-signatures`` (a test dependency only).

Their signer signs, our core verifies; our client and ``sign_message`` sign, their verifier
verifies: ``hmac-sha256`` and ``ed25519``, through real ``requests`` and ``httpx`` request
objects, covering ``@method @authority @path @query`` and ``content-digest`` (RFC 9530) with a
body, with ``nonce`` and ``created``. Both libraries build the signature base independently
(RFC 9421 §2.5), so agreement here means the same bytes on the wire.

Their verifier reads the real clock (five seconds of skew), so these signatures are created
"now"; our verifier still gets the time as ``now=``.
"""

from __future__ import annotations

import base64
import datetime
import json
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

from signed_api.client import SignatureAuth
from signed_api.core import (
    Component,
    Message,
    Policy,
    SignatureError,
    content_digest,
    load_signing_key,
    load_verifying_key,
    sign_message,
    signature_base,
    verify_message,
)

VECTORS = Path(__file__).parent / "vectors"
KEYID = "key-1"
URL = "https://api.example.com/api/notes/?page=2&q=a%20b"
BODY = json.dumps({"text": "hello", "tags": ["a", "b"]}).encode()
PROFILE = ("@method", "@authority", "@path", "@query")
SERVER_POLICY = Policy(
    required_components=PROFILE,
    required_params=("created", "nonce"),
    clock_skew=300,
    require_digest_for_body=True,
)

HMAC_SECRET = bytes(range(100, 132))
ED_PRIVATE = ed25519.Ed25519PrivateKey.generate()

# alg -> (their algorithm class, our signing material, their private key, their public key)
ALGORITHMS = {
    "hmac-sha256": (algorithms.HMAC_SHA256, HMAC_SECRET, HMAC_SECRET, HMAC_SECRET),
    "ed25519": (algorithms.ED25519, ED_PRIVATE, ED_PRIVATE, ED_PRIVATE.public_key()),
}


def their_signer(alg):
    algorithm, _, private, _ = ALGORITHMS[alg]
    return HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEYID: private}),
    )


def their_verifier(alg):
    algorithm, _, _, public = ALGORITHMS[alg]
    return HTTPMessageVerifier(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={KEYID: public}, private_keys={}),
    )


def our_resolver(alg):
    material = ALGORITHMS[alg][1]
    if alg == "ed25519":
        material = material.public_key()
    key = load_verifying_key(alg, material)

    def resolve(keyid):
        if keyid != KEYID:
            raise SignatureError("unknown_key")
        return key

    return resolve


class NonceStore:
    def __init__(self):
        self.seen = set()

    def __call__(self, keyid, nonce, ttl):
        if (keyid, nonce) in self.seen:
            return False
        self.seen.add((keyid, nonce))
        return True


# -- real request objects of both HTTP libraries --------------------------------------------
def build_request(transport, method, url=URL, body=b""):
    headers = {"Content-Type": "application/json"} if body else {}
    if transport == "requests":
        return requests.Request(method, url, data=body or None, headers=headers).prepare()
    return httpx.Request(method, url, content=body or None, headers=headers)


def request_body(transport, request) -> bytes:
    if transport == "requests":
        return request.body or b""
    return request.content


def as_message(transport, request, *, body=None) -> Message:
    """Our view of a request object, as the server side would see it."""
    if transport == "requests":
        headers = list(request.headers.items())
    else:
        headers = request.headers.multi_items()
    return Message.from_url(
        request.method,
        str(request.url),
        headers=headers,
        body=request_body(transport, request) if body is None else body,
    )


def sign_with_our_auth(transport, auth, request):
    if transport == "requests":
        return auth(request)
    return next(auth.sync_auth_flow(request))


TRANSPORTS = ["requests", "httpx"]
ALGS = list(ALGORITHMS)
CASES = [
    pytest.param(alg, transport, method, id=f"{alg}-{transport}-{method}")
    for alg in ALGS
    for transport in TRANSPORTS
    for method in ("POST", "GET")
]


# -- they sign, we verify --------------------------------------------------------------------
def their_signed_request(alg, transport, method, *, nonce="their-nonce-1", label="sig1"):
    request = build_request(transport, method, body=BODY if method == "POST" else b"")
    body = request_body(transport, request)
    their_signer(alg).sign(
        request,
        key_id=KEYID,
        created=datetime.datetime.now(datetime.timezone.utc),
        nonce=nonce,
        label=label,
        include_alg=True,
        covered_component_ids=PROFILE,
        body=body or None,  # with a body they add Content-Digest and cover it
    )
    return request


@pytest.mark.parametrize(("alg", "transport", "method"), CASES)
def test_they_sign_we_verify_rfc9421_3_2(alg, transport, method):
    request = their_signed_request(alg, transport, method)
    store = NonceStore()
    result = verify_message(
        as_message(transport, request),
        our_resolver(alg),
        SERVER_POLICY,
        now=time.time(),
        nonce_store=store,
    )
    covered = [c.serialize() for c in result.components]
    expected = ['"@method"', '"@authority"', '"@path"', '"@query"']
    if method == "POST":
        expected.append('"content-digest"')
    assert covered == expected
    assert result.nonce == "their-nonce-1" and store.seen == {(KEYID, "their-nonce-1")}
    assert result.params["alg"] == alg and abs(result.created - time.time()) < 60


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_they_sign_we_refuse_a_tampered_body_rfc9530(alg, transport):
    request = their_signed_request(alg, transport, "POST")
    with pytest.raises(SignatureError) as excinfo:
        verify_message(
            as_message(transport, request, body=BODY.replace(b"hello", b"HELLO")),
            our_resolver(alg),
            SERVER_POLICY,
            now=time.time(),
        )
    assert excinfo.value.code == "digest_mismatch"


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_they_sign_we_refuse_a_tampered_path(alg, transport):
    request = their_signed_request(alg, transport, "GET")
    message = as_message(transport, request)
    message.path = "/api/notes/1/"
    with pytest.raises(SignatureError) as excinfo:
        verify_message(message, our_resolver(alg), SERVER_POLICY, now=time.time())
    assert excinfo.value.code == "signature_invalid"


def test_they_sign_without_nonce_our_profile_refuses():
    request = their_signed_request("hmac-sha256", "requests", "GET", nonce=None)
    with pytest.raises(SignatureError) as excinfo:
        verify_message(
            as_message("requests", request),
            our_resolver("hmac-sha256"),
            SERVER_POLICY,
            now=time.time(),
        )
    assert excinfo.value.code == "nonce_missing"


# -- we sign, they verify --------------------------------------------------------------------
@pytest.mark.parametrize(("alg", "transport", "method"), CASES)
def test_our_client_signs_they_verify_rfc9421_3_2(alg, transport, method):
    auth = SignatureAuth(KEYID, ALGORITHMS[alg][1], algorithm=alg)
    request = sign_with_our_auth(
        transport, auth, build_request(transport, method, body=BODY if method == "POST" else b"")
    )
    body = request_body(transport, request)
    results = their_verifier(alg).verify(request, require_components=PROFILE, body=body)
    assert len(results) == 1
    result = results[0]
    assert result.label == "sig1"
    assert result.parameters["keyid"] == KEYID and result.parameters["alg"] == alg
    assert result.nonce and len(result.nonce) >= 16
    assert abs(result.parameters["created"] - time.time()) < 60
    covered = list(result.covered_components)
    assert covered[:4] == ['"@method"', '"@authority"', '"@path"', '"@query"']
    assert ('"content-digest"' in covered) == (method == "POST")
    assert result.body == (body if method == "POST" else None)  # their digest check ran


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_our_client_signs_they_refuse_a_tampered_body(alg, transport):
    auth = SignatureAuth(KEYID, ALGORITHMS[alg][1], algorithm=alg)
    request = sign_with_our_auth(transport, auth, build_request(transport, "POST", body=BODY))
    with pytest.raises(InvalidSignature):
        their_verifier(alg).verify(request, require_components=PROFILE, body=b"{}")


@pytest.mark.parametrize("alg", ALGS)
def test_our_client_signs_with_another_key_they_refuse(alg):
    other = {"hmac-sha256": b"x" * 32, "ed25519": ed25519.Ed25519PrivateKey.generate()}[alg]
    auth = SignatureAuth(KEYID, other, algorithm=alg)
    request = sign_with_our_auth("requests", auth, build_request("requests", "GET"))
    with pytest.raises(InvalidSignature):
        their_verifier(alg).verify(request, require_components=PROFILE)


# Components beyond the profile, signed by sign_message over our Message and verified by them
# over a real requests object for the same URL.
EXTRA_COMPONENTS = [
    pytest.param(("@target-uri",), URL, id="target-uri"),
    pytest.param(("@scheme", "@request-target"), URL, id="scheme-request-target"),
    pytest.param(('"@query-param";name="q"', '"@query-param";name="page"'), URL, id="query-param"),
    pytest.param(
        (
            '"@query-param";name="var"',
            '"@query-param";name="bar"',
            '"@query-param";name="fa%C3%A7ade%22%3A%20"',
        ),
        "https://example.com/parameters?var=this%20is%20a%20big%0Avalue"
        "&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
        id="query-param-rfc9421-2-2-8",
    ),
    pytest.param(
        ('"content-digest";key="sha-256"', '"content-digest";sf'), URL, id="digest-key-sf"
    ),
    pytest.param(("content-type",), "https://API.Example.com:8443/x/", id="port-and-case"),
]


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize(("components", "url"), EXTRA_COMPONENTS)
def test_sign_message_components_they_verify_rfc9421_2_2(alg, components, url):
    request = build_request("requests", "POST", url=url, body=BODY)
    request.headers["Content-Digest"] = content_digest(BODY)
    message = as_message("requests", request)
    signature_input, signature = sign_message(
        message,
        load_signing_key(alg, ALGORITHMS[alg][1]),
        label="mine",
        components=(*PROFILE, "content-digest", *components),
        keyid=KEYID,
        created=int(time.time()),
        nonce="n-1",
        include_alg=True,
        tag="interop",
    )
    request.headers["Signature-Input"] = signature_input
    request.headers["Signature"] = signature
    results = their_verifier(alg).verify(request, expect_tag="interop", body=BODY)
    assert [r.label for r in results] == ["mine"]
    assert results[0].parameters["tag"] == "interop"


# -- both build the same signature base (RFC 9421 §2.5) --------------------------------------
class _Lines:
    """A header container with repeated field lines, as their component resolver reads one."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def items(self):
        return list(self.pairs)

    def __iter__(self):
        return iter(dict.fromkeys(name for name, _ in self.pairs))

    def __contains__(self, name):
        return any(n.lower() == name.lower() for n, _ in self.pairs)


BASE_CASES = [
    pytest.param(
        "GET",
        "https://example.com/a%20b/?x=1",
        [],
        ("@authority", "@path", "@query", "@request-target", "@scheme", "@target-uri"),
        id="derived-rfc9421-2-2",
    ),
    pytest.param(
        "GET",
        "http://example.com/p?",
        [],
        ("@query", "@target-uri", "@request-target"),
        id="empty-query-rfc9421-2-2-7",
    ),
    pytest.param(
        "GET",
        "http://example.com",
        [],
        ("@path", "@query", "@request-target"),
        id="empty-path-rfc9421-2-2-6",
    ),
    pytest.param(
        "GET",
        "https://example.com:8443/",
        [],
        ("@authority", "@target-uri"),
        id="port-rfc9421-2-2-3",
    ),
    pytest.param(
        "GET",
        "https://Example.COM:443/",
        [],
        ("@authority",),
        id="authority-normalized-rfc9421-2-2-3",
    ),
    pytest.param(
        "GET",
        "https://example.com/path?param=value&foo=bar&baz=batman&qux=",
        [],
        ('"@query-param";name="baz"', '"@query-param";name="qux"', '"@query-param";name="param"'),
        id="query-param-rfc9421-2-2-8",
    ),
    pytest.param(
        "GET",
        "https://example.com/?q=caf%c3%a9&r=a+b&%71x=1&s=%7e&t=1;u",
        [],
        (
            '"@query-param";name="q"',
            '"@query-param";name="r"',
            '"@query-param";name="qx"',
            '"@query-param";name="s"',
            '"@query-param";name="t"',
        ),
        id="query-param-reencoding-rfc9421-2-2-8",
    ),
    pytest.param(
        "GET",
        "https://example.com/",
        [("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)")],
        ('"example-dict";key="a"', '"example-dict";key="b"', '"example-dict";key="c"'),
        id="dictionary-key-rfc9421-2-1-2",
    ),
    pytest.param(
        "GET",
        "https://example.com/",
        [("Cache-Control", "max-age=60"), ("Cache-Control", "   must-revalidate")],
        ("cache-control",),
        id="field-lines-combined-rfc9421-2-1",
    ),
    pytest.param(
        "GET",
        "https://example.com/",
        [("X-OWS-Header", "   Leading and trailing whitespace.   "), ("X-Empty-Header", "")],
        ("x-ows-header", "x-empty-header"),
        id="ows-and-empty-rfc9421-2-1",
    ),
    pytest.param(
        "GET",
        "https://example.com/",
        [("Example-Header", "value, with, lots"), ("Example-Header", "of, commas")],
        ('"example-header";bs', "example-header"),
        id="byte-sequence-rfc9421-2-1-3",
    ),
    pytest.param(
        "POST",
        "https://example.com/",
        [
            (
                "Content-Digest",
                "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,  "
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNy"
                "ealdVLvRwEmTHWXvJwew==:",
            )
        ],
        ("content-digest", '"content-digest";sf', '"content-digest";key="sha-512"'),
        id="content-digest-sf-key-rfc9530",
    ),
]


@pytest.mark.parametrize(("method", "url", "headers", "components"), BASE_CASES)
def test_same_signature_base_as_theirs_rfc9421_2_5(method, url, headers, components):
    message = SimpleNamespace(method=method, url=url, headers=_Lines(headers))
    prepared = their_signer("hmac-sha256").prepare(
        message,
        key_id=KEYID,
        created=datetime.datetime.fromtimestamp(1618884473, datetime.timezone.utc),
        nonce="n",
        include_alg=False,
        covered_component_ids=components,
        use_existing_digest=any(n.lower() == "content-digest" for n, _ in headers),
    )
    ours = signature_base(
        Message.from_url(method, url, headers=headers),
        components,
        {"created": 1618884473, "keyid": KEYID, "nonce": "n"},
    )
    assert ours.encode() == prepared.signature_base


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.COM:443/a?b", "https://example.com/a?b"),
        ("HTTP://example.com:80/", "http://example.com/"),
        ("https://example.com:8443/", "https://example.com:8443/"),
    ],
)
def test_target_uri_is_in_rfc9110_normal_form_rfc9421_2_2_2(url, expected):
    # The one place the two libraries differ: http-message-signatures signs @target-uri as the
    # URL was spelled, we sign its RFC 9110 §4.2.3 normal form (lower-case scheme and host, no
    # default port), which is what a server reconstructs from the Host it receives (RFC 9110
    # §7.1) and matches the normalization RFC 9421 §2.2.3 demands of @authority.
    assert Message.from_url("GET", url).target_uri == expected
    assert signature_base(Message.from_url("GET", url), ["@target-uri"], {}).startswith(
        f'"@target-uri": {expected}\n'
    )


# -- RFC 9421 Appendix B.2: both libraries print the same bytes ------------------------------
def _vectors():
    b2 = json.loads((VECTORS / "rfc9421_b2.json").read_text())
    keys = json.loads((VECTORS / "rfc9421_keys.json").read_text())["keys"]
    return b2, keys


@pytest.mark.parametrize("section", ["B.2.5", "B.2.6"])
def test_both_libraries_reproduce_rfc9421_b2_5_and_b2_6(section):
    b2, keys = _vectors()
    example = next(e for e in b2["examples"] if e["source"].startswith(f"RFC 9421 {section} "))
    if example["alg"] == "hmac-sha256":
        material = base64.b64decode(keys["test-shared-secret"]["secret_base64"])
        their_alg = algorithms.HMAC_SHA256
    else:
        material = keys["test-key-ed25519"]["private_pem"].encode()
        their_alg = algorithms.ED25519
    test_request = b2["test_request"]
    headers = {n: v for n, v in test_request["headers"] if n != "Host"}
    request = requests.Request(
        "POST", test_request["url"], data=test_request["body"].encode(), headers=headers
    ).prepare()
    components = [Component.parse(c).name for c in example["covered_components"]]
    signer = HTTPMessageSigner(
        signature_algorithm=their_alg,
        key_resolver=MappingKeyResolver(
            public_keys={},
            private_keys={
                example["keyid"]: material
                if example["alg"] == "hmac-sha256"
                else load_signing_key("ed25519", material).private_key
            },
        ),
    )
    signer.sign(
        request,
        key_id=example["keyid"],
        created=datetime.datetime.fromtimestamp(
            example["params"]["created"], datetime.timezone.utc
        ),
        label=example["label"],
        include_alg=False,
        covered_component_ids=components,
        use_existing_digest=True,  # the B.2 request carries its own Content-Digest
    )
    assert request.headers["Signature-Input"] == example["signature_input"]
    assert request.headers["Signature"] == example["signature"]
    message = as_message("requests", request)
    ours = sign_message(
        message,
        load_signing_key(example["alg"], material),
        label=example["label"],
        components=components,
        keyid=example["keyid"],
        created=example["params"]["created"],
    )
    assert ours == (example["signature_input"], example["signature"])


# -- response signing (RFC 9421 §2.4 "req") ----------------------------------------------------
RESPONSE_COMPONENTS = (
    "@status",
    "content-type",
    "content-digest",
    '"@method";req',
    '"@path";req',
    '"signature";req;key="sig1"',
)
RESPONSE_IDENTIFIERS = [c if c.startswith('"') else f'"{c}"' for c in RESPONSE_COMPONENTS]


def _signed_request_and_response(alg):
    """A request our client signed and the server's answer to it (as both libraries see it)."""
    auth = SignatureAuth(KEYID, ALGORITHMS[alg][1], algorithm=alg)
    request = auth(build_request("requests", "POST", body=BODY))
    body = b'{"id": 7}'
    response_headers = {"Content-Type": "application/json", "Content-Digest": content_digest(body)}
    return request, body, response_headers


@pytest.mark.parametrize("alg", ALGS)
def test_we_sign_a_response_they_verify_rfc9421_2_4(alg):
    request, body, headers = _signed_request_and_response(alg)
    response = Message.for_response(
        201, headers=list(headers.items()), body=body, request=as_message("requests", request)
    )
    signature_input, signature = sign_message(
        response,
        load_signing_key(alg, ALGORITHMS[alg][1]),
        label="sig1",
        components=RESPONSE_COMPONENTS,
        keyid=KEYID,
        created=int(time.time()),
    )
    headers.update({"Signature-Input": signature_input, "Signature": signature})
    theirs = SimpleNamespace(status_code=201, headers=_Lines(headers.items()), request=request)
    results = their_verifier(alg).verify(theirs, body=body)
    covered = results[0].covered_components
    assert list(covered)[:-1] == RESPONSE_IDENTIFIERS
    # RFC 9421 §2.1.2: the member's serialization, i.e. the request's MAC as a Byte Sequence.
    assert covered['"signature";req;key="sig1"'] == request.headers["Signature"][len("sig1=") :]


@pytest.mark.parametrize("alg", ALGS)
def test_they_sign_a_response_we_verify_rfc9421_2_4(alg):
    request, body, headers = _signed_request_and_response(alg)
    theirs = SimpleNamespace(status_code=201, headers=dict(headers), request=request)
    their_signer(alg).sign(
        theirs,
        key_id=KEYID,
        created=datetime.datetime.now(datetime.timezone.utc),
        label="sig1",
        covered_component_ids=RESPONSE_COMPONENTS,
        use_existing_digest=True,
        body=body,
    )
    response = Message.for_response(
        201,
        headers=list(theirs.headers.items()),
        body=body,
        request=as_message("requests", request),
    )
    result = verify_message(
        response,
        our_resolver(alg),
        Policy(required_components=("@status", "content-digest")),
        now=time.time(),
    )
    assert [c.serialize() for c in result.components] == RESPONSE_IDENTIFIERS
    # The same response under another request (a fresh nonce, so another signature) fails:
    # "signature";req binds the response to the request it answers.
    other = SignatureAuth(KEYID, ALGORITHMS[alg][1], algorithm=alg)(
        build_request("requests", "POST", body=BODY)
    )
    response.request = as_message("requests", other)
    with pytest.raises(SignatureError) as excinfo:
        verify_message(response, our_resolver(alg), Policy(), now=time.time())
    assert excinfo.value.code == "signature_invalid"
