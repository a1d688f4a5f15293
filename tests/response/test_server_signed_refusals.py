"""docs/protocol.md: every answer of the app that no request key signs carries the server key's.

Refusals (401 of an unsigned or a badly signed request, 400, 404, 429, 503), the login answers,
the JWKS and the OHTTP key configuration are signed by the newest server key of the JWKS: the
status, the content type, the body's digest, the request's method and path and, when the request
carried one, its own signature (``;req``). ``SERVER_SIGNATURES`` limits that to the app's views
(the default), extends it to the site or turns it off; the system check names a bad value or a
missing server key. The middleware is sync and async capable.
"""

from __future__ import annotations

import asyncio

import pytest
import requests
from asgiref.sync import iscoroutinefunction
from django.core import checks
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import include
from django.urls import path as route

from signed_api.client import ServerKeys, SignatureAuth, UnverifiedRefusal, verify_refusal
from signed_api.response_signing import (
    ResponseSignatureMiddleware,
    is_app_request,
    server_keys,
    sign_with_server_key,
)
from tests.accounts import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

JWKS_PATH = "/.well-known/signed-api/keys"


@pytest.fixture
def jwks(live_server):
    return requests.get(live_server.url + JWKS_PATH, timeout=10).json()


def _kid() -> str:
    return server_keys()[0][0]


