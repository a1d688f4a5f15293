"""Protocol edges over a raw socket to gunicorn, bytes exactly as an attacker or an odd client
sends them (docs/protocol.md):

- ``GET http://host?x=1 HTTP/1.1``: an absolute-form target with an empty path. gunicorn hands
  ``RAW_URI`` over as sent; ``@path`` is ``/`` and ``@query`` the ``?x=1`` the view receives
  (the query was dropped, so a request signed for what it delivers was refused and one signed
  without the query accepted);
- a covered field on two header lines: gunicorn joins them with ``","`` and RFC 9421 §2.1 signs
  them joined with ``", "``; the signature over the lines verifies, a changed value does not;
- ``HEAD``: no body on the wire, and a response signature that verifies over that empty body.

gunicorn runs with two workers on a SQLite file (its own database, so a pass on PostgreSQL
changes nothing here), nonces in its table.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time

import pytest

from signed_api.client import SignatureAuth, decode_secret
from signed_api.core import Message, content_digest, sign_message, verify_message
from tests.http import exchange

from .test_gunicorn_example import ExampleDeployment

SETTINGS = "tests.integration.raw_socket_settings"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("raw-socket-gunicorn")
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SIGNED_API_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=f"sqlite:///{workdir / 'raw.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    deployment = ExampleDeployment(workdir, env)
    try:
        deployment.manage("migrate", "--noinput")
        deployment.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('alice')",
        )  # fmt: skip
        key_id, secret = deployment.create_key("alice")
        deployment.auth = SignatureAuth(key_id, decode_secret(secret))  # secrets[0] too
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def _host(server) -> str:
    return server.base_url.split("://", 1)[1]


def send(server, request_line: str, headers: list[tuple[str, str]], body: bytes = b""):
    """One request over a fresh connection; returns ``(status, header lines, body)``."""
    host, port = _host(server).split(":")
    head = request_line + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    head += "Connection: close\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        raw = exchange(sock, head.encode("latin-1") + body)
    top, _, rest = raw.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = [(n.strip(), v.strip()) for n, v in (line.split(":", 1) for line in lines[1:])]
    return status, fields, rest


def _sign_lines(signer, method, url, lines):
    """``Signature-Input`` and ``Signature`` over header ``lines`` (a name may repeat, which
    ``SignatureAuth.sign`` and its dict cannot express)."""
    message = Message.from_url(method, url, headers=lines, body=b"")
    signature_input, signature = sign_message(
        message, signer._key, label="sig1", components=list(signer.components),
        keyid=signer.key_id, created=int(time.time()), nonce=secrets.token_urlsafe(16),
        include_alg=True,
    )
    return {"Signature-Input": signature_input, "Signature": signature}


# -- absolute-form target with an empty path ---------------------------------------------------
def test_absolute_form_with_an_empty_path_signs_the_query_it_delivers(server):
    host = _host(server)
    target = f"http://{host}?x=1"
    headers = [("Host", host), *server.auth.sign("GET", target, {}, b"").items()]
    status, _, body = send(server, f"GET {target} HTTP/1.1", headers)
    assert status == 200, body[:300]
    assert json.loads(body)["query"] == "x=1"


def test_absolute_form_signed_without_the_delivered_query_is_refused(server):
    host = _host(server)
    target = f"http://{host}?x=1"
    headers = [("Host", host), *server.auth.sign("GET", f"http://{host}/", {}, b"").items()]
    status, _, body = send(server, f"GET {target} HTTP/1.1", headers)
    assert status == 401, body[:300]
    assert json.loads(body)["code"] == "signature_invalid"


# -- a covered field on several lines ------------------------------------------------------------
COMPONENTS = ("@method", "@authority", "@path", "@query", "x-list")


@pytest.mark.parametrize(
    ("sent", "signed"),
    [
        pytest.param(["a", "b"], ["a", "b"], id="two-lines"),
        pytest.param(["a", " b ", "c"], ["a", "b", "c"], id="three-lines-padded"),
        pytest.param(["a, b", "c"], ["a, b", "c"], id="a-line-with-its-own-list"),
        pytest.param(["a,b"], ["a,b"], id="one-line-with-a-bare-comma"),
    ],
)
def test_field_on_several_lines_verifies_as_rfc_9421_combines_it(server, sent, signed):
    host = _host(server)
    url = f"http://{host}/"
    signer = SignatureAuth(server.auth.key_id, _secret(server), components=COMPONENTS)
    added = _sign_lines(signer, "GET", url, [("X-List", v) for v in signed])
    headers = [("Host", host), *[("X-List", v) for v in sent], *added.items()]
    status, _, body = send(server, "GET / HTTP/1.1", headers)
    assert status == 200, body[:300]
    assert json.loads(body)["x_list"] == ",".join(v.strip() for v in sent)  # gunicorn's join


def test_field_lines_with_another_value_are_refused(server):
    host = _host(server)
    signer = SignatureAuth(server.auth.key_id, _secret(server), components=COMPONENTS)
    added = _sign_lines(signer, "GET", f"http://{host}/", [("X-List", "a"), ("X-List", "b")])
    headers = [("Host", host), ("X-List", "a"), ("X-List", "c"), *added.items()]
    status, _, body = send(server, "GET / HTTP/1.1", headers)
    assert status == 401 and json.loads(body)["code"] == "signature_invalid", body[:300]


def _secret(server) -> bytes:
    return server.secrets[0]


# -- HEAD ---------------------------------------------------------------------------------------
def test_head_has_no_body_and_a_signature_over_the_empty_body(server):
    host = _host(server)
    url = f"http://{host}/api/notes/"
    signed = server.auth.sign("HEAD", url, {}, b"")
    status, fields, body = send(server, "HEAD /api/notes/ HTTP/1.1", [("Host", host),
                                                                      *signed.items()])
    assert status == 200 and body == b""
    values = {n.lower(): v for n, v in fields}
    assert values["content-digest"] == content_digest(b"")
    request = Message.from_url("HEAD", url, headers=list(signed.items()), body=b"")
    response = Message.for_response(status, headers=fields, body=body, request=request)
    verified = verify_message(
        response, lambda kid: server.auth._key, server.auth.response_policy(), now=time.time()
    )
    assert verified.keyid == server.auth.key_id
