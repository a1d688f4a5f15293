"""Parallel uses of one remember token, one TOTP code and one recovery code, over real HTTP,
against the example project under gunicorn on a SQLite *file*: never a 500.

pytest-django's SQLite test database is in memory with a shared cache, where concurrent writers
get "database table is locked" at once and no busy timeout applies, so the race tests of
tests/sessions skip SQLite. A deployment has a file, several workers and threads: there, two
deferred transactions that each read and then write deadlock, and SQLite answers the second
"database is locked" without waiting. The flows take the write lock first (so they wait their
turn), retry a database that stays busy, and answer 503 ``database_busy`` rather than a 500.

Twice: with the example project's SQLite options (timeout, ``transaction_mode`` IMMEDIATE on
Django 5.1+) and without any (what Django 4.2, or a project without the advice, runs).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyotp
import pytest
import requests

from signed_api.client import SignatureAuth, decode_secret
from signed_api.services.sessions import MAX_PENDING_CHALLENGES
from tests import servers

REPO = Path(__file__).resolve().parents[2]
THREADS = 8
ROUNDS = 4
PASSWORD = "a password for the sqlite races"
TIMEOUT = 60


class Deployment:
    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / "gunicorn.log"
        self.access_path = workdir / "gunicorn.access"
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self) -> None:
        import gunicorn.config

        command = [
            sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
            "--bind", "127.0.0.1:0", "--workers", "2", "--worker-class", "gthread",
            "--threads", str(THREADS // 2), "--timeout", "60", "--graceful-timeout", "5",
            "--log-level", "debug", "--error-logfile", "-",
            "--access-logfile", str(self.access_path),
        ]  # fmt: skip
        if hasattr(gunicorn.config, "ControlSocketDisable"):  # gunicorn >= 24
            command.append("--no-control-socket")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=servers._die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            text = self.log()
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if match and len(re.findall(r"Booting worker with pid", text)) >= 2:
                url = f"http://127.0.0.1:{match[1]}"
                with contextlib.suppress(requests.RequestException):
                    if requests.get(url + "/api/", timeout=2).status_code == 200:
                        self.base_url = url
                        return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{text[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def url(self, path: str) -> str:
        return self.base_url + "/api/auth/" + path

    def sql(self, statement: str, *params) -> None:
        with contextlib.closing(sqlite3.connect(self.workdir / "db.sqlite3", timeout=30)) as db:
            db.execute(statement, params)
            db.commit()


@pytest.fixture(scope="module", params=["example-options", "no-options"])
def deployment(request, tmp_path_factory):
    deployment = deploy(tmp_path_factory, plain=request.param == "no-options")
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def deploy(tmp_path_factory, *, plain: bool = False, **extra_env: str) -> Deployment:
    """The example project, migrated, with alice (``PASSWORD``), on a new SQLite file."""
    workdir = tmp_path_factory.mktemp("deployment")
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SIGNED_API_", "TESTS_"))
    }  # fmt: skip
    env.update(
        DJANGO_SETTINGS_MODULE="tests.integration.sqlite_race_settings",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_DEBUG="0",
        PYTHONUNBUFFERED="1",
        TESTS_SQLITE_PLAIN="1" if plain else "0",
    )
    env.update(extra_env)
    deployment = Deployment(workdir, env)
    deployment.manage("migrate", "--noinput")
    deployment.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('alice', password={PASSWORD!r})",
    )  # fmt: skip
    return deployment


def _race(send) -> list[requests.Response]:
    """``send(i)`` in THREADS threads released together."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = send(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT + 30)
    assert not [r for r in results if not isinstance(r, requests.Response)], results
    return results


def _outcomes(responses) -> list[tuple[int, str | None]]:
    out = []
    for r in responses:
        code = r.json().get("code") if r.headers.get("Content-Type", "").startswith(
            "application/json"
        ) and r.status_code != 201 else None
        out.append((r.status_code, code))
    return out


def _assert_no_server_error(deployment, outcomes) -> None:
    assert not [o for o in outcomes if o[0] >= 500 and o != (503, "database_busy")], outcomes
    log = deployment.log()
    assert "OperationalError" not in log and "Traceback" not in log, log[-4000:]


def _login(deployment, **fields) -> requests.Response:
    return requests.post(deployment.url("sessions/"), json=fields, timeout=TIMEOUT)


def test_parallel_uses_of_one_remember_token_never_answer_500(deployment):
    for _round in range(ROUNDS):
        first = _login(deployment, username="alice", password=PASSWORD, remember=True)
        assert first.status_code == 201, first.text
        token = first.json()["remember_token"]

        responses = _race(lambda _i, token=token: _login(deployment, remember_token=token))

        outcomes = _outcomes(responses)
        _assert_no_server_error(deployment, outcomes)
        # Within the reuse grace every parallel use of one device is served.
        assert set(outcomes) <= {(201, None), (503, "database_busy")}, outcomes
        assert outcomes.count((201, None)) >= 1, outcomes


@pytest.fixture(scope="module")
def enrolled(deployment):
    """alice with a confirmed TOTP device, enrolled over HTTP with a session; then the
    device's replay guard is moved back so the current step can be raced."""
    session = _login(deployment, username="alice", password=PASSWORD)
    assert session.status_code == 201, session.text
    data = session.json()
    auth = SignatureAuth(data["id"], decode_secret(data["secret"]))
    started = requests.post(deployment.url("totp/"), auth=auth, timeout=TIMEOUT)
    assert started.status_code == 201, started.text
    authenticator = pyotp.parse_uri(started.json()["otpauth_uri"])
    confirmed = requests.post(
        deployment.url("totp/confirm/"), json={"code": authenticator.now()}, auth=auth,
        timeout=TIMEOUT,
    )  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    return authenticator, confirmed.json()["recovery_codes"]


def _pending(deployment) -> list[dict]:
    pending = []
    for _ in range(THREADS):
        response = _login(deployment, username="alice", password=PASSWORD)
        assert response.status_code == 202, response.text
        pending.append(response.json())
    return pending


def _verify(deployment, pending: dict, code: str) -> requests.Response:
    return requests.post(
        deployment.url(f"sessions/{pending['id']}/verify/"),
        json={"challenge_token": pending["challenge_token"], "code": code}, timeout=TIMEOUT,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["totp", "recovery_code"])
def test_one_code_raced_through_parallel_challenges_logs_in_once_never_500(
    deployment, enrolled, kind
):
    authenticator, recovery_codes = enrolled
    for round_ in range(ROUNDS):
        deployment.sql("UPDATE signed_api_totpdevice SET last_t = -1")
        code = authenticator.now() if kind == "totp" else recovery_codes[round_]
        pending = _pending(deployment)

        responses = _race(
            lambda i, code=code, pending=pending: _verify(deployment, pending[i], code)
        )

        outcomes = _outcomes(responses)
        _assert_no_server_error(deployment, outcomes)
        # A user has at most MAX_PENDING_CHALLENGES pending: the oldest of the THREADS were
        # deleted by the newer ones, and their verify races too, finding them gone.
        evicted = max(THREADS - MAX_PENDING_CHALLENGES, 0)
        assert set(outcomes[:evicted]) <= {(401, "challenge_expired"), (503, "database_busy")}, (
            outcomes
        )
        live = outcomes[evicted:]
        assert live.count((201, None)) == 1, outcomes
        assert set(live) - {(201, None)} <= {(401, "otp_invalid"), (503, "database_busy")}
