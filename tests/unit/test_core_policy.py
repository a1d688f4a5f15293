"""Every verification failure the core can report, provoked through its public API.

Each test builds a request the way a client would (``sign_message`` over a ``Message``), breaks
one thing, and checks the stable ``code`` of docs/protocol.md. Time is always passed as ``now=``.
The policy is the server's profile of docs/protocol.md (RFC 9421 §3.2 leaves these choices to the
verifier: required components, required parameters, the created window).
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from signed_api.core import (
    CODES,
    Message,
    Policy,
    SignatureError,
    content_digest,
    load_signing_key,
    load_verifying_key,
    sign_message,
    verify_message,
)
from signed_api.core.algorithms import HmacSha256Key

NOW = 1_700_000_000
SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
KEYID = "key-1"
URL = "https://api.example.com/api/notes/?page=2"
BODY = b'{"text": "hello"}'
PROFILE = ("@method", "@authority", "@path", "@query")

# Only structure: for the failures the signature base itself finds (they come after the policy).
BARE_POLICY = Policy()
SERVER_POLICY = Policy(
    required_components=PROFILE,
    required_params=("created", "nonce"),
    clock_skew=300,
    require_digest_for_body=True,
)


def resolver_for(keys: dict):
    """A key resolver over a dict, raising ``unknown_key`` like the Django one does."""

    def resolve(keyid: str):
        try:
            return keys[keyid]
        except KeyError:
            raise SignatureError("unknown_key", f"no key {keyid!r}") from None

    return resolve


RESOLVER = resolver_for({KEYID: load_verifying_key("hmac-sha256", SECRET)})


class DictNonceStore:
    """The nonce store protocol over a dict: add-if-absent, as ``cache.add`` would."""

    def __init__(self):
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, keyid: str, nonce: str, ttl: int) -> bool:
        if (keyid, nonce) in self.seen:
            return False
        self.seen[(keyid, nonce)] = ttl
        return True


def sign_headers(
    *,
    method="POST",
    url=URL,
    body=BODY,
    headers=(),
    components=None,
    key=None,
    label="sig1",
    add_digest=True,
    **params,
):
    """Headers (a list of pairs) of a request signed as a profile-following client would."""
    headers = [("Content-Type", "application/json"), *headers]
    if body and add_digest:
        headers.append(("Content-Digest", content_digest(body)))
    if components is None:
        components = PROFILE + (("content-digest",) if body else ())
    params = {"keyid": KEYID, "created": NOW, "nonce": "nonce-1", **params}
    message = Message.from_url(method, url, headers=headers, body=body)
    signature_input, signature = sign_message(
        message,
        key or load_signing_key("hmac-sha256", SECRET),
        label=label,
        components=components,
        **params,
    )
    return [*headers, ("Signature-Input", signature_input), ("Signature", signature)]


def request(headers, *, method="POST", url=URL, body=BODY) -> Message:
    return Message.from_url(method, url, headers=headers, body=body)


def replace_header(headers, name, value):
    return [(n, value if n.lower() == name.lower() else v) for n, v in headers]


def verify(message, policy=SERVER_POLICY, *, now=NOW, resolver=RESOLVER, **kwargs):
    return verify_message(message, resolver, policy, now=now, **kwargs)


def assert_code(code, message, **kwargs):
    assert code in CODES
    with pytest.raises(SignatureError) as excinfo:
        verify(message, **kwargs)
    assert excinfo.value.code == code, excinfo.value.detail
    return excinfo.value


# -- the happy path the failures are measured against ----------------------------------------
@pytest.mark.parametrize(
    ("method", "body"), [("POST", BODY), ("GET", b""), ("DELETE", b"")], ids=str
)
def test_profile_request_verifies(method, body):
    result = verify(request(sign_headers(method=method, body=body), method=method, body=body))
    assert (result.label, result.keyid, result.created, result.nonce) == (
        "sig1",
        KEYID,
        NOW,
        "nonce-1",
    )
    covered = {c.serialize() for c in result.components}
    assert covered >= {'"@method"', '"@authority"', '"@path"', '"@query"'}
    assert ('"content-digest"' in covered) == bool(body)


# -- signature_missing -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "drop",
    [("signature-input", "signature"), ("signature",), ("signature-input",)],
    ids=["both", "signature", "signature-input"],
)
def test_signature_missing_when_a_header_is_absent(drop):
    headers = [(n, v) for n, v in sign_headers() if n.lower() not in drop]
    assert_code("signature_missing", request(headers))


def test_signature_missing_when_labels_do_not_pair_rfc9421_4_3():
    # Signature-Input sig1 but Signature only has sig2: no signature can be verified.
    headers = replace_header(sign_headers(), "Signature", "sig2=:" + "A" * 44 + ":")
    assert_code("signature_missing", request(headers))


# -- signature_malformed ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Signature-Input", "sig1=("),
        ("Signature-Input", 'sig1="@method"'),  # an item, not an inner list (RFC 9421 §4.1)
        ("Signature-Input", 'sig1=("@method");created="1700000000";keyid="key-1";nonce="n"'),
        ("Signature-Input", 'sig1=("@method");created=1700000000;keyid=key-1;nonce="n"'),
        ("Signature-Input", 'sig1=("@method");created=?1;keyid="key-1";nonce="n"'),
        ("Signature-Input", 'sig1=("@Method");created=1700000000;keyid="key-1";nonce="n"'),
        ("Signature-Input", 'sig1=("Content-Type");created=1700000000;keyid="key-1";nonce="n"'),
        ("Signature-Input", 'sig1=("@nope");created=1700000000;keyid="key-1";nonce="n"'),
        ("Signature-Input", 'sig1=("@method"), sig1=("@path")'),  # duplicate key
        ("Signature", "sig1=:not base64!:"),
        ("Signature", 'sig1="a string"'),  # RFC 9421 §4.2: a Byte Sequence
        ("Signature", "sig1=(:AAAA:)"),
    ],
    ids=[
        "unterminated",
        "item-not-inner-list",
        "created-is-string",
        "keyid-is-token",
        "created-is-boolean",
        "uppercase-derived-name",
        "uppercase-field-name",
        "unknown-derived",
        "duplicate-label",
        "bad-base64",
        "signature-is-string",
        "signature-is-inner-list",
    ],
)
def test_signature_malformed_rfc9421_4_1_4_2(header, value):
    headers = replace_header(sign_headers(), header, value)
    assert_code("signature_malformed", request(headers), policy=BARE_POLICY)


@pytest.mark.parametrize(
    "char", ["\u20ac", "\u0100", "\U0001f600"], ids=["euro", "A-macron", "emoji"]
)
def test_signature_input_outside_latin1_is_malformed_rfc8941_3_3_3(char):
    # Structured Field Strings are ASCII (RFC 8941 §3.3.3); a header carrying "€" must not be
    # read as if it carried "?". Signed with the nonce "n?", sent with "n€": refuse.
    headers = sign_headers(nonce="n?")
    signature_input = dict(headers)["Signature-Input"].replace('nonce="n?"', f'nonce="n{char}"')
    headers = replace_header(headers, "Signature-Input", signature_input)
    assert_code("signature_malformed", request(headers))


def test_signature_malformed_without_keyid():
    headers = sign_headers(keyid=None)
    assert "keyid" not in dict(headers)["Signature-Input"]
    assert_code("signature_malformed", request(headers))


def test_signature_malformed_when_expires_precedes_created():
    headers = sign_headers(created=NOW, expires=NOW - 1)
    assert_code("signature_malformed", request(headers))


@pytest.mark.parametrize("nonce", ["", "n" * 129], ids=["empty", "129-chars"])
def test_signature_malformed_nonce_empty_or_too_long(nonce):
    headers = sign_headers(nonce=nonce)
    assert_code("signature_malformed", request(headers), nonce_store=DictNonceStore())


def test_signature_params_cannot_be_covered_rfc9421_2_3():
    # "@signature-params" is the last line of every base and never a covered component.
    headers = replace_header(
        sign_headers(),
        "Signature-Input",
        'sig1=("@method" "@signature-params");created=1700000000;keyid="key-1";nonce="n"',
    )
    assert_code("signature_malformed", request(headers), policy=BARE_POLICY)


def test_component_covered_twice_is_malformed_rfc9421_2_5():
    headers = replace_header(
        sign_headers(),
        "Signature-Input",
        'sig1=("@method" "@method");created=1700000000;keyid="key-1";nonce="n"',
    )
    assert_code("signature_malformed", request(headers), policy=BARE_POLICY)


# -- signature_invalid -----------------------------------------------------------------------
def test_signature_invalid_with_the_wrong_key():
    headers = sign_headers(key=load_signing_key("hmac-sha256", OTHER_SECRET))
    assert_code("signature_invalid", request(headers))


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("@method", {"method": "PUT"}),
        ("@path", {"url": "https://api.example.com/api/notes/1/?page=2"}),
        ("@query", {"url": "https://api.example.com/api/notes/?page=3"}),
        ("@authority", {"url": "https://evil.example.com/api/notes/?page=2"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_signature_invalid_when_a_covered_component_is_tampered(what, change):
    headers = sign_headers()
    assert_code("signature_invalid", request(headers, **change))


def test_signature_invalid_when_a_covered_field_is_tampered():
    headers = sign_headers(components=(*PROFILE, "content-digest", "content-type"))
    tampered = replace_header(headers, "Content-Type", "text/plain")
    assert_code("signature_invalid", request(tampered))


def test_signature_invalid_when_a_parameter_is_changed_rfc9421_2_3():
    # Parameters are covered through @signature-params: a later nonce breaks the signature.
    headers = sign_headers()
    signature_input = dict(headers)["Signature-Input"].replace('nonce="nonce-1"', 'nonce="x"')
    assert_code(
        "signature_invalid", request(replace_header(headers, "Signature-Input", signature_input))
    )


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64], ids=lambda n: f"{n}-bytes")
def test_mac_of_the_wrong_length_is_refused_before_comparing_rfc9421_3_3_3(length):
    headers = sign_headers()
    mac = base64.b64decode(dict(headers)["Signature"].split(":")[1])
    forged = (mac * 3)[:length]
    headers = replace_header(headers, "Signature", f"sig1=:{base64.b64encode(forged).decode()}:")

    class CountingKey(HmacSha256Key):
        calls = 0

        def sign(self, data):
            type(self).calls += 1
            return super().sign(data)

    key = CountingKey(SECRET)
    error = assert_code("signature_invalid", request(headers), resolver=resolver_for({KEYID: key}))
    assert CountingKey.calls == 0, "a MAC of the wrong length must be refused before any MAC work"
    assert error.status == 401


def test_a_mac_of_the_right_length_is_compared():
    # The control for the test above: a 32-byte wrong MAC does reach the comparison.
    headers = replace_header(
        sign_headers(), "Signature", "sig1=:" + base64.b64encode(b"\0" * 32).decode() + ":"
    )

    class CountingKey(HmacSha256Key):
        calls = 0

        def sign(self, data):
            type(self).calls += 1
            return super().sign(data)

    assert_code(
        "signature_invalid", request(headers), resolver=resolver_for({KEYID: CountingKey(SECRET)})
    )
    assert CountingKey.calls == 1


# -- component_missing -----------------------------------------------------------------------
@pytest.mark.parametrize("left_out", PROFILE)
def test_component_missing_when_a_required_component_is_not_covered(left_out):
    components = tuple(c for c in PROFILE if c != left_out) + ("content-digest",)
    headers = sign_headers(components=components)
    assert_code("component_missing", request(headers))


def test_component_missing_when_a_covered_field_is_absent_rfc9421_2_5():
    headers = sign_headers(
        components=(*PROFILE, "content-digest", "x-request-id"),
        headers=[("X-Request-Id", "abc")],
    )
    without = [(n, v) for n, v in headers if n != "X-Request-Id"]
    assert_code("component_missing", request(without))


def test_more_components_than_required_is_fine():
    headers = sign_headers(components=(*PROFILE, "content-digest", "content-type", "@scheme"))
    assert verify(request(headers)).label == "sig1"


# -- digest_missing / digest_mismatch (RFC 9530) ---------------------------------------------
def test_digest_missing_when_body_is_not_covered_by_content_digest():
    headers = sign_headers(components=PROFILE)  # Content-Digest sent but not covered
    assert_code("digest_missing", request(headers))


def test_digest_missing_when_body_has_no_content_digest_at_all():
    headers = sign_headers(components=PROFILE, add_digest=False)
    assert_code("digest_missing", request(headers))


def test_digest_missing_when_covered_content_digest_header_is_absent():
    headers = [(n, v) for n, v in sign_headers() if n != "Content-Digest"]
    assert_code("digest_missing", request(headers))


def test_digest_missing_when_only_a_content_length_announces_a_body():
    # A body the adapter did not read (only Content-Length says there is one) still needs it.
    headers = sign_headers(components=PROFILE, body=b"", headers=[("Content-Length", "17")])
    assert_code("digest_missing", request(headers, body=b""))


def test_no_digest_needed_when_the_policy_does_not_ask():
    headers = sign_headers(components=PROFILE)
    lenient = Policy(required_components=PROFILE, required_params=("created", "nonce"))
    assert verify(request(headers), lenient).label == "sig1"


@pytest.mark.parametrize(
    "body",
    [b'{"text": "HELLO"}', BODY + b" ", BODY[:-1], b""],
    ids=["changed", "appended", "truncated", "emptied"],
)
def test_digest_mismatch_when_body_is_tampered_rfc9530_2(body):
    headers = sign_headers()
    assert_code("digest_mismatch", request(headers, body=body))


def test_digest_mismatch_when_sha512_member_is_wrong_rfc9530_2():
    # Every supported member must match, not just the first.
    bad_512 = content_digest(b"other", ["sha-512"])
    digest = content_digest(BODY) + ", " + bad_512
    headers = sign_headers(headers=[("Content-Digest", digest)], add_digest=False)
    assert_code("digest_mismatch", request(headers))


# -- clock_skew and signature_expired (RFC 9421 §3.2, §7.2.2) -------------------------------
@pytest.mark.parametrize(
    ("created", "ok"),
    [
        (NOW - 300, True),
        (NOW + 300, True),
        (NOW - 301, False),
        (NOW + 301, False),
        (NOW - 86_400, False),
        (NOW + 86_400, False),
        (0, False),
    ],
    ids=["-300", "+300", "-301", "+301", "-1d", "+1d", "epoch"],
)
def test_clock_skew_both_directions_boundary_inclusive(created, ok):
    message = request(sign_headers(created=created))
    if ok:
        assert verify(message).created == created
    else:
        assert_code("clock_skew", message)


@pytest.mark.parametrize("now", [NOW + 300.5, NOW - 300.25], ids=["late", "early"])
def test_clock_skew_with_fractional_now(now):
    assert_code("clock_skew", request(sign_headers()), now=now)


def test_clock_skew_window_follows_the_policy():
    message = request(sign_headers(created=NOW - 30))
    tight = Policy(
        required_components=PROFILE,
        required_params=("created", "nonce"),
        clock_skew=10,
        require_digest_for_body=True,
    )
    assert verify(message).created == NOW - 30
    assert_code("clock_skew", message, policy=tight)


@pytest.mark.parametrize(
    ("expires", "ok"),
    [(NOW + 60, True), (NOW, True), (NOW - 1, False)],
    ids=["future", "exactly-now", "past"],
)
def test_signature_expired_rfc9421_2_3(expires, ok):
    message = request(sign_headers(created=NOW - 10, expires=expires))
    if ok:
        assert verify(message).params["expires"] == expires
    else:
        assert_code("signature_expired", message)


def test_created_required_by_policy():
    message = request(sign_headers(created=None))
    assert_code("signature_malformed", message)


# -- nonce_missing / nonce_replayed ----------------------------------------------------------
def test_nonce_missing():
    assert_code("nonce_missing", request(sign_headers(nonce=None)))


def test_nonce_not_required_when_the_policy_says_so():
    policy = Policy(
        required_components=PROFILE, required_params=("created",), require_digest_for_body=True
    )
    assert verify(request(sign_headers(nonce=None)), policy).nonce is None


def test_nonce_replayed_with_a_dict_store():
    store = DictNonceStore()
    first = verify(request(sign_headers()), nonce_store=store)
    assert first.nonce == "nonce-1"
    assert store.seen == {(KEYID, "nonce-1"): 600}  # twice the skew window (docs/protocol.md)
    assert_code("nonce_replayed", request(sign_headers()), nonce_store=store)
    # Another nonce is fine; the same nonce under another key is a different entry.
    assert verify(request(sign_headers(nonce="nonce-2")), nonce_store=store).nonce == "nonce-2"


def test_nonce_is_recorded_only_after_the_signature_verified():
    store = DictNonceStore()
    forged = sign_headers(key=load_signing_key("hmac-sha256", OTHER_SECRET))
    assert_code("signature_invalid", request(forged), nonce_store=store)
    tampered = sign_headers()
    assert_code("digest_mismatch", request(tampered, body=b"x"), nonce_store=store)
    assert store.seen == {}
    # The genuine request with that nonce still goes through afterwards.
    assert verify(request(sign_headers()), nonce_store=store).nonce == "nonce-1"


def test_replay_store_unavailable_propagates_as_503():
    def broken_store(keyid, nonce, ttl):
        raise SignatureError("replay_store_unavailable", "redis is down")

    error = assert_code(
        "replay_store_unavailable", request(sign_headers()), nonce_store=broken_store
    )
    assert error.status == 503


# -- unknown_key, and the resolver's own codes -----------------------------------------------
def test_unknown_key():
    assert_code("unknown_key", request(sign_headers(keyid="nobody")))


@pytest.mark.parametrize("keyid", ["k" * 129, "cl\u00e9"], ids=["too-long", "non-ascii"])
def test_unknown_key_for_unreasonable_keyids_without_asking_the_resolver(keyid):
    asked = []

    def resolver(k):
        asked.append(k)
        raise AssertionError("the resolver must not be asked")

    signature_input = f'sig1=("@method");created={NOW};keyid="{keyid}";nonce="n"'
    headers = [("Signature-Input", signature_input), ("Signature", "sig1=:" + "A" * 44 + ":")]
    message = request(headers, method="GET", body=b"")
    if keyid.isascii():
        assert_code("unknown_key", message, resolver=resolver)
    else:  # not even representable as a Structured Field String
        assert_code("signature_malformed", message, resolver=resolver)
    assert asked == []


@pytest.mark.parametrize("code", ["key_revoked", "key_expired", "user_inactive", "session_expired"])
def test_resolver_errors_other_than_unknown_key_propagate(code):
    def resolver(keyid):
        raise SignatureError(code)

    assert_code(code, request(sign_headers()), resolver=resolver)


# -- algorithm_mismatch (RFC 9421 §3.3.7: the algorithm comes from the key) ------------------
def test_algorithm_mismatch_when_alg_differs_from_the_key():
    headers = sign_headers(include_alg=True)  # alg="hmac-sha256"
    ed_key = load_verifying_key("ed25519", ed25519.Ed25519PrivateKey.generate().public_key())
    assert_code("algorithm_mismatch", request(headers), resolver=resolver_for({KEYID: ed_key}))


def test_algorithm_mismatch_for_a_claimed_alg_that_is_not_the_keys():
    ed_private = ed25519.Ed25519PrivateKey.generate()
    headers = sign_headers(key=load_signing_key("ed25519", ed_private), include_alg=True)
    signature_input = dict(headers)["Signature-Input"].replace('alg="ed25519"', 'alg="hmac-sha256"')
    headers = replace_header(headers, "Signature-Input", signature_input)
    resolver = resolver_for({KEYID: load_verifying_key("ed25519", ed_private.public_key())})
    assert_code("algorithm_mismatch", request(headers), resolver=resolver)


def test_matching_alg_and_absent_alg_both_verify():
    assert verify(request(sign_headers(include_alg=True))).params["alg"] == "hmac-sha256"
    assert "alg" not in verify(request(sign_headers(include_alg=False))).params


def test_ed25519_key_verifies_and_rejects_other_key_rfc9421_3_3_6():
    private = ed25519.Ed25519PrivateKey.generate()
    resolver = resolver_for({KEYID: load_verifying_key("ed25519", private.public_key())})
    signed = request(sign_headers(key=load_signing_key("ed25519", private), include_alg=True))
    assert verify(signed, resolver=resolver).key.alg == "ed25519"
    other = load_signing_key("ed25519", ed25519.Ed25519PrivateKey.generate())
    assert_code("signature_invalid", request(sign_headers(key=other)), resolver=resolver)


# -- several signatures (RFC 9421 §4.3), tags and labels -------------------------------------
def two_signatures(first: dict, second: dict):
    a = sign_headers(label="sig1", **first)
    b = sign_headers(label="sig2", **second)
    base = [(n, v) for n, v in a if n not in ("Signature-Input", "Signature")]
    return [
        *base,
        ("Signature-Input", dict(a)["Signature-Input"] + ", " + dict(b)["Signature-Input"]),
        ("Signature", dict(a)["Signature"] + ", " + dict(b)["Signature"]),
    ]


def test_several_signatures_only_the_second_keyid_is_known_rfc9421_4_3():
    foreign = {"keyid": "proxy-key", "key": load_signing_key("hmac-sha256", OTHER_SECRET)}
    headers = two_signatures(foreign, {})
    result = verify(request(headers))
    assert (result.label, result.keyid) == ("sig2", KEYID)


def test_several_signatures_as_separate_field_lines_rfc9421_4_3():
    # A proxy may append its signature as another field line; lines combine (RFC 9110 §5.3).
    a = sign_headers(label="proxy", keyid="proxy-key")
    b = sign_headers(label="sig1")
    headers = [
        *a,
        ("Signature-Input", dict(b)["Signature-Input"]),
        ("Signature", dict(b)["Signature"]),
    ]
    assert verify(request(headers)).label == "sig1"


def test_several_signatures_none_known_is_unknown_key():
    headers = two_signatures({"keyid": "a"}, {"keyid": "b"})
    assert_code("unknown_key", request(headers))


def test_several_signatures_first_known_but_bad_does_not_fall_through():
    # The first signature whose key is known decides; a failure there is not retried.
    bad = {"key": load_signing_key("hmac-sha256", OTHER_SECRET)}
    headers = two_signatures(bad, {})
    assert_code("signature_invalid", request(headers))


def test_too_many_signatures_is_malformed():
    members_in = [f'sig{i}=("@method");created={NOW};keyid="k{i}"' for i in range(9)]
    members = [f"sig{i}=:{'A' * 44}:" for i in range(9)]
    headers = [("Signature-Input", ", ".join(members_in)), ("Signature", ", ".join(members))]
    assert_code("signature_malformed", request(headers, method="GET", body=b""))


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("app", "sig2"), ("other", None), (None, "sig1")],
    ids=["picks-tagged", "no-match", "no-tag-policy"],
)
def test_tag_filtering_rfc9421_2_3(tag, expected):
    headers = two_signatures({"tag": "web"}, {"tag": "app", "nonce": "nonce-2"})
    policy = Policy(
        required_components=PROFILE,
        required_params=("created", "nonce"),
        require_digest_for_body=True,
        tag=tag,
    )
    if expected is None:
        assert_code("signature_missing", request(headers), policy=policy)
    else:
        assert verify(request(headers), policy).label == expected


def test_label_pinning_by_policy_and_by_argument():
    # Both are valid for the same key; the pin decides which one is verified.
    headers = two_signatures({}, {"nonce": "nonce-2"})
    pinned = Policy(
        required_components=PROFILE,
        required_params=("created", "nonce"),
        require_digest_for_body=True,
        label="sig2",
    )
    assert verify(request(headers)).label == "sig1"
    assert verify(request(headers), pinned).label == "sig2"
    assert verify(request(headers), label="sig2").label == "sig2"
    assert verify(request(headers), pinned, label="sig1").label == "sig1"


def test_label_pinning_to_an_absent_label_is_signature_missing():
    assert_code("signature_missing", request(sign_headers()), label="sig9")


def test_label_pinning_skips_a_bad_unpinned_signature():
    bad = {"key": load_signing_key("hmac-sha256", OTHER_SECRET)}
    headers = two_signatures(bad, {"nonce": "nonce-2"})
    assert_code("signature_invalid", request(headers))
    assert verify(request(headers), label="sig2").label == "sig2"


# -- the error type itself -------------------------------------------------------------------
def test_every_code_has_a_public_message_and_its_status():
    bad_input = {"binary_http_malformed", "ohttp_malformed", "ohttp_unknown_key",
                 "ohttp_decryption_failed"}
    for code in CODES:
        error = SignatureError(code)
        assert error.message and error.detail == error.message
        unavailable = {"replay_store_unavailable", "database_unavailable"}
        expected = 503 if code in unavailable else 400 if code in bad_input else 401
        assert error.status == expected, code


def test_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError):
        SignatureError("no_such_code")


def test_policy_refuses_a_negative_skew():
    with pytest.raises(ValueError):
        Policy(clock_skew=-1)
