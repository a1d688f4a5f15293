"""The example project as deployed: gunicorn with two worker processes, called from a shell.

Set up exactly as a user would, each step a separate process in one environment
(``DATABASE_URL``, ``REDIS_URL``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS``):
``manage.py migrate``, a user, ``manage.py signed_api_createkey --json``, then
``gunicorn example_project.wsgi -w 2`` on 127.0.0.1. Requests come from our command line,
``python -m signed_api.client``, and from ``requests`` with ``SignatureAuth``.

The database is a SQLite file in the first pass of ``make test`` and a PostgreSQL database created
for this module on the server of the second pass; nonces and key state go to a Redis database of
their own. gunicorn hands the raw request target over as ``RAW_URI``, so any spelling of a
percent-encoded path verifies as sent.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from signed_api.client import ServerKeys, SignatureAuth, decode_secret, verify_refusal
from tests import servers
from tests.http import form_body, multipart_body

from .support import find_secret, redis_url_with_db

REPO = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 120  # seconds for one manage.py / client command
START_TIMEOUT = 60  # seconds for gunicorn to answer
STOP_TIMEOUT = 10  # seconds for gunicorn to stop after SIGTERM
REQUEST_TIMEOUT = 15
REDIS_DB = 9  # a Redis database of this module's own
REPLAY_SEPARATOR = "\n--- the same signed request again (a replay) ---\n"
ACCESS_LINE = re.compile(r'^<(?P<pid>\d+)> (?P<status>\d{3}) "(?P<method>\S+) (?P<target>\S+) ')

pytestmark = pytest.mark.redis


class ExampleDeployment:
    """The example project under gunicorn, and the commands that set it up."""

    #: gunicorn's worker processes, and its other worker options (a subclass may change both).
    workers = 2
    worker_options: tuple[str, ...] = ()
    #: The access log (and debug logging), which the tests read; a benchmark turns both off.
    access_log = True

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.stderr_path = workdir / "gunicorn.stderr"
        self.access_path = workdir / "gunicorn.access"
        self.command_output: list[str] = []  # every manage.py output that is not createkey's
        self.secrets: list[bytes] = []  # every hmac secret created, to be searched for
        self.key_ids: list[str] = []
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    # -- commands ------------------------------------------------------------------------------
    def manage(self, *args: str, keep_output: bool = True) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        if keep_output:
            self.command_output.append(result.stdout + result.stderr)
        assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr}"
        return result.stdout

    def create_key(self, username: str) -> tuple[str, str]:
        """``(key_id, secret)`` from ``signed_api_createkey --json`` (its output holds the
        secret by design, so it is not kept with the logs that must not)."""
        out = self.manage("signed_api_createkey", "--user", username, "--json", keep_output=False)
        created = json.loads(out)
        assert created["algorithm"] == "hmac-sha256"
        self.key_ids.append(created["key_id"])
        self.secrets.append(decode_secret(created["secret"]))
        return created["key_id"], created["secret"]

    def cli(self, key: tuple[str, str], *args: str) -> tuple[int, list[tuple[int, object]]]:
        """Run ``python -m signed_api.client``; return its exit status and each response's
        ``(status, JSON body)``."""
        env = {k: v for k, v in self.env.items() if not k.startswith("SIGNED_API_")}
        env.update(SIGNED_API_KEY_ID=key[0], SIGNED_API_SECRET=key[1])
        result = subprocess.run(
            [sys.executable, "-m", "signed_api.client", *args, "--timeout", str(REQUEST_TIMEOUT)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        assert result.returncode in (0, 1), result.stderr
        return result.returncode, [_parse_printed(c) for c in result.stdout.split(REPLAY_SEPARATOR)]

    def url(self, target: str) -> str:
        return self.base_url + target

    # -- gunicorn ------------------------------------------------------------------------------
    def start(self) -> None:
        import gunicorn.config

        command = [
            sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
            "--bind", "127.0.0.1:0", "--workers", str(self.workers), *self.worker_options,
            "--timeout", "30", "--graceful-timeout", "5", "--error-logfile", "-",
        ]  # fmt: skip
        if self.access_log:
            command += [
                "--log-level", "debug", "--access-logfile", str(self.access_path),
                "--access-logformat", '%(p)s %(s)s "%(r)s"',
            ]  # fmt: skip
        else:
            command += ["--log-level", "info"]  # still logs "Booting worker", awaited below
        if hasattr(gunicorn.config, "ControlSocketDisable"):  # gunicorn >= 24
            command.append("--no-control-socket")
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=servers._die_with_parent,  # no orphan if pytest is killed
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            log = self.stderr()
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log)
            booted = len(re.findall(r"Booting worker with pid: \d+", log))
            if match and booted >= self.workers and self._answers(
                f"http://127.0.0.1:{match[1]}"
            ):
                self.base_url = f"http://127.0.0.1:{match[1]}"
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log[-3000:]}")
            time.sleep(0.1)

    @staticmethod
    def _answers(base_url: str) -> bool:
        try:
            return requests.get(base_url + "/api/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the master and its workers
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(STOP_TIMEOUT)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def access_lines(self, marker: str) -> list[re.Match]:
        """Access log lines of requests whose target contains ``marker``."""
        try:
            text = self.access_path.read_text(errors="replace")
        except FileNotFoundError:
            return []
        found = (ACCESS_LINE.match(line) for line in text.splitlines())
        return [m for m in found if m and marker in m["target"]]

    def wait_for_access(self, marker: str, count: int, timeout: float = 10) -> list[re.Match]:
        """The access log lines for ``marker`` once there are ``count`` (each is written just
        after its response was sent), or what there is after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.access_lines(marker)
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


