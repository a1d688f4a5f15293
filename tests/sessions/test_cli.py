"""The command line against the real app (a live server, the example project's URLs):
``login --code``, ``totp enable|confirm|disable``, ``logout --others``, and the
``session_required`` hint for an API key. Each command runs in a subprocess, as a user runs it."""

from __future__ import annotations

import os
import sys

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


def python() -> str:
    """How the command line names the interpreter running it (cli() runs it from here)."""
    relative = os.path.relpath(sys.executable)
    return relative if len(relative) < len(sys.executable) else sys.executable


def gateway_note(live_server) -> str:
    return f"(encrypted through the gateway {live_server.url}/.well-known/ohttp-gateway)"


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
    # The next command names the interpreter that ran this one, not a bare `python`.
    assert f"then: {python()} -m signed_api.client totp confirm {urls['auth']} CODE\n" in (
        enabled.stderr
    )

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
    assert one_error_line(done.stderr).startswith("error: 409 totp_already_enabled")
    # The way on: remove the second factor first.
    hint = done.stderr.splitlines()[1]
    assert hint.startswith("hint: ")
    assert f"{python()} -m signed_api.client totp disable {urls['auth']} CODE" in hint


# -- a wrong AUTH_URL or URL: Django's own 404 outside the app is unsigned ------------------------
@pytest.mark.parametrize("ohttp", [False, True], ids=["clear", "ohttp"])
@pytest.mark.parametrize("path", ["/api/", "/nope/"], ids=["api", "nope"])
def test_cli_login_at_a_url_outside_the_app_is_a_usage_error_with_a_hint(
    user, live_server, path, ohttp
):
    """``login http://…/api/`` (not where signed_api.urls is mounted): Django's own 404 for
    ``/api/sessions/`` is unsigned by design (SERVER_SIGNATURES="app"), so the command does not
    act on it, but says what is most likely wrong: exit status 2, and a hint that names both
    the wrong AUTH_URL and something in between."""
    auth_url = live_server.url + path
    done = cli("login", auth_url, "--username", "alice", *(["--ohttp"] if ohttp else []),
               env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""  # nothing to eval: no credential
    hint = unsigned_404_hint(done, auth_url, live_server, ohttp)
    assert hint.startswith("hint: AUTH_URL is not where signed_api.urls is mounted")
    assert "something in between" in hint
    assert "Traceback" not in done.stderr
    assert not Session.objects.exists()


def unsigned_404_hint(done, url: str, live_server, ohttp: bool) -> str:
    """The hint line of the command's refusal to act on ``url``'s unsigned 404, after its one
    error line (and, through the gateway, the note that says so)."""
    stderr = done.stderr
    if ohttp:
        note, _, stderr = stderr.partition("\n")
        assert note == gateway_note(live_server)
    error, hint = stderr.splitlines()
    assert error == (
        f"error: {url} answered HTTP 404 without the server's signature, so it is not acted on"
    )
    return hint


def test_cli_logout_at_a_url_outside_the_app_keeps_the_session(user, urls, live_server):
    env = cli_login(urls)
    for args in (["logout", live_server.url + "/api/"],
                 ["logout", live_server.url + "/nope/", "--others"]):
        done = cli(*args, env=env)
        assert done.returncode == 2, done.stderr
        assert "404 without the server's signature" in one_error_line(done.stderr)
        assert "signed_api.urls is mounted" in done.stderr
    assert works(env, urls)  # not acted on: the session was not dropped


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("ohttp", [False, True], ids=["clear", "ohttp"])
def test_cli_request_to_a_url_outside_the_app_is_a_clear_error_without_the_html_page(
    user, live_server, settings, debug, ohttp
):
    """``GET http://…/nope/``: the unsigned 404 is printed with its headers, but its HTML page
    (with DEBUG on, as in ``make demo``, Django's whole debug page) is summarized in one line."""
    settings.DEBUG = debug
    key, secret = ApiKey.objects.create_key(user)
    env = {"SIGNED_API_KEY_ID": key.key_id, "SIGNED_API_SECRET": encode_secret(secret)}
    url = live_server.url + "/nope/"
    done = cli("GET", url, *(["--ohttp"] if ohttp else []), env=env)
    assert done.returncode == 2, done.stderr
    head, _, body = done.stdout.partition("\n\n")
    assert head.startswith("HTTP 404 Not Found\n")
    assert "text/html" in head.lower()
    assert body.startswith("[an HTML page of ") and body.count("\n") == 1, body
    assert "not shown" in body and "<" not in body
    if debug:
        assert "Page not found at /nope/" in body  # its title
    hint = unsigned_404_hint(done, url, live_server, ohttp)
    assert hint.startswith("hint: URL is not one of the app's") and "something in between" in hint


# -- --ohttp-gateway URL that is not a gateway --------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/api/", "/api/notes/", "/nope/", "/admin/login/"],
    ids=["api-406", "notes-406", "nope-404", "admin-html"],
)  # fmt: skip
def test_cli_a_gateway_url_that_is_not_a_gateway_is_a_usage_error_with_a_hint(
    user, urls, live_server, path
):
    """Any answer to the key configuration request that is not a usable
    ``application/ohttp-keys`` (a 406 of a DRF view, a 404, an HTML page) is no gateway: exit
    status 2 and the hint, never the request sent."""
    key, secret = ApiKey.objects.create_key(user)
    env = {"SIGNED_API_KEY_ID": key.key_id, "SIGNED_API_SECRET": encode_secret(secret)}
    gateway = live_server.url + path
    for args in (["GET", urls["notes"]], ["login", urls["auth"], "--username", "alice"]):
        done = cli(*args, "--ohttp-gateway", gateway, env={**env, "SIGNED_API_PASSWORD": PASSWORD})
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        error = one_error_line(done.stderr)
        assert error.startswith(f"error: no usable gateway: the gateway {gateway} ")
        assert "hint: that URL is probably not a gateway" in done.stderr
        assert "encrypted through" not in done.stderr
    assert not Session.objects.exists()


