"""Bad input never escapes as anything but ``SignatureError`` (docs/protocol.md: never a 500).

Hypothesis feeds arbitrary text and mutations of valid headers (truncations, inserted bytes,
swapped parameters, wrong types, huge values, non-ASCII, duplicate keys) as ``Signature-Input``,
``Signature`` and ``Content-Digest`` into ``verify_message`` and ``verify_content_digest``. The
only outcomes allowed are success or a 401 ``SignatureError`` with a code a header can cause.
"""

from __future__ import annotations

import http_sf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from signed_api.core import (
    CODES,
    Message,
    Policy,
    SignatureError,
    content_digest,
    load_signing_key,
    load_verifying_key,
    sign_message,
    verify_content_digest,
    verify_message,
)
from signed_api.core.errors import (
    BINARY_HTTP_MALFORMED,
    DATABASE_UNAVAILABLE,
    DIGEST_MISMATCH,
    DIGEST_MISSING,
    KEY_EXPIRED,
    KEY_REVOKED,
    OHTTP_DECRYPTION_FAILED,
    OHTTP_MALFORMED,
    OHTTP_UNKNOWN_KEY,
    REPLAY_STORE_UNAVAILABLE,
    SESSION_EXPIRED,
    SIGNATURE_MALFORMED,
    USER_INACTIVE,
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

NOW = 1_700_000_000
SECRET = b"s" * 32
KEYID = "key-1"
URL = "https://api.example.com/api/notes/?page=2&q=a%20b"
BODY = b'{"text": "hello"}'
# Fields a mutated Signature-Input may cover: a Dictionary, a List, odd whitespace, bytes
# outside ASCII, an obsolete fold. They exercise sf, key, bs and plain field components.
EXTRA_FIELDS = [
    ("Content-Type", "application/json"),
    ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
    ("Example-List", "token, 42, ?0, :AAAA:"),
    ("X-Ows", "   padded   "),
    ("X-Latin1", "caf\u00e9"),
    ("X-Empty", ""),
    ("Cache-Control", "max-age=60"),
    ("Cache-Control", "must-revalidate"),
]
COMPONENTS = (
    "@method",
    "@authority",
    "@path",
    "@query",
    "@target-uri",
    "@scheme",
    "@request-target",
    '"@query-param";name="q"',
    "content-digest",
    '"example-dict";sf',
    '"example-dict";key="b"',
    '"example-list";sf',
    '"cache-control";bs',
    "x-ows",
    "x-empty",
    "content-type",
)
POLICY = Policy(
    required_components=("@method", "@authority", "@path", "@query"),
    required_params=("created", "nonce"),
    require_digest_for_body=True,
)
KEY = load_signing_key("hmac-sha256", SECRET)


def _resolver(keyid: str):
    if keyid == KEYID:
        return load_verifying_key("hmac-sha256", SECRET)
    raise SignatureError("unknown_key")


def _signed_headers() -> list[tuple[str, str]]:
    headers = [*EXTRA_FIELDS, ("Content-Digest", content_digest(BODY, ["sha-256", "sha-512"]))]
    message = Message.from_url("POST", URL, headers=headers, body=BODY)
    signature_input, signature = sign_message(
        message,
        KEY,
        label="sig1",
        components=COMPONENTS,
        keyid=KEYID,
        created=NOW,
        expires=NOW + 60,
        nonce="abc",
        include_alg=True,
        tag="app",
    )
    return [*headers, ("Signature-Input", signature_input), ("Signature", signature)]


VALID = dict(_signed_headers())
VALID_INPUT = VALID["Signature-Input"]
VALID_SIGNATURE = VALID["Signature"]
VALID_DIGEST = VALID["Content-Digest"]


def test_the_unmutated_request_verifies():
    # The control: the seeds the mutations start from are valid, so a mutation that happens
    # to change nothing verifies, and every other outcome is caused by the mutation.
    result = verify_message(_message(), _resolver, POLICY, now=NOW, nonce_store=_store())
    assert result.label == "sig1" and len(result.components) == len(COMPONENTS)
    assert verify_content_digest(VALID_DIGEST, BODY) == "sha-256"


# -- strategies -----------------------------------------------------------------------------
SF_CHAR = st.sampled_from(list('()";=,:*?-_.@/+ \t\\'))
SF_PIECES = st.one_of(SF_CHAR, st.sampled_from(['\\"', ", ", "=:", ":,"]))
ODD_CHARS = st.sampled_from(
    ["\u00e9", "\u20ac", "\x00", "\x7f", "\r", "\n", "\ud7ff", "\U0001f600"]
)
INSERT = st.one_of(
    st.text(min_size=1, max_size=4),
    SF_PIECES,
    ODD_CHARS,
    st.sampled_from(["1", "0", "01", "-1", "1.5", "999999999999999", "1" * 16, "?1", "?0"]),
    st.sampled_from(['"', "(", ")", ";", ",", "=", ":", "sig1=", ";created=", ";keyid="]),
)
WRONG_TYPES = [
    ("created=1700000000", 'created="1700000000"'),
    ("created=1700000000", "created=?1"),
    ("created=1700000000", "created=1700000000.5"),
    ("created=1700000000", "created=-1700000000"),
    ("created=1700000000", "created=999999999999999"),
    ("created=1700000000", "created=:AAAA:"),
    ("created=1700000000", "created=@1700000000"),
    ('keyid="key-1"', "keyid=key-1"),
    ('keyid="key-1"', "keyid=1"),
    ('keyid="key-1"', 'keyid=%"key-1"'),
    ('nonce="abc"', "nonce=:YWJj:"),
    ('nonce="abc"', "nonce"),
    ('alg="hmac-sha256"', "alg=hmac-sha256"),
    ('alg="hmac-sha256"', 'alg="ed25519"'),
    ('tag="app"', "tag=?0"),
    ('"@method"', "@method"),
    ('"@method"', '"@method";req'),
    ('"@method"', '"@method";name="x"'),
    ('"@method"', '"@status"'),
    ('"@method"', '"@query-param"'),
    ('"@method"', '"@signature-params"'),
    ('"x-ows"', '"x-ows";tr'),
    ('"x-ows"', '"x-ows";sf'),
    ('"x-ows"', '"x-ows";key="a"'),
    ('"x-ows"', '"x-ows";bs;sf'),
    ('"x-ows"', '"x-latin1";bs'),
    ('"x-ows"', '"x-latin1"'),
    ('"x-ows"', '"x-latin1";sf'),
    ('"x-ows"', '"example-dict";key="zz"'),
    ('"x-ows"', '"example-dict";key=1'),
    ('"x-ows"', '"example-list";key="a"'),
    ('"x-ows"', '"x-missing"'),
    ('"x-ows"', '"content-type";sf;bs'),
    ('"x-ows"', '"content-type";req'),
    ('"x-ows"', '"X-Ows"'),
    ('"x-ows"', '"x-ows";sf=?0'),
    ('"x-ows"', '"x-ows";bs=1'),
    ("sig1=", "sig1=?1, sig1="),
    ("sig1=", "sig2="),
    ("sig1=", "SIG1="),
    ("sig1=", "*sig1="),
]


@st.composite
def mutated(draw, seed: str) -> str:
    """One to three mutations of ``seed``."""
    value = seed
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["truncate", "insert", "delete", "replace", "swap", "type", "huge", "dup", "case"]
            )
        )
        n = len(value)
        if kind == "truncate":
            value = value[: draw(st.integers(0, n))]
        elif kind == "insert":
            i = draw(st.integers(0, n))
            value = value[:i] + draw(INSERT) + value[i:]
        elif kind == "delete" and n:
            i = draw(st.integers(0, n - 1))
            value = value[:i] + value[i + draw(st.integers(1, 8)) :]
        elif kind == "replace" and n:
            i = draw(st.integers(0, n - 1))
            value = value[:i] + draw(INSERT) + value[i + 1 :]
        elif kind == "swap":
            # Reorder parameters or list items: swapped params change @signature-params.
            sep = draw(st.sampled_from([";", " ", ", "]))
            parts = value.split(sep)
            if len(parts) > 2:
                i, j = draw(st.integers(1, len(parts) - 1)), draw(st.integers(1, len(parts) - 1))
                parts[i], parts[j] = parts[j], parts[i]
                value = sep.join(parts)
        elif kind == "type":
            old, new = draw(st.sampled_from(WRONG_TYPES))
            value = value.replace(old, new, 1)
        elif kind == "huge":
            i = draw(st.integers(0, n))
            piece = draw(st.sampled_from(["A", "0", '"@method" ', ";a=1", "sig1=(), ", "\u00e9"]))
            value = value[:i] + piece * draw(st.sampled_from([100, 1000, 5000, 10_000])) + value[i:]
        elif kind == "dup":
            value = value + ", " + value
        elif kind == "case":
            value = value.upper() if draw(st.booleans()) else value.swapcase()
    return value


