"""Python client for signed_api servers: ``requests`` and ``httpx`` auth over the shared core.

    import requests
    from signed_api.client import SignatureAuth

    auth = SignatureAuth("key_...", secret_bytes)
    requests.post("https://api.example.com/api/notes/", json={"text": "hi"}, auth=auth)

The same object works as ``httpx.Client(auth=auth)``.
"""

from .auth import DEFAULT_COMPONENTS, SignatureAuth, decode_secret, encode_secret
from .session import LoginError, SessionCredentials, login, logout

__all__ = [
    "DEFAULT_COMPONENTS",
    "LoginError",
    "SessionCredentials",
    "SignatureAuth",
    "decode_secret",
    "encode_secret",
    "login",
    "logout",
]
