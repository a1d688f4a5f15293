"""Faults provoked for real under the example project as deployed (gunicorn, two workers), on a
PostgreSQL cluster and a Redis server of this module's own that the tests stop and start again:

- Redis stopped mid-run: every signed request and every login is answered 503
  ``replay_store_unavailable`` (never a 200, a replay included, never a 500); started again on
  the same port and data, requests pass without a restart of gunicorn, and a request accepted
  before the outage is still a replay (its nonce was kept: the server runs with AOF);
- PostgreSQL stopped mid-run: 503 ``database_unavailable`` with ``Retry-After``, then requests
  and logins pass again once it is back, without a restart;
- a client whose clock is ten minutes off: 401 ``clock_skew`` with the server's time
  (``server_time`` and the ``Date`` header); the Python client corrects its offset from it and
  sends the request again, once, and signs later requests on the server's time.

"Without a restart" is checked from gunicorn's log: the same two workers answer throughout.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import signed_api.client.auth as client_auth
from signed_api.client import SignatureAuth, decode_secret
from tests import servers

from .test_gunicorn_example import REQUEST_TIMEOUT, ExampleDeployment, deployment_env

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(servers.in_services_pass(), reason=servers.ONCE_REASON),
]

PASSWORD = "faults-password-1"
COPIES = 8  # requests sent at once, four at a time, so that both workers answer some


class Stack:
    def __init__(self, node: ExampleDeployment, pg: servers.PostgresCluster,
                 redis: servers.RedisProcess, key: tuple[str, str]):  # fmt: skip
        self.node = node
        self.pg = pg
        self.redis = redis
        self.key = key
        self.auth = SignatureAuth(key[0], decode_secret(key[1]))

    def workers(self) -> list[str]:
        """The pids of every worker gunicorn has booted so far."""
        return re.findall(r"Booting worker with pid: (\d+)", self.node.stderr())


@pytest.fixture(scope="module")
def stack(service_binaries, tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    with contextlib.ExitStack() as cleanup:
        pg = cleanup.enter_context(servers.PostgresCluster())
        # AOF, fsync'd at every write: what a store that keeps its nonces across a restart runs.
        redis = servers.RedisProcess(root / "redis", name="redis",
                                     args=["--appendonly", "yes", "--appendfsync", "always"])
        cleanup.callback(redis.kill)
        redis.start()
        (root / "node").mkdir()
        node = ExampleDeployment(root / "node", deployment_env(pg.url, REDIS_URL=redis.url(0)))
        cleanup.callback(node.stop)
        node.manage("migrate", "--noinput")
        node.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('frank', password={PASSWORD!r})",
        )  # fmt: skip
        key = node.create_key("frank")
        node.start()
        yield Stack(node, pg, redis, key)


def _signed(stack: Stack, target: str) -> tuple[str, dict[str, str]]:
    """A signed GET: its URL and headers, to be sent (and sent again) by :func:`_send`."""
    url = stack.node.url(target)
    headers = stack.auth.sign("GET", url, {}, b"")
    headers["Connection"] = "close"
    return url, headers


def _send(request: tuple[str, dict[str, str]]) -> requests.Response:
    url, headers = request
    return requests.get(url, headers=headers, timeout=REQUEST_TIMEOUT)


def _burst(stack: Stack, marker: str) -> list[requests.Response]:
    """``COPIES`` fresh signed GETs, four at a time."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(_send, [_signed(stack, f"/api/notes/?{marker}={i}")
                                     for i in range(COPIES)]))  # fmt: skip


def _login(stack: Stack) -> requests.Response:
    return requests.post(stack.node.url("/api/auth/sessions/"),
                         json={"username": "frank", "password": PASSWORD},
                         timeout=REQUEST_TIMEOUT)  # fmt: skip


def _answers(responses) -> list[tuple[int, str | None]]:
    """``(status, code)`` of each response (``None`` for a body without a code)."""
    bodies = [r.json() for r in responses]
    return [(r.status_code, b.get("code") if isinstance(b, dict) else None)
            for r, b in zip(responses, bodies, strict=True)]  # fmt: skip


def _both_workers_answered(stack: Stack, marker: str) -> None:
    lines = stack.node.wait_for_access(f"?{marker}=", COPIES)
    assert len({m["pid"] for m in lines}) == 2, "both workers must have answered"


