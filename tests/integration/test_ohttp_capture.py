"""What a proxy in front of the app records when clients go through its Oblivious HTTP gateway.

The example project runs as deployed (gunicorn, two workers, the helpers of
``test_gunicorn_example``), with gateway keys made by ``manage.py signed_api_ohttp_keys
generate``. In front of it, a reverse proxy written here: a threaded TCP relay on the loopback
that keeps every byte it forwards, both ways (what a load balancer ending TLS would see). Through
it and the gateway, the Python client enrols a second factor, logs in with a password and a TOTP
code, creates a note, lists it and logs out; then the proxy's capture must hold none of the
password, the codes, the TOTP seed, the session's id and secret, the note's text, the inner
paths, nor any ``Signature`` or ``Signature-Input`` value. The same flows in the clear through
the same proxy still work, and their capture holds what the encrypted one does not (the proof
that the proxy records). The command line of docs/encryption.md's walk-through does the same
with ``--ohttp``.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pyotp
import pytest
import requests

from signed_api.client import SignatureAuth, decode_secret, login, logout, ohttp_session
from signed_api.client.session import totp_confirm, totp_enable

from .support import find_secret
from .test_gunicorn_example import ExampleDeployment, _database_url, deployment_env

REPO = Path(__file__).resolve().parents[2]
USERNAME = "ohttp-capture-user"
PASSWORD = "Tr0ub4dor&3 is not a passphrase, this is"
NOTE_TEXT = "meet at the old mill at nine, bring the ledger"
TIMEOUT = 15
STEP = 30


# -- the recording reverse proxy ---------------------------------------------------------------
class RecordingProxy:
    """Listens on 127.0.0.1 and a free port, relays each connection to ``upstream`` and keeps
    every byte that passes, in both directions, in the order it passed."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.chunks: list[tuple[str, bytes]] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.closed = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream, timeout=TIMEOUT)
        with self.lock:
            self.connections += 1
            self.sockets += [client, upstream]
        pumps = [
            threading.Thread(target=self._pump, args=(client, upstream, "up"), daemon=True),
            threading.Thread(target=self._pump, args=(upstream, client, "down"), daemon=True),
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        for sock in (client, upstream):
            sock.close()

    def _pump(self, source: socket.socket, target: socket.socket, direction: str) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            with self.lock:
                self.chunks.append((direction, data))
            try:
                target.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def capture(self) -> bytes:
        with self.lock:
            return b"".join(data for _, data in self.chunks)

    def reset(self) -> None:
        with self.lock:
            self.chunks.clear()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.close()


# -- the deployment, once for the module -----------------------------------------------------------
@pytest.fixture(scope="module")
def deployment(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ohttp-capture")
    database_url, drop_database = _database_url(request, workdir)
    example = ExampleDeployment(workdir, deployment_env(database_url))
    proxy = None
    try:
        example.manage("migrate", "--noinput")
        example.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})",
        )  # fmt: skip
        example.manage("signed_api_ohttp_keys", "generate")
        example.start()
        port = int(example.base_url.rsplit(":", 1)[1])
        proxy = RecordingProxy(("127.0.0.1", port))
        example.proxy = proxy
        yield example
    finally:
        if proxy is not None:
            proxy.close()
        example.stop()
        drop_database()


_OUTER_SIGNATURE = re.compile(
    rb'\r\nSignature-Input: sig1=\("@status" "content-type" "content-digest" "@method";req '
    rb'"@path";req\);created=\d+;keyid="srv_[0-9a-f]{16}";alg="ed25519"'
    rb"|\r\nSignature: sig1=:[A-Za-z0-9+/=]{88}:|\r\nContent-Digest: sha-256=:[A-Za-z0-9+/=]{44}:"
)


