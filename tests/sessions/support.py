"""Helpers of the session tests (imported by the test modules).

The login and TOTP helpers are the suite's own (tests/accounts.py); this module re-exports them
beside the shapes of the session bodies.

Most tests here run with ``django_db(transaction=True)``: ending a session publishes its new
state after the commit (``transaction.on_commit``), exactly as in production, and threads need
rows that are really committed.
"""

from __future__ import annotations

from tests.accounts import (  # noqa: F401 - re-exported for the tests
    AUTH,
    NOTES,
    SESSIONS,
    STEP,
    TOTP,
    TOTP_CONFIRM,
    current_step,
    detail_url,
    enrol,
    fresh_code,
    login,
    post_login,
    second_factor_login,
    session_client,
    verify,
    verify_url,
    wrong_code,
)
from tests.http import assert_error, body  # noqa: F401 - re-exported for the tests
from tests.threads import race  # noqa: F401 - re-exported for the tests

SESSION_KEYS = {"id", "secret", "algorithm", "expires_at", "idle_timeout"}
PENDING_KEYS = {"id", "status", "challenge_token", "methods", "expires_at"}
