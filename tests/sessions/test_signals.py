"""signed_api's own signals: session_created (with how), session_revoked, second_factor_failed."""

from __future__ import annotations

import pytest

from signed_api import signals
from signed_api.models import LoginChallenge, Session
from tests.accounts import PASSWORD

from .support import (
    body,
    detail_url,
    enrol,
    fresh_code,
    login,
    post_login,
    second_factor_login,
    session_client,
    verify,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def events():
    """``(signal name, kwargs)`` of every signed_api signal sent during the test."""
    seen: list[tuple[str, dict]] = []
    names = ["session_created", "session_revoked", "second_factor_failed"]
    receivers = {}
    for name in names:
        def receiver(sender, _name=name, **kwargs):
            seen.append((_name, {"sender": sender, **kwargs}))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver, dispatch_uid=f"tests.sessions.{name}")
    yield seen
    for name in names:
        getattr(signals, name).disconnect(dispatch_uid=f"tests.sessions.{name}")


def test_session_created_says_how(user, events):
    first = login("alice", PASSWORD, remember=True)
    post_login(remember_token=first["remember_token"])
    authenticator, _codes = enrol(session_client(first))
    events.clear()
    _p, answer = second_factor_login("alice", PASSWORD, fresh_code(authenticator, user))
    assert answer.status_code == 201

    created = [kw for name, kw in events if name == "session_created"]
    assert [kw["via"] for kw in created] == ["second_factor"]
    assert created[0]["user"] == user
    assert created[0]["session"].key_id == body(answer)["id"]
    assert created[0]["sender"] is Session


def test_session_created_via_password_and_remember_token(user, events):
    first = login("alice", PASSWORD, remember=True)
    second = body(post_login(remember_token=first["remember_token"]))
    created = [
        (kw["via"], kw["session"].key_id) for name, kw in events if name == "session_created"
    ]
    assert created == [("password", first["id"]), ("remember_token", second["id"])]


def test_session_revoked_is_sent_on_logout(user, events):
    data = login("alice", PASSWORD)
    assert session_client(data).delete(detail_url(data["id"])).status_code == 204
    revoked = [kw for name, kw in events if name == "session_revoked"]
    assert [(kw["user"], kw["session"].key_id) for kw in revoked] == [(user, data["id"])]


def test_second_factor_failed_is_sent_for_each_wrong_code(user, events):
    authenticator, _codes = enrol(session_client(login("alice", PASSWORD)))
    pending = body(post_login(username="alice", password=PASSWORD))
    events.clear()
    for _ in range(3):
        verify(pending, wrong_code(authenticator))
    failed = [kw for name, kw in events if name == "second_factor_failed"]
    assert len(failed) == 3
    assert all(kw["user"] == user and kw["request"] is not None for kw in failed)
    assert all(kw["sender"] is LoginChallenge for kw in failed)
    assert not [name for name, _ in events if name == "session_created"]