ARBITRARY = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200),
    st.text(alphabet=SF_CHAR, max_size=60),
)


def _message(headers: dict | None = None, body: bytes = BODY) -> Message:
    values = {**VALID, **(headers or {})}
    pairs = [(n, v) for n, v in EXTRA_FIELDS]
    for name in ("Content-Digest", "Signature-Input", "Signature"):
        if values.get(name) is not None:
            pairs.append((name, values[name]))
    return Message.from_url("POST", URL, headers=pairs, body=body)


def _store():
    seen = set()

    def add(keyid, nonce, ttl):
        if (keyid, nonce) in seen:
            return False
        seen.add((keyid, nonce))
        return True

    return add


# What a header can cause here: the key is known and live (key and user state are the server's
# to check, not the core's) and the nonce store always answers, so never one of these.
NOT_FROM_A_HEADER = {KEY_REVOKED, KEY_EXPIRED, USER_INACTIVE, SESSION_EXPIRED,
                     REPLAY_STORE_UNAVAILABLE, DATABASE_UNAVAILABLE, BINARY_HTTP_MALFORMED,
                     OHTTP_MALFORMED, OHTTP_UNKNOWN_KEY, OHTTP_DECRYPTION_FAILED}
HEADER_CODES = CODES - NOT_FROM_A_HEADER
DIGEST_CODES = {DIGEST_MISSING, DIGEST_MISMATCH, SIGNATURE_MALFORMED}


