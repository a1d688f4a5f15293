"""Replays refused across worker processes, on every shared store, as the example project ships.

The example project under ``gunicorn -w 2``, set up as a user would (``migrate``,
``signed_api_createkey``), three ways:

- ``table-sqlite``: no Redis at all, the embedded default: the store is a table of the SQLite file
  both workers open;
- ``table-postgres``: no Redis, the table on PostgreSQL;
- ``redis``: ``REDIS_URL`` set, the store on Redis.

On each, sixteen copies of one signed request sent at once get exactly one answer, whichever
worker each reaches; and a request captured before a thousand others is still refused when it is
replayed inside its window (a culling cache, as the per-process locmem store was, forgot it after
300). The guessing budget is charged before the password is checked: forty simultaneous wrong
passwords against a budget of five get exactly five evaluated.
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from signed_api.client import SignatureAuth, decode_secret

from .support import redis_url_with_db
from .test_gunicorn_example import (
    REQUEST_TIMEOUT,
    ExampleDeployment,
    deployment_env,
    new_postgres_database,
)

REDIS_DB = 10  # a Redis database of this module's own

STORES = ["table-sqlite", "table-postgres", "redis"]

# The module starts its own servers for every store, so the second pass of ``make test`` (the
# suite again on PostgreSQL + Redis) would only repeat it.
pytestmark = pytest.mark.skipif(
    urlsplit(os.environ.get("DATABASE_URL", "")).scheme.startswith("postgres"),
    reason="runs every store in the first pass already",
)


@pytest.fixture(scope="module", params=STORES)
def deployment(request, tmp_path_factory):
    kind = request.param
    workdir = tmp_path_factory.mktemp(f"replay-{kind}")
    cleanups = []
    redis_client = None
    if kind == "table-postgres":
        database_url, drop = new_postgres_database(request, "signed_api_replay")
        cleanups.append(drop)
    else:
        database_url = f"sqlite:///{workdir / 'example.sqlite3'}"
    env = deployment_env(database_url)
    if kind == "redis":
        import redis

        own_redis = redis_url_with_db(request.getfixturevalue("redis_url"), REDIS_DB)
        redis_client = redis.Redis.from_url(own_redis, socket_timeout=10)
        redis_client.flushdb()
        env["REDIS_URL"] = own_redis
        cleanups.append(redis_client.flushdb)
    example = ExampleDeployment(workdir, env)
    example.kind = kind
    example.redis = redis_client
    try:
        example.manage("migrate", "--noinput")
        example.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('carol', password='carol-password-1')",
        )  # fmt: skip
        example.carol = example.create_key("carol")
        example.start()
        yield example
    finally:
        example.stop()
        for cleanup in cleanups:
            cleanup()


def _auth(example) -> SignatureAuth:
    key_id, secret = example.carol
    return SignatureAuth(key_id, decode_secret(secret))


def _signed(example, target: str) -> tuple[str, dict]:
    url = example.url(target)
    return url, _auth(example).sign("GET", url, {}, b"")


def _get(url: str, headers: dict) -> requests.Response:
    return requests.get(url, headers=headers, timeout=REQUEST_TIMEOUT)


def test_the_store_is_the_one_configured(deployment):
    """The embedded default really is the table (no Redis anywhere), and Redis is used when set."""
    out = deployment.manage(
        "shell", "-c",
        "from signed_api.stores import get_store; print(get_store().describe())",
    )  # fmt: skip
    expected = {"table-sqlite": "sqlite", "table-postgres": "postgresql", "redis": "Redis"}
    assert expected[deployment.kind] in out, out


def test_sixteen_copies_of_one_request_get_one_answer_across_workers(deployment):
    """Each burst: one 200 and fifteen nonce_replayed. Bursts repeat until the access log shows
    that both worker processes answered copies of one request (so the refusal crossed
    processes), at most eight bursts."""
    pids_of_a_burst: set[str] = set()
    for burst in range(8):
        marker = f"burst{burst}x{secrets.token_hex(4)}"
        url, headers = _signed(deployment, f"/api/notes/?m={marker}")
        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(_get, [url] * 16, [headers] * 16))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [401] * 15, statuses
        refused = [r.json()["code"] for r in responses if r.status_code == 401]
        assert set(refused) == {"nonce_replayed"}
        lines = deployment.wait_for_access(marker, 16)
        pids_of_a_burst = {line["pid"] for line in lines}
        if len(pids_of_a_burst) >= 2:
            break
    assert len(pids_of_a_burst) >= 2, "every copy reached one worker in eight bursts"


def test_a_request_captured_before_a_thousand_others_is_still_refused(deployment):
    first_url, first_headers = _signed(deployment, "/api/notes/?captured=1")
    assert _get(first_url, first_headers).status_code == 200

    def one(i: int) -> int:
        url, headers = _signed(deployment, f"/api/notes/?n={i}")
        return _get(url, headers).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(one, range(1000)))
    assert statuses.count(200) == 1000, sorted(set(statuses))

    replay = _get(first_url, first_headers)
    assert replay.status_code == 401
    assert replay.json()["code"] == "nonce_replayed"


def test_forty_simultaneous_wrong_passwords_get_five_evaluated(deployment):
    """Charged before evaluation: exactly LOGIN_FAILURES_PER_USERNAME (5) are checked and
    refused as wrong, the rest are 429 without a password check; then the right password is
    throttled too, for the window."""
    url = deployment.url("/api/auth/sessions/")

    def wrong(i: int) -> requests.Response:
        return requests.post(url, json={"username": "carol", "password": f"wrong-{i}"},
                             timeout=REQUEST_TIMEOUT)

    with ThreadPoolExecutor(40) as pool:
        responses = list(pool.map(wrong, range(40)))
    codes = sorted(r.json().get("code") for r in responses)
    assert codes.count("invalid_credentials") == 5, codes
    assert codes.count("throttled") == 35, codes
    assert all(r.headers.get("Retry-After", "").isdigit()
               for r in responses if r.status_code == 429)
    right = requests.post(url, json={"username": "carol", "password": "carol-password-1"},
                          timeout=REQUEST_TIMEOUT)
    assert right.status_code == 429
    assert right.json()["code"] == "throttled"
