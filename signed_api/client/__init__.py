"""Python client for signed_api servers: ``requests`` and ``httpx`` auth over the shared core.

    import requests
    from signed_api.client import SignatureAuth

    auth = SignatureAuth("key_...", secret_bytes)
    requests.post("https://api.example.com/api/notes/", json={"text": "hi"}, auth=auth)

The same object works as ``httpx.Client(auth=auth)``. Through the server's Oblivious HTTP
gateway (RFC 9458), every request encrypted end to end past any proxy::

    with ohttp_session("https://api.example.com", auth=auth) as http:
        http.post("https://api.example.com/api/notes/", json={"text": "hi"})
"""

from .auth import DEFAULT_COMPONENTS, SignatureAuth, decode_secret, encode_secret
from .ohttp import (
    AsyncOHTTPTransport,
    OHTTPAdapter,
    OHTTPError,
    OHTTPTransport,
    fetch_key_configs,
    ohttp_session,
)
from .refusals import ClientError, ServerKeys, UnverifiedRefusal, verify_refusal
from .session import (
    DeviceKey,
    LoginError,
    SessionCredentials,
    fetch_server_keys,
    load_device_key,
    login,
    logout,
)

__all__ = [
    "DEFAULT_COMPONENTS",
    "AsyncOHTTPTransport",
    "ClientError",
    "DeviceKey",
    "LoginError",
    "OHTTPAdapter",
    "OHTTPError",
    "OHTTPTransport",
    "ServerKeys",
    "SessionCredentials",
    "SignatureAuth",
    "UnverifiedRefusal",
    "decode_secret",
    "encode_secret",
    "fetch_key_configs",
    "fetch_server_keys",
    "load_device_key",
    "login",
    "logout",
    "ohttp_session",
    "verify_refusal",
]
