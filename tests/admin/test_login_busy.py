"""The admin login on a database that stays locked (SQLite under many parallel logins): the form
says logging in is not possible right now, nobody is logged in, and it is never a 500."""

from __future__ import annotations

import pyotp
import pytest
from django.db import OperationalError

from signed_api.models import TOTPDevice
from signed_api.services import second_factor

pytestmark = pytest.mark.django_db


def test_a_locked_database_at_the_code_check_is_a_form_error(client, django_user_model,
                                                             monkeypatch):
    staff = django_user_model.objects.create_user("hal", password="hal-password", is_staff=True,
                                                  is_superuser=True)
    seed = pyotp.random_base32(32)
    device = TOTPDevice(user=staff)
    device.set_seed(seed)
    device.save()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at="2026-01-01T00:00:00Z")

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(second_factor, "verify_code", locked)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "hal", "password": "hal-password", "code": pyotp.TOTP(seed).now()},
    )
    assert response.status_code == 200
    assert "not possible right now" in response.content.decode()
    assert "_auth_user_id" not in client.session
