"""Fixtures of the admin tests: a logged-in superuser (pytest-django's ``admin_client``), a key
owner, and a cold key cache for every test."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from signed_api import state


@pytest.fixture(autouse=True)
def _fresh_signed_api_state():
    """The key cache and the nonce store outlive a test's database; start and end cold."""
    state.reset()
    caches["nonces"].clear()
    caches["default"].clear()
    yield
    state.reset()
    caches["nonces"].clear()
    caches["default"].clear()


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pw")
