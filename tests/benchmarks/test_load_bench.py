"""Load benchmark (issue 13, item 4): gunicorn with 2 workers on loopback, no auth vs DRF
``TokenAuthentication`` vs ours, in one run, from outside the process.

The server is the example project as it ships (its middleware, response signing on) with the
benchmark views of ``load_urls`` (``load_settings``), under ``gunicorn -w 2 -k gthread`` (so
connections are kept alive), three ways (the ``store`` param): on a SQLite file with the shared
store on that file's table (the default), on a real PostgreSQL with the store on its table, and on
the SQLite file with the store on a real Redis (servers of ``tests/servers.py``).
``SIGNED_API_LOAD_SQLITE_INIT`` sets SQLite's ``init_command`` (e.g. ``PRAGMA
journal_mode=WAL``) to compare journal modes.

The load generator is plain Python: ``CONCURRENCY`` threads, each with its own keep-alive
``http.client`` connection, POST the stack benchmark's ~230-byte JSON body. Honest timing:

- every signed request has its own nonce and is signed before its phase starts (signing is not
  timed); Token requests carry the token, no-auth requests nothing else;
- rounds are interleaved: each round runs every variant for ``BATCH`` requests, in an order that
  rotates from round to round, after one warm-up round that is thrown away;
- every timed response must be a 200 (ours: with its ``Signature``), and one response of ours is
  verified in full (its signature, over this request's) outside the timing;
- throughput is the median over rounds of a variant's requests per second; p50/p99 are over all
  its requests; "added" is a variant's p50 minus no auth's.

Then the soak: ``SOAK`` more signed requests, and the resident memory (``VmRSS``) of each worker
before (after the rounds, caches warm) and after; the growth must stay under ``RSS_GROWTH_MB``.
Run with ``make bench`` or::

    .venv/bin/pytest tests/benchmarks/test_load_bench.py -o addopts="" -p no:cacheprovider -s

``SIGNED_API_LOAD_ROUNDS`` (default 8), ``SIGNED_API_LOAD_BATCH`` (400 requests per variant per
round), ``SIGNED_API_LOAD_CONCURRENCY`` (4) and ``SIGNED_API_LOAD_SOAK`` (20000) size it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import servers
from tests.benchmarks.stack_conftest import BODY, CONTENT_TYPE
from tests.integration.support import redis_url_with_db

ROUNDS = int(os.environ.get("SIGNED_API_LOAD_ROUNDS", "8"))
BATCH = int(os.environ.get("SIGNED_API_LOAD_BATCH", "400"))
CONCURRENCY = int(os.environ.get("SIGNED_API_LOAD_CONCURRENCY", "4"))
SOAK = int(os.environ.get("SIGNED_API_LOAD_SOAK", "20000"))
#: A worker may grow by at most this much over the soak (allocator noise, not a leak).
RSS_GROWTH_MB = 8.0
VARIANTS = ("none", "token", "ours")
LABELS = {
    "none": "no auth",
    "token": "DRF TokenAuthentication",
    "ours": "signed_api + signed response",
}
STORE_LABELS = {
    "database": "SQLite file, store on its table",
    "postgres": "PostgreSQL, store on its table",
    "redis": "SQLite file, store on Redis",
}
REPO = Path(__file__).resolve().parents[2]
REDIS_DB = 11  # a Redis database of this module's own
START_TIMEOUT = 60
STEP_TIMEOUT = 120


# -- the server ------------------------------------------------------------------------------------
class LoadServer:
    """``load_settings`` under ``gunicorn -w 2 -k gthread``, set up as a user would."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.store = ""
        self.token = ""
        self.user = 0
        self.auth: object = None  # signed_api.client.SignatureAuth of the API key

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env,
            capture_output=True, text=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip
        assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr}"
        return result.stdout

    def start(self) -> None:
        import gunicorn.config

        command = [
            sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
            "--bind", "127.0.0.1:0", "--workers", "2", "--worker-class", "gthread",
            "--threads", str(max(2, CONCURRENCY)), "--keep-alive", "30", "--timeout", "60",
            "--graceful-timeout", "5", "--log-level", "info", "--error-logfile", "-",
        ]  # fmt: skip
        if hasattr(gunicorn.config, "ControlSocketDisable"):  # gunicorn >= 24
            command.append("--no-control-socket")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=servers._die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            text = self.log_path.read_text(errors="replace")
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if match and len(self.worker_pids()) >= 2 and self._answers(int(match[1])):
                self.port = int(match[1])
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{text[-3000:]}")
            time.sleep(0.1)

    @staticmethod
    def _answers(port: int) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return sorted(int(p) for p in text.split())

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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


