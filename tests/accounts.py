"""The suite's users and what they do to log in, in one place.

The passwords of the two users (the fixtures ``user`` and ``other_user`` of tests/conftest.py):
alice has ``PASSWORD``, bob has ``OTHER_PASSWORD``. The helpers go over HTTP like a client: an
unsigned ``APIClient`` for the login endpoints, a ``SignedAPIClient`` signing with a session's id
and secret for the rest. pyotp is the independent judge of TOTP codes; time steps are computed
here from the wall clock. tests/sessions, tests/lifecycle and tests/admin re-export them.
"""

from __future__ import annotations

import time

import pyotp
from rest_framework.test import APIClient

from signed_api.client import decode_secret
from signed_api.test import SignedAPIClient
from tests.http import body

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "bob's own password"

AUTH = "/api/auth/"
SESSIONS = AUTH + "sessions/"
TOTP = AUTH + "totp/"
TOTP_CONFIRM = AUTH + "totp/confirm/"
NOTES = "/api/notes/"
STEP = 30


# -- logging in --------------------------------------------------------------------------------
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


def session_client(session: dict, **kwargs) -> SignedAPIClient:
    """A test client that signs every request with the session of a 201 body."""
    return SignedAPIClient(key_id=session["id"], key=decode_secret(session["secret"]), **kwargs)


def verify(pending: dict, code: str, client: APIClient | None = None):
    """``POST sessions/{id}/verify/`` for the 202 body ``pending``: the id in the URL, the
    challenge token and the code in the body."""
    fields = {"challenge_token": pending["challenge_token"], "code": code}
    return (client or APIClient()).post(verify_url(pending["id"]), fields, format="json")


def second_factor_login(username: str, password: str, code: str, **fields):
    """Password (expecting 202), then the code: returns ``(pending_body, verify_response)``."""
    pending = post_login(username=username, password=password, **fields)
    assert pending.status_code == 202, (pending.status_code, pending.content[:400])
    pending_body = body(pending)
    return pending_body, verify(pending_body, code)


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


def enrol_device(user) -> tuple[pyotp.TOTP, list[str]]:
    """A confirmed TOTP device for ``user`` without HTTP, through the service the API uses:
    returns the authenticator (the seed the user's app keeps) and the recovery codes."""
    from signed_api.services import second_factor

    uri, _svg = second_factor.begin_enrolment(user)
    authenticator = pyotp.parse_uri(uri)
    codes = second_factor.confirm_enrolment(user, authenticator.now())
    return authenticator, codes


def fresh_code(authenticator: pyotp.TOTP, user) -> str:
    """A code the server has not accepted yet: the current step, else the next one (within the
    one-step tolerance).

    When both were already accepted (several logins within one 30-second step), the device's
    replay guard is moved back two steps, i.e. the device last saw a code a minute ago: a move
    of a stored timestamp, never of the code check itself.
    """
    from signed_api.models import TOTPDevice

    last_t = TOTPDevice.objects.get(user=user).last_t
    step = current_step()
    for candidate in (step, step + 1):
        if candidate > last_t:
            return authenticator.at(candidate * STEP)
    TOTPDevice.objects.filter(user=user).update(last_t=step - 2)
    return authenticator.at(step * STEP)


def wrong_code(authenticator: pyotp.TOTP) -> str:
    """Six digits that are no code of the steps around now."""
    near = {authenticator.at(time.time() + k * STEP) for k in range(-4, 5)}
    return next(f"{n:06d}" for n in range(123457, 1_000_000, 7919) if f"{n:06d}" not in near)
