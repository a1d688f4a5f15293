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

__all__ = ["LoginError", "SessionCredentials", "login", "logout", "terminal_code_prompt"]


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
    return getpass.getpass(f"Authenticator or recovery code{note}: ")


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
    verify_url = _url(base_url, f"sessions/{pending['id']}/verify/")
    while True:
        code = code_prompt(info)
        answer = http.post(verify_url, json={"code": code}, timeout=timeout)
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
