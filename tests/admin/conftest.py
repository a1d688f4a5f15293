"""Fixtures of the admin tests: staff users for the login tests. The logged-in superuser is
pytest-django's ``admin_client``; the key owner is the suite's ``user`` (alice, in
tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.admin.support import STAFF_PASSWORD, enrol_device


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