def outer_fields_removed(proxy: RecordingProxy) -> bytes:
    """The capture with the server key's signature fields of the outer answers taken out (each
    must be exactly that: the outer status, type, digest, the gateway's method and path)."""
    with proxy.lock:
        chunks = list(proxy.chunks)
    up = b"".join(data for direction, data in chunks if direction == "up")
    down = b"".join(data for direction, data in chunks if direction == "down")
    return up + _OUTER_SIGNATURE.sub(b"", down)


def allow_a_new_code(example: ExampleDeployment, username: str) -> None:
    """The device's replay guard moved back two steps (it last saw a code a minute ago), so the
    current code is accepted again: a move of a stored timestamp, never of the check."""
    example.manage(
        "shell", "-c",
        "import time; from signed_api.models import TOTPDevice; "
        f"TOTPDevice.objects.filter(user__username={username!r})"
        f".update(last_t=int(time.time() // {STEP}) - 2)",
    )  # fmt: skip


def run_flows(
    example: ExampleDeployment, http: requests.Session, authenticator, username: str = USERNAME
) -> dict:
    """Log in with the password and a TOTP code, create and list a note, log out; every inner
    response's signature verified. Returns what must not be seen, and the signatures sent."""
    base = example.proxy.base_url
    auth_url = base + "/api/auth/"
    allow_a_new_code(example, username)
    codes: list[str] = []

    def prompt(info):
        codes.append(authenticator.now())
        return codes[-1]

    creds = login(auth_url, username, PASSWORD, code_prompt=prompt, http=http, timeout=TIMEOUT)
    auth = creds.auth()
    created = http.post(base + "/api/notes/", json={"text": NOTE_TEXT}, auth=auth,
                        timeout=TIMEOUT)  # fmt: skip
    assert created.status_code == 201, created.text
    listed = http.get(base + "/api/notes/?mine=1", auth=auth, timeout=TIMEOUT)
    assert listed.status_code == 200, listed.text
    assert NOTE_TEXT in [note["text"] for note in listed.json()]
    signatures = []
    for response in (created, listed):
        auth.verify_response(response)  # the server's signature over this very request
        for message in (response.request, response):
            signatures += [message.headers["Signature"], message.headers["Signature-Input"]]
    logout(auth_url, creds.id, auth, http=http, timeout=TIMEOUT)
    gone = http.get(base + "/api/notes/", auth=creds.auth(), timeout=TIMEOUT)
    assert gone.status_code == 401
    return {"creds": creds, "codes": codes, "signatures": signatures}


def test_a_proxy_sees_nothing_of_a_login_with_a_second_factor_and_notes(deployment):
    example, proxy = deployment, deployment.proxy
    base = proxy.base_url
    with ohttp_session(base, padding=256) as http:
        # Enrol a second factor through the gateway: a password login, then totp/.
        proxy.reset()
        first = login(base + "/api/auth/", USERNAME, PASSWORD, http=http, timeout=TIMEOUT)
        started = totp_enable(base + "/api/auth/", first.auth(), http=http, timeout=TIMEOUT)
        authenticator = pyotp.parse_uri(started["otpauth_uri"])
        enrol_code = authenticator.now()
        recovery = totp_confirm(base + "/api/auth/", enrol_code, first.auth(), http=http,
                                timeout=TIMEOUT)  # fmt: skip
        logout(base + "/api/auth/", first.id, first.auth(), http=http, timeout=TIMEOUT)
        # A password alone no longer logs in: a second factor is due.
        pending = http.post(base + "/api/auth/sessions/", json={
            "username": USERNAME, "password": PASSWORD,
        }, timeout=TIMEOUT)  # fmt: skip
        assert pending.status_code == 202, pending.text
        challenge_token = pending.json()["challenge_token"]
        seen = run_flows(example, http, authenticator)
    captured = proxy.capture()

    # Everything went through the gateway, and only there.
    requests_seen = re.findall(rb"(?m)^(GET|POST|DELETE|PUT) (\S+) HTTP/1\.1\r$", captured)
    assert requests_seen and {target for _, target in requests_seen} == {
        b"/.well-known/ohttp-gateway"
    }
    assert b"Content-Type: message/ohttp-req" in captured
    assert b"message/ohttp-res" in captured

    creds = seen["creds"]
    secrets_ = [creds.secret, first.secret]
    plain = [
        PASSWORD, USERNAME, NOTE_TEXT, enrol_code, *seen["codes"], *recovery,
        authenticator.secret, creds.id, first.id, challenge_token, "/api/notes/", "/api/auth/",
        "mine=1", "otpauth://",
    ]  # fmt: skip
    for text in plain:
        assert text.encode() not in captured, text
    for secret in secrets_:
        assert find_secret(captured, secret) == []
    # Going up, no signature field at all; coming down, only the server key's signature on the
    # outer answers (issue 14: every answer of the app is signed), over the outer message alone.
    lowered = outer_fields_removed(proxy).lower()
    assert b"signature-input" not in lowered and b"sig1=" not in lowered
    assert b"signature:" not in lowered and b"content-digest" not in lowered
    for value in seen["signatures"]:
        assert value.encode() not in captured
        if value.startswith("sig1=:"):  # a Signature: the signature's bytes, base64 alone too
            assert value.split(":")[1].encode() not in captured


