"""What a database dump or the logs give away: no session secret, remember token, challenge
token, TOTP seed, recovery code or password, in any encoding the client ever saw."""

from __future__ import annotations

import base64
import logging
import re

import pyotp
import pytest
from django.db import connection

from signed_api.client import decode_secret
from signed_api.models import LoginChallenge, RememberToken, Session
from tests.accounts import PASSWORD

from .support import (
    NOTES,
    SESSIONS,
    TOTP,
    TOTP_CONFIRM,
    body,
    fresh_code,
    login,
    post_login,
    session_client,
    verify,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)


def dump_database() -> str:
    """Every row of every table, as the database's own dump tool would write it."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    assert connection.vendor == "postgresql", connection.vendor
    from psycopg import sql

    chunks: list[str] = []
    tables = connection.introspection.table_names()
    assert any(t.startswith("signed_api_") for t in tables), tables
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in tables:
            chunks.append(f"-- {table}")
            with raw.copy(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))) as copy:
                for data in copy:
                    chunks.append(bytes(data).decode("utf-8", "replace"))
    return "\n".join(chunks)


def _token_secret(token: str) -> str:
    return token.split("_", 2)[2]


def _parts(value: str, width: int = 12) -> list[str]:
    """Every ``width``-character piece of ``value``: no part of a secret may show."""
    return [value[i : i + width] for i in range(len(value) - width + 1)]


def _needles(secrets: dict[str, list[str]]) -> dict[str, str]:
    """Every form of every secret to look for, named for the failure message."""
    needles = {}
    for name, values in secrets.items():
        for i, value in enumerate(values):
            needles[f"{name}[{i}]"] = value
    return needles


def find_leaks(text: str, needles: dict[str, str]) -> list[str]:
    lowered = text.lower()
    return [name for name, value in needles.items() if value.lower() in lowered]


@pytest.fixture
def everything(user, caplog):
    """Drive every flow that issues a secret, logging at DEBUG with SQL, and collect what the
    client saw. Returns ``(needles, public_markers, log_text)``."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.db.backends", "django.request", "signed_api"):
        caplog.set_level(logging.DEBUG, logger=name)  # Django's default config says INFO
    connection.force_debug_cursor = True  # SQL and its parameters go to django.db.backends
    try:
        sessions: list[dict] = []
        remember_tokens: list[str] = []
        challenge_tokens: list[str] = []
        codes: list[str] = []

        first = login("alice", PASSWORD, remember=True, device_name="laptop")
        sessions.append(first)
        remember_tokens.append(first["remember_token"])
        rotated = body(post_login(remember_token=first["remember_token"]))
        sessions.append(rotated)
        remember_tokens.append(rotated["remember_token"])

        signed = session_client(first)
        assert signed.get(NOTES).status_code == 200
        started = body(signed.post(TOTP))
        authenticator = pyotp.parse_uri(started["otpauth_uri"])
        confirmed = signed.post(TOTP_CONFIRM, {"code": authenticator.now()}, format="json")
        recovery_codes = body(confirmed)["recovery_codes"]

        # A challenge answered wrong then right (with remember), one answered with a recovery
        # code, one left pending.
        pending = body(post_login(username="alice", password=PASSWORD, remember=True))
        challenge_tokens.append(pending["challenge_token"])
        codes += [wrong_code(authenticator), fresh_code(authenticator, user)]
        assert verify(pending, codes[0]).status_code == 401
        answered = verify(pending, codes[1])
        assert answered.status_code == 201, answered.content
        sessions.append(body(answered))
        remember_tokens.append(body(answered)["remember_token"])
        pending = body(post_login(username="alice", password=PASSWORD))
        challenge_tokens.append(pending["challenge_token"])
        by_recovery = verify(pending, recovery_codes[0])
        assert by_recovery.status_code == 201
        sessions.append(body(by_recovery))
        waiting = body(post_login(username="alice", password=PASSWORD))
        challenge_tokens.append(waiting["challenge_token"])
        for session in sessions:
            assert session_client(session).get(SESSIONS).status_code == 200
    finally:
        connection.force_debug_cursor = False

    seed = authenticator.secret
    seed_bytes = base64.b32decode(seed + "=" * (-len(seed) % 8))
    raw = [decode_secret(s["secret"]) for s in sessions]
    secrets = {
        "session secret (base64url)": [s["secret"] for s in sessions],
        "session secret (hex)": [r.hex() for r in raw],
        "session secret (base64)": [base64.b64encode(r).decode().rstrip("=") for r in raw],
        "remember token": remember_tokens,
        "remember token secret": [_token_secret(t) for t in remember_tokens],
        "session secret (part)": [p for s in sessions for p in _parts(s["secret"])],
        "challenge token": challenge_tokens,
        "challenge token (part)": [p for t in challenge_tokens for p in _parts(t)],
        "password": [PASSWORD],
        "TOTP seed (base32)": [seed, seed.rstrip("=")],
        "TOTP seed (hex)": [seed_bytes.hex()],
        "recovery code": recovery_codes,
        "recovery code without dashes": [c.replace("-", "") for c in recovery_codes],
    }
    public = {
        "session ids": [s["id"] for s in sessions],
        "remember lookups": [t.split("_")[1] for t in remember_tokens],
    }
    public["TOTP codes"] = codes
    return _needles(secrets), public, caplog.get_records("setup")


def test_a_database_dump_holds_no_secret(everything):
    needles, public, _records = everything
    dump = dump_database()

    # The dump really holds the rows: the public parts are there...
    for session_id in public["session ids"]:
        assert session_id in dump
    for lookup in public["remember lookups"]:
        assert lookup in dump
    assert Session.objects.count() == 4
    assert RememberToken.objects.count() == 3
    assert LoginChallenge.objects.count() == 1
    # ...and no secret in any form.
    assert find_leaks(dump, needles) == []


def test_the_dump_search_finds_a_secret_that_is_stored(everything, user):
    """The search above can fail: a secret written into a column is found."""
    needles, _public, _records = everything
    planted = needles["recovery code without dashes[3]"]
    Session.objects.filter(user=user).update(device_name=planted)
    assert find_leaks(dump_database(), needles) == ["recovery code without dashes[3]"]


def _log_text(records) -> str:
    return "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {getattr(r, 'request', '')}"
        for r in records
    )


def test_the_logs_at_debug_hold_no_secret(everything):
    """Every logger (django.request, SQL, signed_api) at DEBUG through a full login with a
    second factor, a wrong code first: no part of a session secret, challenge token, remember
    token, recovery code or the password."""
    needles, _public, records = everything
    assert records, "nothing was logged: the capture is broken"
    assert any(r.name == "django.db.backends" for r in records), "no SQL logged"
    assert any(r.name == "django.request" for r in records), "the 401 of the wrong code"
    text = _log_text(records)
    assert find_leaks(text, needles) == []


def test_the_logs_hold_no_totp_code(everything):
    """The six digits of a code, not as a part of a longer number (a timestamp's
    microseconds are six digits too)."""
    _needles, public, records = everything
    text = _log_text(records)
    for code in public["TOTP codes"]:
        assert not re.search(rf"(?<![\d.]){code}(?!\d)", text), code


def test_the_verify_url_holds_only_the_public_challenge_id(everything):
    needles, _public, records = everything
    paths = [r.getMessage() for r in records if r.name == "django.request"]
    assert any("/verify/" in p for p in paths), paths
    assert find_leaks("\n".join(paths), needles) == []
