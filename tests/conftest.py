"""Fixtures shared by the whole suite.

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
from tests import services


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(exc: services.ServiceUnavailable):
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
    except services.ServiceUnavailable as exc:
        stack.close()
        _unavailable(exc)
    request.addfinalizer(stack.close)
    return url


@pytest.fixture(scope="session")
def redis_url(request) -> str:
    """``redis://127.0.0.1:PORT/0`` of a real Redis server for this session."""
    return _service_url(request, "REDIS_URL", {"redis", "rediss"}, services.redis_server)


@pytest.fixture(scope="session")
def postgres_url(request) -> str:
    """``postgres://USER@127.0.0.1:PORT/DBNAME`` of a real PostgreSQL server for this session.

    This is a database to connect to directly (psycopg, threads, dumps). Django's own test
    database is on PostgreSQL only when DATABASE_URL is set (the second pass of ``make test``).
    """
    return _service_url(request, "DATABASE_URL", POSTGRES_SCHEMES, services.postgres_server)


@pytest.fixture(scope="session")
def service_binaries() -> None:
    """Skip (or under CI fail) unless redis-server and the PostgreSQL binaries are installed."""
    try:
        services.find_redis_server()
        services.find_postgres_bindir()
    except services.ServiceUnavailable as exc:
        _unavailable(exc)


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
