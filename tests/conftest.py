"""Fixtures shared by the whole suite: a cold start for every test, the users, keys and clients
every folder uses, and real servers.

``user`` is alice (password ``tests.accounts.PASSWORD``), ``other_user`` is bob
(``OTHER_PASSWORD``), ``hmac_key`` an hmac-sha256 key of alice made by the key service,
``signed_client`` a test client signing with it and ``api_client`` an unsigned DRF client.

``redis_url`` and ``postgres_url`` give a URL of a real server. When ``REDIS_URL`` /
``DATABASE_URL`` (``postgres://``) are already set, as in the second pass of ``make test``, those
servers are used; otherwise one is started from the local binaries for the session. A missing
binary skips the test on a developer machine and fails it when ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os

import pytest

from example_project.dburl import POSTGRES_SCHEMES
from tests import servers
from tests.accounts import OTHER_PASSWORD, PASSWORD


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(exc: servers.ServerUnavailable):
    if _under_ci():
        pytest.fail(f"CI=true and {exc}", pytrace=False)
    pytest.skip(str(exc))


def _service_url(request, env_var: str, schemes: set[str], start) -> str:
    url = os.environ.get(env_var, "")
    if url.split(":", 1)[0].lower() in schemes:
        return url
    stack = contextlib.ExitStack()
    try:
        url = stack.enter_context(start())
    except servers.ServerUnavailable as exc:
        stack.close()
        _unavailable(exc)
    request.addfinalizer(stack.close)
    return url


@pytest.fixture(scope="session")
def redis_url(request) -> str:
    """``redis://127.0.0.1:PORT/0`` of a real Redis server for this session."""
    return _service_url(request, "REDIS_URL", {"redis", "rediss"}, servers.redis_server)


@pytest.fixture(scope="session")
def postgres_url(request) -> str:
    """``postgres://USER@127.0.0.1:PORT/DBNAME`` of a real PostgreSQL server for this session.

    This is a database to connect to directly (psycopg, threads, dumps). Django's own test
    database is on PostgreSQL only when DATABASE_URL is set (the second pass of ``make test``).
    """
    return _service_url(request, "DATABASE_URL", POSTGRES_SCHEMES, servers.postgres_server)


@pytest.fixture(scope="session")
def service_binaries() -> None:
    """Skip (or under CI fail) unless redis-server and the PostgreSQL binaries are installed."""
    try:
        servers.find_redis_server()
        servers.find_postgres_bindir()
    except servers.ServerUnavailable as exc:
        _unavailable(exc)


# -- users, keys and clients ---------------------------------------------------------------------
@pytest.fixture
def user(django_user_model):
    """alice, with the password ``PASSWORD``."""
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def other_user(django_user_model):
    """bob, with the password ``OTHER_PASSWORD``."""
    return django_user_model.objects.create_user("bob", password=OTHER_PASSWORD)


@pytest.fixture
def hmac_key(user):
    """``(ApiKey, secret)``: an hmac-sha256 key of alice, made by the service (and audited)."""
    from signed_api.services import keys as key_services

    return key_services.create_api_key(user, name="laptop", via="test")


@pytest.fixture
def signed_client(hmac_key):
    """A test client signing every request with ``hmac_key``."""
    from signed_api.test import SignedAPIClient

    key, secret = hmac_key
    return SignedAPIClient(key_id=key.key_id, key=secret)


@pytest.fixture
def api_client():
    """An unsigned DRF test client."""
    from rest_framework.test import APIClient

    return APIClient()


# -- a cold start --------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fresh_signed_api_state():
    """Every test starts and ends cold: no key cached in this process, nothing in the shared
    store (nonces, state tokens, guessing-budget counters, audit gates), an empty default cache.

    The key cache, Redis and locmem outlive a test's database rollback; the store table rolls
    back (or is flushed) with the test database, and is left to it: clearing it would need
    database access in tests that have none.
    """
    yield from _cold()


def _cold():
    from django.core.cache import caches

    from signed_api import stores
    from signed_api.stores.database import DatabaseStore
    from tests.store import cold_process

    def clean():
        cold_process()
        store = stores.get_store()
        if not isinstance(store, DatabaseStore):
            store.clear()
        caches["default"].clear()

    clean()
    yield
    clean()


@pytest.fixture
def redis_nonce_cache(redis_url, settings):
    """Point the ``nonces`` cache alias at the real Redis for one test; flush it afterwards."""
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "nonces": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url},
    }
    settings.SIGNED_API = {**settings.SIGNED_API, "NONCE_CACHE": "nonces"}
    cache = caches["nonces"]
    cache.clear()
    yield cache
    cache.clear()


def pytest_collection_modifyitems(items):
    # Tests that ask for a real server get its marker, so `-m "not postgres"` deselects them.
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "redis_url" in fixtures:
            item.add_marker(pytest.mark.redis)
        if "postgres_url" in fixtures:
            item.add_marker(pytest.mark.postgres)


def pytest_report_header(config):
    from django.conf import settings

    store = "redis" if settings.SIGNED_API.get("NONCE_CACHE") else "database table"
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"signed_api: database={database} shared store={store} CI={_under_ci()}"