# -- Redis ---------------------------------------------------------------------------------------
def test_redis_stopped_mid_run_is_503_then_requests_pass_again(stack):
    workers = stack.workers()
    accepted = _signed(stack, "/api/notes/?before=1")
    assert _send(accepted).status_code == 200
    assert {r.status_code for r in _burst(stack, "redisup")} == {200}

    stack.redis.stop()
    try:
        down = _burst(stack, "redisdown")
        assert _answers(down) == [(503, "replay_store_unavailable")] * COPIES
        _both_workers_answered(stack, "redisdown")
        # A replay is not a pass because the store cannot tell: it is a 503 like the rest.
        assert _answers([_send(accepted)]) == [(503, "replay_store_unavailable")]
        # A login cannot count its attempt, so it is not evaluated.
        assert _answers([_login(stack)]) == [(503, "replay_store_unavailable")]
    finally:
        stack.redis.start()

    assert _answers(_burst(stack, "redisback")) == [(200, None)] * COPIES
    _both_workers_answered(stack, "redisback")
    assert _answers([_send(accepted)]) == [(401, "nonce_replayed")]  # kept through the restart
    assert _login(stack).status_code == 201
    assert stack.workers() == workers  # the same two workers: no restart


# -- PostgreSQL ----------------------------------------------------------------------------------
def test_postgres_stopped_mid_run_is_503_database_unavailable_then_passes_again(stack):
    workers = stack.workers()
    assert {r.status_code for r in _burst(stack, "pgup")} == {200}

    stack.pg.stop()
    try:
        down = _burst(stack, "pgdown")
        assert _answers(down) == [(503, "database_unavailable")] * COPIES
        assert all(r.headers["Retry-After"].isdigit() for r in down)
        _both_workers_answered(stack, "pgdown")
        login = _login(stack)
        assert _answers([login]) == [(503, "database_unavailable")]
        assert login.headers["Retry-After"].isdigit()
    finally:
        stack.pg.start()

    assert _answers(_burst(stack, "pgback")) == [(200, None)] * COPIES
    _both_workers_answered(stack, "pgback")
    assert _login(stack).status_code == 201
    assert stack.workers() == workers
    assert "Traceback" not in stack.node.stderr()  # logged as errors, never a 500


# -- a client clock ten minutes off ------------------------------------------------------------
@pytest.mark.parametrize("off", [-600, +600])
def test_a_clock_ten_minutes_off_is_told_the_server_time(stack, off):
    auth = SignatureAuth(stack.key[0], decode_secret(stack.key[1]), created=int(time.time()) + off)
    response = requests.get(stack.node.url(f"/api/notes/?skew={off}"), auth=auth,
                            timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (401, "clock_skew")
    body = response.json()
    assert type(body["server_time"]) is int
    assert abs(body["server_time"] - time.time()) < 5
    date = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert abs(date - body["server_time"]) <= 1  # the Date header tells the same time
    assert response.headers["Accept-Signature"]


@pytest.fixture
def client_clock(monkeypatch):
    """The Python client's clock, ``offset`` seconds off the true time (the server's)."""

    def set_offset(offset: float) -> None:
        real = time.time
        monkeypatch.setattr(client_auth.time, "time", lambda: real() + offset, raising=True)

    yield set_offset


@pytest.mark.parametrize("off", [-600, +600])
def test_the_python_client_corrects_its_clock_and_retries_once(stack, client_clock, off):
    client_clock(off)
    auth = SignatureAuth(stack.key[0], decode_secret(stack.key[1]))

    first = requests.get(stack.node.url(f"/api/notes/?corr={off}"), auth=auth,
                         timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert first.status_code == 200, first.text
    assert [(r.status_code, r.json()["code"]) for r in first.history] == [(401, "clock_skew")]
    assert abs(auth.clock_offset + off) <= 2

    # Later requests are signed on the server's time at once; a POST's body is signed again.
    later = requests.post(stack.node.url("/api/notes/"), json={"text": "on time"}, auth=auth,
                          timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert (later.status_code, later.history) == (201, [])


def test_the_python_client_does_not_correct_when_told_not_to(stack, client_clock):
    client_clock(-600)
    auth = SignatureAuth(stack.key[0], decode_secret(stack.key[1]), correct_clock=False)
    response = requests.get(stack.node.url("/api/notes/?nocorr=1"), auth=auth,
                            timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert (response.status_code, response.json()["code"], response.history) == (
        401, "clock_skew", [],
    )  # fmt: skip
    assert auth.clock_offset == 0


def test_httpx_corrects_its_clock_too(stack, client_clock):
    httpx = pytest.importorskip("httpx")
    client_clock(+600)
    auth = SignatureAuth(stack.key[0], decode_secret(stack.key[1]))
    with httpx.Client(auth=auth, timeout=REQUEST_TIMEOUT) as http:
        response = http.get(stack.node.url("/api/notes/?httpx=1"))
    assert response.status_code == 200, response.text
    assert [r.status_code for r in response.history] == [401]
    assert abs(auth.clock_offset + 600) <= 2