def test_the_same_flows_in_the_clear_still_work_and_the_proxy_sees_them(deployment):
    example, proxy = deployment, deployment.proxy
    # This test's own user, with a device enrolled in the clear.
    name = "clear-" + USERNAME
    example.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({name!r}, password={PASSWORD!r})",
    )  # fmt: skip
    with requests.Session() as http:
        auth_url = proxy.base_url + "/api/auth/"
        first = login(auth_url, name, PASSWORD, http=http, timeout=TIMEOUT)
        uri = totp_enable(auth_url, first.auth(), http=http, timeout=TIMEOUT)["otpauth_uri"]
        authenticator = pyotp.parse_uri(uri)
        totp_confirm(auth_url, authenticator.now(), first.auth(), http=http, timeout=TIMEOUT)
        logout(auth_url, first.id, first.auth(), http=http, timeout=TIMEOUT)
        proxy.reset()
        seen = run_flows(example, http, authenticator, name)
    captured = proxy.capture()
    # The control: in the clear, the proxy holds what the encrypted capture must not.
    for text in (PASSWORD, NOTE_TEXT, seen["codes"][0], "/api/notes/", "/api/auth/sessions/"):
        assert text.encode() in captured, text
    assert b"Signature-Input: " in captured
    assert find_secret(captured, seen["creds"].secret) != []


