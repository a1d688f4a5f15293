"""Two machines' worth of the example project on one PostgreSQL database and one shared store.

Two gunicorn processes with two workers each (what two application servers would run), each its
own ``ExampleDeployment``, with the same environment: the same ``DATABASE_URL`` (a PostgreSQL
database of this module's own), the same ``DJANGO_SECRET_KEY`` (so both open the secrets the
other sealed) and the same store: a Redis database (``REDIS_URL``), or, without Redis, the
default store table in that PostgreSQL database. On each store:

- a burst of identical signed requests spread over both nodes gets exactly one 200, and every
  other copy 401 ``nonce_replayed``, whichever node and worker it reached;
- a key revoked, a session logged out and a key rotated through node A are refused by node B on
  its very next request, although B's workers had them cached;
- the guessing budget counts wrong passwords sent to both nodes together: five in all are
  evaluated, not five per node.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from signed_api.client import SignatureAuth, decode_secret
from tests import servers

from .support import redis_url_with_db
from .test_gunicorn_example import (
    REQUEST_TIMEOUT,
    ExampleDeployment,
    deployment_env,
    new_postgres_database,
)

pytestmark = pytest.mark.skipif(servers.in_services_pass(), reason=servers.ONCE_REASON)

REDIS_DB = 11  # a Redis database of this module's own
PASSWORD = "dora-password-1"
BURST = 24

STORES = ["redis", "table-postgres"]


def prepare(node: ExampleDeployment, username: str = "dora") -> None:
    """``migrate`` and a user with ``PASSWORD`` and an hmac key (``node.key``), run on one node;
    the other nodes share the database."""
    node.manage("migrate", "--noinput")
    node.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({username!r}, password={PASSWORD!r})",
    )  # fmt: skip
    node.key = node.create_key(username)


def start_nodes(nodes: list[ExampleDeployment]) -> None:
    """Start gunicorn on every node, one after the other, from this (the main) thread.

    Not from a thread each: the servers get ``PR_SET_PDEATHSIG`` (SIGTERM when their parent
    dies, so none outlives a killed test run), and Linux counts the *thread* that forked as the
    parent, so a server started by a short-lived thread is terminated as that thread ends.
    """
    for node in nodes:
        node.start()


def auth_of(key: tuple[str, str]) -> SignatureAuth:
    return SignatureAuth(key[0], decode_secret(key[1]))


def signed_get(node: ExampleDeployment, key, target: str) -> requests.Response:
    return requests.get(node.url(target), auth=auth_of(key), headers={"Connection": "close"},
                        timeout=REQUEST_TIMEOUT)  # fmt: skip


@pytest.fixture(scope="module", params=STORES)
def nodes(request, tmp_path_factory):
    kind = request.param
    cleanups = []
    database_url, drop = new_postgres_database(request, "signed_api_nodes")
    cleanups.append(drop)
    env = deployment_env(database_url)
    if kind == "redis":
        import redis

        own_redis = redis_url_with_db(request.getfixturevalue("redis_url"), REDIS_DB)
        client = redis.Redis.from_url(own_redis, socket_timeout=10)
        client.flushdb()
        env["REDIS_URL"] = own_redis
        cleanups.append(client.flushdb)
        cleanups.append(client.close)
    a = ExampleDeployment(tmp_path_factory.mktemp(f"node-a-{kind}"), env)
    b = ExampleDeployment(tmp_path_factory.mktemp(f"node-b-{kind}"), env)
    a.kind = b.kind = kind
    try:
        prepare(a)
        start_nodes([a, b])
        yield a, b
    finally:
        a.stop()
        b.stop()
        for cleanup in reversed(cleanups):
            cleanup()


def test_both_nodes_use_the_one_store(nodes):
    a, _ = nodes
    out = a.manage(
        "shell", "-c", "from signed_api.stores import get_store; print(get_store().describe())"
    )
    assert ("Redis" if a.kind == "redis" else "postgresql") in out, out


def test_a_burst_spread_over_both_nodes_is_answered_once(nodes):
    """Copies of one signed request, half to each node, all at once: one 200, the rest
    ``nonce_replayed``; every worker of both nodes took part in some burst."""
    a, b = nodes
    auth = auth_of(a.key)
    pids: set[tuple[str, str]] = set()
    for burst in range(6):
        marker = f"burst{burst}x{secrets.token_hex(4)}"
        target = f"/api/notes/?m={marker}"
        # One signature: the copies differ only in the host:port they are sent to, which the
        # signature covers, so both nodes are addressed as node A (same Host header).
        headers = auth.sign("GET", a.url(target), {}, b"")
        headers.update({"Host": a.base_url.split("//", 1)[1], "Connection": "close"})
        urls = [(a if i % 2 == 0 else b).url(target) for i in range(BURST)]

        def get(url, headers=headers):
            return requests.get(url, headers=headers, timeout=REQUEST_TIMEOUT)

        with ThreadPoolExecutor(BURST) as pool:
            responses = list(pool.map(get, urls))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [401] * (BURST - 1), statuses
        assert {r.json()["code"] for r in responses if r.status_code == 401} == {"nonce_replayed"}
        for name, node in (("a", a), ("b", b)):
            lines = node.wait_for_access(marker, BURST // 2)
            assert len(lines) == BURST // 2
            pids |= {(name, line["pid"]) for line in lines}
        if len(pids) == 4:
            break
    assert {name for name, _ in pids} == {"a", "b"}
    assert len(pids) >= 3, pids  # usually all four workers within a burst or two


# -- changes through node A, seen by node B ------------------------------------------------------
def _warm(node: ExampleDeployment, key, marker: str) -> None:
    """Signed GETs to ``node`` until both its workers answered one (so both cached the key)."""
    pids: set[str] = set()
    sent = 0
    while len(pids) < 2 and sent < 48:
        targets = [f"/api/notes/?{marker}={sent + i}" for i in range(6)]
        with ThreadPoolExecutor(3) as pool:
            responses = list(pool.map(lambda t: signed_get(node, key, t), targets))
        sent += len(targets)
        assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
        pids = {m["pid"] for m in node.wait_for_access(f"?{marker}=", sent)}
    assert len(pids) == 2, "both workers of the node must hold the key"


def _login(node: ExampleDeployment) -> tuple[str, str]:
    response = requests.post(node.url("/api/auth/sessions/"),
                             json={"username": "dora", "password": PASSWORD},
                             timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["secret"]


def _create_key(node: ExampleDeployment, session) -> tuple[str, str]:
    response = requests.post(node.url("/api/auth/keys/"), json={"name": "multi-node"},
                             auth=auth_of(session), timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["secret"]


def _refusals(node: ExampleDeployment, key, marker: str, count: int = 8) -> list:
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda i: signed_get(node, key, f"/api/notes/?{marker}={i}"),
                                  range(count)))  # fmt: skip
    return [(r.status_code, r.json().get("code")) for r in responses]


def test_a_key_revoked_through_node_a_is_refused_by_node_b_at_once(nodes):
    a, b = nodes
    session = _login(a)
    key = _create_key(a, session)
    _warm(b, key, "revwarm")

    response = requests.delete(a.url(f"/api/auth/keys/{key[0]}/"), auth=auth_of(session),
                               timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert response.status_code == 204, response.text

    assert signed_get(b, key, "/api/notes/?revnext=1").json()["code"] == "key_revoked"
    assert _refusals(b, key, "revafter") == [(401, "key_revoked")] * 8


def test_a_session_logged_out_through_node_a_is_refused_by_node_b_at_once(nodes):
    a, b = nodes
    session = _login(a)
    _warm(b, session, "sesswarm")

    response = requests.delete(a.url(f"/api/auth/sessions/{session[0]}/"),
                               auth=auth_of(session), timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert response.status_code == 204, response.text

    first = signed_get(b, session, "/api/notes/?sessnext=1")
    assert first.status_code == 401, first.text
    code = first.json()["code"]
    assert code in {"key_revoked", "session_expired", "unknown_key"}, code
    assert _refusals(b, session, "sessafter") == [(401, code)] * 8


def test_a_key_rotated_through_node_a_changes_on_node_b_at_once(nodes):
    """Rotated without a grace period: on node B the old secret is refused and the new one
    accepted, on the very next request."""
    a, b = nodes
    session = _login(a)
    old = _create_key(a, session)
    _warm(b, old, "rotwarm")

    response = requests.post(a.url(f"/api/auth/keys/{old[0]}/rotate/"), json={"grace_hours": 0},
                             auth=auth_of(session), timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert response.status_code == 200, response.text
    new = (old[0], response.json()["secret"])
    assert new[1] != old[1]

    assert signed_get(b, old, "/api/notes/?rotnext=1").json()["code"] == "signature_invalid"
    assert signed_get(b, new, "/api/notes/?rotnew=1").status_code == 200
    assert _refusals(b, old, "rotafter") == [(401, "signature_invalid")] * 8
    with ThreadPoolExecutor(4) as pool:
        fresh = list(pool.map(lambda i: signed_get(b, new, f"/api/notes/?rotok={i}"), range(8)))
    assert [r.status_code for r in fresh] == [200] * 8


def test_the_guessing_budget_holds_across_both_nodes(nodes):
    """Forty wrong passwords for one user, half to each node, at once: five evaluated in all
    (LOGIN_FAILURES_PER_USERNAME), not five per node; the right password is throttled too."""
    a, b = nodes
    username = f"eve{secrets.token_hex(3)}"
    a.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({username!r}, password={PASSWORD!r})",
    )  # fmt: skip

    def wrong(i: int) -> requests.Response:
        node = a if i % 2 == 0 else b
        return requests.post(node.url("/api/auth/sessions/"),
                             json={"username": username, "password": f"wrong-{i}"},
                             timeout=REQUEST_TIMEOUT)  # fmt: skip

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(wrong, range(40)))
    codes = [r.json().get("code") for r in responses]
    assert codes.count("invalid_credentials") == 5, sorted(codes)
    assert codes.count("throttled") == 35, sorted(codes)
    for node in (a, b):
        right = requests.post(node.url("/api/auth/sessions/"),
                              json={"username": username, "password": PASSWORD},
                              timeout=REQUEST_TIMEOUT)  # fmt: skip
        assert (right.status_code, right.json()["code"]) == (429, "throttled")
