"""Issue 5, item 4: scopes. ``HasScope`` with a view's ``required_scopes`` answers 403
``scope_missing``; an API key carries the scopes it was created with, a session every scope.

The guarded views live in ``tests.lifecycle.urls``.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from signed_api.models import ApiKey
from signed_api.services import keys as key_services
from signed_api.services.keys import KeyError_

from .support import NOTES, assert_error, body, key_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.lifecycle.urls")]

BY_METHOD = "/scoped/by-method/"
NO_DEFAULT = "/scoped/by-method-no-default/"
LIST = "/scoped/list/"
NONE = "/scoped/none/"
ONLY_HAS_SCOPE = "/scoped/only-has-scope/"


def _client(user, scopes):
    key, secret = key_services.create_api_key(user, scopes=scopes)
    return key_client(key.key_id, secret)


def _call(client, method: str, path: str):
    return getattr(client, method.lower())(path)


def _allowed(response) -> None:
    assert response.status_code == 200, (response.status_code, response.content[:300])


def _missing(response) -> None:
    data = assert_error(response, "scope_missing", 403, exact=True)
    assert "scope" in data["detail"]


def test_a_read_key_reads_but_does_not_write(user):
    client = _client(user, ["a:read"])

    _allowed(client.get(BY_METHOD))
    _missing(client.post(BY_METHOD))


def test_a_write_key_writes_but_does_not_read(user):
    client = _client(user, ["a:write"])

    _allowed(client.post(BY_METHOD))
    _missing(client.get(BY_METHOD))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_methods_not_listed_need_the_star_scopes(user, method):
    _missing(_call(_client(user, ["a:read", "a:write"]), method, BY_METHOD))
    _allowed(_call(_client(user, ["a:admin"]), method, BY_METHOD))


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_without_a_star_entry_methods_not_listed_need_nothing(user, method):
    client = _client(user, [])
    _allowed(_call(client, method, NO_DEFAULT))
    _missing(client.post(NO_DEFAULT))


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_head_and_options_fall_back_to_get(user, method):
    _allowed(_call(_client(user, ["a:read"]), method, BY_METHOD))
    response = _call(_client(user, ["a:admin", "a:write"]), method, BY_METHOD)
    assert response.status_code == 403
    if method != "HEAD":  # a HEAD response has no body to read the code from
        _missing(response)


def test_a_list_needs_every_scope_for_every_method(user):
    _missing(_client(user, ["a:read"]).get(LIST))
    _missing(_client(user, ["b:read"]).post(LIST))
    both = _client(user, ["b:read", "a:read"])
    _allowed(both.get(LIST))
    _allowed(both.post(LIST))


def test_a_key_without_scopes_passes_only_where_none_is_needed(user):
    key, secret = ApiKey.objects.create_key(user, scopes=[])
    assert key.scopes == []
    client = key_client(key.key_id, secret)
    _allowed(client.get(NONE))
    _allowed(client.post(NONE))
    _missing(client.get(BY_METHOD))
    _missing(client.get(LIST))


def test_a_scope_is_matched_exactly(user):
    for near in (["a:READ"], ["a:rea"], ["a:read:x"], ["a"], ["*"], ["a:*"]):
        _missing(_client(user, near).get(BY_METHOD))


def test_a_session_passes_every_scope(session_signed):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        _allowed(_call(session_signed, method, BY_METHOD))
    _allowed(session_signed.get(LIST))
    assert body(session_signed.put(BY_METHOD)) == {"method": "PUT"}


def test_a_request_authenticated_another_way_is_refused(user):
    client = APIClient()
    client.force_authenticate(user)
    _missing(client.get(BY_METHOD))
    _allowed(client.get(NONE))


def test_unsigned_is_still_a_401_not_a_403(api_client):
    assert_error(api_client.get(BY_METHOD), "signature_missing", 401, exact=True)


def test_has_scope_alone_lets_a_key_with_the_scope_in(user):
    _allowed(_client(user, ["a:read"]).get(ONLY_HAS_SCOPE))
    _missing(_client(user, ["a:write"]).get(ONLY_HAS_SCOPE))


def test_has_scope_alone_answers_an_unsigned_request_with_401(api_client):
    assert_error(api_client.get(ONLY_HAS_SCOPE), "signature_missing", 401, exact=True)


def test_scopes_given_as_text_are_split_and_deduplicated(user):
    key, _secret = key_services.create_api_key(user, scopes="a:read, a:write a:read")
    assert key.scopes == ["a:read", "a:write"]
    for bad in (["a read"], [""], ["x" * 65], [3]):
        with pytest.raises(KeyError_) as failed:
            key_services.create_api_key(user, scopes=bad)
        assert failed.value.code == "invalid_scope"


def test_a_scope_change_applies_at_once_to_a_cached_key(user):
    key, secret = key_services.create_api_key(user, scopes=["a:read"])
    client = key_client(key.key_id, secret)
    _missing(client.post(BY_METHOD))  # the key is cached now

    key.scopes = ["a:read", "a:write"]
    key.save(update_fields=["scopes"])
    _allowed(client.post(BY_METHOD))

    key.scopes = []
    key.save(update_fields=["scopes"])
    _missing(client.get(BY_METHOD))


def test_the_example_notes_api_uses_notes_read_and_notes_write(user):
    reader = _client(user, ["notes:read"])
    writer = _client(user, ["notes:write"])

    _allowed(reader.get(NOTES))
    _allowed(reader.head(NOTES))
    _missing(reader.post(NOTES, {"text": "hi"}, format="json"))
    created = writer.post(NOTES, {"text": "hi"}, format="json")
    assert created.status_code == 201
    _missing(writer.get(NOTES))
    _missing(reader.delete(f"{NOTES}{body(created)['id']}/"))
    assert writer.delete(f"{NOTES}{body(created)['id']}/").status_code == 204


def test_a_key_created_without_scopes_gets_the_default_scopes(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "DEFAULT_KEY_SCOPES": ["a:read"]}
    key, secret = key_services.create_api_key(user)
    assert key.scopes == ["a:read"]
    client = key_client(key.key_id, secret)
    _allowed(client.get(BY_METHOD))
    _missing(client.post(BY_METHOD))
    given, _ = key_services.create_api_key(user, scopes=["a:write"])
    assert given.scopes == ["a:write"]