def _parse_printed(chunk: str) -> tuple[int, object]:
    """The status and JSON body of one response as ``signed_api.client`` prints it."""
    status_line, _, rest = chunk.partition("\n")
    status = int(status_line.split()[1])
    _, _, body = rest.partition("\n\n")
    body = body.strip()
    return status, (json.loads(body) if body else None)


# -- the deployment, once per module -------------------------------------------------------------
def new_postgres_database(request, prefix: str) -> tuple[str, object]:
    """A new PostgreSQL database on the server of ``postgres_url``: its URL and a callable that
    drops it."""
    import psycopg

    server_url = request.getfixturevalue("postgres_url")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}")), drop


def deployment_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the example project as deployed: this test run's own, less any
    DJANGO_/DATABASE_URL/REDIS_URL/SIGNED_API_ variable, with ``database_url`` and ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SIGNED_API_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_DEBUG="0",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _database_url(request, workdir: Path) -> tuple[str, object]:
    """A database of this module's own: a SQLite file, or (second pass) a new PostgreSQL
    database on the server of ``postgres_url``. Returns the URL and a cleanup callable."""
    if urlsplit(os.environ.get("DATABASE_URL", "")).scheme.lower() not in (
        "postgres", "postgresql", "pgsql",
    ):  # fmt: skip
        return f"sqlite:///{workdir / 'example.sqlite3'}", lambda: None
    return new_postgres_database(request, "signed_api_it")


@pytest.fixture(scope="module")
def example(request, tmp_path_factory, redis_url):
    import redis

    workdir = tmp_path_factory.mktemp("gunicorn-example")
    own_redis = redis_url_with_db(redis_url, REDIS_DB)
    redis_client = redis.Redis.from_url(own_redis, socket_timeout=10)
    redis_client.flushdb()
    database_url, drop_database = _database_url(request, workdir)
    env = deployment_env(database_url, REDIS_URL=own_redis)
    deployment = ExampleDeployment(workdir, env)
    deployment.database_url = database_url
    deployment.redis = redis_client
    try:
        deployment.manage("migrate", "--noinput")
        deployment.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "U = get_user_model(); U.objects.create_user('alice'); U.objects.create_user('bob')",
        )  # fmt: skip
        deployment.alice = deployment.create_key("alice")
        deployment.start()
        yield deployment
    finally:
        deployment.stop()
        drop_database()
        redis_client.flushdb()
        redis_client.close()


# -- our command line against gunicorn ----------------------------------------------------------
def test_command_line_creates_lists_and_refuses_a_replay(example):
    rc, [(status, note)] = example.cli(
        example.alice, "POST", example.url("/api/notes/"), "--json", '{"text":"x"}'
    )
    assert (rc, status) == (0, 201), note
    assert note["text"] == "x"

    rc, [(status, notes)] = example.cli(example.alice, "GET", example.url("/api/notes/"))
    assert (rc, status) == (0, 200), notes
    assert {"id": note["id"], "text": "x"}.items() <= next(
        n for n in notes if n["id"] == note["id"]
    ).items()

    rc, responses = example.cli(example.alice, "GET", example.url("/api/notes/"), "--replay")
    assert rc == 0  # the client's own verdict: the first went through, the replay did not
    assert [status for status, _ in responses] == [200, 401]
    assert responses[1][1]["code"] == "nonce_replayed"


