"""``signed_api.views.exception_handler``: the error body for views that accept signatures, and only
for them. ``Accept-Signature`` goes on 401s of views using ``SignatureAuthentication``; other
views' 401s and every 403 keep DRF's behaviour."""

from __future__ import annotations

import http_sf
import pytest
from rest_framework import exceptions

from signed_api.client import SignatureAuth
from signed_api.views import exception_handler
from tests.api.support import NOTES, signed_meta
from tests.http import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


@pytest.mark.parametrize(
    ("path", "challenge"),
    [("/test/token-only/", "Token"), ("/test/basic-only/", 'Basic realm="api"')],
)
def test_401_of_a_view_without_signatures_has_no_accept_signature(api_client, path, challenge):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == challenge
    assert not response.has_header("Accept-Signature")
    assert "code" not in response.json()  # DRF's body, untouched


def test_failed_token_on_a_view_without_signatures_has_no_accept_signature(api_client):
    response = api_client.get("/test/token-only/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert not response.has_header("Accept-Signature")


def test_401_of_a_view_that_also_accepts_signatures_has_accept_signature(api_client):
    response = api_client.get("/test/token-then-signature/")
    assert response.status_code == 401
    assert response.has_header("Accept-Signature")
    assert response.json() == {
        "detail": response.json()["detail"], "code": "signature_missing"
    }


def test_signed_request_on_a_view_that_also_accepts_signatures(signed_client):
    assert signed_client.get("/test/token-then-signature/").status_code == 200


def test_403_of_a_signature_view_has_no_accept_signature(signed_client, api_client):
    forbidden = signed_client.get("/test/signed-forbidden/")
    assert forbidden.status_code == 403
    assert not forbidden.has_header("Accept-Signature")
    # Unsigned, the same view is a 401 with the challenge.
    assert_error(
        api_client.get("/test/signed-forbidden/"), "signature_missing",
        exact=True, accept_signature=True
    )


def test_404_and_405_of_a_signature_view_have_no_accept_signature(signed_client):
    assert not signed_client.get(f"{NOTES}999999/").has_header("Accept-Signature")
    response = signed_client.put(NOTES, {}, format="json")
    assert response.status_code == 405
    assert not response.has_header("Accept-Signature")


def test_open_view_is_untouched(api_client):
    response = api_client.get("/api/")
    assert response.status_code == 200
    assert not response.has_header("Accept-Signature")


def test_refused_signature_has_accept_signature(api_client, hmac_key):
    key, _ = hmac_key
    meta = signed_meta(SignatureAuth(key.key_id, b"w" * 32), "GET", "http://testserver" + NOTES)
    assert_error(
        api_client.get(NOTES, **meta), "signature_invalid", exact=True, accept_signature=True
    )


def test_handler_without_a_view_is_drf_s():
    response = exception_handler(exceptions.NotAuthenticated(), {})
    assert response.status_code == 401
    assert not response.has_header("Accept-Signature")
    assert exception_handler(ValueError("not an API exception"), {}) is None


# -- what Accept-Signature says --------------------------------------------------------------


def _accept_signature(api_client) -> tuple[str, list, dict]:
    value = api_client.get(NOTES)["Accept-Signature"]
    parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    assert len(parsed) == 1
    label, (items, params) = next(iter(parsed.items()))
    return label, [item for item, _ in items], params


def test_accept_signature_is_an_rfc_9421_request_for_the_profile(api_client):
    label, components, params = _accept_signature(api_client)
    assert label == "sig1"
    assert components[:4] == ["@method", "@authority", "@path", "@query"]
    assert "content-digest" in components
    assert {"created", "nonce", "keyid"} <= set(params)


def test_accept_signature_follows_the_settings(settings, api_client):
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "REQUIRE_NONCE": False,
        "SIGNATURE_TAG": "notes-app",
        "SIGNATURE_LABEL": "app",
        "REQUIRED_COMPONENTS": ("@method", "@authority", "@path", "@query", "content-type"),
    }
    label, components, params = _accept_signature(api_client)
    assert label == "app"
    assert "content-type" in components
    assert "nonce" not in params
    assert params["tag"] == "notes-app"