def test_a_refusal_of_an_unsigned_request_is_signed_by_the_server_key(live_server, jwks):
    response = requests.get(f"{live_server.url}/api/notes/", timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_missing"
    signature_input = response.headers["Signature-Input"]
    assert signature_input.startswith(
        'sig1=("@status" "content-type" "content-digest" "@method";req "@path";req);created='
    )
    assert f'keyid="{_kid()}"' in signature_input and 'alg="ed25519"' in signature_input
    verified = verify_refusal(response, jwks)
    assert verified.keyid == _kid()


def test_a_refusal_of_a_badly_signed_request_covers_that_signature(live_server, hmac_key, jwks):
    key, _secret = hmac_key
    auth = SignatureAuth(key.key_id, bytes(32), server_keys=jwks)  # the wrong secret
    response = requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    assert response.status_code == 401  # verified by the hook: returned, not raised
    assert response.json()["code"] == "signature_invalid"
    assert '"signature";req;key="sig1"' in response.headers["Signature-Input"]
    # Presented as the refusal of another request, it no longer verifies.
    other = requests.get(f"{live_server.url}/api/notes/", auth=SignatureAuth(
        key.key_id, bytes(32), verify_refusals=False), timeout=10)
    response.request = other.request
    with pytest.raises(UnverifiedRefusal) as excinfo:
        auth.check_refusal(response)
    assert excinfo.value.reason == "signature_invalid"
    assert excinfo.value.claimed_code == "signature_invalid"


def test_login_answers_and_refusals_are_signed(live_server, user, jwks):
    url = f"{live_server.url}/api/auth/sessions/"
    refused = requests.post(url, json={"username": "alice", "password": "wrong"}, timeout=10)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_credentials"
    verify_refusal(refused, jwks)
    created = requests.post(url, json={"username": "alice", "password": PASSWORD}, timeout=10)
    assert created.status_code == 201
    verify_refusal(created, jwks)  # the same check holds for a 201
    bad_input = requests.post(url, data=b"{not json", timeout=10,
                              headers={"Content-Type": "application/json"})
    assert bad_input.status_code == 400
    verify_refusal(bad_input, jwks)


def test_the_jwks_and_the_ohttp_key_configuration_are_signed(live_server, jwks):
    for path in (JWKS_PATH, "/.well-known/ohttp-gateway"):
        response = requests.get(live_server.url + path, timeout=10)
        assert response.status_code == 200, path
        verify_refusal(response, jwks)


def test_a_tampered_refusal_is_unverified(live_server, jwks):
    response = requests.get(f"{live_server.url}/api/notes/", timeout=10)
    response._content = response.content.replace(b"signature_missing", b"key_revoked")
    with pytest.raises(UnverifiedRefusal) as excinfo:
        verify_refusal(response, jwks)
    assert excinfo.value.reason == "digest_mismatch"
    assert excinfo.value.claimed_code == "key_revoked"


def test_a_retry_after_is_signed_and_one_added_or_changed_does_not_verify(
    live_server, user, jwks, settings
):
    """A 429's (or 503's) Retry-After says how long a client stops: it is covered, so that an
    attacker on the way can neither add one to a refusal nor make a real one longer."""
    from signed_api.conf import signed_api_settings

    url = f"{live_server.url}/api/auth/sessions/"
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        requests.post(url, json={"username": "alice", "password": "wrong"}, timeout=10)
    throttled = requests.post(url, json={"username": "alice", "password": "wrong"}, timeout=10)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert throttled.headers["Signature-Input"].startswith(
        'sig1=("@status" "content-type" "content-digest" "retry-after" "@method";req'
    )
    verify_refusal(throttled, jwks)
    throttled.headers["Retry-After"] = "86400"
    with pytest.raises(UnverifiedRefusal) as excinfo:
        verify_refusal(throttled, jwks)
    assert excinfo.value.reason == "signature_invalid"
    refused = requests.get(f"{live_server.url}/api/notes/", timeout=10)
    verify_refusal(refused, jwks)
    refused.headers["Retry-After"] = "86400"  # added to a refusal that had none
    with pytest.raises(UnverifiedRefusal) as excinfo:
        verify_refusal(refused, jwks)
    assert excinfo.value.reason == "component_missing"


def test_a_retry_after_is_covered_on_a_refusal_of_a_signed_request(jwks):
    """The server key's general path (the request carried a Signature): a 503's wait is
    covered beside the request's signature, and verifies with the client."""
    factory = RequestFactory()
    signature = "sig1=:" + "A" * 86 + "==:"
    request = factory.get("/api/notes/", HTTP_SIGNATURE=signature,
                          HTTP_SIGNATURE_INPUT='sig1=("@method");keyid="key_x"')
    response = HttpResponse(b'{"code":"replay_store_unavailable"}', status=503,
                            content_type="application/json")
    response["Retry-After"] = "5"
    sign_with_server_key(request, response)
    assert response["Signature-Input"].startswith(
        'sig1=("@status" "content-type" "content-digest" "retry-after" "@method";req '
        '"@path";req "signature";req;key="sig1")'
    )
    sent = requests.Request("GET", "http://testserver/api/notes/",
                            headers={"Signature": signature}).prepare()
    answer = requests.Response()
    answer.status_code, answer.request, answer._content = 503, sent, response.content
    answer.headers = requests.structures.CaseInsensitiveDict(dict(response.items()))
    verify_refusal(answer, jwks)
    answer.headers["Retry-After"] = "3600"
    with pytest.raises(UnverifiedRefusal):
        verify_refusal(answer, jwks)


def test_head_refusal_digest_is_of_the_empty_body(live_server, jwks):
    response = requests.head(f"{live_server.url}/api/notes/", timeout=10)
    assert response.status_code == 401 and response.content == b""
    verify_refusal(response, jwks)


def test_scope_app_site_and_off(live_server, settings, jwks):
    outside = f"{live_server.url}/no-such-page/"
    assert "Signature" not in requests.get(outside, timeout=10).headers  # not the app's
    settings.SIGNED_API = {**settings.SIGNED_API, "SERVER_SIGNATURES": "site"}
    response = requests.get(outside, timeout=10)
    assert response.status_code == 404
    verify_refusal(response, jwks)
    settings.SIGNED_API = {**settings.SIGNED_API, "SERVER_SIGNATURES": None}
    assert "Signature" not in requests.get(f"{live_server.url}/api/notes/", timeout=10).headers
    settings.SIGNED_API = {**settings.SIGNED_API, "SERVER_SIGNATURES": "site",
                           "SIGN_RESPONSES": False}
    assert "Signature" not in requests.get(f"{live_server.url}/api/notes/", timeout=10).headers


def test_unsigned_refusal_is_refused_by_the_client(live_server, hmac_key, jwks, settings):
    """A server (or a proxy) that does not sign: the client raises instead of returning it."""
    key, secret = hmac_key
    settings.SIGNED_API = {**settings.SIGNED_API, "SERVER_SIGNATURES": None}
    auth = SignatureAuth(key.key_id, bytes(32), server_keys=jwks)
    with pytest.raises(UnverifiedRefusal) as excinfo:
        requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)
    assert (excinfo.value.status, excinfo.value.reason) == (401, "signature_missing")
    # Answers below 400 are not its business (verify_response is).
    ok = requests.get(f"{live_server.url}/api/notes/", auth=SignatureAuth(key.key_id, secret),
                      timeout=10)
    assert ok.status_code == 200