def test_cli_a_gateway_that_is_down_is_not_called_no_gateway():
    """A 5xx to the key configuration request is a gateway down for now (exit 1, no hint that
    the URL is wrong); a 4xx or another media type is no gateway at all (exit 2, the hint)."""
    from signed_api.client.__main__ import CLIError, UsageError, _gateway_error
    from signed_api.client.ohttp import OHTTPError

    for status in (500, 502, 503):
        down = _gateway_error(OHTTPError("down", code="gateway_refused", status=status,
                                         key_request=True))
        assert type(down) is CLIError and not isinstance(down, UsageError), status
    for status in (400, 404, 406):
        wrong = _gateway_error(OHTTPError("no", code="gateway_refused", status=status,
                                          key_request=True))
        assert isinstance(wrong, UsageError), status


# -- --ohttp: every command says so ---------------------------------------------------------------
def test_cli_every_command_through_the_gateway_says_so(user, urls, live_server):
    note = gateway_note(live_server) + "\n"
    done = cli("login", urls["auth"], "--username", "alice", "--ohttp",
               env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(note) == 1
    env = exports(done.stdout)

    enabled = cli("totp", "enable", urls["auth"], "--ohttp", env=env)
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stderr.startswith(note)
    assert f"totp confirm {urls['auth']} CODE --ohttp\n" in enabled.stderr
    authenticator = pyotp.parse_uri(enabled.stdout.splitlines()[0])
    confirmed = cli("totp", "confirm", urls["auth"], authenticator.now(), "--ohttp", env=env)
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stderr.startswith(note)
    disabled = cli("totp", "disable", urls["auth"], fresh_code(authenticator, user), "--ohttp",
                   env=env)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stderr == note
    other = cli_login(urls)  # after the second-factor changes, which end the other sessions
    assert works(other, urls)
    others = cli("logout", urls["auth"], "--others", "--ohttp", env=env)
    assert others.returncode == 0, others.stderr
    assert others.stderr == note
    assert others.stdout == "ended 1 other session and every other remember token\n"
    out = cli("logout", urls["auth"], "--ohttp", env=env)
    assert (out.returncode, out.stdout, out.stderr) == (0, "logged out\n", note)
    assert not works(other, urls)  # ended by --others
    clear = cli("GET", urls["notes"], env=other)
    assert clear.returncode == 1 and "encrypted through" not in clear.stderr


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
    assert done.stdout == "ended 2 other sessions and every other remember token\n"
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
