"""Real Redis and PostgreSQL servers for the test suite, started from local binaries.

Each server runs on 127.0.0.1 and a free port, in a temporary directory that is removed when the
context manager exits::

    with redis_server() as redis_url, postgres_server() as database_url:
        ...  # "redis://127.0.0.1:PORT/0", "postgres://postgres@127.0.0.1:PORT/signed_api"

``initdb`` and ``postgres`` refuse to run as root. When this process is root, the cluster runs as
an unprivileged user instead: ``$SIGNED_API_TEST_PG_USER`` if set, else ``postgres`` when that
account exists (Debian's package creates it), else ``nobody``. The data directory lives in a
temporary folder owned by that user.

Binaries are looked up in ``$PG_BINDIR``, on ``PATH``, then in the usual distribution folders
(``/usr/lib/postgresql/*/bin`` on Debian). A missing binary raises :class:`ServerUnavailable`;
any other failure to start raises :class:`ServerError` with the tail of the server log.

From the command line, start both servers around a command and exit with its status::

    python -m tests.servers run -- pytest -q

The command sees ``DATABASE_URL`` and ``REDIS_URL``, and ``SIGNED_API_TEST_SERVICES_PASS=1``:
tests that start servers of their own (the multi-node, Sentinel and fault tests) run in the
first pass of ``make test`` only, and skip in this one (:func:`in_services_pass`).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = [
    "PostgresCluster",
    "RedisProcess",
    "SentinelGroup",
    "ServerError",
    "ServerUnavailable",
    "find_postgres_bindir",
    "find_redis_server",
    "postgres_server",
    "redis_sentinel_group",
    "redis_server",
]

SERVICES_PASS_ENV = "SIGNED_API_TEST_SERVICES_PASS"
ONCE_REASON = (
    "starts servers of its own: runs in the first pass of make test, not again in the second"
)
START_TIMEOUT = 30.0  # seconds for a server to answer
STOP_TIMEOUT = 15.0  # seconds for a graceful shutdown before SIGKILL
PG_DATABASE = "signed_api"
PG_SUPERUSER = "postgres"


class ServerError(RuntimeError):
    """A server binary was found but the server could not be started."""


class ServerUnavailable(ServerError):
    """The binary a server needs is not installed on this machine."""


# --- finding binaries -------------------------------------------------------------------------


def find_redis_server() -> str:
    """Path of ``redis-server`` (``$REDIS_SERVER`` or ``PATH``)."""
    candidate = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not candidate or not os.access(candidate, os.X_OK):
        raise ServerUnavailable(
            "redis-server not found: install Redis (Debian: apt-get install redis-server) "
            "or set REDIS_SERVER to the binary"
        )
    return candidate


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def find_postgres_bindir() -> Path:
    """The directory that holds ``initdb`` and ``postgres``, newest version first."""
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.dirname(os.path.realpath(on_path)))
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin"):
        candidates.extend(sorted(glob.glob(pattern), key=_version_key, reverse=True))
    for directory in candidates:
        bindir = Path(directory)
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres")):
            return bindir
    raise ServerUnavailable(
        "PostgreSQL server binaries (initdb, postgres) not found on PATH or in "
        "/usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql) "
        "or set PG_BINDIR"
    )


# --- helpers ----------------------------------------------------------------------------------


def in_services_pass() -> bool:
    """True under ``python -m tests.servers run`` (the second pass of ``make test``)."""
    return os.environ.get(SERVICES_PASS_ENV) == "1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _load_prctl():
    # Loaded here, in the parent: after dropping root the child may not be able to import.
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: on Linux, get SIGTERM if the test process dies (no orphans).

    Linux sends it when the *thread* that forked the child ends, not only the process: start
    servers from a thread that outlives them (the main thread), never from a worker thread."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(proc: subprocess.Popen, sig: int) -> None:
    """Ask ``proc`` to stop with ``sig``; SIGKILL it if it has not gone after STOP_TIMEOUT."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _unprivileged_account() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    import pwd

    wanted = os.environ.get("SIGNED_API_TEST_PG_USER")
    for name in [wanted] if wanted else ["postgres", "nobody"]:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry.pw_uid, entry.pw_gid
    raise ServerError(
        "running as root and no unprivileged account for PostgreSQL was found: "
        "create one or set SIGNED_API_TEST_PG_USER"
    )


