"""The Python client and the command line against a live server: ``login`` (201 and 202 with a
code prompt), remember tokens, ``logout``; ``python -m signed_api.client login`` in a
subprocess whose ``export`` lines then sign ``python -m signed_api.client GET``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from signed_api.client import LoginError, SessionCredentials, encode_secret, login, logout
from signed_api.models import Session
from tests.accounts import PASSWORD

from .support import enrol, fresh_code, session_client, wrong_code
from .support import login as http_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def urls(live_server):
    return {
        "auth": f"{live_server.url}/api/auth/",
        "notes": f"{live_server.url}/api/notes/",
        "sessions": f"{live_server.url}/api/auth/sessions/",
    }


@pytest.fixture
def authenticator(user):
    """alice with a confirmed TOTP device (enrolled over the in-process test client)."""
    authenticator, _codes = enrol(session_client(http_login("alice", PASSWORD)))
    return authenticator


def no_prompt(info):  # pragma: no cover - called only on a failure
    raise AssertionError(f"no code should be asked for: {info}")


# -- login --------------------------------------------------------------------------------------
def test_login_without_a_second_factor_gives_working_credentials(user, urls):
    creds = login(urls["auth"], "alice", PASSWORD, code_prompt=no_prompt)

    assert isinstance(creds, SessionCredentials)
    assert creds.id.startswith("ses_")
    assert len(creds.secret) == 32
    assert creds.algorithm == "hmac-sha256"
    assert creds.remember_token is None
    assert encode_secret(creds.secret) not in repr(creds)
    response = requests.get(urls["notes"], auth=creds.auth(), timeout=10)
    assert response.status_code == 200, response.text
    listed = requests.get(urls["sessions"], auth=creds.auth(), timeout=10).json()
    assert [(s["id"], s["current"]) for s in listed] == [(creds.id, True)]


def test_login_with_a_wrong_password_raises_login_error(user, urls):
    with pytest.raises(LoginError) as caught:
        login(urls["auth"], "alice", "wrong", code_prompt=no_prompt)
    assert caught.value.status == 401
    assert caught.value.code == "invalid_credentials"
    assert "wrong" not in str(caught.value)


def test_login_with_a_second_factor_asks_for_a_code(user, urls, authenticator):
    asked: list[dict] = []

    def prompt(info):
        asked.append(dict(info))
        return fresh_code(authenticator, user)

    creds = login(urls["auth"], "alice", PASSWORD, code_prompt=prompt)

    assert len(asked) == 1
    assert asked[0]["methods"] == ["totp", "recovery_code"]
    assert requests.get(urls["notes"], auth=creds.auth(), timeout=10).status_code == 200


def test_login_asks_again_after_a_wrong_code(user, urls, authenticator):
    asked: list[dict] = []

    def prompt(info):
        asked.append(dict(info))
        return wrong_code(authenticator) if len(asked) == 1 else fresh_code(authenticator, user)

    creds = login(urls["auth"], "alice", PASSWORD, code_prompt=prompt)

    assert len(asked) == 2
    assert "attempts_remaining" not in asked[0]
    assert asked[1]["attempts_remaining"] == 2
    assert requests.get(urls["notes"], auth=creds.auth(), timeout=10).status_code == 200


def test_login_gives_up_when_the_attempts_are_exhausted(user, urls, authenticator):
    bad = wrong_code(authenticator)
    with pytest.raises(LoginError) as caught:
        login(urls["auth"], "alice", PASSWORD, code_prompt=lambda info: bad)
    assert caught.value.code == "otp_attempts_exhausted"
    assert caught.value.status == 401


def test_login_with_a_recovery_code(user, live_server):
    _authenticator, codes = enrol(session_client(http_login("alice", PASSWORD)))
    creds = login(f"{live_server.url}/api/auth/", "alice", PASSWORD, code_prompt=lambda i: codes[0])
    assert requests.get(f"{live_server.url}/api/notes/", auth=creds.auth(), timeout=10).ok


# -- remember tokens and logout ----------------------------------------------------------------
def test_remember_token_login_and_logout(user, urls):
    first = login(urls["auth"], "alice", PASSWORD, remember=True, device_name="script")
    assert first.remember_token.startswith("rmb_")
    assert first.remember_token not in repr(first)

    second = login(urls["auth"], remember_token=first.remember_token, code_prompt=no_prompt)

    assert second.id != first.id
    assert second.remember_token and second.remember_token != first.remember_token
    assert requests.get(urls["notes"], auth=second.auth(), timeout=10).status_code == 200
    assert Session.objects.get(key_id=first.id).device_name == "script"

    logout(urls["auth"], second.id, second.auth())

    refused = requests.get(urls["notes"], auth=second.auth(), timeout=10)
    assert refused.status_code == 401
    assert refused.json()["code"] == "key_revoked"
    # Logging out ends the remember family: its first session and its token end with it.
    assert requests.get(urls["notes"], auth=first.auth(), timeout=10).status_code == 401
    with pytest.raises(LoginError):
        login(urls["auth"], remember_token=second.remember_token, code_prompt=no_prompt)
    with pytest.raises(LoginError) as caught:
        logout(urls["auth"], second.id, second.auth())
    assert caught.value.status == 401


def test_logout_of_another_session_with_my_key(user, urls):
    mine = login(urls["auth"], "alice", PASSWORD)
    other = login(urls["auth"], "alice", PASSWORD)
    logout(urls["auth"], other.id, mine.auth())
    assert requests.get(urls["notes"], auth=other.auth(), timeout=10).status_code == 401
    assert requests.get(urls["notes"], auth=mine.auth(), timeout=10).status_code == 200


def test_with_a_second_factor_and_remember_the_token_skips_the_prompt(user, urls, authenticator):
    first = login(
        urls["auth"], "alice", PASSWORD, remember=True,
        code_prompt=lambda info: fresh_code(authenticator, user),
    )
    again = login(urls["auth"], remember_token=first.remember_token, code_prompt=no_prompt)
    assert requests.get(urls["notes"], auth=again.auth(), timeout=10).status_code == 200


# -- the command line --------------------------------------------------------------------------
def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIGNED_API_")}
    return subprocess.run(
        [sys.executable, "-m", "signed_api.client", *args],
        env={**clean, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def exports(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        assert line.startswith("export "), stdout
        name, _, value = line[len("export "):].partition("=")
        found[name] = value
    return found


def test_cli_login_prints_exports_that_sign_the_next_command(user, urls):
    done = cli(
        "login", urls["auth"], "--username", "alice", "--remember",
        env={"SIGNED_API_PASSWORD": PASSWORD},
    )

    assert done.returncode == 0, done.stderr
    env = exports(done.stdout)
    assert set(env) == {"SIGNED_API_KEY_ID", "SIGNED_API_SECRET", "SIGNED_API_REMEMBER_TOKEN"}
    assert env["SIGNED_API_KEY_ID"].startswith("ses_")
    assert PASSWORD not in done.stdout + done.stderr

    got = cli("GET", urls["notes"], env=env)
    assert got.returncode == 0, got.stdout + got.stderr
    assert got.stdout.startswith("HTTP 200")

    # The remember token alone logs in again.
    again = cli("login", urls["auth"], env={
        "SIGNED_API_REMEMBER_TOKEN": env["SIGNED_API_REMEMBER_TOKEN"]
    })
    assert again.returncode == 0, again.stderr
    renewed = exports(again.stdout)
    assert renewed["SIGNED_API_KEY_ID"] != env["SIGNED_API_KEY_ID"]
    assert cli("GET", urls["sessions"], env=renewed).stdout.startswith("HTTP 200")

    # logout ends the session named in the environment.
    out = cli("logout", urls["auth"], env=renewed)
    assert out.returncode == 0, out.stderr
    refused = cli("GET", urls["notes"], env=renewed)
    assert refused.returncode == 1
    assert refused.stdout.startswith("HTTP 401")
    assert "key_revoked" in refused.stdout
    # The remember family ended with it: so did the session it started from.
    assert cli("GET", urls["notes"], env=env).stdout.startswith("HTTP 401")


def test_cli_login_without_remember_prints_no_token(user, urls):
    done = cli("login", urls["auth"], "--username", "alice",
               env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    assert set(exports(done.stdout)) == {"SIGNED_API_KEY_ID", "SIGNED_API_SECRET"}


def test_cli_login_with_a_wrong_password_fails_with_the_code(user, urls):
    done = cli("login", urls["auth"], "--username", "alice",
               env={"SIGNED_API_PASSWORD": "wrong"})
    assert done.returncode == 1
    assert done.stdout == ""
    assert "invalid_credentials" in done.stderr


def test_cli_login_with_a_second_factor_and_no_terminal_fails_cleanly(user, urls, authenticator):
    done = cli("login", urls["auth"], "--username", "alice",
               env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 2  # nothing to answer the server with: an input problem
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "no terminal" in done.stderr and "--code" in done.stderr