def test_a_replayed_post_creates_nothing(example):
    rc, responses = example.cli(
        example.alice, "POST", example.url("/api/notes/"), "--json", '{"text":"only once"}',
        "--replay",
    )  # fmt: skip
    assert rc == 0
    assert [status for status, _ in responses] == [201, 401]
    assert responses[1][1]["code"] == "nonce_replayed"

    _, [(status, notes)] = example.cli(example.alice, "GET", example.url("/api/notes/"))
    assert status == 200
    assert [n["text"] for n in notes].count("only once") == 1


def test_command_line_with_percent_encoded_query(example):
    target = "/api/notes/?q=caf%C3%A9&tag=a%20b&tag=c%2Fd&plus=%2B&low=%e2%82%ac&empty="
    rc, [(status, notes)] = example.cli(example.alice, "GET", example.url(target))
    assert (rc, status) == (0, 200), notes
    assert isinstance(notes, list)


def test_notes_are_owner_scoped(example):
    bob = example.create_key("bob")
    _, [(status, bobs)] = example.cli(bob, "GET", example.url("/api/notes/"))
    assert (status, bobs) == (200, [])


@pytest.mark.parametrize(
    ("signed", "sent", "status"),
    [
        # Verified as sent, then 404: the pk is not a number. 404 proves authentication passed.
        ("/api/notes/caf%c3%a9%2C/", "/api/notes/caf%c3%a9%2C/", 404),
        ("/api/notes/caf%C3%A9,/", "/api/notes/caf%C3%A9,/", 404),
        ("/api/notes/%E2%82%AC/?a=1&a=2", "/api/notes/%E2%82%AC/?a=1&a=2", 404),
        # The same PATH_INFO spelled differently: gunicorn's RAW_URI tells them apart.
        ("/api/notes/caf%C3%A9,/", "/api/notes/caf%c3%a9%2C/", 401),
        ("/api/notes/?q=%2B", "/api/notes/?q=%2b", 401),
    ],
)
def test_path_and_query_are_the_raw_request_target(example, signed, sent, status):
    """Sent with ``http.client``, which puts the target on the wire as given (requests and
    urllib3 upper-case percent escapes)."""
    key_id, secret = example.alice
    auth = SignatureAuth(key_id, decode_secret(secret))
    headers = auth.sign("GET", example.url(signed), {}, b"")
    url = urlsplit(example.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", sent, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == status, body
    if status == 401:
        assert json.loads(body)["code"] == "signature_invalid"
    access = example.wait_for_access(sent, 1)
    assert access and access[-1]["target"] == sent  # gunicorn saw exactly this target


# -- revocation in every worker at once ---------------------------------------------------------
def _signed_gets(key, targets: list[str]) -> list[requests.Response]:
    """Send one signed GET per target, four at a time, so both sync workers take some."""
    auth = SignatureAuth(key[0], decode_secret(key[1]))

    def get(target):
        return requests.get(
            target, auth=auth, headers={"Connection": "close"}, timeout=REQUEST_TIMEOUT
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(get, targets))


def _until_both_workers(example, key, marker: str, *, at_least: int, most: int = 64):
    """Send batches of signed requests tagged ``marker`` until both workers answered some
    (and ``at_least`` were sent). Returns the responses and the pids that answered."""
    responses: list[requests.Response] = []
    pids: set[str] = set()
    while len(responses) < most:
        start = len(responses)
        targets = [example.url(f"/api/notes/?{marker}={start + i}") for i in range(8)]
        responses += _signed_gets(key, targets)
        lines = example.wait_for_access(f"?{marker}=", len(responses))
        pids = {m["pid"] for m in lines}
        if len(pids) >= 2 and len(responses) >= at_least:
            break
    return responses, pids


@pytest.mark.parametrize("how", ["signed_api_revokekey", "ApiKey.revoke"])
def test_revocation_is_refused_at_once_by_every_worker(example, how):
    key = example.create_key("alice")
    marker = f"warm_{how.replace('.', '_')}"
    warm, warm_pids = _until_both_workers(example, key, marker, at_least=4)
    assert {r.status_code for r in warm} == {200}
    assert len(warm_pids) == 2, "both workers must have the key cached before the revocation"

    if how == "signed_api_revokekey":
        assert key[0] in example.manage("signed_api_revokekey", key[0])
    else:
        example.manage(
            "shell", "-c",
            "from signed_api.models import ApiKey; "
            f"ApiKey.objects.get(key_id={key[0]!r}).revoke()",
        )  # fmt: skip

    marker = f"after_{how.replace('.', '_')}"
    after, after_pids = _until_both_workers(example, key, marker, at_least=12)
    assert len(after) >= 10
    assert [(r.status_code, r.json()["code"]) for r in after] == [(401, "key_revoked")] * len(after)
    assert after_pids == warm_pids  # both workers, each with the key cached, refused it


# -- no secret in any log or in the database ----------------------------------------------------
def test_no_secret_in_gunicorn_logs_command_output_redis_or_database(example):
    key_id, secret = example.alice
    good = SignatureAuth(key_id, decode_secret(secret))
    wrong = SignatureAuth(key_id, secrets.token_bytes(32))
    unknown = SignatureAuth("key_doesnotexist", decode_secret(secret))
    with requests.Session() as session:
        ok = session.post(example.url("/api/notes/"), json={"text": "leak check"}, auth=good,
                          timeout=REQUEST_TIMEOUT)  # fmt: skip
        prepared = requests.Request("GET", example.url("/api/notes/"), auth=good).prepare()
        replay = [session.send(prepared, timeout=REQUEST_TIMEOUT) for _ in range(2)]
        refused = [
            session.get(example.url("/api/notes/"), auth=wrong, timeout=REQUEST_TIMEOUT),
            session.get(example.url("/api/notes/"), auth=unknown, timeout=REQUEST_TIMEOUT),
            session.get(example.url("/api/notes/"), timeout=REQUEST_TIMEOUT),
        ]
    assert ok.status_code == 201
    assert [r.status_code for r in replay] == [200, 401]
    assert [r.json()["code"] for r in refused] == [
        "signature_invalid", "unknown_key", "signature_missing",
    ]  # fmt: skip
    stderr = example.stderr()
    assert "refused: signature_invalid" in stderr  # the failures were logged, and captured

    assert example.secrets
    texts = {
        "gunicorn stderr": stderr,
        "gunicorn access log": example.access_path.read_text(errors="replace"),
        "manage.py output": "\n".join(example.command_output),
    }
    for where, text in texts.items():
        for secret_bytes in example.secrets:
            assert find_secret(text, secret_bytes) == [], where

    # Redis holds nonces and state tokens only.
    stored = b"\n".join(
        key + b"=" + (example.redis.get(key) or b"") for key in example.redis.scan_iter()
    )
    assert stored
    for secret_bytes in example.secrets:
        assert find_secret(stored, secret_bytes) == [], "redis"

    dump = _database_dump(example)
    assert all(k.encode() in dump for k in example.key_ids)  # the keys are in the dump
    for secret_bytes in example.secrets:
        assert find_secret(dump, secret_bytes) == [], "database dump"


def _database_dump(example) -> bytes:
    """The whole database: the SQLite file's bytes and its SQL dump, or ``pg_dump``'s."""
    url = urlsplit(example.database_url)
    if url.scheme == "sqlite":
        path = Path(url.path[1:])
        conn = sqlite3.connect(path)
        try:
            text = "\n".join(conn.iterdump())
        finally:
            conn.close()
        return path.read_bytes() + b"\n" + text.encode("utf-8")
    return pg_dump(example.database_url)


def pg_dump(database_url: str) -> bytes:
    """A plain-text ``pg_dump`` by the binary next to the server's (same major version)."""
    url = urlsplit(database_url)
    binary = servers.find_postgres_bindir() / "pg_dump"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if url.password:
        env["PGPASSWORD"] = url.password
    result = subprocess.run(
        [str(binary), "--format=plain", "--no-owner", "-h", url.hostname or "127.0.0.1",
         "-p", str(url.port or 5432), "-U", url.username or "postgres", url.path.lstrip("/")],
        env=env, capture_output=True, timeout=STEP_TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


# -- hostile sizes and counts: a 4xx with a code, and never read to the end ---------------------
# Found by an outside review under uvicorn: Django's ASGI handler read a declared 1 GiB to disk
# before the 413 (signed_api.asgi.get_asgi_application now refuses it unread), and more fields,
# files or query parameters than Django takes were its HTML 400 page (now a JSON code).
MiB = 1 << 20


def _first_line_after(example, path: str, content_type: str, declared: int, sent: int) -> bytes:
    """Declare ``declared`` bytes of body, send ``sent`` of them (or until the server stops
    reading), and return the status line that arrived within 5 s more (``b""`` if none)."""
    url = urlsplit(example.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {declared}\r\n\r\n".encode()
        )
        sock.settimeout(5)
        chunk = bytes(MiB)
        try:
            for _ in range(sent // MiB):
                sock.sendall(chunk)
        except OSError:  # the server answered and stopped reading (or closed): that is fine
            pass
        readable, _, _ = select.select([sock], [], [], 5)
        if not readable:
            return b""
        try:
            return sock.recv(200).split(b"\r\n", 1)[0]
        except OSError:
            return b""


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/.well-known/ohttp-gateway", "message/ohttp-req"), ("/api/notes/", "application/json")],
    ids=["gateway", "notes"],
)
def test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read(
    example, path, content_type
):
    # 64 MiB declared, 4 MiB sent (over the gateway's 3 MiB and Django's 2.5 MB): the answer
    # must not wait for the other 60 MiB.
    line = _first_line_after(example, path, content_type, declared=64 * MiB, sent=4 * MiB)
    assert line.startswith(b"HTTP/1.1 4"), line


HOSTILE_FORMS = {
    "1001-urlencoded-fields": (
        form_body(1001), "application/x-www-form-urlencoded", "too_many_fields",
    ),
    "1001-multipart-fields": (
        multipart_body(1001, files=False), "multipart/form-data; boundary=x", "too_many_fields",
    ),
    "101-multipart-files": (
        multipart_body(101, files=True), "multipart/form-data; boundary=x", "too_many_files",
    ),
}  # fmt: skip


def _server_keys(example) -> ServerKeys:
    jwks = requests.get(example.url("/.well-known/signed-api/keys"), timeout=REQUEST_TIMEOUT)
    return ServerKeys(jwks=jwks.json())


@pytest.mark.parametrize("name", sorted(HOSTILE_FORMS))
def test_too_many_form_fields_or_files_get_a_signed_json_code(example, name):
    body, content_type, code = HOSTILE_FORMS[name]
    keys = _server_keys(example)
    login = requests.post(
        example.url("/api/auth/sessions/"), data=body, headers={"Content-Type": content_type},
        timeout=REQUEST_TIMEOUT,
    )  # fmt: skip
    verify_refusal(login, keys)
    assert (login.status_code, login.json()["code"]) == (400, code)
    key_id, secret = example.alice
    note = requests.post(
        example.url("/api/notes/"), data=body, headers={"Content-Type": content_type},
        auth=SignatureAuth(key_id, decode_secret(secret), server_keys=keys),
        timeout=REQUEST_TIMEOUT,
    )  # fmt: skip
    assert (note.status_code, note.json()["code"]) == (400, code)


@pytest.mark.parametrize(
    "path", ["/api/notes/", "/api/auth/sessions/", "/.well-known/signed-api/keys"]
)
def test_too_many_query_parameters_get_a_signed_json_code(example, path):
    # 1001 parameters in 2 kB, under every server's line limit: read where DRF negotiates the
    # content type, before authentication.
    answer = requests.get(example.url(path + "?" + "a&" * 1001), timeout=REQUEST_TIMEOUT)
    verify_refusal(answer, _server_keys(example))
    assert (answer.status_code, answer.json()["code"]) == (400, "too_many_fields")


def test_an_absolute_form_target_is_answered_like_its_path(example):
    """``GET http://host/api/notes/`` (what a client sends to a forward proxy, RFC 9112 §3.2.2):
    uvicorn's h11 parser passed the whole URL on as the path, a 404 with no code and no
    signature; gunicorn gives the path."""
    url = urlsplit(example.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(
            f"GET {example.base_url}/api/notes/ HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), head[:200]
    assert b"\r\nsignature: " in head.lower()
    assert json.loads(body)["code"] == "signature_missing"
