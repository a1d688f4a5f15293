"""The Ed25519 point checks of ``signed_api.core.ed25519_points``, which OpenSSL does not make.

A public key of small order lets anyone "sign": under the identity, ``R`` = identity and
``S`` = 0 verifies for every message. The full check refuses such keys (and non-canonical
encodings, points off the curve, points outside the prime-order subgroup) when a key is
accepted; the cheap one makes a stored key of small order verify nothing. The points are built
by ``tests/bad_keys.py``, independently of the module under test.
"""

from __future__ import annotations

import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from signed_api.core import SignatureError, algorithms, ed25519_points, load_verifying_key
from signed_api.core.algorithms import Ed25519SigningKey, Ed25519VerifyingKey
from signed_api.services import device_keys
from tests import bad_keys

CANONICAL = bad_keys.canonical_small_order_encodings()
NON_CANONICAL = bad_keys.non_canonical_small_order_encodings()
SMALL_ORDER = CANONICAL + NON_CANONICAL
MESSAGES = [b"", b"GET /api/notes/", bytes(range(256))]


def _ids(encodings):
    return [raw.hex()[:8] + "-" + raw.hex()[-4:] for raw in encodings]


# -- the list itself --------------------------------------------------------------------------
def test_there_are_eight_points_of_small_order_in_fourteen_encodings():
    assert len(set(CANONICAL)) == 8
    assert len(set(NON_CANONICAL)) == 6
    assert all(bad_keys.on_curve(point) for point in bad_keys.small_order_points())
    assert all(
        bad_keys.times(point, 8) == bad_keys.IDENTITY_POINT
        for point in bad_keys.small_order_points()
    )
    assert bad_keys.IDENTITY in CANONICAL


def test_the_constant_set_is_exactly_every_encoding_of_a_small_order_point():
    assert set(SMALL_ORDER) == ed25519_points.SMALL_ORDER_ENCODINGS


def test_the_well_known_order_8_points_are_in_the_list():
    # libsodium's blocklist / "Taming the many EdDSAs" (Chalkias et al.), table of small-order
    # points: the canonical encodings of the two y of the points of order 8.
    for text in (
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ):
        assert bytes.fromhex(text) in CANONICAL


# -- the full check, when a key is accepted -----------------------------------------------------
@pytest.mark.parametrize("raw", CANONICAL, ids=_ids(CANONICAL))
def test_every_point_of_small_order_is_refused(raw):
    assert ed25519_points.is_small_order(raw)
    with pytest.raises(ed25519_points.Ed25519PointError, match="small order"):
        ed25519_points.check_public_key(raw)


@pytest.mark.parametrize("raw", NON_CANONICAL, ids=_ids(NON_CANONICAL))
def test_every_non_canonical_encoding_of_a_small_order_point_is_refused(raw):
    assert ed25519_points.is_small_order(raw)
    with pytest.raises(ed25519_points.Ed25519PointError, match="not canonically encoded"):
        ed25519_points.check_public_key(raw)


def test_a_non_canonical_encoding_of_any_y_is_refused():
    for y in range(19):  # y + p < 2**255
        raw = (y + bad_keys.P).to_bytes(32, "little")
        with pytest.raises(ed25519_points.Ed25519PointError):
            ed25519_points.check_public_key(raw)


def test_a_point_of_mixed_order_is_refused_by_the_full_check_only():
    raw = bad_keys.mixed_order(bad_keys.raw_public_key(ed25519.Ed25519PrivateKey.generate()))
    assert bad_keys.on_curve(bad_keys.decode(raw))
    with pytest.raises(ed25519_points.Ed25519PointError, match="prime-order subgroup"):
        ed25519_points.check_public_key(raw)
    # No universal forgery with it: the cheap check at verification leaves it alone.
    assert not ed25519_points.is_small_order(raw)


def test_a_point_off_the_curve_and_a_wrong_length_are_refused():
    with pytest.raises(ed25519_points.Ed25519PointError, match="not on the Ed25519 curve"):
        ed25519_points.check_public_key(bad_keys.off_curve())
    for raw in (b"", bytes(31), bytes(33)):
        with pytest.raises(ed25519_points.Ed25519PointError, match="32 bytes"):
            ed25519_points.check_public_key(raw)


