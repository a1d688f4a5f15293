"""Fixtures of the key-lifecycle tests: a logged-in session of alice (the users, keys and
clients are the suite's, in tests/conftest.py).

Most tests run with ``django_db(transaction=True)``: a revocation or rotation publishes the
key's new state after the commit (``transaction.on_commit``), exactly as in production, and
the races need rows that are really committed.
"""

from __future__ import annotations

import pytest

from tests.accounts import PASSWORD

from .support import login, session_client


@pytest.fixture
def session(user) -> dict:
    """The 201 body of a password login of alice (``id``, ``secret``...)."""
    return login("alice", PASSWORD)


@pytest.fixture
def session_signed(session):
    """A client signing with alice's session."""
    return session_client(session)
