"""Logging in from Python: sessions are signed exactly like API keys.

    from signed_api.client import login

    creds = login("https://api.example.com/api/auth/", "alice", "…", remember=True)
    requests.get("https://api.example.com/api/notes/", auth=creds.auth())

``login`` handles both answers of ``POST sessions/``: ``201`` (a session) and ``202`` (a second
factor is due: it asks ``code_prompt`` for a TOTP or recovery code, and again after a wrong one
while attempts remain). Keep ``creds.remember_token`` somewhere safe; ``login(...,
remember_token=...)`` trades it for a new session and a new token.

With ``device_key=`` (a PEM file, created with mode 0600 when ``create_device_key=True``, or a
private key object) the session is bound to that key: the server hands out no secret, requests
are signed with the device key, and a remember token is traded only in a request signed by it
(keyid: the key's RFC 7638 thumbprint)::

    creds = login(url, "alice", "…", remember=True, device_key="~/.config/app/device.pem",
                  create_device_key=True)
    creds = login(url, remember_token=creds.remember_token, device_key="~/.config/app/device.pem")
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core import algorithms
from ..core.jwk import jwk_thumbprint
from .auth import SignatureAuth, decode_secret
from .refusals import ClientError, verify_refusal

__all__ = [
    "DEVICE_ALGORITHMS",
    "DeviceKey",
    "LoginError",
    "SessionCredentials",
    "fetch_server_keys",
    "load_device_key",
    "login",
    "logout",
    "logout_others",
    "terminal_code_prompt",
    "totp_confirm",
    "totp_disable",
    "totp_enable",
]


class LoginError(ClientError):
    def __init__(self, status: int, code: str | None, detail: str, body: dict | None = None):
        self.status = status
        self.code = code
        self.detail = detail
        self.body = body or {}
        super().__init__(f"{status} {code}: {detail}")


#: The algorithms of a device key: P-256 first (Secure Enclave and Android Keystore hold it).
DEVICE_ALGORITHMS = ("ecdsa-p256-sha256", "ed25519")


@dataclass(frozen=True)
class DeviceKey:
    """A private key kept on this device, with the public JWK and RFC 7638 thumbprint the
    server knows it by. ``repr`` never shows the private key."""

    algorithm: str
    private_key: Any = field(repr=False)
    jwk: dict
    thumbprint: str
    path: str | None = None

    @classmethod
    def from_private_key(cls, private_key: Any, *, path: str | None = None) -> DeviceKey:
        if isinstance(private_key, str):
            private_key = private_key.encode("ascii")
        if isinstance(private_key, (bytes, bytearray)):
            from cryptography.hazmat.primitives import serialization

            private_key = serialization.load_pem_private_key(bytes(private_key), password=None)
        for name in DEVICE_ALGORITHMS:
            entry = algorithms.get(name)
            try:
                entry.load_signing_key(private_key)  # the type check of this algorithm
            except ValueError:
                continue
            jwk = entry.public_key_to_jwk(private_key.public_key())
            return cls(name, private_key, jwk, jwk_thumbprint(jwk), path)
        raise ValueError("a device key is an ECDSA P-256 or an Ed25519 private key")

    def registration(self) -> dict:
        """What ``POST sessions/`` carries to bind the session to this key."""
        return {"public_key": self.jwk, "algorithm": self.algorithm}

    def auth(self, key_id: str, **options) -> SignatureAuth:
        return SignatureAuth(key_id, self.private_key, algorithm=self.algorithm, **options)


def load_device_key(path, *, create: bool = False,
                    algorithm: str = "ecdsa-p256-sha256") -> DeviceKey:
    """The device key in the PEM file ``path``; with ``create``, a new ``algorithm`` key is
    generated and written there first when the file does not exist (mode 0600, never over an
    existing file). A key file that others may read is refused, as ssh does."""
    from cryptography.hazmat.primitives import serialization

    path = os.path.expanduser(os.fspath(path))
    if create and not os.path.exists(path):
        if algorithm not in DEVICE_ALGORITHMS:
            raise ValueError(f"a device key's algorithm is one of {', '.join(DEVICE_ALGORITHMS)}")
        generate = algorithms.get(algorithm).generate
        assert generate is not None
        private = generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return DeviceKey.from_private_key(private, path=path)
    mode = os.stat(path).st_mode
    if os.name == "posix" and mode & 0o077:
        raise PermissionError(
            f"{path} may be read by others (mode {mode & 0o777:04o}): chmod 600 {path}"
        )
    with open(path, "rb") as fh:
        return DeviceKey.from_private_key(fh.read(), path=path)


def _device_key(device_key, *, create: bool, algorithm: str) -> DeviceKey | None:
    if device_key is None or isinstance(device_key, DeviceKey):
        return device_key
    if isinstance(device_key, (str, os.PathLike)):
        return load_device_key(device_key, create=create, algorithm=algorithm)
    return DeviceKey.from_private_key(device_key)


@dataclass
class SessionCredentials:
    """A session: ``secret`` for an hmac session, or ``device_key`` (no secret exists) for a
    device-bound one; ``auth()`` signs with whichever it is."""

    id: str
    secret: bytes | None
    algorithm: str
    expires_at: str
    idle_timeout: int
    remember_token: str | None = None
    device_key: DeviceKey | None = None
    key_thumbprint: str | None = None

    def auth(self, **options) -> SignatureAuth:
        if self.device_key is not None:
            return self.device_key.auth(self.id, **options)
        return SignatureAuth(self.id, self.secret, algorithm=self.algorithm, **options)

    @property
    def device_bound(self) -> bool:
        return self.device_key is not None

    def __repr__(self) -> str:  # never the secret or the token
        return f"<SessionCredentials id={self.id!r} expires_at={self.expires_at!r}>"


def fetch_server_keys(url: str, *, http=None, timeout: float = 30.0) -> dict:
    """The server's response-signing keys (the JWKS at ``/.well-known/signed-api/keys`` of
    ``url``'s origin), for ``auth.verify_response(response, server_keys=...)`` when the request
    was signed by a client-held key (a device-bound session)."""
    from urllib.parse import urlsplit

    import requests

    parts = urlsplit(url)
    http = http or requests.Session()
    response = http.get(f"{parts.scheme}://{parts.netloc}/.well-known/signed-api/keys",
                        timeout=timeout)
    data = _body(response)
    if response.status_code != 200 or not isinstance(data.get("keys"), list):
        raise _fail(response)
    return data


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


def _credentials(data: dict, device_key: DeviceKey | None = None) -> SessionCredentials:
    if device_key is not None:
        # A bound session: the server must not have sent a secret, and must name our key.
        if (
            "secret" in data
            or data.get("key_thumbprint") != device_key.thumbprint
            or data.get("algorithm") != device_key.algorithm
        ):
            raise LoginError(
                201, "not_device_bound",
                "the server did not bind the session to the device key (a server without "
                "device-bound sessions?); the session it issued is not used",
            )
        secret = None
    else:
        secret = decode_secret(data["secret"])
    return SessionCredentials(
        id=data["id"],
        secret=secret,
        algorithm=data.get("algorithm", "hmac-sha256"),
        expires_at=data.get("expires_at", ""),
        idle_timeout=int(data.get("idle_timeout", 0)),
        remember_token=data.get("remember_token"),
        device_key=device_key,
        key_thumbprint=data.get("key_thumbprint"),
    )


def _checked(response, verify: bool, server_keys=None, http=None):
    """``response``, once a refusal of an unsigned request is known to be the server's
    (:class:`~signed_api.client.UnverifiedRefusal` otherwise). Refusals of signed requests
    were checked by the request's :class:`SignatureAuth` already."""
    if (
        verify
        and response.status_code >= 400
        and "Signature" not in response.request.headers
    ):
        verify_refusal(response, server_keys, fetch=_http_fetch(http))
    return response


