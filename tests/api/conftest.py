"""Fixtures of the HTTP-level API tests: users, keys, signing clients, a clean key cache."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from signed_api.models import ApiKey
from signed_api.test import SignedAPIClient


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pw")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-pw")


@pytest.fixture
def hmac_key(user):
    """``(ApiKey, secret)`` of an hmac-sha256 key owned by ``user``."""
    return ApiKey.objects.create_key(user, name="test key")


@pytest.fixture
def signed_client(hmac_key):
    key, secret = hmac_key
    return SignedAPIClient(key_id=key.key_id, key=secret)


@pytest.fixture
def api_client():
    """An unsigned DRF test client."""
    return APIClient()
