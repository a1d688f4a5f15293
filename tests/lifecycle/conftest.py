"""Fixtures of the key-lifecycle tests: users, keys, a logged-in session, a cold cache.

Most tests run with ``django_db(transaction=True)``: a revocation or rotation publishes the
key's new state after the commit (``transaction.on_commit``), exactly as in production, and
the races need rows that are really committed.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from signed_api.services import keys as key_services

from .support import OTHER_PASSWORD, PASSWORD, login, session_client


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", password=OTHER_PASSWORD)


@pytest.fixture
def hmac_key(user):
    """``(ApiKey, secret)``: an hmac-sha256 key of alice, made by the service."""
    return key_services.create_api_key(user, name="laptop", via="test")


@pytest.fixture
def session(user) -> dict:
    """The 201 body of a password login of alice (``id``, ``secret``...)."""
    return login("alice", PASSWORD)


@pytest.fixture
def session_signed(session):
    """A client signing with alice's session."""
    return session_client(session)


@pytest.fixture
def api_client():
    """An unsigned DRF test client."""
    return APIClient()
