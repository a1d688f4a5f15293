"""No secret, seed, token hash, fingerprint or state token on any admin page.

Every kind of credential is created the way the app creates it (keys through the services,
sessions and remember-me tokens by logging in, a TOTP device with recovery codes, a pending
second-factor challenge, an enrollment key); then every changelist, change page, add page and
history page the admin has for signed_api's models is fetched and searched for every secret in
every spelling (base64url, base64, hex) and for every stored hash or ciphertext.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from django.contrib import admin
from django.test import RequestFactory

from signed_api import tokens
from signed_api.models import (
    ApiKey,
    EnrollmentKey,
    LoginChallenge,
    RecoveryCode,
    RememberFamily,
    RememberToken,
    SecurityEvent,
    Session,
    TOTPDevice,
)
from signed_api.services import keys, second_factor, sessions
from tests.accounts import PASSWORD
from tests.admin.support import html, url

pytestmark = pytest.mark.django_db


def _request():
    return RequestFactory().post("/api/auth/sessions/", REMOTE_ADDR="192.0.2.7",
                                 HTTP_USER_AGENT="pytest")


def _needles_of(secret: bytes | str) -> list[str]:
    import base64

    from signed_api.client import encode_secret

    if isinstance(secret, str):
        return [secret]
    return [encode_secret(secret), base64.b64encode(secret).decode().rstrip("="), secret.hex()]


def _hash_part(tagged: str) -> str:
    return tagged.split("$", 1)[-1]


@pytest.fixture
def everything(user, django_user_model, admin_user):
    """Create one of every credential; return every string that must never be displayed."""
    needles: list[str] = []

    key, secret = keys.create_api_key(user, name="plain", scopes="notes:read")
    needles += _needles_of(secret)
    rotated, first = keys.create_api_key(user, name="rotated")
    second = keys.rotate_api_key(rotated)
    needles += _needles_of(first) + _needles_of(second)
    keys.create_api_key(user, name="revoked")
    keys.revoke_api_key(ApiKey.objects.get(name="revoked"))

    issued = sessions.login_with_password(_request(), "alice", PASSWORD, remember=True,
                                          device_name="laptop")
    needles += _needles_of(issued.secret) + [issued.remember_token,
                                             *tokens.split("rmb", issued.remember_token)]
    # A second login by remember token: a consumed token and a rotated one in the family.
    again = sessions.login_with_remember_token(_request(), issued.remember_token)
    needles += _needles_of(again.secret) + [again.remember_token]

    carol = django_user_model.objects.create_user("carol", password="carol-pw")
    uri, _svg = second_factor.begin_enrolment(carol)
    seed = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    needles.append(seed)
    codes = second_factor.confirm_enrolment(carol, pyotp.TOTP(seed).now())
    needles += codes
    pending = sessions.login_with_password(_request(), "carol", "carol-pw", remember=False)
    needles += [pending.handle, *tokens.split("chl", pending.handle)]

    enrollment, enrollment_secret = keys.create_enrollment_key(name="workshop", uses=3,
                                                               actor=admin_user)
    needles += _needles_of(enrollment_secret)

    # What is stored: ciphertexts, hashes, fingerprints, state tokens.
    for row in ApiKey.objects.all():
        needles += [row.secret_encrypted, row.previous_secret_encrypted, row.state_token]
    for row in Session.objects.all():
        needles += [row.secret_encrypted, row.state_token]
    for row in EnrollmentKey.objects.all():
        needles += [row.secret_encrypted, row.state_token]
    for row in TOTPDevice.objects.all():
        needles.append(row.seed_encrypted)
    for row in RecoveryCode.objects.all():
        needles.append(_hash_part(row.code_hash))
    for row in RememberFamily.objects.all():
        needles.append(_hash_part(row.auth_fingerprint))
    for row in RememberToken.objects.all():
        needles += [_hash_part(row.secret_hash), row.lookup]
    for row in LoginChallenge.objects.all():
        needles += [_hash_part(row.secret_hash), row.lookup]

    assert TOTPDevice.objects.exists() and RecoveryCode.objects.exists()
    assert RememberToken.objects.count() == 2 and LoginChallenge.objects.exists()
    assert SecurityEvent.objects.exists()
    needles = [needle for needle in needles if needle]
    assert min(len(needle) for needle in needles) >= 16  # no needle matches by chance
    return needles


def _signed_api_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "signed_api"
    ]


def test_registered_models():
    registered = {model for model, _ in _signed_api_admins()}
    assert registered == {ApiKey, Session, RememberFamily, TOTPDevice, EnrollmentKey,
                          SecurityEvent}
    # Nothing but hashes and bookkeeping: not registered at all.
    for model in (RecoveryCode, RememberToken, LoginChallenge):
        assert model not in registered


def test_no_secret_on_any_admin_page(admin_client, everything):
    pages = [url(ApiKey, "changelist").rsplit("/", 2)[0] + "/"]  # the app index
    for model, model_admin in _signed_api_admins():
        pages.append(url(model, "changelist"))
        pages.append(url(model, "changelist") + "?q=alice")
        for obj in model._default_manager.all():
            pages.append(url(model, "change", obj.pk))
            pages.append(url(model, "history", obj.pk))
        if model_admin.has_add_permission(_superuser_request(admin_client)):
            pages.append(url(model, "add"))
    checked = 0
    for page_url in pages:
        response = admin_client.get(page_url)
        assert response.status_code == 200, page_url
        page = html(response)
        for needle in everything:
            assert needle not in page, f"{needle[:10]}... on {page_url}"
        checked += 1
    assert checked > 20


def test_stored_columns_are_not_fields_of_any_admin(admin_client):
    request = _superuser_request(admin_client)
    hidden = {"secret_encrypted", "previous_secret_encrypted", "previous_public_key",
              "state_token", "seed_encrypted", "code_hash", "secret_hash", "auth_fingerprint",
              "last_t", "lookup"}
    for model, model_admin in _signed_api_admins():
        shown = set(model_admin.get_list_display(request))
        for obj in model._default_manager.all()[:1]:
            shown |= set(model_admin.get_fields(request, obj))
        shown |= set(model_admin.get_fields(request, None))
        assert not shown & hidden, (model.__name__, shown & hidden)


def _superuser_request(client):
    from django.contrib.auth import get_user_model

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="admin")
    return request


def test_no_secret_on_the_login_page(client, everything):
    """The login page, blank and after failed logins that typed a recovery code (the code field
    never writes back what was typed), and a throttled one."""
    from django.contrib.auth import get_user_model

    from signed_api.models import RecoveryCode

    carol = get_user_model().objects.get(username="carol")
    typed = [needle for needle in everything if len(needle) == 19 and needle.count("-") == 3]
    assert typed and RecoveryCode.objects.filter(user=carol).exists()
    pages = [client.get("/admin/login/")]
    for code in typed[:6]:
        pages.append(client.post("/admin/login/", {"username": "carol", "password": "wrong",
                                                   "code": code}))
    for response in pages:
        assert response.status_code == 200
        page = html(response)
        for needle in everything:
            assert needle not in page, f"{needle[:10]}... on the login page"
    assert "Too many failed login attempts" in html(pages[-1])
