"""The second-factor contract: the login flow asks ``SECOND_FACTORS``, never a factor type.

A project's own factor plugs in by import string: here a small one-time-code factor defined
in this test module (codes kept hashed, each used once), beside TOTP and recovery codes.
"""

from __future__ import annotations

import hashlib

import pyotp
import pytest
from django.core.checks import run_checks
from django.test import override_settings
from rest_framework.test import APIClient

from signed_api import second_factors
from signed_api.models import TOTPDevice
from signed_api.second_factors.base import SecondFactor
from signed_api.second_factors.recovery import RecoveryCodes

pytestmark = pytest.mark.django_db(transaction=True)

DEFAULT = ("signed_api.second_factors.totp.TOTP",
           "signed_api.second_factors.recovery.RecoveryCodes")
ISSUED: dict[int, set[str]] = {}  # user pk -> hashes of the codes the "desk" handed out


class DeskCode(SecondFactor):
    """A primary factor whose codes a help desk hands out, one use each."""

    name = "desk_code"

    def is_enabled_for(self, user) -> bool:
        return bool(ISSUED.get(user.pk))

    def verify(self, user, code, *, now=None) -> bool:
        digest = hashlib.sha256(str(code).encode()).hexdigest()
        codes = ISSUED.get(user.pk, set())
        if digest not in codes:
            return False
        codes.discard(digest)
        return True

    def reset(self, user) -> bool:
        return bool(ISSUED.pop(user.pk, None))


@pytest.fixture
def carol(django_user_model):
    ISSUED.clear()
    yield django_user_model.objects.create_user("carol", password="carol-password")
    ISSUED.clear()


def _login():
    return APIClient().post(
        "/api/auth/sessions/", {"username": "carol", "password": "carol-password"}, format="json"
    )


def _verify(pending, code):
    return APIClient().post(
        f"/api/auth/sessions/{pending['id']}/verify/",
        {"challenge_token": pending["challenge_token"], "code": code}, format="json",
    )


def _enrol_totp(user) -> pyotp.TOTP:
    seed = pyotp.random_base32(32)
    device = TOTPDevice(user=user)
    device.set_seed(seed)
    device.save()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at="2026-01-01T00:00:00Z")
    return pyotp.TOTP(seed)


def test_a_projects_own_factor_makes_a_second_factor_due_and_logs_in(carol, settings):
    settings.SIGNED_API = {**settings.SIGNED_API,
                           "SECOND_FACTORS": (*DEFAULT, f"{__name__}.DeskCode")}
    assert _login().status_code == 201  # nothing set up: no second factor due
    ISSUED[carol.pk] = {hashlib.sha256(b"desk-4711").hexdigest()}
    pending = _login()
    assert pending.status_code == 202
    assert pending.json()["methods"] == ["desk_code"]
    assert _verify(pending.json(), "desk-0000").status_code == 401
    assert _verify(pending.json(), "desk-4711").status_code == 201
    assert _login().status_code == 201  # its one code is used up: nothing set up any more


def test_the_202_offers_the_users_own_factors(carol):
    totp = _enrol_totp(carol)
    assert _login().json()["methods"] == ["totp"]
    codes = RecoveryCodes().issue(carol)
    assert _login().json()["methods"] == ["totp", "recovery_code"]
    for code in codes:
        assert second_factors.verify(carol, code)
    assert _login().json()["methods"] == ["totp"]  # every recovery code used
    assert second_factors.verify(carol, totp.now())


def test_a_factor_left_out_of_the_setting_is_not_asked(carol, settings):
    _enrol_totp(carol)
    settings.SIGNED_API = {**settings.SIGNED_API,
                           "SECOND_FACTORS": ("signed_api.second_factors.recovery.RecoveryCodes",)}
    assert _login().status_code == 201  # recovery codes alone are no primary factor


def test_reset_removes_every_factor(carol, settings):
    settings.SIGNED_API = {**settings.SIGNED_API,
                           "SECOND_FACTORS": (*DEFAULT, f"{__name__}.DeskCode")}
    _enrol_totp(carol)
    RecoveryCodes().issue(carol)
    ISSUED[carol.pk] = {"x"}
    assert second_factors.reset(carol) is True
    assert second_factors.methods_for(carol) == []
    assert second_factors.reset(carol) is False


@pytest.mark.parametrize(
    "entries",
    [("no.such.Factor",), ("signed_api.second_factors.base.SecondFactor",),
     (DEFAULT[0], DEFAULT[0]), ("django.db.models.Model",)],
    ids=["missing", "nameless", "duplicate", "not-a-factor"],
)
def test_e014_bad_second_factors(entries):
    with override_settings(SIGNED_API={"SECOND_FACTORS": entries}):
        ids = [m.id for m in run_checks(tags=["security"])]
    assert "signed_api.E014" in ids


def test_the_default_second_factors_pass_the_check():
    with override_settings(SIGNED_API={}):
        ids = [m.id for m in run_checks(tags=["security"])]
    assert "signed_api.E014" not in ids
