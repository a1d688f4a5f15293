"""The admin login over HTTP: the second factor of a user who has one, and the API's guessing
budget, through Django's test client against the project's default ``admin.site`` (what a fresh
``INSTALLED_APPS`` gets). The form on its own, a project's own ``AdminSite`` and the system checks
are in test_login_form.py.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from signed_api.conf import signed_api_settings
from signed_api.models import RecoveryCode, SecurityEvent, TOTPDevice
from signed_api.services import throttle
from tests.accounts import PASSWORD
from tests.admin.support import (
    INVALID,
    LOGIN,
    STAFF_PASSWORD,
    THROTTLED,
    UNAVAILABLE,
    admin_page,
    api_login,
    enrol_device,
    fresh_code,
    html,
    is_authenticated,
    log_in,
    logged_in,
    login_errors,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


# -- the default admin site --------------------------------------------------------------------
def test_the_default_admin_site_logs_in_through_the_second_factor_form():
    page = html(Client().get(LOGIN))
    assert 'name="username"' in page and 'name="password"' in page
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
    assert "Authenticator code" in page


def test_a_user_without_a_device_logs_in_with_the_password_alone(staff):
    client = Client()
    assert logged_in(log_in(client, "root", STAFF_PASSWORD))
    assert admin_page(client) == 200


def test_a_user_with_a_device_logs_in_with_a_current_code(staff_2fa):
    user, authenticator, _codes = staff_2fa
    client = Client()
    assert logged_in(log_in(client, "dora", STAFF_PASSWORD, fresh_code(authenticator, user)))
    assert admin_page(client) == 200


def test_a_user_with_a_device_and_no_code_is_refused(staff_2fa):
    client = Client()
    response = log_in(client, "dora", STAFF_PASSWORD)
    assert INVALID in " ".join(login_errors(response))
    assert not is_authenticated(client)
    assert admin_page(client) == 302  # back to the login page


def test_a_wrong_code_is_refused(staff_2fa):
    _user, authenticator, _codes = staff_2fa
    client = Client()
    response = log_in(client, "dora", STAFF_PASSWORD, wrong_code(authenticator))
    assert INVALID in " ".join(login_errors(response))
    assert not is_authenticated(client)


def test_a_totp_code_works_once(staff_2fa):
    user, authenticator, _codes = staff_2fa
    code = fresh_code(authenticator, user)
    first = Client()
    assert logged_in(log_in(first, "dora", STAFF_PASSWORD, code))
    replay = Client()
    response = log_in(replay, "dora", STAFF_PASSWORD, code)
    assert INVALID in " ".join(login_errors(response))
    assert not is_authenticated(replay)


def test_a_code_used_at_the_api_is_refused_at_the_admin(staff_2fa):
    """One replay guard for both paths: the code that completed an API login is spent."""
    user, authenticator, _codes = staff_2fa
    code = fresh_code(authenticator, user)
    pending = api_login("dora", STAFF_PASSWORD)
    assert pending.status_code == 202, pending.content
    data = pending.json()
    verified = APIClient().post(f"/api/auth/sessions/{data['id']}/verify/",
                                {"challenge_token": data["challenge_token"], "code": code},
                                format="json")
    assert verified.status_code == 201, verified.content
    client = Client()
    assert INVALID in " ".join(login_errors(log_in(client, "dora", STAFF_PASSWORD, code)))
    assert not is_authenticated(client)


def test_a_recovery_code_works_once(staff_2fa):
    user, _authenticator, codes = staff_2fa
    client = Client()
    assert logged_in(log_in(client, "dora", STAFF_PASSWORD, codes[0].upper()))
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    again = Client()
    assert INVALID in " ".join(login_errors(log_in(again, "dora", STAFF_PASSWORD, codes[0])))
    assert not is_authenticated(again)
    # Another one still works.
    assert logged_in(log_in(Client(), "dora", STAFF_PASSWORD, codes[1]))


def test_a_wrong_password_does_not_use_up_the_code(staff_2fa):
    user, authenticator, codes = staff_2fa
    code = fresh_code(authenticator, user)
    before = TOTPDevice.objects.get(user=user).last_t
    assert login_errors(log_in(Client(), "dora", "wrong", code))
    assert login_errors(log_in(Client(), "dora", "wrong", codes[0]))
    assert TOTPDevice.objects.get(user=user).last_t == before
    assert not RecoveryCode.objects.filter(user=user, used_at__isnull=False).exists()
    assert logged_in(log_in(Client(), "dora", STAFF_PASSWORD, code))


def test_the_page_never_shows_the_typed_code(staff_2fa):
    _user, _authenticator, codes = staff_2fa
    response = log_in(Client(), "dora", "wrong", codes[0])
    assert codes[0] not in html(response)
    assert STAFF_PASSWORD not in html(response)


def test_every_failure_reads_the_same(staff_2fa, user, django_user_model):
    """Unknown user, wrong password, right password without or with a wrong code, an account
    that may not use the admin: one message, so a guesser learns neither that a username exists
    nor that a password was right."""
    _user, authenticator, _codes = staff_2fa
    inactive = django_user_model.objects.create_superuser("ivy", "ivy@example.invalid",
                                                          STAFF_PASSWORD)
    inactive.is_active = False
    inactive.save()
    attempts = [
        ("nobody", STAFF_PASSWORD, ""),
        ("dora", "wrong", ""),
        ("dora", "wrong", wrong_code(authenticator)),
        ("dora", STAFF_PASSWORD, ""),
        ("dora", STAFF_PASSWORD, wrong_code(authenticator)),
        ("dora", STAFF_PASSWORD, "aaaa-bbbb-cccc-dddd"),
        ("alice", PASSWORD, ""),  # right password, not staff
        ("ivy", STAFF_PASSWORD, ""),  # right password, inactive
    ]
    answers = set()
    for number, (username, password, code) in enumerate(attempts):
        # A fresh address each: the per-address budget is not what this test is about.
        response = log_in(Client(), username, password, code, address=f"198.51.100.{number}")
        errors = login_errors(response)
        assert len(errors) == 1 and INVALID in errors[0], (username, errors)
        page = html(response).replace(f'value="{username}"', 'value="…"')
        answers.add(CSRF_RE.sub("", page))
    assert len(answers) == 1


def test_failures_are_in_the_audit_log_with_their_reason(staff_2fa):
    user, authenticator, _codes = staff_2fa
    log_in(Client(), "dora", STAFF_PASSWORD, wrong_code(authenticator), address="192.0.2.1")
    log_in(Client(), "nobody", "x", address="192.0.2.2")
    failed = {e.username: e.detail for e in SecurityEvent.objects.filter(
        kind=SecurityEvent.LOGIN_FAILED)}
    assert failed["dora"] == {"via": "admin", "reason": "otp_invalid"}
    assert failed["nobody"] == {"via": "admin", "reason": "invalid_credentials"}
    assert logged_in(log_in(Client(), "dora", STAFF_PASSWORD, fresh_code(authenticator, user)))
    succeeded = SecurityEvent.objects.get(kind=SecurityEvent.LOGIN_SUCCEEDED, user=user)
    assert succeeded.detail == {"via": "admin", "second_factor": True}


# -- the session gate --------------------------------------------------------------------------
def test_a_session_made_without_the_code_does_not_open_the_admin(staff_2fa, staff):
    """Any other way to a Django session (another login view, force_login) is sent back to the
    admin login; a user without a device is let in as before."""
    user, authenticator, _codes = staff_2fa
    other_path = Client()
    other_path.force_login(user)
    assert admin_page(other_path) == 302
    assert other_path.get("/admin/signed_api/apikey/").status_code == 302
    page = html(other_path.get(LOGIN))
    assert "not authorized to access this page" in page
    # The code on the admin login then opens it, in the same browser.
    assert logged_in(log_in(other_path, "dora", STAFF_PASSWORD,
                                 fresh_code(authenticator, user)))
    assert admin_page(other_path) == 200

    plain = Client()
    plain.force_login(staff)
    assert admin_page(plain) == 200


def test_turning_the_second_factor_on_closes_admin_sessions_made_without_it(staff):
    client = Client()
    assert logged_in(log_in(client, "root", STAFF_PASSWORD))
    assert admin_page(client) == 200
    enrol_device(staff)
    assert admin_page(client) == 302


def test_the_mark_belongs_to_its_user(staff_2fa, staff):
    """Logging in as somebody else in the same browser does not carry the code over."""
    user, authenticator, _codes = staff_2fa
    client = Client()
    assert logged_in(log_in(client, "dora", STAFF_PASSWORD, fresh_code(authenticator, user)))
    assert logged_in(log_in(client, "root", STAFF_PASSWORD))
    enrol_device(staff)
    assert admin_page(client) == 302


# -- the guessing budget -------------------------------------------------------------------------
def test_wrong_passwords_then_the_right_one_is_refused_while_throttled(staff):
    limit = signed_api_settings.LOGIN_FAILURES_PER_USERNAME
    for _ in range(limit + 1):
        assert login_errors(log_in(Client(), "root", "wrong"))
    client = Client()
    errors = login_errors(log_in(client, "root", STAFF_PASSWORD))
    assert len(errors) == 1 and THROTTLED in errors[0], errors
    assert not is_authenticated(client)
    # From another address too: the budget is the username's.
    assert THROTTLED in " ".join(login_errors(
        log_in(Client(), "root", STAFF_PASSWORD, address="203.0.113.9")))


def test_wrong_codes_spend_the_budget_too(staff_2fa):
    user, authenticator, _codes = staff_2fa
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        log_in(Client(), "dora", STAFF_PASSWORD, wrong_code(authenticator))
    errors = login_errors(log_in(Client(), "dora", STAFF_PASSWORD,
                                      fresh_code(authenticator, user)))
    assert THROTTLED in " ".join(errors)


def test_successes_do_not_count(staff):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME * 2):
        assert logged_in(log_in(Client(), "root", STAFF_PASSWORD))


def test_admin_failures_spend_the_api_budget(staff):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        log_in(Client(), "root", "wrong")
    response = api_login("root", STAFF_PASSWORD)
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"


def test_api_failures_spend_the_admin_budget(staff):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        assert api_login("root", "wrong").status_code == 401
    client = Client()
    assert THROTTLED in " ".join(login_errors(log_in(client, "root", STAFF_PASSWORD)))
    assert not is_authenticated(client)


def test_a_mix_of_both_shares_one_budget(staff):
    limit = signed_api_settings.LOGIN_FAILURES_PER_USERNAME
    for number in range(limit):
        if number % 2:
            api_login("ROOT ", "wrong")  # the budget's username is case- and space-blind
        else:
            log_in(Client(), "root", "wrong")
    assert api_login("root", STAFF_PASSWORD).status_code == 429
    assert THROTTLED in " ".join(login_errors(log_in(Client(), "root", STAFF_PASSWORD)))


def test_the_address_budget_is_shared_across_usernames(staff):
    limit = signed_api_settings.LOGIN_FAILURES_PER_ADDRESS
    for number in range(limit):
        log_in(Client(), f"guess{number}", "wrong", address="192.0.2.99")
    assert api_login("root", STAFF_PASSWORD, address="192.0.2.99").status_code == 429
    assert THROTTLED in " ".join(login_errors(
        log_in(Client(), "root", STAFF_PASSWORD, address="192.0.2.99")))
    assert logged_in(log_in(Client(), "root", STAFF_PASSWORD, address="192.0.2.100"))


def test_behind_a_proxy_the_address_is_the_forwarded_one(staff, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "NUM_PROXIES": 1}
    limit = signed_api_settings.LOGIN_FAILURES_PER_ADDRESS
    client = Client()
    for number in range(limit):
        client.post(LOGIN, {"username": f"guess{number}", "password": "x"},
                    REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50")
    other = Client().post(LOGIN, {"username": "root", "password": STAFF_PASSWORD,
                                  "next": "/admin/"},
                          REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.51")
    assert logged_in(other)


def test_a_store_that_cannot_count_logs_nobody_in(staff, monkeypatch, caplog):
    def cannot_count(*args, **kwargs):
        raise throttle.StoreUnavailable("down")

    monkeypatch.setattr(throttle, "attempt", cannot_count)
    client = Client()
    response = log_in(client, "root", STAFF_PASSWORD)
    errors = login_errors(response)
    assert len(errors) == 1 and UNAVAILABLE in errors[0]
    assert not is_authenticated(client)
    assert "could not be counted" in caplog.text
    assert STAFF_PASSWORD not in caplog.text


def test_a_store_that_fails_in_the_backend_logs_nobody_in(staff, monkeypatch):
    """The same through the store itself, below throttle.attempt()."""
    from signed_api import stores

    store = stores.get_store()

    def down(*args, **kwargs):
        raise stores.StoreUnavailable("down")

    monkeypatch.setattr(type(store), "incr", down)
    client = Client()
    errors = login_errors(log_in(client, "root", STAFF_PASSWORD))
    assert UNAVAILABLE in " ".join(errors)
    assert not is_authenticated(client)
