"""``OHTTPGatewayMiddleware``: the outer POST is answered before the rest of the stack, the
inner request still passes all of it; without the middleware the view answers the same (W013);
and the HPKE fast paths it relies on (a loaded key, HKDF by the standard library) agree with
the library."""

from __future__ import annotations

import json
import os

import pytest
from django.test import Client

from signed_api import checks, gateway
from signed_api.client.auth import SignatureAuth
from signed_api.core import hpke, ohttp
from tests.ohttp.support import GATEWAY, NOTES, inner_request, json_request, key_configs, send

pytestmark = pytest.mark.django_db

SEEN: list[str] = []


class Recorder:
    """A middleware after the gateway's: records the paths it sees."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        SEEN.append(request.path_info)
        return self.get_response(request)


@pytest.fixture
def recorded(settings):
    SEEN.clear()
    settings.MIDDLEWARE = [
        settings.MIDDLEWARE[0],
        "tests.ohttp.test_early_answer.Recorder",
        *settings.MIDDLEWARE[1:],
    ]
    assert settings.MIDDLEWARE[0] == "signed_api.gateway.OHTTPGatewayMiddleware"
    yield SEEN
    SEEN.clear()


@pytest.fixture
def auth(hmac_key):
    key, secret = hmac_key
    return SignatureAuth(key.key_id, secret)


def test_the_outer_post_skips_the_stack_and_the_inner_request_passes_it(recorded, auth, user):
    config = key_configs()
    recorded.clear()
    exchange = send(json_request("POST", NOTES, {"text": "early"}, auth=auth), config=config[0])
    assert exchange.outer.status_code == 200
    assert exchange.status == 201, exchange.inner
    assert recorded == [NOTES]  # the inner request only
    assert 'keyid="srv_' in exchange.outer["Signature-Input"]  # signed as in the stack
    assert exchange.outer["X-Content-Type-Options"] == "nosniff"
    assert exchange.header("signature") is not None  # the inner answer, signed inside


def test_the_key_configurations_go_down_the_stack(recorded):
    assert Client().get(GATEWAY).status_code == 200
    assert recorded == [GATEWAY]


@pytest.mark.parametrize("shift, tail, code", [
    (None, b"", "ohttp_malformed"),
    (1, bytes(48), "ohttp_unknown_key"),
    (0, bytes(48), "ohttp_decryption_failed"),
])  # fmt: skip
def test_refusals_are_answered_early_too(recorded, shift, tail, code):
    key_id = key_configs()[0].key_id
    body = (
        b"\x07"
        if shift is None
        else bytes([(key_id + shift) % 256]) + bytes.fromhex("002000010001") + tail
    )
    recorded.clear()
    response = Client().post(GATEWAY, body, content_type=ohttp.REQUEST_MEDIA_TYPE)
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == code
    assert recorded == []
    assert 'keyid="srv_' in response["Signature-Input"]


def test_a_host_not_allowed_goes_down_the_stack_and_is_refused_there(recorded):
    response = Client().post(
        GATEWAY, b"x", content_type=ohttp.REQUEST_MEDIA_TYPE, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400
    assert recorded == [GATEWAY]  # went down the stack, refused by CommonMiddleware there


def test_an_ssl_redirect_goes_down_the_stack(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().post(GATEWAY, b"x", content_type=ohttp.REQUEST_MEDIA_TYPE)
    assert response.status_code == 301


def test_without_the_middleware_the_view_answers_the_same(settings, auth, user):
    settings.MIDDLEWARE = settings.MIDDLEWARE[1:]
    exchange = send(json_request("POST", NOTES, {"text": "late"}, auth=auth))
    assert exchange.outer.status_code == 200
    assert exchange.status == 201
    assert 'keyid="srv_' in exchange.outer["Signature-Input"]
    assert [m.id for m in checks.check_ohttp_middleware()] == ["signed_api.W013"]


def test_no_warning_with_the_middleware_or_without_the_gateway(settings):
    assert checks.check_ohttp_middleware() == []
    settings.MIDDLEWARE = settings.MIDDLEWARE[1:]
    settings.ROOT_URLCONF = "tests.ohttp.urls_without_gateway"
    assert checks.check_ohttp_middleware() == []


def test_the_gateway_path_follows_the_urlconf(settings):
    assert gateway._gateway_path(None) == GATEWAY
    settings.ROOT_URLCONF = "tests.ohttp.urls_without_gateway"
    assert gateway._gateway_path(None) is None


def test_an_inner_request_for_the_gateway_is_still_refused_inside():
    exchange = send(inner_request("POST", GATEWAY))
    assert exchange.status == 400
    assert exchange.json()["code"] == "ohttp_nested_request"


# -- the HPKE fast paths ----------------------------------------------------------------------
def test_a_loaded_key_opens_what_the_bytes_open():
    private = hpke.generate_private_key()
    loaded = hpke.load_private_key(hpke.KEM_X25519_HKDF_SHA256, private)
    assert loaded.public_key == hpke.public_key(hpke.KEM_X25519_HKDF_SHA256, private)
    assert "private" not in repr(loaded).lower().replace("privatekey", "")
    suite = hpke.Suite(hpke.KEM_X25519_HKDF_SHA256, hpke.KDF_HKDF_SHA256, hpke.AEAD_AES_128_GCM)
    enc, sender = hpke.setup_base_sender(suite, loaded.public_key, b"info")
    ct = sender.seal(b"hello", b"aad")
    for key in (private, loaded):
        assert hpke.setup_base_recipient(suite, enc, key, b"info").open(ct, b"aad") == b"hello"


def test_a_gateway_key_is_loaded_once():
    key = ohttp.GatewayKey.from_private_key(3, hpke.generate_private_key())
    assert key.loaded.public_key == key.config.public_key
    assert "loaded" not in repr(key)


def test_hkdf_is_rfc_5869_and_the_librarys():
    # RFC 5869 Appendix A.1 (SHA-256).
    ikm, salt = bytes([0x0B] * 22), bytes(range(13))
    info = bytes(range(0xF0, 0xFA))
    prk = hpke.kdf_extract(hpke.KDF_HKDF_SHA256, salt, ikm)
    assert prk.hex() == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
    assert hpke.kdf_expand(hpke.KDF_HKDF_SHA256, prk, info, 42).hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
    from pyhpke import AEADId, CipherSuite, KDFId, KEMId

    for ours, theirs in ((hpke.KDF_HKDF_SHA256, KDFId.HKDF_SHA256),
                         (hpke.KDF_HKDF_SHA384, KDFId.HKDF_SHA384),
                         (hpke.KDF_HKDF_SHA512, KDFId.HKDF_SHA512)):  # fmt: skip
        kdf = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, theirs, AEADId.AES128_GCM).kdf
        for n in (0, 1, 31, 64, 129):
            salt, ikm, info = os.urandom(n % 50), os.urandom(n), os.urandom(n % 7)
            assert hpke.kdf_extract(ours, salt, ikm) == kdf.extract(salt, ikm)
            prk = kdf.extract(salt, ikm)
            for length in (1, 16, 32, 65, 200):
                assert hpke.kdf_expand(ours, prk, info, length) == kdf.expand(prk, info, length)


def test_the_configs_are_still_the_served_ones():
    assert key_configs()[0].kem_id == hpke.KEM_X25519_HKDF_SHA256
