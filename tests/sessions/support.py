"""Helpers of the session tests (imported by the test modules).

Everything goes over HTTP: an unsigned ``APIClient`` for the login endpoints, a
``SignedAPIClient`` signing with a session's id and secret for the rest. pyotp is the
independent judge of TOTP codes; time steps are computed here from the wall clock. The users
are the suite's (tests/conftest.py): alice with ``tests.accounts.PASSWORD``, bob.

Most tests here run with ``django_db(transaction=True)``: ending a session publishes its new
state after the commit (``transaction.on_commit``), exactly as in production, and threads need
rows that are really committed.
"""

from __future__ import annotations

import time

import pyotp
from rest_framework.test import APIClient

from signed_api.client import decode_secret
from signed_api.models import TOTPDevice
from signed_api.test import SignedAPIClient
from tests.http import assert_error, body  # noqa: F401 - re-exported for the tests
from tests.threads import race  # noqa: F401 - re-exported for the tests

AUTH = "/api/auth/"
SESSIONS = AUTH + "sessions/"
TOTP = AUTH + "totp/"
TOTP_CONFIRM = AUTH + "totp/confirm/"
NOTES = "/api/notes/"
STEP = 30

SESSION_KEYS = {"id", "secret", "algorithm", "expires_at", "idle_timeout"}
PENDING_KEYS = {"id", "status", "challenge_token", "methods", "expires_at"}


def detail_url(session_id: str) -> str:
    return f"{SESSIONS}{session_id}/"


def verify_url(challenge_id: str) -> str:
    return f"{SESSIONS}{challenge_id}/verify/"


def post_login(client: APIClient | None = None, **fields):
    """``POST sessions/`` with a JSON body of ``fields``."""
    client = client or APIClient()
    return client.post(SESSIONS, fields, format="json")


def login(username: str, password: str, client: APIClient | None = None, **fields) -> dict:
    """A password login that must answer 201; returns the body."""
    response = post_login(client, username=username, password=password, **fields)
    assert response.status_code == 201, (response.status_code, response.content[:400])
    return body(response)


def session_client(session: dict) -> SignedAPIClient:
    """A test client that signs every request with the session of a 201 body."""
    return SignedAPIClient(key_id=session["id"], key=decode_secret(session["secret"]))


def verify(pending: dict, code: str, client: APIClient | None = None):
    """``POST sessions/{id}/verify/`` for the 202 body ``pending``: the id in the URL, the
    challenge token and the code in the body."""
    fields = {"challenge_token": pending["challenge_token"], "code": code}
    return (client or APIClient()).post(verify_url(pending["id"]), fields, format="json")


# -- TOTP --------------------------------------------------------------------------------------
def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP)


def enrol(signed: SignedAPIClient) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol and confirm a TOTP device over HTTP; returns the authenticator and recovery codes."""
    started = signed.post(TOTP)
    assert started.status_code == 201, started.content
    authenticator = pyotp.parse_uri(body(started)["otpauth_uri"])
    confirmed = signed.post(TOTP_CONFIRM, {"code": authenticator.now()}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    return authenticator, body(confirmed)["recovery_codes"]


def fresh_code(authenticator: pyotp.TOTP, user) -> str:
    """A code the server has not seen: the current step, else the next one.

    When both were already accepted (several logins within one 30-second step), the device's
    replay guard is moved back two steps, i.e. the device last saw a code a minute ago: a move
    of a stored timestamp, never of the code check itself.
    """
    last_t = TOTPDevice.objects.get(user=user).last_t
    step = current_step()
    for candidate in (step, step + 1):
        if candidate > last_t:
            return authenticator.at(candidate * STEP)
    TOTPDevice.objects.filter(user=user).update(last_t=step - 2)
    return authenticator.at(step * STEP)


def wrong_code(authenticator: pyotp.TOTP) -> str:
    """Six digits that are no code of the steps around now."""
    now = time.time()
    near = {authenticator.at(now + k * STEP) for k in range(-4, 5)}
    for n in range(1_000_000):
        code = f"{(123457 + n * 7919) % 1_000_000:06d}"
        if code not in near:
            return code
    raise AssertionError("unreachable")


def second_factor_login(username: str, password: str, code: str, **fields):
    """Password (expecting 202), then the code: returns ``(pending_body, verify_response)``."""
    pending = post_login(username=username, password=password, **fields)
    assert pending.status_code == 202, (pending.status_code, pending.content[:400])
    pending_body = body(pending)
    return pending_body, verify(pending_body, code)


