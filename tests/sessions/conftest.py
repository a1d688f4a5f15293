"""Fixtures of the session tests: users, clients, a cold key cache and an empty shared cache.

Most tests here run with ``django_db(transaction=True)``: ending a session publishes its new
state after the commit (``transaction.on_commit``), exactly as in production, and threads need
rows that are really committed.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "bob's own password"


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
