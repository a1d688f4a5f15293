"""The command line against the real app (a live server, the example project's URLs):
``login --code``, ``totp enable|confirm|disable``, ``logout --others``, and the
``session_required`` hint for an API key. Each command runs in a subprocess, as a user runs it."""

from __future__ import annotations

import pyotp
import pytest
import requests

from signed_api.client import encode_secret
from signed_api.models import ApiKey, Session, TOTPDevice
from tests.accounts import PASSWORD

from .support import enrol, fresh_code, session_client, wrong_code
from .support import login as http_login
from .test_client import cli, exports

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def urls(live_server):
    return {
        "auth": f"{live_server.url}/api/auth/",
        "notes": f"{live_server.url}/api/notes/",
        "sessions": f"{live_server.url}/api/auth/sessions/",
    }


def cli_login(urls, *extra: str) -> dict[str, str]:
    done = cli("login", urls["auth"], "--username", "alice", *extra,
               env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    return exports(done.stdout)


def works(env: dict[str, str], urls) -> bool:
    done = cli("GET", urls["notes"], env=env)
    return done.returncode == 0 and done.stdout.startswith("HTTP 200")


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("error: "), stderr
    assert all(line.startswith(("error: ", "hint: ")) for line in lines[1:]), stderr
    return lines[0]


# -- login --code ---------------------------------------------------------------------------------
def test_cli_login_code_completes_a_second_factor_login(user, urls):
    authenticator, _codes = enrol(session_client(http_login("alice", PASSWORD)))
    env = cli_login(urls, "--code", fresh_code(authenticator, user))
    assert set(env) == {"SIGNED_API_KEY_ID", "SIGNED_API_SECRET"}
    assert works(env, urls)


def test_cli_login_code_takes_a_recovery_code_once(user, urls):
    _authenticator, codes = enrol(session_client(http_login("alice", PASSWORD)))
    assert works(cli_login(urls, "--code", codes[0]), urls)
    again = cli("login", urls["auth"], "--username", "alice", "--code", codes[0],
                env={"SIGNED_API_PASSWORD": PASSWORD})
    assert again.returncode == 1
    assert "otp_invalid" in one_error_line(again.stderr)


def test_cli_login_with_a_wrong_code_fails_after_one_try(user, urls):
    authenticator, _codes = enrol(session_client(http_login("alice", PASSWORD)))
    done = cli("login", urls["auth"], "--username", "alice", "--code", wrong_code(authenticator),
               env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 1
    assert done.stdout == ""
    line = one_error_line(done.stderr)
    assert "401 otp_invalid" in line and "(2 attempts left)" in line
    assert "Traceback" not in done.stderr


# -- totp: the whole second factor from the command line ------------------------------------------
def test_cli_totp_enable_confirm_login_with_a_code_and_disable(user, urls):
    env = cli_login(urls)

    enabled = cli("totp", "enable", urls["auth"], env=env)
    assert enabled.returncode == 0, enabled.stderr
    uri = enabled.stdout.splitlines()[0]
    assert uri.startswith("otpauth://totp/")
    authenticator = pyotp.parse_uri(uri)
    assert f"secret (to type in instead): {authenticator.secret}" in enabled.stdout
    assert "█" in enabled.stdout or "pip install 'django-signed-api[qr]'" in enabled.stderr
    assert f"totp confirm {urls['auth']} CODE" in enabled.stderr

    # Not yet confirmed: a login needs no code.
    assert works(cli_login(urls), urls)

    confirmed = cli("totp", "confirm", urls["auth"], authenticator.now(), env=env)
    assert confirmed.returncode == 0, confirmed.stderr
    recovery = confirmed.stdout.split()
    assert len(recovery) >= 8 and len(set(recovery)) == len(recovery)
    assert "will not be shown again" in confirmed.stderr

    # Now a login needs a code: none and no terminal is an input error; --code works.
    blocked = cli("login", urls["auth"], "--username", "alice",
                  env={"SIGNED_API_PASSWORD": PASSWORD})
    assert blocked.returncode == 2 and "--code" in blocked.stderr
    with_code = cli_login(urls, "--code", fresh_code(authenticator, user))
    assert works(with_code, urls)
    assert works(cli_login(urls, "--code", recovery[0]), urls)

    wrong = cli("totp", "disable", urls["auth"], wrong_code(authenticator), env=env)
    assert wrong.returncode == 1 and "otp_invalid" in one_error_line(wrong.stderr)

    disabled = cli("totp", "disable", urls["auth"], fresh_code(authenticator, user), env=env)
    assert disabled.returncode == 0, disabled.stderr
    assert works(cli_login(urls), urls)  # the password alone again
    assert works(env, urls)  # the session that made the change stays


def test_cli_totp_enable_when_a_device_is_confirmed_is_refused(user, urls):
    env = cli_login(urls)
    enrol(session_client({"id": env["SIGNED_API_KEY_ID"], "secret": env["SIGNED_API_SECRET"]}))
    done = cli("totp", "enable", urls["auth"], env=env)
    assert done.returncode == 1
    assert one_error_line(done.stderr).startswith("error: 409 ")


# -- an API key is told that account security needs a session -------------------------------------
@pytest.mark.parametrize(
    "command",
    [("totp", "enable"), ("totp", "confirm", "123456"), ("totp", "disable", "123456"),
     ("logout", "--others")],
    ids=["totp-enable", "totp-confirm", "totp-disable", "logout-others"],
)
def test_cli_account_security_with_an_api_key_says_to_log_in(user, urls, command):
    key, secret = ApiKey.objects.create_key(user, name="notes reader")
    env = {"SIGNED_API_KEY_ID": key.key_id, "SIGNED_API_SECRET": encode_secret(secret)}
    name, *rest = command
    if name == "totp":
        args = [name, rest[0], urls["auth"], *rest[1:]]
    else:
        args = [name, urls["auth"], *rest]
    done = cli(*args, env=env)
    assert done.returncode == 1, done.stderr
    assert "403 session_required" in one_error_line(done.stderr)
    assert "hint: " in done.stderr and "needs a session" in done.stderr
    assert "login AUTH_URL --username NAME" in done.stderr
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_cli_request_with_an_api_key_to_sessions_gets_the_hint(user, urls):
    key, secret = ApiKey.objects.create_key(user)
    env = {"SIGNED_API_KEY_ID": key.key_id, "SIGNED_API_SECRET": encode_secret(secret)}
    done = cli("GET", urls["sessions"], env=env)
    assert done.returncode == 1
    assert done.stdout.startswith("HTTP 403") and "session_required" in done.stdout
    assert "hint: " in done.stderr and "needs a session" in done.stderr


# -- logout --others -------------------------------------------------------------------------------
def test_cli_logout_others_ends_every_other_session_and_keeps_this_one(user, urls):
    mine = cli_login(urls)
    others = [cli_login(urls), cli_login(urls, "--remember")]

    done = cli("logout", urls["auth"], "--others", env=mine)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ended ")
    assert works(mine, urls)
    for env in others:
        refused = cli("GET", urls["notes"], env=env)
        assert refused.returncode == 1 and refused.stdout.startswith("HTTP 401")
    remembered = cli("login", urls["auth"],
                     env={"SIGNED_API_REMEMBER_TOKEN": others[1]["SIGNED_API_REMEMBER_TOKEN"]})
    assert remembered.returncode == 1 and remembered.stdout == ""
    live = requests.get(urls["sessions"], auth=session_client_auth(mine), timeout=10).json()
    assert [s["id"] for s in live] == [mine["SIGNED_API_KEY_ID"]]
    assert Session.objects.live().count() == 1


def session_client_auth(env: dict[str, str]):
    from signed_api.client import SignatureAuth, decode_secret

    return SignatureAuth(env["SIGNED_API_KEY_ID"], decode_secret(env["SIGNED_API_SECRET"]))
