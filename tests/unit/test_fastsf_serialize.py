"""The fast serializers of ``fastsf`` against ``http-sf`` (RFC 8941 §4.1): whenever the fast
path answers, it writes exactly what the library writes; otherwise it declines (None)."""

from __future__ import annotations

import http_sf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signed_api.core import fastsf

# The reference, from http-sf's public API only: an Item is ``ser((value, params))``, and the
# parameters alone are what follows the bare item ``?1``.
sf_ser_item = http_sf.ser


def sf_ser_params(params):
    return http_sf.ser((True, params))[len("?1") :]


KEYS = st.from_regex(r"[a-z*][a-z0-9_.*-]{0,8}", fullmatch=True)
VALUES = st.one_of(
    st.just(True),
    st.just(False),
    st.integers(min_value=-(10**16), max_value=10**16),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FF), max_size=12),
    st.binary(max_size=6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
PARAMS = st.dictionaries(KEYS, VALUES, max_size=5)


@settings(max_examples=400, deadline=None)
@given(params=PARAMS)
def test_ser_params_matches_http_sf(params):
    fast = fastsf.ser_params(params)
    if fast is not None:
        assert fast == sf_ser_params(params)


@settings(max_examples=400, deadline=None)
@given(value=st.text(max_size=20), params=PARAMS)
def test_ser_item_matches_http_sf(value, params):
    fast = fastsf.ser_item(value, params)
    if fast is not None:
        assert fast == sf_ser_item((value, params))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"created": 1618884473, "keyid": "test-key"}, ';created=1618884473;keyid="test-key"'),
        ({"req": True, "key": "sig1"}, ';req;key="sig1"'),
        ({}, ""),
    ],
)
def test_ser_params_common_cases(params, expected):
    assert fastsf.ser_params(params) == expected == sf_ser_params(params)


@pytest.mark.parametrize(
    "params",
    [
        {"nonce": 'quote"inside'},  # needs an escape
        {"nonce": "back\\slash"},
        {"nonce": "caf\u00e9"},  # not ASCII: not a String at all
        {"created": 10**15},  # beyond RFC 8941's 15 digits
        {"flag": False},  # ?0 is left to the library
        {"Upper": 1},  # not a valid key
        {"ratio": 1.5},  # Decimals are left to the library
    ],
)
def test_ser_params_declines_what_it_does_not_handle(params):
    assert fastsf.ser_params(params) is None