def _verify_outcome(message: Message) -> str:
    try:
        verify_message(message, _resolver, POLICY, now=NOW, nonce_store=_store())
    except SignatureError as exc:
        assert exc.code in HEADER_CODES, exc.code
        assert exc.status == 401, (exc.code, exc.status)
        return exc.code
    return "ok"


def _digest_outcome(value: str, body: bytes = BODY) -> str:
    try:
        algorithm = verify_content_digest(value, body)
    except SignatureError as exc:
        assert exc.code in DIGEST_CODES, exc.code
        return exc.code
    assert algorithm in ("sha-256", "sha-512")
    return "ok"


def _sf_member(value: str, label: str = "sig1"):
    # A field value loses its leading and trailing SP/HTAB before any parser sees it
    # (RFC 9110 §5.5), which Message does for the core.
    return http_sf.parse(value.strip(" \t").encode("ascii"), tltype="dictionary")[label]


def _sig1_input(value: str):
    return _sf_member(value)


def _sig1_bytes(value: str):
    return _sf_member(value)[0]


# -- Signature-Input -------------------------------------------------------------------------
@FUZZ
@given(value=mutated(VALID_INPUT))
@example(value=VALID_INPUT[:-1])
@example(value=VALID_INPUT + ",")
@example(value=VALID_INPUT.replace(";", ";created=1;", 1))
@example(value=VALID_INPUT + ", " + VALID_INPUT)
@example(value=VALID_INPUT.replace("created=1700000000", "created=1700000000.5"))
@example(value=VALID_INPUT.replace('"@method"', '"@method" "@method"'))
@example(value=VALID_INPUT.replace("sig1=(", "sig1=(((", 1))
@example(value=VALID_INPUT.replace("sig1=(", "sig1=(" + '"x-ows" ' * 2000, 1))
@example(value=VALID_INPUT.replace("sig1=(", "sig1=(" + "(" * 5000, 1))
@example(value=VALID_INPUT.replace('keyid="key-1"', 'keyid="key-\u20ac"'))
@example(value=VALID_INPUT.replace('"x-ows"', '"x-latin1"'))
def test_mutated_signature_input(value):
    if _verify_outcome(_message({"Signature-Input": value})) == "ok":
        # A mutation can only pass when sig1 still means exactly what was signed (OWS around
        # members, another member next to it): RFC 9421 §2.3 signs the re-serialized list.
        assert _sig1_input(value) == _sig1_input(VALID_INPUT)


@FUZZ
@given(value=ARBITRARY)
def test_arbitrary_signature_input(value):
    assert _verify_outcome(_message({"Signature-Input": value})) != "ok"


