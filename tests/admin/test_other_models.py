"""Sessions, remember-me families, TOTP devices, enrollment keys and the audit log in the admin."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import RequestFactory

from signed_api.models import (
    EnrollmentKey,
    RecoveryCode,
    RememberFamily,
    SecurityEvent,
    Session,
    TOTPDevice,
)
from signed_api.services import keys, second_factor, sessions
from signed_api.state import keyring
from signed_api.test import SignedAPIClient
from tests.accounts import PASSWORD
from tests.admin.support import NOTES, body, html, run_action, shown_secrets, spellings, url

pytestmark = pytest.mark.django_db(transaction=True)


def _request():
    return RequestFactory().post("/api/auth/sessions/", REMOTE_ADDR="192.0.2.7",
                                 HTTP_USER_AGENT="pytest")


def _admin_actions(action: str) -> list[SecurityEvent]:
    return [event for event in SecurityEvent.objects.filter(kind=SecurityEvent.ADMIN_ACTION)
            if event.detail.get("action") == action]


def _login(username="alice", password=PASSWORD, remember=False):
    return sessions.login_with_password(_request(), username, password, remember=remember,
                                        device_name="laptop")


# -- sessions ------------------------------------------------------------------------------------
def test_session_list_and_revoke(admin_client, admin_user, user):
    issued = _login()
    session = issued.session
    signer = SignedAPIClient(key_id=session.key_id, key=issued.secret)
    assert signer.get(NOTES).status_code == 200

    page = html(admin_client.get(url(Session, "changelist")))
    for heading in ("Session id", "User", "Device", "Client address", "Created", "Last seen",
                    "Absolute expiry", "Revoked"):
        assert heading in page
    assert session.key_id in page and "laptop" in page and "192.0.2.7" in page
    assert admin_client.get(url(Session, "add")).status_code == 403
    change = html(admin_client.get(url(Session, "change", session.pk)))
    assert 'name="_save"' not in change

    assert "Yes, revoke" in html(run_action(admin_client, Session, "revoke_sessions", [session]))
    session.refresh_from_db()
    assert session.revoked_at is None
    done = run_action(admin_client, Session, "revoke_sessions", [session], confirm=True)
    assert "Revoked 1 session" in html(done)
    session.refresh_from_db()
    assert session.revoked_at is not None
    refused = signer.get(NOTES)
    assert refused.status_code == 401 and body(refused)["code"] == "key_revoked"
    [action] = _admin_actions("revoke_session")
    assert action.key_id == session.key_id and action.detail["by"] == admin_user.username
    assert SecurityEvent.objects.filter(kind=SecurityEvent.SESSION_REVOKED).exists()
    live = html(admin_client.get(url(Session, "changelist") + "?state=live"))
    assert session.key_id not in live


# -- remember-me families --------------------------------------------------------------------------
def test_remember_family_revoke_ends_its_tokens_and_sessions(admin_client, user):
    issued = _login(remember=True)
    family = RememberFamily.objects.get()
    page = html(admin_client.get(url(RememberFamily, "changelist")))
    assert "alice" in page and "laptop" in page
    assert admin_client.get(url(RememberFamily, "add")).status_code == 403

    run_action(admin_client, RememberFamily, "revoke_families", [family], confirm=True)
    family.refresh_from_db()
    assert family.revoked_at is not None and family.revoked_reason == "admin"
    assert not Session.objects.live().filter(pk=issued.session.pk).exists()
    with pytest.raises(sessions.FlowError) as refused:
        sessions.login_with_remember_token(_request(), issued.remember_token)
    assert refused.value.code == "remember_token_invalid"
    assert len(_admin_actions("revoke_remember_family")) == 1


# -- TOTP devices ----------------------------------------------------------------------------------
def test_totp_reset(admin_client, user):
    uri, _ = second_factor.begin_enrolment(user)
    seed = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    second_factor.confirm_enrolment(user, pyotp.TOTP(seed).now())
    device = TOTPDevice.objects.get(user=user)
    assert isinstance(_login(), sessions.PendingChallenge)

    page = html(admin_client.get(url(TOTPDevice, "changelist")))
    assert "alice" in page and seed not in page
    assert admin_client.get(url(TOTPDevice, "add")).status_code == 403
    assert "Yes, reset" in html(run_action(admin_client, TOTPDevice, "reset_devices", [device]))
    run_action(admin_client, TOTPDevice, "reset_devices", [device], confirm=True)

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert isinstance(_login(), sessions.IssuedSession)  # password alone again
    assert len(_admin_actions("reset_second_factor")) == 1
    assert SecurityEvent.objects.filter(kind="totp_disabled").exists()


# -- enrollment keys -------------------------------------------------------------------------------
def test_enrollment_key_add_shows_the_secret_once_and_revoke(admin_client, admin_user):
    response = admin_client.post(url(EnrollmentKey, "add"), {
        "name": "workshop", "uses_left": "3", "expires_at_0": "", "expires_at_1": "",
        "_save": "Save",
    }, follow=True)
    assert response.status_code == 200
    [text] = shown_secrets(response)
    enrollment = EnrollmentKey.objects.get(name="workshop")
    assert enrollment.uses_left == enrollment.uses_total == 3
    assert enrollment.created_by == admin_user
    from signed_api.client import decode_secret

    secret = decode_secret(text)
    assert keyring().decrypt(enrollment.secret_encrypted, context=enrollment._context) == secret
    assert SecurityEvent.objects.filter(kind=SecurityEvent.ENROLLMENT_KEY_CREATED).exists()

    for where in (url(EnrollmentKey, "changelist"), url(EnrollmentKey, "change", enrollment.pk)):
        page = html(admin_client.get(where))
        assert shown_secrets(admin_client.get(where)) == []
        for needle in [*spellings(secret), enrollment.secret_encrypted]:
            assert needle not in page
    assert "active" in html(admin_client.get(url(EnrollmentKey, "changelist")))

    run_action(admin_client, EnrollmentKey, "revoke_enrollment_keys", [enrollment], confirm=True)
    enrollment.refresh_from_db()
    assert enrollment.status == "revoked"
    assert len(_admin_actions("revoke_enrollment_key")) == 1
    signer = SignedAPIClient(key_id=enrollment.key_id, key=secret)
    refused = signer.post("/api/auth/enroll/", {"username": "alice"}, format="json")
    assert refused.status_code == 401 and body(refused)["code"] == "key_revoked"


def test_enrollment_key_needs_a_use(admin_client):
    response = admin_client.post(url(EnrollmentKey, "add"), {
        "name": "none", "uses_left": "0", "expires_at_0": "", "expires_at_1": "",
        "_save": "Save",
    })
    assert response.status_code == 200
    assert "at least one use" in html(response)
    assert not EnrollmentKey.objects.exists()


# -- the audit log ---------------------------------------------------------------------------------
def test_security_events_are_read_only(admin_client, user):
    key, _ = keys.create_api_key(user, name="k")
    keys.revoke_api_key(key)
    event = SecurityEvent.objects.filter(kind=SecurityEvent.KEY_REVOKED).get()

    assert admin_client.get(url(SecurityEvent, "add")).status_code == 403
    assert admin_client.get(url(SecurityEvent, "delete", event.pk)).status_code == 403
    assert admin_client.post(url(SecurityEvent, "delete", event.pk),
                             {"post": "yes"}).status_code == 403
    change = admin_client.get(url(SecurityEvent, "change", event.pk))
    assert change.status_code == 200
    assert 'name="_save"' not in html(change)
    assert admin_client.post(url(SecurityEvent, "change", event.pk),
                             {"kind": "login_failed"}).status_code == 403
    changelist = html(admin_client.get(url(SecurityEvent, "changelist")))
    assert "delete_selected" not in changelist
    assert "Add security event" not in changelist
    assert SecurityEvent.objects.filter(pk=event.pk, kind=SecurityEvent.KEY_REVOKED).exists()


def test_security_event_filters_and_search(admin_client, user, django_user_model):
    bob = django_user_model.objects.create_user("bob", password="x")
    alice_key, _ = keys.create_api_key(user, name="a")
    bob_key, _ = keys.create_api_key(bob, name="b")
    keys.revoke_api_key(bob_key)
    base = url(SecurityEvent, "changelist")

    revoked = html(admin_client.get(base + "?kind__exact=key_revoked"))
    assert bob_key.key_id in revoked and alice_key.key_id not in revoked
    by_name = html(admin_client.get(base + "?q=alice"))
    assert alice_key.key_id in by_name and bob_key.key_id not in by_name
    by_key = html(admin_client.get(base + f"?q={bob_key.key_id}"))
    assert bob_key.key_id in by_key and alice_key.key_id not in by_key
    from django.utils import timezone

    this_year = html(admin_client.get(base + f"?created_at__year={timezone.now().year}"))
    assert alice_key.key_id in this_year
    long_ago = html(admin_client.get(base + "?created_at__year=2000"))
    assert alice_key.key_id not in long_ago
