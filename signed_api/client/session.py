"""Logging in from Python: sessions are signed exactly like API keys.

    from signed_api.client import login

    creds = login("https://api.example.com/api/auth/", "alice", "…", remember=True)
    requests.get("https://api.example.com/api/notes/", auth=creds.auth())

``login`` handles both answers of ``POST sessions/``: ``201`` (a session) and ``202`` (a second
factor is due: it asks ``code_prompt`` for a TOTP or recovery code, and again after a wrong one
while attempts remain). Keep ``creds.remember_token`` somewhere safe; ``login(...,
remember_token=...)`` trades it for a new session and a new token.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .auth import SignatureAuth, decode_secret

__all__ = [
    "LoginError",
    "SessionCredentials",
    "login",
    "logout",
    "logout_others",
    "terminal_code_prompt",
    "totp_confirm",
    "totp_disable",
    "totp_enable",
]


class LoginError(Exception):
    def __init__(self, status: int, code: str | None, detail: str, body: dict | None = None):
        self.status = status
        self.code = code
        self.detail = detail
        self.body = body or {}
        super().__init__(f"{status} {code}: {detail}")


@dataclass
class SessionCredentials:
    id: str
    secret: bytes
    algorithm: str
    expires_at: str
    idle_timeout: int
    remember_token: str | None = None

    def auth(self, **options) -> SignatureAuth:
        return SignatureAuth(self.id, self.secret, algorithm=self.algorithm, **options)

    def __repr__(self) -> str:  # never the secret or the token
        return f"<SessionCredentials id={self.id!r} expires_at={self.expires_at!r}>"


def terminal_code_prompt(info: dict) -> str:
    """Ask on the terminal (the code is not echoed)."""
    remaining = info.get("attempts_remaining")
    note = f" ({remaining} attempts left)" if remaining is not None else ""
    if not sys.stdin.isatty():
        raise LoginError(202, "second_factor_required", "a code is needed but there is no terminal")
    try:
        return getpass.getpass(f"Authenticator or recovery code{note}: ")
    except EOFError:  # Ctrl-D at the prompt
        raise LoginError(202, "second_factor_required", "no code given (end of input)") from None


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _body(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _credentials(data: dict) -> SessionCredentials:
    return SessionCredentials(
        id=data["id"],
        secret=decode_secret(data["secret"]),
        algorithm=data.get("algorithm", "hmac-sha256"),
        expires_at=data.get("expires_at", ""),
        idle_timeout=int(data.get("idle_timeout", 0)),
        remember_token=data.get("remember_token"),
    )


def _fail(response) -> LoginError:
    data = _body(response)
    return LoginError(response.status_code, data.get("code"), data.get("detail", ""), data)


def login(
    base_url: str,
    username: str | None = None,
    password: str | None = None,
    *,
    remember: bool = False,
    device_name: str | None = None,
    remember_token: str | None = None,
    code_prompt: Callable[[dict], str] = terminal_code_prompt,
    http=None,
    timeout: float = 30.0,
) -> SessionCredentials:
    """Log in at ``base_url`` (where ``signed_api.urls`` is mounted, e.g. ``.../api/auth/``)."""
    import requests

    http = http or requests.Session()
    if remember_token is not None:
        payload: dict = {"remember_token": remember_token}
    else:
        if not username or password is None:
            raise ValueError("give username and password, or remember_token")
        payload = {"username": username, "password": password, "remember": remember}
    if device_name:
        payload["device_name"] = device_name
    response = http.post(_url(base_url, "sessions/"), json=payload, timeout=timeout)
    if response.status_code == 201:
        return _credentials(response.json())
    if response.status_code != 202:
        raise _fail(response)
    pending = response.json()
    info: dict = {"methods": pending.get("methods"), "expires_at": pending.get("expires_at")}
    # The id is public (it goes in the URL); the challenge token is a secret, sent in the body.
    verify_url = _url(base_url, f"sessions/{pending['id']}/verify/")
    token = pending.get("challenge_token")
    while True:
        code = code_prompt(info)
        answer = http.post(
            verify_url, json={"challenge_token": token, "code": code}, timeout=timeout
        )
        if answer.status_code == 201:
            return _credentials(answer.json())
        data = _body(answer)
        if answer.status_code == 401 and data.get("code") == "otp_invalid":
            info["attempts_remaining"] = data.get("attempts_remaining")
            continue
        raise _fail(answer)


def logout(
    base_url: str, session_id: str, auth: SignatureAuth, *, http=None, timeout: float = 30.0
) -> None:
    """End a session on the server (``DELETE sessions/{id}/``, signed with ``auth``, usually
    the session's own: ``logout(url, creds.id, creds.auth())``)."""
    import requests

    http = http or requests.Session()
    response = http.delete(_url(base_url, f"sessions/{session_id}/"), auth=auth, timeout=timeout)
    if response.status_code != 204:
        raise _fail(response)


# -- account security: these need a session's signature (an API key gets 403 session_required) --
def logout_others(base_url: str, auth: SignatureAuth, *, http=None, timeout: float = 30.0) -> int:
    """End every other session of the caller and every remember family but the caller's own
    (``DELETE sessions/``, signed with the current session's ``auth``); returns how many ended."""
    import requests

    http = http or requests.Session()
    response = http.delete(_url(base_url, "sessions/"), auth=auth, timeout=timeout)
    data = _body(response)
    if response.status_code != 200 or not isinstance(data.get("ended"), int):
        raise _fail(response)
    return data["ended"]


def totp_enable(base_url: str, auth: SignatureAuth, *, http=None, timeout: float = 30.0) -> dict:
    """Start enrolling a TOTP device (``POST totp/``): returns the server's body, whose
    ``otpauth_uri`` goes into an authenticator app. Nothing is required at login until
    :func:`totp_confirm` succeeds."""
    import requests

    http = http or requests.Session()
    response = http.post(_url(base_url, "totp/"), auth=auth, timeout=timeout)
    data = _body(response)
    if response.status_code != 201 or not isinstance(data.get("otpauth_uri"), str):
        raise _fail(response)
    return data


def totp_confirm(
    base_url: str, code: str, auth: SignatureAuth, *, http=None, timeout: float = 30.0
) -> list[str]:
    """Confirm the new device with a current code (``POST totp/confirm/``): from now on a login
    needs a second factor. Returns the recovery codes, which the server shows this once."""
    import requests

    http = http or requests.Session()
    response = http.post(
        _url(base_url, "totp/confirm/"), json={"code": code}, auth=auth, timeout=timeout
    )
    data = _body(response)
    codes = data.get("recovery_codes")
    if response.status_code != 200 or not isinstance(codes, list):
        raise _fail(response)
    return [str(c) for c in codes]


def totp_disable(
    base_url: str, code: str, auth: SignatureAuth, *, http=None, timeout: float = 30.0
) -> None:
    """Remove the device (``DELETE totp/`` with a current code or a recovery code)."""
    import requests

    http = http or requests.Session()
    response = http.delete(_url(base_url, "totp/"), json={"code": code}, auth=auth, timeout=timeout)
    if response.status_code != 204:
        raise _fail(response)
