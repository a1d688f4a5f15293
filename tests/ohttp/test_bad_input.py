"""Hostile input to the gateway: garbage, truncation, a flipped tag, an unknown key or suite,
the wrong media type, an oversized body. Each is a 4xx with a code in the clear (the §5.3
problem document for an unknown key configuration), never a 500, and nothing is written; an
inner message that does not decode is an encrypted 400."""

from __future__ import annotations

import json
import struct

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from example_project.notes.models import Note
from signed_api.client.auth import SignatureAuth
from signed_api.core import bhttp, ohttp
from signed_api.models import SecurityEvent, Session, StoreEntry
from tests.ohttp.support import (
    NOTES,
    json_request,
    key_configs,
    post_encapsulated,
    send,
)

pytestmark = pytest.mark.django_db

PROBLEM_TYPE = "https://iana.org/assignments/http-problem-types#ohttp-key"
MODELS = (StoreEntry, Session, SecurityEvent, Note, DjangoSession)


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def unchanged(db):
    """Asserts, after the test, that no table the gateway could reach gained or lost a row."""
    before = _rows()
    yield
    assert _rows() == before


@pytest.fixture
def valid(hmac_key):
    """A valid encapsulated request: a signed note creation (never sent as it is)."""
    key, secret = hmac_key
    request = json_request("POST", NOTES, {"text": "secret text"},
                           auth=SignatureAuth(key.key_id, secret))
    config = key_configs()[0]
    data, _context = ohttp.encapsulate_request(config, bhttp.encode_request(request))
    return config, data


def _code(response) -> str:
    return json.loads(response.content)["code"]


