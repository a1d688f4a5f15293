"""The example notes API needs notes:read to read and notes:write to change (issue 5)."""

from __future__ import annotations

import pytest

from signed_api.models import ApiKey
from signed_api.services.sessions import ClientInfo, create_session
from signed_api.test import SignedAPIClient

pytestmark = pytest.mark.django_db

NOTES = "/api/notes/"


def _client(user, scopes):
    key, secret = ApiKey.objects.create_key(user, scopes=scopes)
    return SignedAPIClient(key_id=key.key_id, key=secret)


@pytest.mark.parametrize(
    ("scopes", "read", "write"),
    [
        (["notes:read"], 200, 403),
        (["notes:write"], 403, 201),
        (["notes:read", "notes:write"], 200, 201),
        ([], 403, 403),
        (["other:read"], 403, 403),
    ],
)
def test_api_key_scopes(user, scopes, read, write):
    client = _client(user, scopes)
    got = client.get(NOTES)
    assert got.status_code == read
    posted = client.post(NOTES, {"text": "x"}, format="json")
    assert posted.status_code == write
    for response in (got, posted):
        if response.status_code == 403:
            assert response.json()["code"] == "scope_missing"
            assert "Accept-Signature" not in response  # authenticated: not a 401


def test_a_session_carries_every_scope(user):
    issued = create_session(user, ClientInfo("127.0.0.1", "t", "t"), via="tests")
    client = SignedAPIClient(key_id=issued.session.key_id, key=issued.secret)
    assert client.post(NOTES, {"text": "x"}, format="json").status_code == 201
    assert client.get(NOTES).status_code == 200


def test_default_key_scopes_apply_only_when_none_are_given(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "DEFAULT_KEY_SCOPES": ["notes:read"]}
    key, _ = ApiKey.objects.create_key(user)
    assert key.scopes == ["notes:read"]
    key, _ = ApiKey.objects.create_key(user, scopes=["notes:write"])
    assert key.scopes == ["notes:write"]


def test_a_django_session_is_told_it_carries_no_scope(user):
    """A project that keeps DRF's SessionAuthentication (this suite's settings do): the admin's
    cookie authenticates, but carries no scope, and is told so rather than called a key."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    response = client.get(NOTES)
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert "authenticated another way" in response.json()["detail"]
    assert "key lacks" not in response.json()["detail"]


def test_the_example_project_takes_signed_requests_only():
    """Its settings say a Django session reaches no view of it: so none is authenticated."""
    import example_project.settings as example

    assert example.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "signed_api.authentication.SignatureAuthentication"
    ]