_SETUP = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model().objects.create_user("load", password="load-password-1")
print(json.dumps({"token": Token.objects.create(user=user).key, "user": user.pk}))
"""


@pytest.fixture(scope="module", params=["database", "postgres", "redis"])
def load_server(request, tmp_path_factory):
    from signed_api.client import SignatureAuth, decode_secret
    from tests.integration.test_gunicorn_example import deployment_env, new_postgres_database

    store = request.param
    workdir = tmp_path_factory.mktemp(f"load-{store}")
    drop = None
    if store == "postgres":
        database_url, drop = new_postgres_database(request, "signed_api_load")
    else:
        database_url = f"sqlite:///{workdir / 'load.sqlite3'}"
    env = deployment_env(database_url)
    env["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.load_settings"
    flush = None
    if store == "redis":
        import redis

        url = redis_url_with_db(request.getfixturevalue("redis_url"), REDIS_DB)
        flush = redis.Redis.from_url(url, socket_timeout=10).flushdb
        flush()
        env["REDIS_URL"] = url
    server = LoadServer(workdir, env)
    server.store = store
    try:
        server.manage("migrate", "--noinput")
        created = json.loads(server.manage("shell", "-c", _SETUP).strip().splitlines()[-1])
        key = json.loads(server.manage("signed_api_createkey", "--user", "load", "--json"))
        server.token = created["token"]
        server.user = created["user"]
        server.auth = SignatureAuth(key["key_id"], decode_secret(key["secret"]))
        server.start()
        yield server
    finally:
        server.stop()
        if flush is not None:
            flush()
        if drop is not None:
            drop()


# -- the load generator ---------------------------------------------------------------------------
BASE_HEADERS = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}


def headers_for(server: LoadServer, variant: str) -> dict[str, str]:
    """One request's headers; a signed one has its own nonce and is signed here, now."""
    if variant == "none":
        return dict(BASE_HEADERS)
    if variant == "token":
        return {**BASE_HEADERS, "Authorization": f"Token {server.token}"}
    url = f"http://127.0.0.1:{server.port}/bench/ours/"
    return {**BASE_HEADERS, **server.auth.sign("POST", url, BASE_HEADERS, BODY)}


@dataclass
class Phase:
    latencies_ns: list[int]
    seconds: float
    failures: list[tuple[int, bytes]]


class Clients:
    """``CONCURRENCY`` threads, each with a keep-alive connection per variant, released
    together for each phase."""

    def __init__(self, port: int):
        self.port = port
        self.connections = [
            {v: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for v in VARIANTS}
            for _ in range(CONCURRENCY)
        ]

    def close(self) -> None:
        for per_thread in self.connections:
            for conn in per_thread.values():
                conn.close()

    def run(self, variant: str, requests_headers: list[dict[str, str]]) -> Phase:
        path = f"/bench/{variant}/"
        shares = [requests_headers[i::CONCURRENCY] for i in range(CONCURRENCY)]
        latencies: list[list[int]] = [[] for _ in range(CONCURRENCY)]
        failures: list[tuple[int, bytes]] = []
        barrier = threading.Barrier(CONCURRENCY + 1)

        def worker(i: int) -> None:
            conn = self.connections[i][variant]
            out = latencies[i]
            perf = time.perf_counter_ns
            barrier.wait()
            for headers in shares[i]:
                start = perf()
                try:
                    conn.request("POST", path, BODY, headers)
                    response = conn.getresponse()
                    content = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()  # reconnects on the next request
                    failures.append((0, repr(exc).encode()))
                    continue
                out.append(perf() - start)
                if response.status != 200 or (
                    variant == "ours" and response.getheader("Signature") is None
                ):
                    failures.append((response.status, content[:200]))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENCY)]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        return Phase([ns for part in latencies for ns in part], seconds, failures)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def check_variants(server: LoadServer) -> None:
    """Outside any timing: each variant answers for its user, ours with a response signature
    that verifies; a replay and a wrong token are refused."""
    import requests

    from signed_api.client import SignatureAuth

    base = f"http://127.0.0.1:{server.port}"
    for variant in VARIANTS:
        headers = headers_for(server, variant)
        response = requests.post(f"{base}/bench/{variant}/", data=BODY, headers=headers,
                                 timeout=30)  # fmt: skip
        assert response.status_code == 200, (variant, response.status_code, response.text)
        expected = None if variant == "none" else server.user
        assert response.json() == {"ok": True, "user": expected, "fields": 7}, variant
        if variant == "ours":
            assert isinstance(server.auth, SignatureAuth)
            server.auth.verify_response(response)  # raises unless it verifies
            replay = requests.post(f"{base}/bench/ours/", data=BODY, headers=headers, timeout=30)
            assert replay.status_code == 401 and replay.json()["code"] == "nonce_replayed"
    wrong = {**BASE_HEADERS, "Authorization": "Token " + "0" * 40}
    assert requests.post(f"{base}/bench/token/", data=BODY, headers=wrong,
                         timeout=30).status_code == 401  # fmt: skip