def _refused_in_the_clear(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert _code(response) == code
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x20\x00\x01\x00", b"garbage" * 3])
def test_garbage_is_malformed_or_unknown(data, unchanged):
    response = post_encapsulated(data)
    assert response.status_code == 400
    assert _code(response) in ("ohttp_malformed", "ohttp_unknown_key")


def test_a_short_message_for_a_known_key_is_malformed(valid, unchanged):
    _config, data = valid
    for cut in (0, 1, 6, 7, 8, 20, 7 + 32, 7 + 32 + 15):
        response = post_encapsulated(data[:cut])
        _refused_in_the_clear(response, 400, "ohttp_malformed")


def test_truncation_anywhere_is_refused_never_a_500(valid, unchanged):
    _config, data = valid
    for cut in range(0, len(data), max(1, len(data) // 40)):
        response = post_encapsulated(data[:cut])
        assert response.status_code == 400, cut
        assert _code(response) in ("ohttp_malformed", "ohttp_decryption_failed"), cut
    response = post_encapsulated(data[:-1])
    _refused_in_the_clear(response, 400, "ohttp_decryption_failed")


@pytest.mark.parametrize("where", ["tag", "ciphertext", "enc"])
def test_a_flipped_byte_does_not_decrypt(valid, where, unchanged):
    _config, data = valid
    index = {"tag": len(data) - 1, "ciphertext": 7 + 32 + 3, "enc": 7 + 5}[where]
    tampered = bytearray(data)
    tampered[index] ^= 0x01
    _refused_in_the_clear(post_encapsulated(bytes(tampered)), 400, "ohttp_decryption_failed")


def test_an_extra_byte_does_not_decrypt(valid, unchanged):
    _config, data = valid
    _refused_in_the_clear(post_encapsulated(data + b"\x00"), 400, "ohttp_decryption_failed")


def _problem(response) -> None:
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem["type"] == PROBLEM_TYPE
    assert problem["title"]
    assert problem["code"] == "ohttp_unknown_key"


def test_an_unknown_key_id_is_the_key_config_problem(valid, unchanged):
    config, data = valid
    other = (config.key_id + 1) % 256
    _problem(post_encapsulated(bytes([other]) + data[1:]))


@pytest.mark.parametrize(("kem", "kdf", "aead"), [(0x0010, 1, 1), (0x0020, 2, 1), (0x0020, 1, 2),
                                                  (0x0020, 1, 0xFFFF)])
def test_an_unoffered_suite_is_the_key_config_problem(valid, kem, kdf, aead, unchanged):
    config, data = valid
    header = struct.pack(">BHHH", config.key_id, kem, kdf, aead)
    _problem(post_encapsulated(header + data[7:]))


@pytest.mark.parametrize("content_type", ["application/json", "message/ohttp-res",
                                          "application/octet-stream", ""])
def test_another_media_type_is_415(valid, content_type, unchanged):
    _config, data = valid
    response = post_encapsulated(data, content_type=content_type)
    _refused_in_the_clear(response, 415, "unsupported_media_type")


def test_media_type_parameters_and_case_are_accepted(valid, user):
    _config, data = valid
    response = post_encapsulated(data, content_type="Message/OHTTP-Req; charset=binary")
    assert response.status_code == 200


def test_an_oversized_body_is_413_before_it_is_opened(valid, settings):
    _config, data = valid
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_MAX_REQUEST_BYTES": len(data) - 1}
    before = _rows()
    _refused_in_the_clear(post_encapsulated(data), 413, "request_too_large")
    assert _rows() == before
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_MAX_REQUEST_BYTES": len(data)}
    assert post_encapsulated(data).status_code == 200  # the limit itself is accepted
    assert Note.objects.count() == 1


def test_a_declared_length_over_the_limit_is_413_unread(valid, settings, unchanged):
    _config, data = valid
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_MAX_REQUEST_BYTES": 64}
    response = post_encapsulated(data[:10], CONTENT_LENGTH="100000")
    _refused_in_the_clear(response, 413, "request_too_large")


def test_a_body_that_cannot_be_read_is_a_400(valid, unchanged):
    class Broken:
        def read(self, *args):
            raise OSError("the client went away")

        def readline(self, *args):
            raise OSError("the client went away")

    _config, data = valid
    response = post_encapsulated(data, **{"wsgi.input": Broken()})
    _refused_in_the_clear(response, 400, "ohttp_malformed")


@pytest.mark.parametrize("encoded", [b"", b"\x00", b"\x07garbage", b"\x00\x03GET\x05https",
                                     b"\x01\x40\xc8\x00\x00"])
def test_a_binary_http_message_that_does_not_decode_is_an_encrypted_400(encoded, unchanged):
    exchange = send(bhttp.Request("GET", "https", "testserver", "/"), encoded=encoded)
    assert exchange.outer.status_code == 200
    assert exchange.status == 400
    assert exchange.json()["code"] == "binary_http_malformed"


def test_a_request_target_that_is_not_a_path_is_an_encrypted_400(unchanged):
    exchange = send(bhttp.Request("OPTIONS", "https", "testserver", "*"))
    assert exchange.status == 400
    assert exchange.json()["code"] == "binary_http_malformed"


@pytest.mark.parametrize("inner_path", ["/api/notes/%00", "/api/auth/keys/%ff%fe/", "/%c0%af",
                                        "/api/notes/?q=%zz", "//admin//", "/api/auth/keys/%7f/"])
def test_odd_paths_are_answered_inside_never_a_500(inner_path):
    exchange = send(bhttp.Request("GET", "https", "testserver", inner_path))
    assert exchange.outer.status_code == 200
    assert 300 <= exchange.status < 500, exchange.inner


@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_any_bytes_are_a_4xx_with_a_code(data, db):
    response = post_encapsulated(data)
    assert response.status_code == 400
    assert _code(response) in ("ohttp_malformed", "ohttp_unknown_key", "ohttp_decryption_failed")


@hypothesis_settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(encoded=st.binary(max_size=120))
def test_any_inner_bytes_are_an_encrypted_answer(encoded, db):
    exchange = send(bhttp.Request("GET", "https", "testserver", "/"), encoded=encoded)
    assert exchange.outer.status_code == 200
    assert exchange.status < 500
