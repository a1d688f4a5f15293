"""Fixtures of the integration tests: an ed25519 key, a real Redis, a live WSGI server, all logs
(the users, the hmac key and the clients are the suite's, in tests/conftest.py; the plain
helpers are in tests/integration/support.py).

Everything here runs the real components: the Django + DRF stack with ``SignatureAuthentication``
in front of ``tests.integration.urls``, a Redis server started by ``tests/servers.py`` (or the one
``REDIS_URL`` names in the second pass of ``make test``), and the database pytest-django set up
(SQLite in memory, or PostgreSQL in the second pass).
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


# -- an ed25519 key --------------------------------------------------------------------------------
@pytest.fixture
def ed25519_key(user):
    """``(api_key, private_key)``: the server stores only the public half."""
    from signed_api.models import ApiKey

    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key, secret = ApiKey.objects.create_key(
        user, name="integration ed25519", algorithm="ed25519", public_key=public_pem
    )
    assert secret is None
    return key, private


# -- Redis ---------------------------------------------------------------------------------------
@pytest.fixture
def redis_nonces(redis_nonce_cache):
    """The ``nonces`` alias (the ``NONCE_CACHE``) on the real Redis, flushed before and after."""
    return redis_nonce_cache


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=10)
    yield client
    client.close()


# -- a live WSGI server on 127.0.0.1 -------------------------------------------------------------
@pytest.fixture(scope="session")
def _live_server_127(django_db_setup):
    """Django's threaded live server on ``127.0.0.1`` and a free port, for the whole session.

    pytest-django's own ``live_server`` listens on ``localhost``; this one binds the loopback
    address only. Starting one per test would cost half a second each (the server polls for
    shutdown every 0.5 s).
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0")
    try:
        yield server
    finally:
        _wait_for_request_threads()
        server.stop()


@pytest.fixture
def live_server_ip(_live_server_127, transactional_db):
    """The live server, with a database whose writes it sees (and that is emptied after)."""
    yield _live_server_127
    # The server's per-request threads run on after the client has its response; let them end
    # before the database is flushed under them.
    _wait_for_request_threads()


def _wait_for_request_threads(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [t for t in threading.enumerate() if "process_request_thread" in t.name]
        if not busy:
            return
        busy[0].join(max(0.0, deadline - time.monotonic()))


# -- logs ----------------------------------------------------------------------------------------
class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def all_logs(caplog):
    """Every log record of every logger at DEBUG, including loggers that do not propagate
    (``django.server``) and the SQL of ``django.db.backends``. Returns the list of records."""
    collector = _Collector()
    caplog.set_level(logging.DEBUG)
    manager = logging.root.manager
    loggers = [logging.getLogger(name) for name in list(manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    attached = [logging.root] + [lg for lg in loggers if not lg.propagate]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    for lg in attached:
        lg.addHandler(collector)
    try:
        yield collector.records
    finally:
        for lg in attached:
            lg.removeHandler(collector)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
