"""Helpers of the gateway tests: build an encapsulated request with the core (the client side
of signed_api.core.ohttp), send it through Django's test client, open the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

from django.test import Client

from signed_api.client.auth import SignatureAuth
from signed_api.core import bhttp, ohttp

GATEWAY = "/.well-known/ohttp-gateway"
NOTES = "/api/notes/"
LOGIN = "/api/auth/sessions/"
HOST = "testserver"


def key_configs(client: Client | None = None) -> list[ohttp.KeyConfig]:
    response = (client or Client()).get(GATEWAY, HTTP_ACCEPT=ohttp.KEYS_MEDIA_TYPE)
    assert response.status_code == 200, response.content[:300]
    return ohttp.decode_key_configs(response.content)


def inner_request(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    auth: SignatureAuth | None = None,
    authority: str = HOST,
    scheme: str = "https",
) -> bhttp.Request:
    """A Binary HTTP request; signed by ``auth`` exactly as it will reach the server."""
    fields = dict(headers or {})
    if body and "Content-Type" not in fields:
        fields["Content-Type"] = "application/json"
    if auth is not None:
        url = f"{scheme}://{authority}{path}"
        fields.update(auth.sign(method, url, fields, body))
    return bhttp.Request(
        method=method,
        scheme=scheme,
        authority=authority,
        path=path,
        headers=tuple((name.lower(), value) for name, value in fields.items()),
        content=body,
    )


def json_request(method: str, path: str, data: object, **kwargs) -> bhttp.Request:
    return inner_request(method, path, body=json.dumps(data).encode(), **kwargs)


@dataclass
class Exchange:
    """One request through the gateway: the outer response and, when it is a 200, the inner."""

    outer: object
    inner: bhttp.Response | None
    request: bhttp.Request | None = None

    @property
    def status(self) -> int:
        assert self.inner is not None, (self.outer.status_code, self.outer.content[:300])
        return self.inner.status

    def header(self, name: str) -> str | None:
        assert self.inner is not None
        values = [v for n, v in self.inner.headers if n == name.lower()]
        return ", ".join(values) if values else None

    def json(self) -> dict:
        assert self.inner is not None
        return json.loads(self.inner.content)


def post_encapsulated(data: bytes, *, client: Client | None = None,
                      content_type: str = ohttp.REQUEST_MEDIA_TYPE, **extra):
    # The test client leaves Content-Type out for an empty body; a client does not.
    extra.setdefault("CONTENT_TYPE", content_type)
    return (client or Client()).generic(
        "POST", GATEWAY, data, content_type=content_type, **extra
    )


def send(request: bhttp.Request, *, config: ohttp.KeyConfig | None = None,
         client: Client | None = None, encoded: bytes | None = None, **extra) -> Exchange:
    """Encapsulate ``request`` (or raw ``encoded`` Binary HTTP) to the gateway's first
    configuration and return both responses."""
    client = client or Client()
    config = config or key_configs(client)[0]
    data = bhttp.encode_request(request) if encoded is None else encoded
    enc_request, context = ohttp.encapsulate_request(config, data)
    outer = post_encapsulated(enc_request, client=client, **extra)
    inner = None
    if outer.status_code == 200:
        assert outer["Content-Type"] == ohttp.RESPONSE_MEDIA_TYPE
        inner = bhttp.decode_response(context.decapsulate_response(outer.content))
    return Exchange(outer=outer, inner=inner, request=request)


def verify_inner_signature(auth: SignatureAuth, exchange: Exchange):
    """The inner response's signature, checked by the client's own verifier."""
    request = exchange.request
    assert request is not None and exchange.inner is not None
    shim_request = SimpleNamespace(
        method=request.method,
        url=f"{request.scheme}://{request.authority}{request.path}",
        headers=dict(request.headers),
        body=request.content,
    )
    shim = SimpleNamespace(
        request=shim_request,
        status_code=exchange.inner.status,
        headers=dict(exchange.inner.headers),
        content=exchange.inner.content,
    )
    return auth.verify_response(shim)


def _refusal_shim(exchange: Exchange, *, method: str | None = None, url: str | None = None):
    """The inner answer as a ``requests``-like response (with its ``request``)."""
    from requests.structures import CaseInsensitiveDict

    request, inner = exchange.request, exchange.inner
    assert request is not None and inner is not None
    if url is None:
        url = f"{request.scheme}://{request.authority or HOST}{request.path}"
    shim_request = SimpleNamespace(
        method=method or request.method, url=url,
        headers=CaseInsensitiveDict(dict(request.headers)), body=request.content,
    )  # fmt: skip
    return SimpleNamespace(
        request=shim_request,
        status_code=inner.status,
        headers=CaseInsensitiveDict(dict(inner.headers)),
        content=inner.content,
        json=lambda: json.loads(inner.content),
    )


def verify_inner_refusal(
    exchange: Exchange,
    *,
    signed_by: SignatureAuth | None = None,
    method: str | None = None,
    url: str | None = None,
):
    """The inner answer's server signature, checked by the client's ``verify_refusal`` against
    the server's JWKS, as the answer to the inner request (or to ``method`` and ``url``)."""
    from signed_api.client import verify_refusal
    from signed_api.response_signing import jwks

    shim = _refusal_shim(exchange, method=method, url=url)
    return verify_refusal(shim, jwks(), signed_by=signed_by)