# --- Redis ------------------------------------------------------------------------------------


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Run a throw-away ``redis-server`` (no persistence); yield ``redis://127.0.0.1:PORT/0``."""
    binary = find_redis_server()
    with tempfile.TemporaryDirectory(prefix="signed-api-redis-") as tmp:
        port = free_port()
        log = Path(tmp) / "redis.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                 "--save", "", "--appendonly", "no", "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                cwd=tmp, start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _redis_ping(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ServerError(f"redis-server did not start:\n{_log_tail(log)}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(proc, signal.SIGTERM)


# --- PostgreSQL -------------------------------------------------------------------------------


def _run_as(account: tuple[int, int] | None) -> dict:
    if account is None:
        return {}
    uid, gid = account
    return {"user": uid, "group": gid, "extra_groups": []}


def _postgres_ready(data: Path) -> bool:
    """What ``pg_ctl -w`` checks: line 8 of postmaster.pid says "ready"."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Run a throw-away PostgreSQL cluster; yield ``postgres://postgres@127.0.0.1:PORT/signed_api``.

    Trust authentication on 127.0.0.1 only, fsync off: this cluster is for tests and is deleted
    on exit.
    """
    bindir = find_postgres_bindir()
    account = _unprivileged_account()
    as_user = _run_as(account)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    with tempfile.TemporaryDirectory(prefix="signed-api-pg-") as tmp:
        root = Path(tmp)
        if account is not None:
            os.chown(root, *account)
        data = root / "data"
        log = root / "postgres.log"
        initdb = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", PG_SUPERUSER, "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            cwd=root, env=env, capture_output=True, text=True, check=False, **as_user,
        )  # fmt: skip
        if initdb.returncode != 0:
            raise ServerError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
        port = free_port()
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=100"],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                cwd=root, env=env, start_new_session=True, preexec_fn=_die_with_parent,
                **as_user,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _postgres_ready(data):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ServerError(f"postgres did not start:\n{_log_tail(log)}")
                time.sleep(0.05)
            database = "postgres"
            createdb = bindir / "createdb"
            if os.access(createdb, os.X_OK):
                subprocess.run(
                    [str(createdb), "-h", "127.0.0.1", "-p", str(port), "-U", PG_SUPERUSER,
                     PG_DATABASE],
                    cwd=root, env=env, capture_output=True, check=True,
                )  # fmt: skip
                database = PG_DATABASE
            yield f"postgres://{PG_SUPERUSER}@127.0.0.1:{port}/{database}"
        finally:
            _stop(proc, signal.SIGINT)  # SIGINT is PostgreSQL's "fast" shutdown


# --- servers a test stops, kills and starts again ---------------------------------------------
# The context managers above give a server for a whole session. The fault and failover tests need
# servers of their own that they can stop (SIGTERM), kill (SIGKILL) and start again on the same
# port and data: RedisProcess, redis_sentinel_group() and PostgresCluster.


class RedisProcess:
    """One ``redis-server`` (or, with ``sentinel_config``, a sentinel) on a fixed port of
    127.0.0.1, in ``workdir``. ``start()`` waits until it answers PING; ``stop()`` is SIGTERM,
    ``kill()`` SIGKILL; ``start()`` again reuses the port and the directory (and so its data, when
    ``args`` turn persistence on)."""

    def __init__(self, workdir: Path, *, name: str = "redis", args: Sequence[str] = (),
                 sentinel_config: str | None = None):  # fmt: skip
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = free_port()
        self.args = list(args)
        self.sentinel_config = sentinel_config
        self.log = self.workdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _command(self) -> list[str]:
        binary = find_redis_server()
        if self.sentinel_config is not None:
            config = self.workdir / f"{self.name}.conf"
            if not config.exists():  # a sentinel rewrites its file: keep what it learnt
                config.write_text(
                    f"port {self.port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                    f"{self.sentinel_config}"
                )
            return [binary, str(config), "--sentinel"]
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.workdir), "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--dbfilename", f"{self.name}.rdb",
                "--appendfilename", f"{self.name}.aof", *self.args]  # fmt: skip

    def start(self) -> None:
        with self.log.open("ab") as log_file:
            self.proc = subprocess.Popen(
                self._command(), stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while not _redis_ping(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                _stop(self.proc, signal.SIGKILL)
                raise ServerError(f"{self.name} did not start:\n{_log_tail(self.log)}")
            time.sleep(0.05)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, signal.SIGTERM)

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGCONT)  # a paused process dies as well
            _stop(self.proc, signal.SIGKILL)

    def pause(self) -> None:
        """SIGSTOP: the process stops answering (and, a replica, replicating) but keeps its
        connections, as a host that hangs would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)


class SentinelGroup:
    """A primary, a replica and three sentinels watching them as ``service``."""

    def __init__(self, primary: RedisProcess, replica: RedisProcess,
                 sentinels: list[RedisProcess], service: str):  # fmt: skip
        self.primary = primary
        self.replica = replica
        self.sentinels = sentinels
        self.service = service

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        return [s.address for s in self.sentinels]

    def master_address(self) -> tuple[str, int] | None:
        """The primary the sentinels name (most of those that answer), or None."""
        import redis

        votes: dict[tuple[str, int], int] = {}
        for sentinel in self.sentinels:
            client = redis.Redis(*sentinel.address, socket_timeout=2, socket_connect_timeout=2)
            try:
                host, port = client.execute_command(
                    "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service
                )
                address = (host.decode(), int(port))
                votes[address] = votes.get(address, 0) + 1
            except (redis.RedisError, TypeError, ValueError):
                continue
            finally:
                client.close()
        return max(votes, key=votes.__getitem__) if votes else None

    def process_at(self, address: tuple[str, int]) -> RedisProcess:
        """The primary or the replica process listening on ``address``."""
        for process in (self.primary, self.replica):
            if process.address == address:
                return process
        raise LookupError(f"no Redis of this group at {address}")

    def current_primary(self) -> RedisProcess:
        """The process the sentinels name as primary now (they swap roles at a failover)."""
        address = self.master_address()
        if address is None:
            raise ServerError("no sentinel names a primary")
        return self.process_at(address)

    def restart_as_replica(self, process: RedisProcess) -> None:
        """Start ``process`` again (after a kill) as a replica of the current primary, on its
        port and directory, as an operator brings a failed primary back."""
        host, port = self.master_address() or ("", 0)
        if (host, port) == process.address or not port:
            raise ServerError("restart_as_replica: that process is the primary")
        args = list(process.args)
        if "--replicaof" in args:
            at = args.index("--replicaof")
            del args[at:at + 3]
        process.args = [*args, "--replicaof", host, str(port)]
        process.start()

    def wait_until_watched(self, timeout: float = START_TIMEOUT) -> None:
        """Until every running replica is in sync with the primary the sentinels name, and every
        sentinel knows the two other sentinels and sees each running replica up (they learn
        them from the primary and from each other's hello messages)."""
        import redis

        deadline = time.monotonic() + timeout
        while True:
            ready = self._watched(redis)
            if ready:
                return
            if time.monotonic() > deadline:
                logs = "\n".join(_log_tail(p.log, 8)
                                 for p in [self.primary, self.replica, *self.sentinels])
                raise ServerError(f"the sentinels did not see the whole group:\n{logs}")
            time.sleep(0.2)

    def _watched(self, redis) -> bool:
        master = self.master_address()
        if master is None:
            return False
        replicas = [p for p in (self.primary, self.replica)
                    if p.address != master and p.running()]  # fmt: skip
        for replica in replicas:
            client = redis.Redis(*replica.address, socket_timeout=2, decode_responses=True)
            try:
                info = client.info("replication")
            except redis.RedisError:
                return False
            finally:
                client.close()
            if (info.get("master_link_status") != "up"
                    or int(info.get("master_port", 0)) != master[1]):  # fmt: skip
                return False
        for sentinel in self.sentinels:
            client = redis.Redis(*sentinel.address, socket_timeout=2, decode_responses=True)
            try:
                state = client.sentinel_master(self.service)
                seen = client.sentinel_slaves(self.service)
            except redis.RedisError:
                return False
            finally:
                client.close()
            if int(state.get("num-other-sentinels", 0)) < len(self.sentinels) - 1:
                return False
            up = {(r["ip"], int(r["port"])) for r in seen
                  if not r.get("is_sdown") and not r.get("is_disconnected")}  # fmt: skip
            if any(replica.address not in up for replica in replicas):
                return False
        return True

    def wait_for_promotion(self, old: tuple[str, int], timeout: float = START_TIMEOUT
                           ) -> tuple[str, int]:  # fmt: skip
        """The new primary's address once the sentinels name one other than ``old`` and it
        answers as a primary."""
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            address = self.master_address()
            if address is not None and address != old:
                client = redis.Redis(*address, socket_timeout=2)
                try:
                    if client.info("replication").get("role") == "master":
                        return address
                except redis.RedisError:
                    pass
                finally:
                    client.close()
            time.sleep(0.1)
        raise ServerError(f"no promotion within {timeout} s:\n{_log_tail(self.sentinels[0].log)}")

    def stop(self) -> None:
        for process in [*self.sentinels, self.replica, self.primary]:
            process.kill()


@contextlib.contextmanager
def redis_sentinel_group(service: str = "signed-api", *, down_after_ms: int = 1000,
                         failover_timeout_ms: int = 10000) -> Iterator[SentinelGroup]:  # fmt: skip
    """A primary, a replica of it and three sentinels (quorum 2), all on 127.0.0.1, started
    from ``redis-server`` (as ``redis-server FILE --sentinel``: the Debian ``redis-sentinel``
    binary is the same program). Yields once the sentinels watch the whole group; everything is
    killed and removed on exit."""
    with tempfile.TemporaryDirectory(prefix="signed-api-sentinel-") as tmp:
        root = Path(tmp)
        primary = RedisProcess(root / "primary", name="primary")
        replica = None
        sentinels: list[RedisProcess] = []
        group = None
        try:
            primary.start()
            replica = RedisProcess(root / "replica", name="replica",
                                   args=["--replicaof", "127.0.0.1", str(primary.port)])
            replica.start()
            config = (
                f"sentinel monitor {service} 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds {service} {down_after_ms}\n"
                f"sentinel failover-timeout {service} {failover_timeout_ms}\n"
                f"sentinel parallel-syncs {service} 1\n"
            )
            for i in range(3):
                sentinel = RedisProcess(root / f"sentinel{i}", name=f"sentinel{i}",
                                        sentinel_config=config)  # fmt: skip
                sentinels.append(sentinel)
                sentinel.start()
            group = SentinelGroup(primary, replica, sentinels, service)
            group.wait_until_watched()
            yield group
        finally:
            for process in [*sentinels, replica, primary]:
                if process is not None:
                    process.kill()


class PostgresCluster:
    """A throw-away PostgreSQL cluster that a test stops (``stop()``, a fast shutdown) and
    starts again (``start()``) on the same port and data. ``url`` is
    ``postgres://postgres@127.0.0.1:PORT/signed_api``. Use as a context manager: the cluster is
    stopped and removed on exit."""

    def __init__(self) -> None:
        self.bindir = find_postgres_bindir()
        self.account = _unprivileged_account()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.env.update(LC_ALL="C", LANG="C")
        self._tmp = tempfile.TemporaryDirectory(prefix="signed-api-pgc-")
        self.root = Path(self._tmp.name)
        if self.account is not None:
            os.chown(self.root, *self.account)
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.url = f"postgres://{PG_SUPERUSER}@127.0.0.1:{self.port}/{PG_DATABASE}"

    def __enter__(self) -> PostgresCluster:
        try:
            initdb = subprocess.run(
                [str(self.bindir / "initdb"), "-D", str(self.data), "-U", PG_SUPERUSER,
                 "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
                **_run_as(self.account),
            )  # fmt: skip
            if initdb.returncode != 0:
                raise ServerError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
            self.start()
            subprocess.run(
                [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", PG_SUPERUSER, PG_DATABASE],
                cwd=self.root, env=self.env, capture_output=True, check=True,
            )  # fmt: skip
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.stop()
        finally:
            self._tmp.cleanup()

    def start(self) -> None:
        with self.log.open("ab") as log_file:
            self.proc = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=100"],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                cwd=self.root, env=self.env, start_new_session=True,
                preexec_fn=_die_with_parent, **_run_as(self.account),
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while not _postgres_ready(self.data):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                _stop(self.proc, signal.SIGKILL)
                raise ServerError(f"postgres did not start:\n{_log_tail(self.log)}")
            time.sleep(0.05)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, signal.SIGINT)  # fast shutdown: ends every connection


# --- command line -----------------------------------------------------------------------------


def _exit_status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def run(command: Sequence[str]) -> int:
    """Start both servers, run ``command`` with DATABASE_URL and REDIS_URL set, stop them."""

    def _terminate(signum, frame):  # turn SIGTERM into an exception so the servers get stopped
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    with postgres_server() as database_url, redis_server() as redis_url:
        print(f"servers: DATABASE_URL={database_url} REDIS_URL={redis_url}", file=sys.stderr)
        env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url,
                   **{SERVICES_PASS_ENV: "1"})
        try:
            return _exit_status(subprocess.call(list(command), env=env))
        except KeyboardInterrupt:
            return 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.servers",
        description="Run a command with throw-away PostgreSQL and Redis servers.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser("run", help="start both servers, run CMD, stop them")
    run_parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run: no command given (python -m tests.servers run -- CMD ...)")
    try:
        return run(command)
    except ServerError as exc:
        print(f"servers: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
