"""Differential test of ``signed_api.core.fastsf`` against ``http-sf`` (RFC 8941).

The fast path may decline (return ``None``) whenever it likes; whenever it answers, its answer
must be exactly what ``http_sf.parse`` gives, with the same types and order, and the texts it
hands back must be the ``http-sf`` serialization of the member (RFC 8941 §4.1), because the
verifier puts them into the signature base unchanged (RFC 9421 §2.3, §2.5).
"""

from __future__ import annotations

import base64

import http_sf
import pytest
from http_sf import Token
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from signed_api.core import fastsf

# The reference serializers, from http-sf's public API only: an Item is ``ser((value, params))``
# and an Inner List is the text of a one-member List.
ser_item = http_sf.ser


def ser_innerlist(member):
    return http_sf.ser([member])


DIFF = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def strict(value):
    """A comparable form that keeps types and order: True is not 1, a Token is not a str."""
    if isinstance(value, dict):
        return ("dict", [(k, strict(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return ("seq", [strict(v) for v in value])
    return (type(value).__name__, value if not isinstance(value, Token) else str(value))


def reference_signature_input(text: str):
    """What http-sf says, in fastsf's shape (None when http-sf refuses it)."""
    try:
        parsed = http_sf.parse(text.encode("ascii"), tltype="dictionary")
    except (ValueError, UnicodeError):
        return None
    return parsed


def assert_signature_input_agrees(text: str):
    fast = fastsf.parse_signature_input(text)
    if fast is None:
        return None
    reference = reference_signature_input(text)
    assert reference is not None, f"fastsf accepted what http-sf refuses: {text!r}"
    assert list(fast) == list(reference)  # same labels, same order
    for label, (items, params, inner_text, list_text) in fast.items():
        member = reference[label]
        assert isinstance(member[0], list), "fastsf accepted a member that is not an inner list"
        assert strict(list(items)) == strict(member[0])
        assert strict(params) == strict(member[1])
        assert inner_text == ser_innerlist(member)
        assert list_text == " ".join(ser_item(item) for item in member[0])
        assert inner_text == f"({list_text})" + inner_text[len(list_text) + 2 :]
    return fast


def assert_byte_sequences_agree(text: str):
    fast = fastsf.parse_byte_sequences(text)
    if fast is None:
        return None
    try:
        reference = http_sf.parse(text.encode("ascii"), tltype="dictionary")
    except (ValueError, UnicodeError):
        pytest.fail(f"fastsf accepted what http-sf refuses: {text!r}")
    assert list(fast) == list(reference)
    for key, value in fast.items():
        assert type(value) is bytes
        assert strict(reference[key]) == strict((value, {})), key
    return fast


# -- generated canonical values (serialized by http-sf itself) -------------------------------
# RFC 8941 §3.1.2 keys: [a-z*][a-z0-9_.*-]*
KEY = st.builds(str.__add__, st.sampled_from("abs*z"), st.text(alphabet="aisgz09_.*-", max_size=6))
# Mostly the characters a canonical fast-path string may hold, sometimes '"' or '\\'
# (escaped by the serializer, so the fast path must decline).
SAFE_STRING = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'),
    max_size=12,
)
ANY_STRING = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
STRING = st.one_of(SAFE_STRING, SAFE_STRING, SAFE_STRING, ANY_STRING)
INTEGER = st.one_of(
    st.integers(0, 2_000_000_000),
    st.integers(-999_999_999_999_999, 999_999_999_999_999),
)
OTHER_BARE = st.one_of(
    st.booleans(),
    st.builds(
        Token, st.builds(str.__add__, st.sampled_from("aZ*"), st.text("az09:/*-", max_size=6))
    ),
    st.binary(max_size=6),
    INTEGER,
    STRING,
)
ITEM_PARAM = st.one_of(
    st.tuples(st.sampled_from(["sf", "bs", "req", "tr"]), st.just(True)),
    st.tuples(st.sampled_from(["key", "name"]), STRING),
    st.tuples(st.sampled_from(["sf", "req", "key", "foo"]), OTHER_BARE),
)
ITEM = st.tuples(
    st.one_of(
        st.sampled_from(["@method", "@authority", "@path", "@query", "content-digest"]),
        STRING,
    ),
    st.lists(ITEM_PARAM, max_size=3).map(dict),
)
SIG_PARAM = st.one_of(
    st.tuples(st.sampled_from(["created", "expires"]), INTEGER),
    st.tuples(st.sampled_from(["keyid", "nonce", "alg", "tag"]), STRING),
    st.tuples(st.sampled_from(["created", "keyid", "other", "a"]), OTHER_BARE),
)
MEMBER = st.tuples(st.lists(ITEM, max_size=5), st.lists(SIG_PARAM, max_size=5).map(dict))
SIGNATURE_INPUT = st.dictionaries(KEY, MEMBER, min_size=1, max_size=2)


def in_fast_subset(structure) -> bool:
    """Whether every part of a parsed Signature-Input is something the fast path promises to
    take: no escapes, only the RFC 9421 parameters with their own types, 15-digit integers,
    and no parenthesis inside the component list (fastsf documents that those fall back)."""

    def plain(s):
        return type(s) is str and '"' not in s and "\\" not in s

    def plain_in_list(s):
        return plain(s) and "(" not in s and ")" not in s

    for items, params in structure.values():
        for name, item_params in items:
            if not plain_in_list(name):
                return False
            for key, value in item_params.items():
                if key in ("sf", "bs", "req", "tr"):
                    if value is not True:
                        return False
                elif key in ("key", "name"):
                    if not plain_in_list(value):
                        return False
                else:
                    return False
        for key, value in params.items():
            if key in ("created", "expires"):
                if type(value) is not int or value < 0:
                    return False
            elif key in ("keyid", "nonce", "alg", "tag"):
                if not plain(value):
                    return False
            else:
                return False
    return True


@DIFF
@given(structure=SIGNATURE_INPUT)
def test_canonical_signature_input_agrees_with_http_sf(structure):
    text = http_sf.ser(structure)
    fast = assert_signature_input_agrees(text)
    if in_fast_subset(http_sf.parse(text.encode(), tltype="dictionary")):
        # The fast path must actually be taken for what signers send, or it is not one.
        assert fast is not None, text


def test_generated_inputs_hit_the_fast_path_often():
    # Guard against a generator (or a fast path) so narrow that the test above is vacuous.
    hits = []

    @settings(max_examples=100, deadline=None, database=None)
    @given(structure=SIGNATURE_INPUT)
    def probe(structure):
        hits.append(fastsf.parse_signature_input(http_sf.ser(structure)) is not None)

    probe()
    assert sum(hits) >= len(hits) // 10, f"{sum(hits)} of {len(hits)}"
    assert not all(hits)


# -- mutations of canonical values -----------------------------------------------------------
MUTATION_PIECES = st.one_of(
    st.sampled_from(list(' ()";=,:*?-_.@/+\\\t0123456789abcz')),
    st.sampled_from(
        [", ", ",", "  ", ";sf", ";sf=?1", ";created=01", '="x"', ";req;req", "\u00e9"]
    ),
)


@st.composite
def mutated_text(draw, base):
    text = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "double"]))
        if op == "insert":
            text = text[:i] + draw(MUTATION_PIECES) + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 4)) :]
        elif op == "replace":
            text = text[:i] + draw(MUTATION_PIECES) + text[i + 1 :]
        elif op == "truncate":
            text = text[:i]
        else:
            text = text + ", " + text
    return text