def format_table(server: LoadServer, phases: dict[str, list[Phase]]) -> tuple[str, dict]:
    stats = {}
    for variant in VARIANTS:
        latencies = [ns / 1000 for p in phases[variant] for ns in p.latencies_ns]
        stats[variant] = {
            "n": len(latencies),
            "rps": statistics.median(len(p.latencies_ns) / p.seconds for p in phases[variant]),
            "p50": percentile(latencies, 0.50),
            "p90": percentile(latencies, 0.90),
            "p99": percentile(latencies, 0.99),
        }
    base = stats["none"]["p50"]
    lines = [
        f"load: gunicorn -w 2 -k gthread on loopback, {STORE_LABELS[server.store]}, "
        f"POST {len(BODY)}-byte JSON, {CONCURRENCY} keep-alive connections; "
        f"{len(phases['none'])} interleaved rounds x {BATCH} requests per variant",
        f"{'variant':<32}{'n':>7}{'req/s':>9}{'p50 µs':>9}{'p90 µs':>9}{'p99 µs':>9}"
        f"{'+p50 µs':>9}",
    ]
    for variant in VARIANTS:
        s = stats[variant]
        s["added_p50"] = s["p50"] - base
        lines.append(
            f"{LABELS[variant]:<32}{s['n']:>7}{s['rps']:>9.0f}{s['p50']:>9.0f}{s['p90']:>9.0f}"
            f"{s['p99']:>9.0f}{s['added_p50']:>+9.0f}"
        )
    token_added = stats["token"]["added_p50"]
    ratio = stats["ours"]["added_p50"] / token_added if token_added > 0 else float("inf")
    lines.append(f"ours (with response signing)/Token added p50: {ratio:.2f}x")
    return "\n".join(lines), stats


def test_load(benchmark, load_server, capsys):
    server = load_server
    check_variants(server)
    clients = Clients(server.port)
    phases: dict[str, list[Phase]] = {v: [] for v in VARIANTS}
    failures: list[tuple] = []

    def rounds() -> None:
        for r in range(ROUNDS + 1):  # round 0 is the warm-up
            shift = r % len(VARIANTS)
            order = VARIANTS[shift:] + VARIANTS[:shift]
            for variant in order:
                planned = [headers_for(server, variant) for _ in range(BATCH)]
                phase = clients.run(variant, planned)
                failures.extend((variant, *f) for f in phase.failures)
                if r > 0:
                    phases[variant].append(phase)

    try:
        # pytest-benchmark times the whole interleaved run once (make bench runs benchmarks
        # only); the table below is the measurement.
        benchmark.pedantic(rounds, rounds=1, iterations=1)
        assert not failures, failures[:5]
        table, stats = format_table(server, phases)
        benchmark.extra_info.update(
            {"store": server.store, "concurrency": CONCURRENCY, "batch": BATCH,
             "variants": {LABELS[v]: {k: round(x, 1) for k, x in s.items()}
                          for v, s in stats.items()}}
        )  # fmt: skip
        with capsys.disabled():
            print("\n" + table)

        # The soak: memory of each worker before and after SOAK more signed requests.
        workers = server.worker_pids()
        assert len(workers) == 2, workers
        before = {pid: rss_mb(pid) for pid in workers}
        done = 0
        soak_start = time.perf_counter()
        while done < SOAK:
            count = min(2000, SOAK - done)
            phase = clients.run("ours", [headers_for(server, "ours") for _ in range(count)])
            failures.extend(("ours", *f) for f in phase.failures)
            done += count
        soak_seconds = time.perf_counter() - soak_start
        after = {pid: rss_mb(pid) for pid in workers}
    finally:
        clients.close()
    assert not failures, failures[:5]
    assert server.worker_pids() == workers, "a worker was replaced during the soak"
    growth = {pid: after[pid] - before[pid] for pid in workers}
    report = "soak: {} signed requests in {:.1f} s; worker RSS MB before -> after: {}".format(
        SOAK, soak_seconds,
        ", ".join(f"{before[p]:.1f} -> {after[p]:.1f} ({growth[p]:+.1f})" for p in workers),
    )  # fmt: skip
    benchmark.extra_info["rss_mb"] = {
        "before": [round(before[p], 1) for p in workers],
        "after": [round(after[p], 1) for p in workers],
    }
    with capsys.disabled():
        print(report)
    assert max(growth.values()) <= RSS_GROWTH_MB, report