def test_server_keys_cache_fetches_once_and_again_for_an_unknown_kid(live_server, jwks):
    keys = ServerKeys(live_server.url, min_refresh=0)
    for _ in range(3):
        verify_refusal(requests.get(f"{live_server.url}/api/notes/", timeout=10), keys)
    assert keys.fetches == 1
    with pytest.raises(Exception, match="unknown_key|no server key"):
        keys.key("srv_0000000000000000")
    assert keys.fetches == 2  # refreshed once for the unknown kid
    pinned = ServerKeys(jwks={"keys": []})
    with pytest.raises(UnverifiedRefusal) as excinfo:
        verify_refusal(requests.get(f"{live_server.url}/api/notes/", timeout=10), pinned)
    assert excinfo.value.reason == "unknown_key" and pinned.fetches == 0


def test_sign_with_server_key_leaves_signed_and_streaming_responses_alone(rf=None):
    request = RequestFactory().get("/x")
    streaming = StreamingHttpResponse(iter([b"a"]))
    assert "Signature" not in sign_with_server_key(request, streaming)
    already = HttpResponse(b"x")
    already["Signature"] = "sig1=:AAAA:"
    assert sign_with_server_key(request, already)["Signature"] == "sig1=:AAAA:"
    fresh = sign_with_server_key(request, HttpResponse(b"x", status=503))
    assert 'keyid="srv_' in fresh["Signature-Input"]


def test_middleware_is_sync_and_async_capable(settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "SERVER_SIGNATURES": "site"}
    assert ResponseSignatureMiddleware.sync_capable and ResponseSignatureMiddleware.async_capable
    request = RequestFactory().get("/x")

    def sync_view(request):
        return HttpResponse(b"{}", status=429, content_type="application/json")

    async def async_view(request):
        return sync_view(request)

    sync_mw = ResponseSignatureMiddleware(sync_view)
    assert not iscoroutinefunction(sync_mw)
    assert "Signature" in sync_mw(request)
    async_mw = ResponseSignatureMiddleware(async_view)
    assert iscoroutinefunction(async_mw)
    response = asyncio.run(async_mw(request))
    assert response.status_code == 429 and 'keyid="srv_' in response["Signature-Input"]


@pytest.mark.parametrize(
    ("signed_api", "expected"),
    [
        ({"SERVER_SIGNATURES": "everywhere"}, ["signed_api.E030"]),
        ({"MASTER_KEYS": ["not a key"]}, ["signed_api.E031"]),
        ({"SERVER_SIGNATURES": None, "MASTER_KEYS": ["not a key"]}, []),
        ({"SERVER_SIGNATURES": "site"}, []),
        ({}, []),
    ],
)
def test_server_signature_check(signed_api, expected):
    from signed_api.checks import check_server_signatures

    with override_settings(SIGNED_API=signed_api):
        messages = check_server_signatures()
    assert [m.id for m in messages] == expected
    assert all(isinstance(m, checks.CheckMessage) for m in messages)


# -- the URLconf's own 404 under the app's prefix ------------------------------------------------
def test_a_resolver_404_under_the_apps_prefix_is_signed(live_server, hmac_key, jwks):
    """A key id the ``credential_id`` converter refuses matches no route: Django's own 404,
    outside DRF, signed because its path lies under the prefix where signed_api.urls is
    mounted (``/api/auth/``); a 404 elsewhere on the site is not the app's."""
    url = f"{live_server.url}/api/auth/keys/%01/"
    response = requests.delete(url, timeout=10)
    assert response.status_code == 404
    verify_refusal(response, jwks)
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret, server_keys=jwks)
    for answer in (requests.delete(url, auth=auth, timeout=10),  # verified, not raised
                   requests.get(f"{live_server.url}/api/auth/no-such-endpoint/", auth=auth,
                                timeout=10)):
        assert answer.status_code == 404
        verify_refusal(answer, jwks)
        assert '"signature";req;key="sig1"' in answer.headers["Signature-Input"]
    assert "Signature" not in requests.get(f"{live_server.url}/apiary/", timeout=10).headers