@DIFF
@given(text=mutated_text(SIGNATURE_INPUT.map(http_sf.ser)))
def test_mutated_signature_input_falls_back_or_agrees(text):
    assert_signature_input_agrees(text)


BYTES_DICT = st.dictionaries(
    KEY,
    st.one_of(
        st.binary(max_size=70),
        st.binary(max_size=70),
        st.tuples(st.binary(max_size=8), st.dictionaries(KEY, OTHER_BARE, max_size=2)),
        OTHER_BARE,
    ),
    min_size=1,
    max_size=4,
)


@DIFF
@given(structure=BYTES_DICT)
def test_canonical_byte_sequences_agree_with_http_sf(structure):
    text = http_sf.ser(structure)
    fast = assert_byte_sequences_agree(text)
    if all(type(v) is bytes for v in structure.values()):
        assert fast is not None, text


@DIFF
@given(text=mutated_text(BYTES_DICT.map(http_sf.ser)))
@example(text="a=:AB==:")
@example(text="a=:YQ:")
def test_mutated_byte_sequences_fall_back_or_agree(text):
    assert_byte_sequences_agree(text)


# -- targeted cases: each must fall back (None) or equal http-sf -----------------------------
M = '("@method" "@path")'
TARGETED_SIGNATURE_INPUT = {
    "string-with-close-paren": 'sig1=("a)b" "@path");created=1',
    "string-with-open-paren": 'sig1=("a(b");created=1',
    "string-with-semicolon": 'sig1=("a;b" "c;sf");created=1',
    "string-with-comma": 'sig1=("a, b=c" "d,e");created=1',
    "string-with-parens-and-comma": 'sig1=("a, b=(c)");created=1',
    "param-string-with-separators": f'sig1={M};keyid="a;b, c=(d)";nonce=", sig2=()"',
    "param-string-looks-like-param": f'sig1={M};keyid="x;created=5"',
    "key-param-looks-like-flag": 'sig1=("d";key="a;sf");created=1',
    "escaped-quote": f'sig1={M};keyid="a\\"b"',
    "escaped-backslash": f'sig1={M};keyid="a\\\\b"',
    "escaped-quote-in-item": 'sig1=("a\\"b");created=1',
    "trailing-comma": f"sig1={M};created=1,",
    "trailing-comma-space": f"sig1={M};created=1, ",
    "leading-space": f" sig1={M}",
    "trailing-space": f"sig1={M} ",
    "no-space-after-comma": f"sig1={M},sig2={M}",
    "two-spaces-after-comma": f"sig1={M},  sig2={M}",
    "tab-after-comma": f"sig1={M},\tsig2={M}",
    "duplicate-label": f"sig1={M};created=1, sig1={M};created=2",
    "duplicate-sig-param": f"sig1={M};created=1;created=2",
    "duplicate-item-param": 'sig1=("x";sf;sf)',
    "duplicate-key-param": 'sig1=("x";key="a";key="b")',
    "leading-zero-int": f"sig1={M};created=01",
    "zero-int": f"sig1={M};created=0",
    "negative-int": f"sig1={M};created=-1",
    "sixteen-digit-int": f"sig1={M};created=1234567890123456",
    "fifteen-digit-int": f"sig1={M};created=123456789012345",
    "decimal": f"sig1={M};created=1.5",
    "explicit-true-flag": 'sig1=("x";sf=?1)',
    "explicit-false-flag": 'sig1=("x";sf=?0)',
    "token-param": f"sig1={M};alg=hmac-sha256",
    "token-item": "sig1=(x)",
    "boolean-sig-param": f"sig1={M};created",
    "unknown-sig-param": f'sig1={M};foo="x"',
    "unknown-item-param": 'sig1=("x";foo="y")',
    "uppercase-param": f'sig1={M};KEYID="x"',
    "uppercase-label": f"SIG1={M}",
    "star-label": f"*sig={M}",
    "digit-label": f"1sig={M}",
    "space-inside-list-start": 'sig1=( "@method")',
    "space-inside-list-end": 'sig1=("@method" )',
    "two-spaces-between-items": 'sig1=("@method"  "@path")',
    "empty-list": "sig1=();created=1",
    "empty-string-item": 'sig1=("")',
    "empty-keyid": f'sig1={M};keyid=""',
    "not-inner-list": 'sig1="@method"',
    "bare-label": "sig1",
    "nested-list": 'sig1=(("@method"))',
    "unterminated-string": 'sig1=("@method)',
    "unterminated-list": 'sig1=("@method"',
    "non-ascii-in-string": f'sig1={M};keyid="caf\u00e9"',
    "control-char-in-string": f'sig1={M};keyid="a\tb"',
    "empty": "",
    "rfc9421-b2-5": 'sig-b25=("date" "@authority" "content-type");created=1618884473;'
    'keyid="test-shared-secret"',
    "rfc9421-b2-2": 'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");'
    'created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
}