def test_the_gateway_is_at_its_well_known_path_with_a_cache_lifetime(deployment):
    response = requests.get(
        deployment.proxy.base_url + "/.well-known/ohttp-gateway", timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/ohttp-keys"
    assert re.fullmatch(r"max-age=\d+", response.headers["Cache-Control"])


# -- the command line of docs/encryption.md --------------------------------------------------------
def walkthrough_commands() -> list[str]:
    """The client commands of the walk-through of docs/encryption.md, in order."""
    text = (REPO / "docs" / "encryption.md").read_text(encoding="utf-8")
    section = text.split("\n## From `make demo` to an encrypted login\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for line in block.splitlines():
            if line.startswith("$ ") and "signed_api.client" in line:
                commands.append(line[2:])
    return commands


def test_the_walkthrough_commands_log_in_through_the_gateway(deployment):
    """Each documented command, run as written against the deployment (the demo's URL replaced
    by the proxy's; the password from SIGNED_API_PASSWORD and the codes, where the docs say
    CODE, computed from the TOTP seed the `totp enable` command printed)."""
    example, proxy = deployment, deployment.proxy
    name = "demo"
    example.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({name!r}, password={PASSWORD!r})",
    )  # fmt: skip
    commands = walkthrough_commands()
    assert any("login" in c for c in commands) and all("--ohttp" in c for c in commands), commands
    env = {k: v for k, v in example.env.items() if not k.startswith("SIGNED_API_")}
    env["SIGNED_API_PASSWORD"] = PASSWORD
    authenticator = None
    proxy.reset()
    outputs = []
    for command in commands:
        command = command.replace("http://127.0.0.1:8000", proxy.base_url)
        evaluated = command.startswith('eval "$(') and command.endswith(')"')
        if evaluated:
            command = command[len('eval "$('):-len(')"')]
        argv = shlex.split(command)
        assert argv[:3] == [".venv/bin/python", "-m", "signed_api.client"], command
        if argv[3] == "login" and authenticator is not None:
            argv += ["--code", "CODE"]  # the docs' terminal prompt, for a test without one
            allow_a_new_code(example, name)
        if "CODE" in argv:
            assert authenticator is not None
            argv[argv.index("CODE")] = authenticator.now()
        done = subprocess.run(
            [sys.executable, *argv[1:]], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
        if evaluated:
            for line in done.stdout.splitlines():
                name_value = line.removeprefix("export ")
                key, _, value = name_value.partition("=")
                env[key] = value
        if argv[3:5] == ["totp", "enable"]:
            authenticator = pyotp.parse_uri(done.stdout.splitlines()[0])
    assert any(NOTE_TEXT_DOC in out for out in outputs), outputs
    captured = proxy.capture()
    assert b"/.well-known/ohttp-gateway" in captured
    for text in (PASSWORD, NOTE_TEXT_DOC, "/api/notes/", "/api/auth/", env["SIGNED_API_KEY_ID"]):
        assert text.encode() not in captured, text
    assert b"signature-input" not in outer_fields_removed(proxy).lower()


NOTE_TEXT_DOC = "sent through the gateway"


def test_the_command_lines_own_answers(deployment):
    """``--ohttp`` on a plain request: verified inside, refused replay inside."""
    example, proxy = deployment, deployment.proxy
    key = example.create_key(USERNAME)
    rc, responses = example.cli(
        key, "GET", proxy.base_url + "/api/notes/", "--replay", "--ohttp"
    )
    assert rc == 0
    assert [status for status, _ in responses] == [200, 401]
    assert responses[1][1]["code"] == "nonce_replayed"


def test_an_unknown_key_id_is_refetched(deployment):
    """A client holding a configuration the gateway no longer has (fetched earlier, cached)
    fetches them again once; one given out of band (pinned) is never replaced: the client
    raises ``ohttp_key``, fetches nothing and sends nothing more."""
    from signed_api.client import OHTTPError
    from signed_api.core import hpke, ohttp

    proxy = deployment.proxy
    stale = ohttp.GatewayKey.from_private_key(200, hpke.generate_private_key()).config
    key_id, secret = deployment.create_key(USERNAME)
    auth = SignatureAuth(key_id, decode_secret(secret))
    with ohttp_session(proxy.base_url, auth=auth) as http:
        keys = http.get_adapter(proxy.base_url)._gateway.keys
        keys.store([stale], "max-age=3600")  # as if fetched before the gateway's rotation
        response = http.get(proxy.base_url + "/api/notes/", timeout=TIMEOUT)
    assert response.status_code == 200
    auth.verify_response(response)

    proxy.reset()
    pinned = ohttp_session(proxy.base_url, auth=auth, key_configs=[stale])
    with pinned as http, pytest.raises(OHTTPError) as excinfo:
        http.get(proxy.base_url + "/api/notes/", timeout=TIMEOUT)
    assert (excinfo.value.status, excinfo.value.code) == (400, "ohttp_key")
    sent = proxy.capture()
    assert sent.count(b"POST /.well-known/ohttp-gateway") == 1
    assert b"GET /.well-known/ohttp-gateway" not in sent

