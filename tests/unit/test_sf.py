"""``signed_api.core.sf``: the fallback parser and serializers, on http-sf's public API only.

http-sf documents ``parse``, ``ser`` and a few types (its README, ``http_sf.__all__``); its
modules (``http_sf.dictionary``, ``http_sf.state``, ...) are internals that may change in any
release. The package pins ``http-sf>=1.5,<2`` and must keep working across that range.
"""

from __future__ import annotations

import ast
from pathlib import Path

import http_sf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signed_api.core import sf
from signed_api.core.errors import SIGNATURE_MALFORMED, SignatureError

PACKAGE = Path(sf.__file__).resolve().parent.parent


def _http_sf_imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("http_sf"):
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("http_sf"):
                    yield alias.name, []


def test_signed_api_uses_only_the_public_http_sf_api():
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module, names in _http_sf_imports(path):
            private_names = [n for n in names if n not in http_sf.__all__]
            if module != "http_sf" or private_names:
                offending.append(f"{path.relative_to(PACKAGE.parent)}: {module} {private_names}")
    assert offending == []


def test_duplicate_dictionary_key_is_refused():
    with pytest.raises(SignatureError) as info:
        sf.parse_dictionary('sig1=("@method");keyid="a", sig1=("@path");keyid="b"')
    assert info.value.code == SIGNATURE_MALFORMED


def test_duplicate_parameter_is_refused():
    with pytest.raises(SignatureError):
        sf.parse_dictionary('sig1=("@method");keyid="a";keyid="b"')


@pytest.mark.parametrize(
    "value",
    ['sig1=("@method"', "sig1=:AA==:,", "Sig1=?1", 'sig1=("a") x', "s=\x00", "s=(\"é\")"],
)
def test_malformed_dictionary_is_a_signature_error(value):
    with pytest.raises(SignatureError) as info:
        sf.parse_dictionary(value, code="digest_missing")
    assert info.value.code == "digest_missing"


def test_dictionary_longer_than_the_limit_is_refused_before_parsing():
    with pytest.raises(SignatureError, match="longer than"):
        sf.parse_dictionary("a=" + "1" * sf.MAX_FIELD_LENGTH)


def test_whitespace_around_the_dictionary_is_allowed():
    assert sf.parse_dictionary("  a=1, b=?0  ") == {"a": (1, {}), "b": (False, {})}


def test_signature_input_fallback_matches_the_fast_path():
    canonical = 'sig1=("@method" "@path");created=1;keyid="k"'
    loose = 'sig1=( "@method"  "@path" );created=1;keyid="k"'  # legal, not canonical
    fast = sf.parse_signature_input(canonical)
    slow = sf.parse_signature_input(loose)
    assert fast["sig1"][2] is not None and slow["sig1"][2] is None
    assert [tuple(i) for i in fast["sig1"][0]] == [tuple(i) for i in slow["sig1"][0]]
    assert fast["sig1"][1] == slow["sig1"][1]


def test_signature_input_member_must_be_an_inner_list():
    with pytest.raises(SignatureError, match="inner list"):
        sf.parse_signature_input('sig1="@method";keyid="k", sig2=("@path")')


def test_byte_sequence_dictionary_fallback():
    assert sf.parse_byte_sequence_dictionary("a=:AAE=:;p=1,  b=2", what="Signature") == {
        "a": b"\x00\x01",
        "b": None,
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cache-control", "dictionary"),
        ("Cache-Control", "dictionary"),
        ("accept", "list"),
        ("content-type", "item"),
        ("x-not-registered", None),
    ],
)
def test_retrofit_types(name, expected):
    assert sf.RETROFIT_TYPES.get(name) == expected
    assert (name in sf.RETROFIT_TYPES) is (expected is not None)


MEMBERS = [
    "(1 2);x",
    '("@method" "@path";req);created=1;keyid="k"',
    "?1;y",
    ":AAE=:",
    "tok;a=1.5",
    '"str"',
    "()",
]


@pytest.mark.parametrize("text", MEMBERS)
def test_ser_member_writes_the_member_as_in_its_field(text):
    (member,) = http_sf.parse(text.encode(), tltype="list")
    assert sf.ser_member(member) == text
    parsed = sf.parse_dictionary(f"k={text}")
    assert sf.ser_member(parsed["k"]) == text


def test_ser_innerlist_and_ser_item():
    items = [("@method", {}), ("signature", {"req": True, "key": "sig1"})]
    expected = '("@method" "signature";req;key="sig1");created=1'
    assert sf.ser_innerlist((items, {"created": 1})) == expected
    assert sf.ser_item(("@query-param", {"name": "id"})) == '"@query-param";name="id"'
    with pytest.raises((ValueError, TypeError)):
        sf.ser_item(("caf\u00e9", {}))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8),
            st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,4}", fullmatch=True),
                            st.one_of(st.just(True), st.integers(-999, 999)), max_size=2),
        ),
        max_size=4,
    )
)
def test_ser_innerlist_round_trips(items):
    text = sf.ser_innerlist((items, {}))
    (parsed,) = http_sf.parse(text.encode(), tltype="list")
    assert parsed == (items, {})