@pytest.mark.parametrize(
    "text", TARGETED_SIGNATURE_INPUT.values(), ids=TARGETED_SIGNATURE_INPUT.keys()
)
def test_targeted_signature_input_falls_back_or_agrees(text):
    assert_signature_input_agrees(text)


@pytest.mark.parametrize(
    "case",
    [
        "escaped-quote",
        "escaped-backslash",
        "escaped-quote-in-item",
        "trailing-comma",
        "duplicate-label",
        "duplicate-sig-param",
        "duplicate-item-param",
        "leading-zero-int",
        "negative-int",
        "sixteen-digit-int",
        "explicit-true-flag",
        "token-param",
        "unknown-sig-param",
        "string-with-close-paren",
        "string-with-open-paren",
        "no-space-after-comma",
        "leading-space",
        "non-ascii-in-string",
        "empty",
    ],
)
def test_non_canonical_signature_input_declines(case):
    # Each of these is either invalid or valid but not in canonical form: answering would put
    # text into the signature base that is not the member's serialization (RFC 8941 §4.1).
    assert fastsf.parse_signature_input(TARGETED_SIGNATURE_INPUT[case]) is None


@pytest.mark.parametrize(
    "case",
    [
        "string-with-semicolon",
        "string-with-comma",
        "param-string-with-separators",
        "param-string-looks-like-param",
        "key-param-looks-like-flag",
        "fifteen-digit-int",
        "zero-int",
        "empty-list",
        "empty-string-item",
        "empty-keyid",
        "star-label",
        "rfc9421-b2-5",
        "rfc9421-b2-2",
    ],
)
def test_canonical_signature_input_takes_the_fast_path(case):
    assert assert_signature_input_agrees(TARGETED_SIGNATURE_INPUT[case]) is not None