def test_an_error_is_a_value_error_that_does_not_repeat_the_input():
    with pytest.raises(ValueError) as refused:
        ed25519_points.check_public_key(bad_keys.IDENTITY)
    assert bad_keys.IDENTITY.hex() not in str(refused.value)


def test_real_keys_pass_and_the_check_is_fast_enough():
    keys = [bad_keys.raw_public_key(ed25519.Ed25519PrivateKey.generate()) for _ in range(20)]
    started = time.perf_counter()
    for raw in keys:
        ed25519_points.check_public_key(raw)
        assert not ed25519_points.is_small_order(raw)
    assert (time.perf_counter() - started) / len(keys) < 0.1  # ~6 ms; generous for slow CI


def test_device_keys_use_the_same_check():
    for raw in SMALL_ORDER + [bad_keys.off_curve()]:
        with pytest.raises(ed25519_points.Ed25519PointError) as core:
            ed25519_points.check_public_key(raw)
        with pytest.raises(device_keys.DeviceKeyError) as device:
            device_keys.parse(bad_keys.jwk(raw), "ed25519")
        assert device.value.code == "public_key_invalid"
        assert device.value.detail == str(core.value)
    assert not hasattr(device_keys, "_times")  # one implementation, in the core


# -- the cheap check, when a key is loaded to verify --------------------------------------------
def test_openssl_alone_accepts_the_forgery_under_the_identity():
    """The premise of the check (if OpenSSL ever refuses, the check is merely redundant)."""
    raw_key = ed25519.Ed25519PublicKey.from_public_bytes(bad_keys.IDENTITY)
    try:
        for message in MESSAGES:
            raw_key.verify(bad_keys.IDENTITY + bytes(32), message)
    except InvalidSignature:
        pytest.skip("this OpenSSL refuses small-order keys itself")


@pytest.mark.parametrize("raw", SMALL_ORDER, ids=_ids(SMALL_ORDER))
def test_a_loaded_key_of_small_order_verifies_nothing(raw):
    for material in (raw, bad_keys.pem(raw).encode("ascii")):
        key = load_verifying_key("ed25519", material)
        assert isinstance(key, Ed25519VerifyingKey) and key.small_order
        for r in SMALL_ORDER:  # every R of small order, S = 0: what verifies under OpenSSL
            for message in MESSAGES:
                with pytest.raises(SignatureError) as refused:
                    key.verify(message, r + bytes(32))
                assert refused.value.code == "signature_invalid"


def test_a_key_chain_with_a_small_order_member_still_verifies_with_the_other():
    private = ed25519.Ed25519PrivateKey.generate()
    good = load_verifying_key("ed25519", bad_keys.raw_public_key(private))
    bad = load_verifying_key("ed25519", bad_keys.IDENTITY)
    chain = algorithms.KeyChain((good, bad))
    assert chain.verify(b"data", private.sign(b"data")) is good
    with pytest.raises(SignatureError):
        chain.verify(b"data", bad_keys.Forger().sign(b"data"))


def test_a_normal_key_signs_and_verifies():
    signing = Ed25519SigningKey(ed25519.Ed25519PrivateKey.generate())
    assert not signing.small_order and not signing.verifying_key().small_order
    signature = signing.sign(b"data")
    signing.verifying_key().verify(b"data", signature)
    with pytest.raises(SignatureError):
        signing.verifying_key().verify(b"other", signature)


# -- PEM of an unknown algorithm ------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsa-p256-sha256"])
def test_a_pem_of_an_unknown_algorithm_is_a_value_error(algorithm):
    with pytest.raises(ValueError, match="unsupported algorithm"):
        load_verifying_key(algorithm, bad_keys.unknown_algorithm_pem())
    with pytest.raises(ValueError, match="unsupported algorithm"):
        load_verifying_key(algorithm, bad_keys.unknown_algorithm_private_pem())
    with pytest.raises(ValueError, match="unsupported algorithm"):
        algorithms.load_signing_key(algorithm, bad_keys.unknown_algorithm_private_pem())
