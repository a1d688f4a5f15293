"""Fixtures of the session tests: users, clients, a cold key cache and an empty shared cache.

Most tests here run with ``django_db(transaction=True)``: ending a session publishes its new
state after the commit (``transaction.on_commit``), exactly as in production, and threads need
rows that are really committed.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from signed_api import state
from signed_api.conf import signed_api_settings

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "bob's own password"


@pytest.fixture(autouse=True)
def _fresh_signed_api_state():
    """No key cached in this process, no nonce, state token or throttle counter shared.

    The key cache and the shared cache outlive a test's database, so without this a test would
    see another test's cached sessions and failure counters.
    """
    state.reset()
    caches[signed_api_settings.NONCE_CACHE].clear()
    yield
    state.reset()
    caches[signed_api_settings.NONCE_CACHE].clear()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", password=OTHER_PASSWORD)


@pytest.fixture
def api_client():
    """An unsigned DRF test client (the login endpoints need no signature)."""
    return APIClient()
