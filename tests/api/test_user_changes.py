"""A change to a user reaches every credential of theirs, sessions included, at once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from signed_api import credentials
from signed_api.models import EnrollmentKey, Session
from signed_api.services import keys as key_services
from signed_api.services.sessions import ClientInfo, create_session
from signed_api.test import SignedAPIClient

pytestmark = pytest.mark.django_db(transaction=True)

NOTES = "/api/notes/"


def _session_client(user):
    issued = create_session(user, ClientInfo("127.0.0.1", "tests", "tests"), via="tests")
    return issued.session, SignedAPIClient(key_id=issued.session.key_id, key=issued.secret)


def test_deactivating_the_user_stops_a_cached_session(user):
    session, client = _session_client(user)
    assert client.get(NOTES).status_code == 200  # cached now
    user.is_active = False
    user.save()
    response = client.get(NOTES)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_deleting_a_session_refuses_it_at_once(user):
    session, client = _session_client(user)
    assert client.get(NOTES).status_code == 200
    Session.objects.filter(pk=session.pk).delete()
    assert credentials.key_cache.get(session.key_id) is None
    response = client.get(NOTES)
    assert response.status_code == 401
    assert response.json()["code"] == "unknown_key"


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_an_enrollment_key_cannot_mint_keys_for_staff(flag):
    admin = get_user_model().objects.create_user("root", password="x-unused-1", **{flag: True})
    enrollment, _secret = key_services.create_enrollment_key(uses=2)
    with pytest.raises(key_services.KeyError_) as refused:
        key_services.enroll(enrollment, username=admin.username)
    assert refused.value.code == "staff_not_enrollable"
    assert EnrollmentKey.objects.get(pk=enrollment.pk).uses_left == 2  # the use is not spent
    assert not admin.signed_api_keys.exists()


def test_deactivating_suspends_and_the_documented_ending_survives_reactivation(user):
    """docs/django.md: deactivating refuses everything of the user but ends nothing, so
    reactivating brings it back; after a compromise the documented snippet ends it for good."""
    from signed_api.models import ApiKey
    from signed_api.services.endings import end_sessions_of

    _session, session_client = _session_client(user)
    key, secret = ApiKey.objects.create_key(user, scopes=["notes:read"])
    key_client = SignedAPIClient(key_id=key.key_id, key=secret)
    for client in (session_client, key_client):
        assert client.get(NOTES).status_code == 200

    user.is_active = False
    user.save()
    for client in (session_client, key_client):
        assert client.get(NOTES).json()["code"] == "user_inactive"
    user.is_active = True
    user.save()
    for client in (session_client, key_client):
        assert client.get(NOTES).status_code == 200  # a suspension, lifted

    user.is_active = False
    user.save()
    for active in ApiKey.objects.for_user(user).active():
        active.revoke()
    end_sessions_of(user, reason="account_compromised")
    user.is_active = True
    user.save()
    for client in (session_client, key_client):
        assert client.get(NOTES).json()["code"] == "key_revoked"
