"""Failed logins: one answer for every wrong credential, Django's signals, 400s for bad bodies,
and an unknown username that costs as much time as a wrong password."""

from __future__ import annotations

import statistics
import time

import pytest
from django.conf import global_settings
from django.contrib.auth import user_logged_in, user_login_failed
from django.contrib.auth.backends import ModelBackend
from django.test import override_settings

from signed_api.models import Session
from tests.accounts import PASSWORD

from .support import SESSIONS, assert_error, body, post_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received():
    """Every ``user_logged_in`` / ``user_login_failed`` sent during the test."""
    events: list[tuple[str, dict]] = []

    def on_failed(sender, credentials, request=None, **kwargs):
        events.append(("failed", {"credentials": credentials, "request": request}))

    def on_logged_in(sender, user, request=None, **kwargs):
        events.append(("logged_in", {"user": user, "request": request}))

    user_login_failed.connect(on_failed, dispatch_uid="tests.sessions.failed")
    user_logged_in.connect(on_logged_in, dispatch_uid="tests.sessions.logged_in")
    yield events
    user_login_failed.disconnect(dispatch_uid="tests.sessions.failed")
    user_logged_in.disconnect(dispatch_uid="tests.sessions.logged_in")


# -- one answer for every wrong credential -----------------------------------------------------
def test_wrong_password_unknown_user_and_inactive_user_get_the_same_401(user, django_user_model):
    django_user_model.objects.create_user("carol", password=PASSWORD, is_active=False)

    wrong = post_login(username="alice", password="not it")
    unknown = post_login(username="nobody", password=PASSWORD)
    inactive = post_login(username="carol", password=PASSWORD)

    first = assert_error(wrong, "invalid_credentials", exact=True)
    assert body(unknown) == first
    assert body(inactive) == first
    for response in (unknown, inactive):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == wrong["WWW-Authenticate"]
    assert not Session.objects.exists()


@override_settings(
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.AllowAllUsersModelBackend"]
)
def test_an_inactive_user_is_refused_even_by_a_backend_that_lets_them_authenticate(
    django_user_model,
):
    django_user_model.objects.create_user("carol", password=PASSWORD, is_active=False)
    assert_error(post_login(username="carol", password=PASSWORD), "invalid_credentials")
    assert not Session.objects.exists()


class OnlyDaveBackend(ModelBackend):
    """A custom backend: dave logs in with a one-word password that is not his stored one."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username == "dave" and password == "open sesame":
            return self._default_manager().get(username="dave")
        return None

    @staticmethod
    def _default_manager():
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager


@override_settings(
    AUTHENTICATION_BACKENDS=[
        f"{__name__}.OnlyDaveBackend", *global_settings.AUTHENTICATION_BACKENDS
    ]
)
def test_credentials_are_checked_by_every_configured_backend(django_user_model):
    dave = django_user_model.objects.create_user("dave", password="stored password")
    response = post_login(username="dave", password="open sesame")
    assert response.status_code == 201, response.content
    assert Session.objects.get(key_id=body(response)["id"]).user == dave


# -- Django's signals --------------------------------------------------------------------------
def test_user_login_failed_is_sent_for_a_wrong_password_and_an_unknown_user(user, received):
    post_login(username="alice", password="not it")
    post_login(username="nobody", password="whatever")

    failures = [data for kind, data in received if kind == "failed"]
    assert [f["credentials"]["username"] for f in failures] == ["alice", "nobody"]
    for failure in failures:
        assert failure["credentials"]["password"] != "not it"  # Django cleanses it
        assert failure["request"] is not None
    assert not [kind for kind, _ in received if kind == "logged_in"]


def test_user_logged_in_is_sent_once_for_a_successful_login(user, received):
    response = post_login(username="alice", password=PASSWORD)
    assert response.status_code == 201
    assert [kind for kind, _ in received] == ["logged_in"]
    assert received[0][1]["user"] == user
    assert received[0][1]["request"] is not None


# -- malformed bodies --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"username": "alice"}, {"password"}),
        ({"password": PASSWORD}, {"username"}),
        ({}, {"username", "password"}),
        ({"username": "alice", "password": ""}, {"password"}),
        ({"username": "alice", "password": PASSWORD, "remember": "maybe"}, {"remember"}),
        ({"username": "alice", "password": PASSWORD, "remember": 2}, {"remember"}),
        ({"username": "alice", "password": PASSWORD, "remember": []}, {"remember"}),
        ({"username": "a" * 151, "password": PASSWORD}, {"username"}),
        ({"username": "alice", "password": "p" * 4097}, {"password"}),
        ({"username": ["alice"], "password": PASSWORD}, {"username"}),
        ({"username": "ali\x00ce", "password": PASSWORD}, {"username"}),
        ({"username": "alice", "password": PASSWORD, "device_name": "d" * 101}, {"device_name"}),
        ({"remember_token": "r" * 201}, {"remember_token"}),
        ({"username": "alice", "password": PASSWORD, "remember_token": "rmb_x_y"},
         {"non_field_errors"}),
        ({"password": PASSWORD, "remember_token": "rmb_x_y"}, {"non_field_errors"}),
    ],
    ids=[
        "no-password", "no-username", "empty", "blank-password", "remember-string",
        "remember-int", "remember-list", "username-too-long", "password-too-long",
        "username-list", "username-nul", "device-name-too-long", "remember-token-too-long",
        "credentials-and-remember-token", "password-and-remember-token",
    ],
)
def test_malformed_login_bodies_are_400_with_field_errors(user, api_client, payload, fields):
    response = api_client.post(SESSIONS, payload, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    answer = body(response)
    assert answer["code"] == "invalid_request" and isinstance(answer["detail"], str), answer
    errors = answer["errors"]
    assert set(errors) == fields, errors
    for name in fields:
        assert isinstance(errors[name], list)
        assert errors[name]
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "raw", [b"{nope", b"", b"[]", b'"alice"', b"null", b"\xff\xfe"], ids=repr
)
def test_a_body_that_is_not_a_json_object_is_400_not_500(user, api_client, raw):
    response = api_client.generic("POST", SESSIONS, raw, content_type="application/json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert body(response)


def test_a_body_in_a_content_type_we_do_not_parse_is_415(user, api_client):
    response = api_client.generic(
        "POST", SESSIONS, b"username=alice", content_type="text/plain"
    )
    assert response.status_code == 415


# -- timing ------------------------------------------------------------------------------------
def test_an_unknown_username_takes_about_as_long_as_a_wrong_password(django_user_model, settings):
    """With Django's real password hashers (the suite's fast MD5 would hide the difference)."""
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "LOGIN_FAILURES_PER_USERNAME": 1000,
        "LOGIN_FAILURES_PER_ADDRESS": 1000,
    }
    with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
        django_user_model.objects.create_user("alice", password=PASSWORD)

        def timed(username: str) -> float:
            started = time.perf_counter()
            response = post_login(username=username, password="wrong password")
            elapsed = time.perf_counter() - started
            assert response.status_code == 401
            return elapsed

        timed("alice"), timed("nobody")  # warm up both paths
        unknown, wrong = [], []
        for _ in range(5):  # interleaved, so drift hits both alike
            unknown.append(timed("nobody"))
            wrong.append(timed("alice"))

    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2.0, (unknown, wrong)