# -- Signature -------------------------------------------------------------------------------
@FUZZ
@given(value=mutated(VALID_SIGNATURE))
@example(value=VALID_SIGNATURE.replace(":", "", 1))
@example(value=VALID_SIGNATURE[:-2] + ":")
@example(value="sig1=:" + "A" * 10_000 + ":")
@example(value=VALID_SIGNATURE + ", " + VALID_SIGNATURE)
@example(value=VALID_SIGNATURE.replace("sig1=:", "sig1=:\u00e9"))
@example(value=VALID_SIGNATURE + ";p=1")
def test_mutated_signature(value):
    outcome = _verify_outcome(_message({"Signature": value}))
    if outcome == "ok":
        # Only a value that still carries the same MAC can pass: the same Byte Sequence with
        # other member parameters (RFC 9421 §4.2 ignores them) or without "=" padding (RFC 8941
        # §4.2.7: parsers SHOULD NOT fail on it), or with other members next to sig1.
        assert _sig1_bytes(value) == _sig1_bytes(VALID_SIGNATURE)


@FUZZ
@given(value=ARBITRARY)
def test_arbitrary_signature(value):
    assert _verify_outcome(_message({"Signature": value})) != "ok"


@FUZZ
@given(signature_input=mutated(VALID_INPUT), signature=mutated(VALID_SIGNATURE))
def test_both_signature_headers_mutated(signature_input, signature):
    _verify_outcome(_message({"Signature-Input": signature_input, "Signature": signature}))


# -- Content-Digest (RFC 9530) ---------------------------------------------------------------
@FUZZ
@given(value=mutated(VALID_DIGEST))
@example(value="sha-256=:" + "A" * 20_000 + ":")
@example(value="sha-256=?1")
@example(value="sha-256=\u20ac1")
@example(value="sha-256=:AAAA:, sha-256=:AAAA:")
@example(value="md5=:AAAA:")
@example(value="")
def test_mutated_content_digest_alone(value):
    outcome = _digest_outcome(value)
    if outcome == "ok":
        # Only a value that still carries a correct sha-256 or sha-512 digest can pass.
        assert any(
            content_digest(BODY, [a]).split("=", 1)[1] in value for a in ("sha-256", "sha-512")
        )


@FUZZ
@given(value=ARBITRARY, body=st.binary(max_size=64))
def test_arbitrary_content_digest_alone(value, body):
    assert _digest_outcome(value, body) != "ok"


@FUZZ
@given(value=mutated(VALID_DIGEST))
def test_mutated_content_digest_in_a_signed_request(value):
    # content-digest is covered, so any change breaks the signature or the digest check. Only
    # leading and trailing whitespace is no change: HTTP trims it (RFC 9110 §5.5).
    outcome = _verify_outcome(_message({"Content-Digest": value}))
    assert outcome != "ok" or value.strip(" \t") == VALID_DIGEST


@FUZZ
@given(body=st.binary(max_size=2048))
def test_any_other_body_is_a_digest_mismatch(body):
    outcome = _verify_outcome(_message(body=body))
    assert outcome == ("ok" if body == BODY else "digest_mismatch")


# -- fields the signature covers, with hostile values ----------------------------------------
@FUZZ
@given(
    name=st.sampled_from(["example-dict", "example-list", "x-ows", "cache-control", "x-empty"]),
    value=st.one_of(ARBITRARY, mutated(" a=1,    b=2;x=1;y=2,   c=(a   b   c)")),
)
def test_hostile_covered_field_values(name, value):
    pairs = [(n, v) for n, v in EXTRA_FIELDS if n.lower() != name]
    pairs += [(name, value)]
    pairs += [(n, VALID[n]) for n in ("Content-Digest", "Signature-Input", "Signature")]
    _verify_outcome(Message.from_url("POST", URL, headers=pairs, body=BODY))


@pytest.mark.parametrize(
    "value",
    ["sig1=(", "(" * 10_000, 'sig1=("' + "a" * 9000 + '")', "sig1=" + "(" * 600 + ")" * 600],
    ids=["unterminated", "deep-parens", "over-8k", "nested"],
)
def test_pathological_signature_input_is_malformed(value):
    assert _verify_outcome(_message({"Signature-Input": value})) == SIGNATURE_MALFORMED
