"""The gateway end to end, with the real components: key configurations, a signed request
through the whole stack (authentication, view, response signing), login, what is refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from signed_api import gateway
from signed_api.client.auth import SignatureAuth, decode_secret
from signed_api.core import ohttp
from signed_api.models import Session
from tests.accounts import PASSWORD
from tests.ohttp.support import (
    GATEWAY,
    LOGIN,
    NOTES,
    inner_request,
    json_request,
    key_configs,
    send,
    verify_inner_signature,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(hmac_key):
    key, secret = hmac_key
    return SignatureAuth(key.key_id, secret)


# -- GET: the key configurations ------------------------------------------------------------------
def test_key_configurations_are_served_without_authentication():
    response = Client().get(GATEWAY)
    assert response.status_code == 200
    assert response["Content-Type"] == ohttp.KEYS_MEDIA_TYPE
    assert response["Cache-Control"] == "max-age=86400"
    configs = ohttp.decode_key_configs(response.content)
    assert len(configs) == 1
    config = configs[0]
    assert config.kem_id == 0x0020
    assert set(config.suites) >= {(0x0001, 0x0001), (0x0001, 0x0003)}
    assert 'keyid="srv_' in response["Signature-Input"]  # signed by the server key (issue 14)


def test_the_cache_lifetime_is_the_key_lifetime(settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEY_LIFETIME": 600}
    assert Client().get(GATEWAY)["Cache-Control"] == "max-age=600"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405(method):
    response = Client().generic(method, GATEWAY)
    assert response.status_code == 405
    assert json.loads(response.content)["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


# -- POST: a request through the whole stack ------------------------------------------------------
def test_a_signed_request_reaches_the_view_and_its_answer_is_signed(auth, user):
    created = send(json_request("POST", NOTES, {"text": "through the gateway"}, auth=auth))
    assert created.outer.status_code == 200
    assert created.outer["Cache-Control"] == "no-store"
    # The outer answer is signed by the server key, over the outer message only (issue 14).
    assert 'keyid="srv_' in created.outer["Signature-Input"]
    assert created.status == 201, created.inner
    assert created.json()["text"] == "through the gateway"
    verified = verify_inner_signature(auth, created)
    assert verified.keyid == auth.key_id

    listed = send(inner_request("GET", NOTES, auth=auth))
    assert listed.status == 200
    assert [note["text"] for note in listed.json()] == ["through the gateway"]
    verify_inner_signature(auth, listed)


def test_the_raw_query_is_what_the_client_signed(auth, user):
    exchange = send(inner_request("GET", NOTES + "?a=%7E&b=1+2", auth=auth))
    assert exchange.status == 200, exchange.inner


def test_an_unsigned_request_is_refused_inside(user):
    exchange = send(inner_request("GET", NOTES))
    assert exchange.outer.status_code == 200
    assert exchange.status == 401
    assert exchange.json()["code"] == "signature_missing"
    assert exchange.header("www-authenticate") == "Signature"


def test_an_unsigned_login_works_and_the_session_signs_the_next_request(user):
    exchange = send(json_request("POST", LOGIN, {"username": "alice", "password": PASSWORD}))
    assert exchange.status == 201, exchange.inner
    issued = exchange.json()
    assert Session.objects.filter(key_id=issued["id"]).exists()
    session_auth = SignatureAuth(issued["id"], decode_secret(issued["secret"]))
    listed = send(inner_request("GET", NOTES, auth=session_auth))
    assert listed.status == 200, listed.inner
    verify_inner_signature(session_auth, listed)


def test_the_same_signed_request_twice_is_a_replay(auth, user):
    request = inner_request("GET", NOTES, auth=auth)
    assert send(request).status == 200
    again = send(request)
    assert again.outer.status_code == 200
    assert again.status == 401
    assert again.json()["code"] == "nonce_replayed"


def test_the_client_address_is_the_outer_one(user, monkeypatch):
    seen = []
    from signed_api.services import throttle

    real = throttle.client_address

    def spy(request):
        seen.append(real(request))
        return seen[-1]

    monkeypatch.setattr(throttle, "client_address", spy)
    request = json_request(
        "POST", LOGIN, {"username": "alice", "password": "wrong"},
        headers={"X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"},
    )
    exchange = send(request, REMOTE_ADDR="192.0.2.44")
    assert exchange.status in (400, 401)
    assert seen and set(seen) == {"192.0.2.44"}


def test_behind_proxies_the_outer_forwarded_for_counts(user, monkeypatch, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "NUM_PROXIES": 1}
    seen = []
    from signed_api.services import throttle

    real = throttle.client_address
    monkeypatch.setattr(throttle, "client_address", lambda r: seen.append(real(r)) or seen[-1])
    request = json_request(
        "POST", LOGIN, {"username": "alice", "password": "wrong"},
        headers={"X-Forwarded-For": "198.51.100.9"},  # the client's own claim: dropped
    )
    send(request, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert seen and set(seen) == {"203.0.113.5"}


# -- refused inside: authority, scheme, the gateway itself ----------------------------------------
@pytest.mark.parametrize(
    "authority", ["evil.example", "testserver.evil.example", "127.0.0.2", "[::2]"]
)
def test_an_authority_not_in_allowed_hosts_is_misdirected(auth, user, authority):
    from signed_api.models import StoreEntry

    before = StoreEntry.objects.count()
    exchange = send(inner_request("GET", NOTES, auth=auth, authority=authority))
    assert exchange.outer.status_code == 200
    assert exchange.status == 421
    assert exchange.json()["code"] == "misdirected_request"
    assert StoreEntry.objects.count() == before  # refused before the stack: no nonce spent


def test_no_authority_and_no_host_is_misdirected():
    exchange = send(inner_request("GET", NOTES, authority=""))
    assert exchange.status == 421


def test_the_host_header_names_the_authority_when_control_data_has_none(auth, user):
    request = inner_request("GET", NOTES, auth=auth)
    hosted = type(request)(
        method=request.method, scheme=request.scheme, authority="", path=request.path,
        headers=(("host", "testserver"), *request.headers),
    )
    assert send(hosted).status == 200
    elsewhere = type(request)(
        method="GET", scheme="https", authority="", path=NOTES,
        headers=(("host", "evil.example"),),
    )
    assert send(elsewhere).status == 421


def test_a_host_header_that_contradicts_the_authority_is_misdirected():
    request = inner_request("GET", NOTES, headers={"Host": "evil.example"})
    assert send(request).status == 421


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_inner_request_for_the_gateway_is_refused(method):
    exchange = send(inner_request(method, GATEWAY))
    assert exchange.outer.status_code == 200
    assert exchange.status == 400
    assert exchange.json()["code"] == "ohttp_nested_request"


def test_the_inner_handler_follows_the_middleware_setting(settings, user, auth):
    first = gateway.inner_handler()
    assert gateway.inner_handler() is first
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "ResponseSignature" not in m]
    assert gateway.inner_handler() is not first
    exchange = send(inner_request("GET", NOTES, auth=auth))
    assert exchange.status == 200
    assert exchange.header("signature") is None  # no response signing without the middleware


def test_key_configs_from_the_helper_match_the_served_ones():
    from signed_api import ohttp_keys

    assert key_configs() == ohttp_keys.advertised_configs()


@pytest.mark.django_db(transaction=True)
def test_through_the_asgi_handler(hmac_key):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from signed_api.core import bhttp

    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret)
    config = key_configs()[0]
    request = json_request("POST", NOTES, {"text": "over ASGI"}, auth=auth)
    data, context = ohttp.encapsulate_request(config, bhttp.encode_request(request))
    outer = async_to_sync(AsyncClient().post)(GATEWAY, data, content_type=ohttp.REQUEST_MEDIA_TYPE)
    assert outer.status_code == 200
    inner = bhttp.decode_response(context.decapsulate_response(outer.content))
    assert inner.status == 201, inner


@pytest.mark.parametrize("bucket", [256, 1000])
def test_answers_are_padded_to_the_bucket(settings, user, bucket):
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_RESPONSE_PADDING": bucket}
    refused = send(json_request("POST", LOGIN, {"username": "alice", "password": "wrong"}))
    unsigned = send(inner_request("GET", NOTES))
    assert refused.status in (400, 401) and unsigned.status == 401  # still decodes
    overhead = 32  # enc-free response: nonce (16) and tag (16) for AES-128-GCM
    for exchange in (refused, unsigned):
        assert (len(exchange.outer.content) - overhead) % bucket == 0


def test_answers_are_not_padded_by_default(user):
    from signed_api.core import bhttp

    exchange = send(inner_request("GET", NOTES))
    assert len(exchange.outer.content) - 32 == len(bhttp.encode_response(exchange.inner))


def test_the_gateway_needs_no_csrf_token_and_the_inner_login_none_either(user):
    client = Client(enforce_csrf_checks=True)
    exchange = send(json_request("POST", LOGIN, {"username": "alice", "password": PASSWORD}),
                    client=client)
    assert exchange.outer.status_code == 200
    assert exchange.status == 201


def test_head_of_the_key_configurations():
    response = Client().head(GATEWAY)
    assert response.status_code == 200
    assert response["Content-Type"] == ohttp.KEYS_MEDIA_TYPE