def _http_fetch(http):
    """Fetch the JWKS with the login's own session (an OHTTP session: through its gateway)."""
    if http is None:
        return None

    def fetch(url: str, timeout: float):
        answer = http.get(url, timeout=timeout)
        return answer.status_code, answer.json()

    return fetch


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
    device_key=None,
    create_device_key: bool = False,
    device_algorithm: str = "ecdsa-p256-sha256",
    new_device_key=None,
    code_prompt: Callable[[dict], str] = terminal_code_prompt,
    http=None,
    timeout: float = 30.0,
    verify_refusals: bool = True,
    server_keys=None,
) -> SessionCredentials:
    """Log in at ``base_url`` (where ``signed_api.urls`` is mounted, e.g. ``.../api/auth/``).

    ``device_key``: bind the session to a device key (a PEM file path, a private key object or
    a :class:`DeviceKey`); ``create_device_key``: generate a ``device_algorithm`` key into that
    path (mode 0600) when there is none yet. With ``remember_token``, the exchange is signed by
    ``device_key``; ``new_device_key`` moves the session and the token's family to another key,
    under the old key's signature.

    ``verify_refusals`` (the default): a refusal (a 4xx or 5xx) must carry the server's
    signature (``server_keys``: a :class:`~signed_api.client.ServerKeys`, a pinned JWKS, or
    ``None`` for the JWKS of ``base_url``'s origin), else
    :class:`~signed_api.client.UnverifiedRefusal` is raised instead of :class:`LoginError`."""
    import requests

    key = _device_key(device_key, create=create_device_key, algorithm=device_algorithm)
    new_key = _device_key(new_device_key, create=create_device_key, algorithm=device_algorithm)
    if new_key is not None and (key is None or remember_token is None):
        raise ValueError("new_device_key moves a remember token's family: give remember_token "
                         "and the current device_key")
    bound = new_key or key
    http = http or requests.Session()
    auth = None
    if remember_token is not None:
        payload: dict = {"remember_token": remember_token}
        if key is not None:  # the keyid of an exchange: the key's thumbprint
            auth = key.auth(key.thumbprint, verify_refusals=verify_refusals,
                            server_keys=server_keys)
    else:
        if not username or password is None:
            raise ValueError("give username and password, or remember_token")
        payload = {"username": username, "password": password, "remember": remember}
    if bound is not None:
        payload.update(bound.registration())
    if device_name:
        payload["device_name"] = device_name
    response = http.post(_url(base_url, "sessions/"), json=payload, auth=auth, timeout=timeout)
    _checked(response, verify_refusals, server_keys, http)
    if response.status_code == 201:
        return _credentials(response.json(), bound)
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
        _checked(answer, verify_refusals, server_keys, http)
        if answer.status_code == 201:
            return _credentials(answer.json(), bound)
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
