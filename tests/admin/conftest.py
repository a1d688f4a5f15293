"""Fixtures of the admin tests: a logged-in superuser (pytest-django's ``admin_client``), a key
owner, and staff users for the login tests (the suite's own conftest starts every test cold)."""

from __future__ import annotations

import pytest

from tests.admin.support import STAFF_PASSWORD, enrol_device


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pw")


@pytest.fixture
def staff(django_user_model):
    """A superuser without a second factor."""
    return django_user_model.objects.create_superuser("root", "root@example.invalid",
                                                      STAFF_PASSWORD)


@pytest.fixture
def staff_2fa(django_user_model):
    """A superuser with a confirmed TOTP device: ``(user, authenticator, recovery_codes)``."""
    user = django_user_model.objects.create_superuser("dora", "dora@example.invalid",
                                                      STAFF_PASSWORD)
    authenticator, codes = enrol_device(user)
    return user, authenticator, codes
