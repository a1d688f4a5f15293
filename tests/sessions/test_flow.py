"""The whole session flow over HTTP (docs/sessions.md): log in, sign requests, list, end, expire."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from example_project.notes.models import Note
from signed_api.client import decode_secret
from signed_api.conf import signed_api_settings
from signed_api.models import ApiKey, Session
from signed_api.test import SignedAPIClient
from tests.accounts import OTHER_PASSWORD, PASSWORD

from .support import (
    NOTES,
    SESSION_KEYS,
    SESSIONS,
    assert_error,
    body,
    detail_url,
    login,
    post_login,
    session_client,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _past(seconds: int = 1):
    return timezone.now() - timedelta(seconds=seconds)


# -- the 201 -----------------------------------------------------------------------------------
def test_login_answers_201_with_a_session_that_is_stored_and_not_cached_by_proxies(user):
    before = timezone.now()
    response = post_login(username="alice", password=PASSWORD, device_name="laptop")
    after = timezone.now()

    assert response.status_code == 201, response.content
    data = body(response)
    assert set(data) == SESSION_KEYS
    assert data["id"].startswith("ses_")
    assert len(decode_secret(data["secret"])) == 32
    assert "=" not in data["secret"]
    assert data["algorithm"] == "hmac-sha256"
    assert data["idle_timeout"] == signed_api_settings.SESSION_IDLE_TIMEOUT
    absolute = timedelta(seconds=signed_api_settings.SESSION_ABSOLUTE_TIMEOUT)
    expires_at = datetime.fromisoformat(data["expires_at"])
    assert before + absolute <= expires_at <= after + absolute
    assert response["Location"] == detail_url(data["id"])
    assert "no-store" in response["Cache-Control"]

    stored = Session.objects.get(key_id=data["id"])
    assert stored.user == user
    assert stored.device_name == "laptop"
    assert stored.client_address == "127.0.0.1"
    assert stored.revoked_at is None


def test_a_session_signs_requests_like_an_api_key_and_acts_as_its_user(user, other_user):
    Note.objects.create(owner=other_user, text="bob's")
    signed = session_client(login("alice", PASSWORD))

    created = signed.post(NOTES, {"text": "written with a session"}, format="json")
    assert created.status_code == 201, created.content
    assert Note.objects.get(pk=body(created)["id"]).owner == user

    listed = signed.get(NOTES)
    assert listed.status_code == 200
    assert [n["text"] for n in body(listed)] == ["written with a session"]


def test_unsigned_and_wrongly_signed_requests_are_refused(user):
    data = login("alice", PASSWORD)
    assert session_client(data).get(NOTES).status_code == 200
    wrong_secret = SignedAPIClient(key_id=data["id"], key=b"\0" * 32)
    assert_error(wrong_secret.get(NOTES), "signature_invalid")
    unknown = SignedAPIClient(key_id="ses_" + "A" * 24, key=decode_secret(data["secret"]))
    assert_error(unknown.get(NOTES), "unknown_key")


# -- GET sessions/ -----------------------------------------------------------------------------
def test_list_shows_only_the_callers_live_sessions_and_marks_the_current_one(user, other_user):
    mine = login("alice", PASSWORD, device_name="laptop")
    phone = login("alice", PASSWORD, device_name="phone")
    revoked = login("alice", PASSWORD)
    idle = login("alice", PASSWORD)
    old = login("alice", PASSWORD)
    bobs = login("bob", OTHER_PASSWORD)
    Session.objects.filter(key_id=revoked["id"]).update(revoked_at=_past())
    Session.objects.filter(key_id=idle["id"]).update(idle_expires_at=_past())
    Session.objects.filter(key_id=old["id"]).update(expires_at=_past())

    response = session_client(mine).get(SESSIONS)

    assert response.status_code == 200, response.content
    listed = {s["id"]: s for s in body(response)}
    assert set(listed) == {mine["id"], phone["id"]}
    assert listed[mine["id"]]["current"] is True
    assert listed[phone["id"]]["current"] is False
    assert listed[phone["id"]]["device_name"] == "phone"
    assert "secret" not in listed[mine["id"]]
    assert "secret_encrypted" not in listed[mine["id"]]
    # And bob sees only his.
    assert [s["id"] for s in body(session_client(bobs).get(SESSIONS))] == [bobs["id"]]


def test_list_signed_with_an_api_key_is_session_required(user):
    """An API key (even one with every notes scope) cannot see its owner's sessions; the
    session that signs is the one marked current."""
    mine = login("alice", PASSWORD)
    key, secret = ApiKey.objects.create_key(user, scopes=["notes:read", "notes:write"])
    response = SignedAPIClient(key_id=key.key_id, key=secret).get(SESSIONS)
    assert_error(response, "session_required", 403)
    listed = body(session_client(mine).get(SESSIONS))
    assert [(s["id"], s["current"]) for s in listed] == [(mine["id"], True)]


def test_list_needs_a_signature(user, api_client):
    response = api_client.get(SESSIONS)
    assert response.status_code == 401
    assert body(response)["code"] == "signature_missing"


# -- DELETE sessions/{id}/ ---------------------------------------------------------------------
def test_logout_is_204_and_the_key_is_refused_at_once_even_when_cached(user):
    data = login("alice", PASSWORD)
    signed = session_client(data)
    assert signed.get(NOTES).status_code == 200  # now cached in this process

    response = signed.delete(detail_url(data["id"]))

    assert response.status_code == 204, response.content
    assert_error(signed.get(NOTES), "key_revoked")
    assert_error(signed.get(SESSIONS), "key_revoked")
    assert Session.objects.get(key_id=data["id"]).revoked_at is not None


def test_ending_another_of_my_sessions_leaves_the_current_one_working(user):
    laptop, phone = login("alice", PASSWORD), login("alice", PASSWORD)
    laptop_client, phone_client = session_client(laptop), session_client(phone)
    assert phone_client.get(NOTES).status_code == 200

    assert laptop_client.delete(detail_url(phone["id"])).status_code == 204

    assert_error(phone_client.get(NOTES), "key_revoked")
    assert laptop_client.get(NOTES).status_code == 200
    assert [s["id"] for s in body(laptop_client.get(SESSIONS))] == [laptop["id"]]


def test_another_users_session_is_404_and_keeps_working(user, other_user):
    mine, bobs = login("alice", PASSWORD), login("bob", OTHER_PASSWORD)
    bob_client = session_client(bobs)
    assert bob_client.get(NOTES).status_code == 200

    response = session_client(mine).delete(detail_url(bobs["id"]))

    assert response.status_code == 404
    assert bob_client.get(NOTES).status_code == 200
    assert Session.objects.get(key_id=bobs["id"]).revoked_at is None


@pytest.mark.parametrize("target", ["ses_doesnotexist", "already-ended"])
def test_deleting_an_unknown_or_ended_session_is_404(user, target):
    mine = login("alice", PASSWORD)
    if target == "already-ended":
        ended = login("alice", PASSWORD)
        assert session_client(ended).delete(detail_url(ended["id"])).status_code == 204
        target = ended["id"]
    assert session_client(mine).delete(detail_url(target)).status_code == 404


def test_logout_needs_a_signature(user, api_client):
    data = login("alice", PASSWORD)
    assert api_client.delete(detail_url(data["id"])).status_code == 401
    assert session_client(data).get(NOTES).status_code == 200


# -- timeouts ----------------------------------------------------------------------------------
@pytest.mark.parametrize("column", ["idle_expires_at", "expires_at"])
def test_a_session_past_a_deadline_in_the_database_is_session_expired(user, column):
    """Never used (nothing cached): the deadline is read from the database."""
    data = login("alice", PASSWORD)
    Session.objects.filter(key_id=data["id"]).update(**{column: _past()})
    assert_error(session_client(data).get(NOTES), "session_expired")
    assert data["id"] not in {s.key_id for s in Session.objects.live()}


@pytest.mark.parametrize("column", ["idle_expires_at", "expires_at"])
def test_a_cached_session_past_its_deadline_is_session_expired(user, settings, column):
    """Used (so cached in this process), then its deadline passes for real.

    The deadline is a couple of seconds so that the cached copy itself sees it pass; the
    database is moved into the past too, so the re-read the code does on expiry finds it
    ended, whichever way last_seen_at was written meanwhile.
    """
    timeout = 2
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "SESSION_IDLE_TIMEOUT" if column == "idle_expires_at" else "SESSION_ABSOLUTE_TIMEOUT":
            timeout,
    }
    data = login("alice", PASSWORD)
    signed = session_client(data)
    assert signed.get(NOTES).status_code == 200

    time.sleep(timeout + 0.2)
    Session.objects.filter(key_id=data["id"]).update(**{column: _past()})

    assert_error(signed.get(NOTES), "session_expired")
    assert_error(signed.get(NOTES), "session_expired")


def test_a_session_in_use_outlives_its_idle_timeout_but_not_its_absolute_one(user, settings):
    """Each use moves the idle deadline; the cached copy re-reads it instead of refusing, and
    the absolute deadline still ends the session."""
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "SESSION_IDLE_TIMEOUT": 2,
        "SESSION_ABSOLUTE_TIMEOUT": 5,
        "LAST_USED_INTERVAL": 0,
    }
    data = login("alice", PASSWORD)
    signed = session_client(data)
    started = time.monotonic()
    while time.monotonic() - started < 3.5:  # well past the first idle deadline
        assert signed.get(NOTES).status_code == 200
        time.sleep(0.5)
    time.sleep(max(0.0, 5.3 - (time.monotonic() - started)))
    assert_error(signed.get(NOTES), "session_expired")


def test_an_idle_cached_session_is_refused_once_its_idle_deadline_passes(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "SESSION_IDLE_TIMEOUT": 2}
    data = login("alice", PASSWORD)
    signed = session_client(data)
    assert signed.get(NOTES).status_code == 200
    time.sleep(2.3)  # nothing moved in the database: time alone ends it
    assert_error(signed.get(NOTES), "session_expired")


def _updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_last_seen_moves_forward_at_most_once_per_interval(user):
    interval = signed_api_settings.LAST_USED_INTERVAL
    data = login("alice", PASSWORD)
    signed = session_client(data)
    long_ago = timezone.now() - timedelta(seconds=3 * interval)
    Session.objects.filter(key_id=data["id"]).update(last_seen_at=long_ago)

    before = timezone.now()
    with CaptureQueriesContext(connection) as first:
        assert signed.get(NOTES).status_code == 200
    touched = Session.objects.get(key_id=data["id"])
    assert touched.last_seen_at >= before
    idle = timedelta(seconds=touched.idle_timeout)
    assert touched.idle_expires_at == touched.last_seen_at + idle
    assert len(_updates(first.captured_queries)) == 1

    with CaptureQueriesContext(connection) as rest:
        for _ in range(5):
            assert signed.get(NOTES).status_code == 200
    assert _updates(rest.captured_queries) == []
    assert Session.objects.get(key_id=data["id"]).last_seen_at == touched.last_seen_at


def test_last_seen_moves_again_after_the_interval(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "LAST_USED_INTERVAL": 1}
    data = login("alice", PASSWORD)
    signed = session_client(data)
    created = Session.objects.get(key_id=data["id"]).last_seen_at

    assert signed.get(NOTES).status_code == 200
    assert Session.objects.get(key_id=data["id"]).last_seen_at == created  # just created

    time.sleep(1.2)
    assert signed.get(NOTES).status_code == 200
    first_move = Session.objects.get(key_id=data["id"]).last_seen_at
    assert first_move > created

    assert signed.get(NOTES).status_code == 200
    assert Session.objects.get(key_id=data["id"]).last_seen_at == first_move


# -- the owner's account -----------------------------------------------------------------------
def test_a_session_of_a_deactivated_user_is_refused(user):
    data = login("alice", PASSWORD)
    user.is_active = False
    user.save()
    assert_error(session_client(data).get(NOTES), "user_inactive")


def test_a_cached_session_of_a_deactivated_user_is_refused_at_once(user):
    data = login("alice", PASSWORD)
    signed = session_client(data)
    assert signed.get(NOTES).status_code == 200  # cached in this process

    user.is_active = False
    user.save()

    assert_error(signed.get(NOTES), "user_inactive")


def test_a_cached_session_whose_row_is_deleted_is_refused_at_once(user):
    data = login("alice", PASSWORD)
    signed = session_client(data)
    assert signed.get(NOTES).status_code == 200

    Session.objects.filter(key_id=data["id"]).delete()

    assert_error(signed.get(NOTES), "unknown_key")


def test_a_cached_session_of_a_deleted_user_is_refused_at_once(user):
    data = login("alice", PASSWORD)
    signed = session_client(data)
    assert signed.get(NOTES).status_code == 200

    user.delete()

    assert_error(signed.get(NOTES), "unknown_key")


def test_a_deleted_session_never_used_before_is_unknown_key(user):
    data = login("alice", PASSWORD)
    Session.objects.filter(key_id=data["id"]).delete()
    assert_error(session_client(data).get(NOTES), "unknown_key")