def test_fast_path_reads_rfc9421_b2_2_exactly():
    fast = fastsf.parse_signature_input(TARGETED_SIGNATURE_INPUT["rfc9421-b2-2"])
    items, params, inner_text, list_text = fast["sig-b22"]
    assert items == (("@authority", {}), ("content-digest", {}), ("@query-param", {"name": "Pet"}))
    assert params == {"created": 1618884473, "keyid": "test-key-rsa-pss", "tag": "header-example"}
    assert list_text == '"@authority" "content-digest" "@query-param";name="Pet"'
    assert inner_text.startswith(f"({list_text});created=1618884473;")


def test_cached_item_lists_cannot_be_altered_by_callers():
    first = fastsf.parse_signature_input('sig1=("x";sf);created=1')
    items = first["sig1"][0]
    assert isinstance(items, tuple)
    with pytest.raises(TypeError):
        items[0] = ("y", {})  # type: ignore[index]


MAC = base64.b64encode(bytes(range(32))).decode()
TARGETED_BYTES = {
    "canonical": f"sha-256=:{MAC}:",
    "two-members": f"sha-256=:{MAC}:, sha-512=:{MAC}:",
    "empty-bytes": "a=::",
    "non-canonical-bits": "a=:AB==:",
    "unpadded": "a=:YQ:",
    "over-padded": "a=:Y===:",
    "only-padding": "a=:=:",
    "padding-inside": "a=:YQ==YQ==:",
    "space-inside": "a=:YW Jj:",
    "url-safe-alphabet": "a=:-_-_:",
    "with-params": f"sig1=:{MAC}:;p=1",
    "no-space-after-comma": f"a=:{MAC}:,b=:{MAC}:",
    "trailing-comma": f"a=:{MAC}:, ",
    "duplicate": f"a=:{MAC}:, a=:{MAC}:",
    "string-member": 'a="x"',
    "token-member": "a=x",
    "unterminated": "a=:YWJj",
    "uppercase-key": f"SHA-256=:{MAC}:",
    "empty": "",
}


@pytest.mark.parametrize("text", TARGETED_BYTES.values(), ids=TARGETED_BYTES.keys())
def test_targeted_byte_sequences_fall_back_or_agree(text):
    assert_byte_sequences_agree(text)


@pytest.mark.parametrize(
    ("case", "taken"),
    [
        ("canonical", True),
        ("two-members", True),
        ("empty-bytes", True),
        ("unpadded", False),
        ("with-params", False),
        ("duplicate", False),
        ("no-space-after-comma", False),
        ("url-safe-alphabet", False),
        ("empty", False),
    ],
)
def test_byte_sequences_fast_path_taken_only_for_canonical_form(case, taken):
    assert (fastsf.parse_byte_sequences(TARGETED_BYTES[case]) is not None) is taken