urlpatterns = [  # a URLconf of this module's: the app under a prefix with a converter
    route("tenant/<slug:tenant>/auth/", include("signed_api.urls")),
]


def test_the_apps_prefix_is_found_in_any_urlconf():
    factory = RequestFactory()
    with override_settings(ROOT_URLCONF=__name__):
        assert is_app_request(factory.delete("/tenant/acme/auth/keys/%01/"))
        assert is_app_request(factory.get("/tenant/acme/auth/nothing"))
        assert not is_app_request(factory.get("/tenant/a%20b/auth/keys/"))  # not a slug
        assert not is_app_request(factory.get("/api/auth/keys/x/"))  # not mounted there here
    assert is_app_request(factory.get("/api/auth/keys/%01/"))  # the example project's
    assert not is_app_request(factory.get("/no-such-page/"))


# -- answers given before the URL is resolved, and request fields no base can hold as text -------
def test_a_disallowed_host_refusal_of_an_app_view_is_signed(jwks):
    """Django refuses a Host not in ALLOWED_HOSTS in CommonMiddleware, before URL resolution:
    the 400 of ``/api/notes/`` (a view signed with SignatureAuthentication) is the app's, judged
    by the view its path resolves to, as the same 400 under ``/api/auth/`` always was; one of a
    page outside the app stays unsigned."""
    client = Client(raise_request_exception=False)
    for path in ("/api/auth/sessions/", "/api/notes/", "/api/notes/12/"):
        response = client.get(path, HTTP_HOST="evil.example")
        assert response.status_code == 400, path
        verify_refusal(_as_requests(response, "GET", "http://evil.example" + path), jwks)
    outside = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert outside.status_code == 400 and not outside.has_header("Signature")


@pytest.mark.parametrize(
    "signature",
    ['sig1=:\xe9:', 'sig1=:AAAA:, x="\xe9"', "sig1=:AAAA:\x7f", "sig1=:AA\tAA:"],
    ids=["obs-text", "obs-text-member", "del", "tab"],
)
def test_a_refusal_of_a_signature_field_no_base_can_hold_covers_it_as_bytes(signature, jwks):
    """A ``Signature`` field that does not parse is covered whole (``"signature";req``); one
    that is not printable ASCII either (obs-text, which gunicorn lets through, a DEL, a tab)
    cannot stand in a signature base as text, and used to make the refusal go out unsigned:
    it is covered as a byte sequence (``;bs``, RFC 9421 §2.1.3) and verifies."""
    response = Client().get("/api/notes/", HTTP_SIGNATURE=signature)
    assert response.status_code == 401
    assert '"signature";req;bs' in response["Signature-Input"]
    sent = _as_requests(response, "GET", "http://testserver/api/notes/",
                        {"Signature": signature})
    verify_refusal(sent, jwks)
    sent.request.headers["Signature"] = signature.replace("AA", "AB", 1) + "x"
    with pytest.raises(UnverifiedRefusal):
        verify_refusal(sent, jwks)


def test_a_refusal_of_an_ascii_signature_field_that_does_not_parse_covers_it_as_text(jwks):
    response = Client().get("/api/notes/", HTTP_SIGNATURE="sig1=(")
    assert response.status_code == 401
    assert '"signature";req)' in response["Signature-Input"]
    verify_refusal(_as_requests(response, "GET", "http://testserver/api/notes/",
                                {"Signature": "sig1=("}), jwks)


def _as_requests(response, method: str, url: str, headers=None) -> requests.Response:
    """A test client's answer as the ``requests.Response`` that ``verify_refusal`` checks."""
    answer = requests.Response()
    answer.status_code = response.status_code
    answer.headers = requests.structures.CaseInsensitiveDict(dict(response.headers))
    answer._content = response.content
    sent = requests.Request(method, url, headers=headers or {}).prepare()
    answer.request = sent
    return answer
