"""What Oblivious HTTP costs: one signed POST through the gateway against the same POST in the
clear, in the same run.

Both go through ``django.test.Client`` into the whole stack of ``tests/settings.py`` (the example
project's URLs, every middleware including response signing, ``SignatureAuthentication``, the
notes view writing one row to SQLite, the nonce on a real Redis). The request is the same: ``POST
/api/notes/`` with a ~230-byte JSON body, signed by an API key (new nonce, ``created`` now).

- **clear**: the signed request, as is.
- **ohttp**: the same signed request encoded as Binary HTTP and sealed to the gateway key (client
  side), ``POST /.well-known/ohttp-gateway`` (the gateway opens it and runs the inner request
  through the same stack), then the answer opened and decoded (client side). All of it is timed:
  the encryption is what is being measured.

Signing happens before each batch, outside the timed region, for both. Rounds are interleaved
(each round runs a batch of each, in an order that alternates), one warm-up round is thrown away,
and every answer is checked: a 201 with the note, for the encrypted one inside the 200 and with a
response signature that verifies. Reported: medians of each, their ratio, the microseconds added,
and the same for the gateway's server side alone (without the client's seal and open). The test
fails when the encrypted request costs more than 1.3 times the clear one (medians).

    make bench PYTEST_ARGS="-k ohttp"

``SIGNED_API_BENCH_ROUNDS`` (default 30) and ``SIGNED_API_BENCH_BATCH`` (default 20) size it;
``SIGNED_API_BENCH_ASSERT_GOAL=0`` reports without failing on the goal.

A second test measures the same comparison end to end, as a client waits for it: the example
project under gunicorn (two gthread workers keeping connections alive, persistent database
connections, nonces on Redis), on a SQLite file and on a real PostgreSQL, ``requests`` with
``SignatureAuth`` in the clear against ``ohttp_session`` through the gateway, over the loopback.
It reports the ratio against the 1.3x goal and fails only above 1.5x (a regression guard): its
baseline includes the HTTP server and the client library, which the first one leaves out. (With
gunicorn's default sync workers every request also pays a new connection, and the ratio looks
better than it is: 1.23x where keep-alive measures 1.31x.)
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time

import pytest

from signed_api.client import SignatureAuth
from signed_api.core import b64, bhttp, hpke, ohttp
from tests.benchmarks.rounds import warm_then_measure

ROUNDS = int(os.environ.get("SIGNED_API_BENCH_ROUNDS", "30"))
BATCH = int(os.environ.get("SIGNED_API_BENCH_BATCH", "20"))
GOAL = 1.3  # the encrypted request costs at most this many times the clear one
#: End to end the goal is reported (met or not); the test fails above this, a regression guard.
END_TO_END_GUARD = 1.5
ASSERT_GOAL = os.environ.get("SIGNED_API_BENCH_ASSERT_GOAL", "1").strip() not in {"0", "no"}
HOST = "testserver"
PATH = "/api/notes/"
URL = f"http://{HOST}{PATH}"
GATEWAY = "/.well-known/ohttp-gateway"
CONTENT_TYPE = "application/json"
BODY = json.dumps(
    {
        "text": "Revenue grew in every region; the board meets on Thursday to discuss it. "
        "Quarterly numbers for finance, q3 and the board: priority 2, due 2025-10-02T09:30:00Z, "
        "owner alice@example.com, not done yet.",
    },
    separators=(",", ":"),
).encode("utf-8")


@pytest.fixture
def bench_stack(transactional_db, redis_nonce_cache, settings):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from signed_api import credentials, ohttp_keys, stores
    from signed_api.models import ApiKey

    private = hpke.generate_private_key()
    settings.ROOT_URLCONF = "example_project.urls"
    settings.SIGNED_API = {
        **settings.SIGNED_API,
        "OHTTP_KEYS": [{"key_id": 7, "private_key": b64.b64url_encode(private)}],
    }
    stores.reset()
    ohttp_keys.reset()
    user = get_user_model().objects.create_user("ohttp-bench")
    api_key, secret = ApiKey.objects.create_key(
        user, name="ohttp bench", scopes=["notes:read", "notes:write"]
    )
    client = Client()
    answer = client.get(GATEWAY, HTTP_ACCEPT=ohttp.KEYS_MEDIA_TYPE)
    assert answer.status_code == 200
    (config,) = ohttp.decode_key_configs(answer.content)
    yield {"client": client, "auth": SignatureAuth(api_key.key_id, secret), "config": config}
    credentials.key_cache.clear()
    ohttp_keys.reset()


def signed_headers(auth: SignatureAuth) -> dict[str, str]:
    headers = {"Content-Type": CONTENT_TYPE}
    headers.update(auth.sign("POST", URL, headers, BODY))
    return headers


def meta_of(headers: dict[str, str]) -> dict[str, str]:
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    meta.pop("HTTP_CONTENT_TYPE")
    return meta


def inner_request(headers: dict[str, str]) -> bhttp.Request:
    return bhttp.Request(
        method="POST", scheme="http", authority=HOST, path=PATH,
        headers=tuple((k.lower(), v) for k, v in headers.items()), content=BODY,
    )  # fmt: skip


class Runner:
    def __init__(self, stack):
        self.client = stack["client"]
        self.auth = stack["auth"]
        self.config = stack["config"]
        self.samples: dict[str, list[list[int]]] = {"clear": [], "ohttp": [], "gateway": []}
        self.failures: list[object] = []
        self.checked: list[tuple[object, dict]] = []

    def clear(self, plan: list[dict[str, str]]) -> None:
        perf, post, times = time.perf_counter_ns, self.client.post, []
        for headers in plan:
            extra = meta_of(headers)
            start = perf()
            response = post(PATH, BODY, content_type=CONTENT_TYPE, **extra)
            times.append(perf() - start)
            if response.status_code != 201:
                self.failures.append(("clear", response.status_code, response.content[:200]))
        self.samples["clear"].append(times)

    def encrypted(self, plan: list[dict[str, str]]) -> None:
        perf, post, config = time.perf_counter_ns, self.client.post, self.config
        times, server = [], []
        for headers in plan:
            message = inner_request(headers)
            start = perf()
            sealed, context = ohttp.encapsulate_request(config, bhttp.encode_request(message))
            sent = perf()
            outer = post(GATEWAY, sealed, content_type=ohttp.REQUEST_MEDIA_TYPE)
            answered = perf()
            inner = bhttp.decode_response(context.decapsulate_response(outer.content))
            times.append(perf() - start)
            server.append(answered - sent)
            if outer.status_code != 200 or inner.status != 201:
                self.failures.append(("ohttp", outer.status_code, inner.status, inner.content))
            elif len(self.checked) < 3:
                self.checked.append((inner, headers))
        self.samples["ohttp"].append(times)
        self.samples["gateway"].append(server)


def verify_inner_response(auth: SignatureAuth, inner: bhttp.Response, headers: dict) -> None:
    """The inner answer carries the server's signature over this very request."""
    import requests

    request = requests.Request("POST", URL, data=BODY, headers=headers).prepare()
    response = requests.Response()
    response.status_code = inner.status
    response.headers = requests.structures.CaseInsensitiveDict(dict(inner.headers))
    response._content = inner.content
    response.request = request
    auth.verify_response(response)


def test_a_signed_post_through_the_gateway_against_the_same_in_the_clear(
    benchmark, bench_stack, capsys
):
    runner = Runner(bench_stack)
    rounds = iter(range(10**9))

    def prepare_round():
        r = next(rounds)
        plan = {name: [signed_headers(runner.auth) for _ in range(BATCH)]
                for name in ("clear", "ohttp")}  # fmt: skip
        order = ("clear", "ohttp") if r % 2 == 0 else ("ohttp", "clear")
        gc.collect()
        return ([(name, plan[name]) for name in order],), {}

    def run_round(plan):
        for name, headers in plan:
            (runner.clear if name == "clear" else runner.encrypted)(headers)

    args, _ = prepare_round()  # warm-up: imports, the key load, connections
    run_round(*args)
    for batches in runner.samples.values():
        batches.clear()
    runner.checked.clear()

    benchmark.pedantic(run_round, setup=prepare_round, rounds=ROUNDS, iterations=1)

    assert not runner.failures, runner.failures[:3]
    assert runner.checked
    for inner, headers in runner.checked:
        verify_inner_response(runner.auth, inner, headers)

    def median_us(name: str) -> float:
        return statistics.median(ns for batch in runner.samples[name] for ns in batch) / 1000

    def paired_us(name: str) -> float:
        """Median over rounds of (this round's median - the clear round's median)."""
        return statistics.median(
            (statistics.median(a) - statistics.median(b)) / 1000
            for a, b in zip(runner.samples[name], runner.samples["clear"], strict=True)
        )

    clear, encrypted, server = median_us("clear"), median_us("ohttp"), median_us("gateway")
    ratio, server_ratio = encrypted / clear, server / clear
    n = sum(len(batch) for batch in runner.samples["clear"])
    table = "\n".join([
        f"signed POST {PATH} ({len(BODY)}-byte JSON body, one note written), whole stack, "
        f"SQLite + real Redis; {len(runner.samples['clear'])} interleaved rounds x {BATCH} "
        f"requests each ({n} per variant)",
        f"{'':<44}{'median µs':>10}{'ratio':>8}{'added µs':>10}{'paired':>9}",
        f"{'in the clear':<44}{clear:>10.1f}{1:>8.2f}{0:>10.1f}{0:>9.1f}",
        f"{'through the gateway, client seal+open incl.':<44}{encrypted:>10.1f}{ratio:>8.2f}"
        f"{encrypted - clear:>+10.1f}{paired_us('ohttp'):>+9.1f}",
        f"{'through the gateway, server side only':<44}{server:>10.1f}{server_ratio:>8.2f}"
        f"{server - clear:>+10.1f}{paired_us('gateway'):>+9.1f}",
        f"goal: through the gateway <= {GOAL:.1f}x the clear request (medians): "
        f"{ratio:.2f}x, {encrypted - clear:+.1f} µs",
    ])  # fmt: skip
    benchmark.extra_info.update({
        "body_bytes": len(BODY),
        "rounds": len(runner.samples["clear"]),
        "batch": BATCH,
        "clear_median_us": round(clear, 1),
        "ohttp_median_us": round(encrypted, 1),
        "gateway_server_median_us": round(server, 1),
        "ratio": round(ratio, 3),
        "added_us": round(encrypted - clear, 1),
    })  # fmt: skip
    with capsys.disabled():
        print("\n" + table)
    if ASSERT_GOAL:
        assert ratio <= GOAL, table


# -- end to end, through gunicorn --------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def deployment(request, tmp_path, redis_url):
    """The example project under gunicorn (keep-alive workers) on a SQLite file, or on a
    database of its own on the real PostgreSQL of ``postgres_url``; nonces on Redis."""
    from tests.benchmarks.deployment import KeepAliveDeployment
    from tests.integration.support import redis_url_with_db
    from tests.integration.test_gunicorn_example import deployment_env, new_postgres_database

    own_redis = redis_url_with_db(redis_url, 11)
    if request.param == "postgres":
        database_url, drop = new_postgres_database(request, "signed_api_ohttp_bench")
    else:
        database_url, drop = f"sqlite:///{tmp_path / 'bench.sqlite3'}", lambda: None
    env = deployment_env(database_url, REDIS_URL=own_redis)
    env["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.e2e_settings"
    example = KeepAliveDeployment(tmp_path, env)
    example.database = request.param
    try:
        example.manage("migrate", "--noinput")
        example.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('ohttp-bench')",
        )  # fmt: skip
        example.manage("signed_api_ohttp_keys", "generate")
        example.key = example.create_key("ohttp-bench")
        example.start()
        yield example
    finally:
        example.stop()
        drop()


def test_end_to_end_through_gunicorn(benchmark, deployment, capsys):
    import requests

    from signed_api.client import decode_secret, ohttp_session

    auth = SignatureAuth(deployment.key[0], decode_secret(deployment.key[1]))
    url = deployment.url(PATH)
    samples: dict[str, list[list[int]]] = {"clear": [], "ohttp": []}
    failures: list[object] = []
    sessions = {"clear": requests.Session(), "ohttp": ohttp_session(deployment.base_url)}
    rounds = iter(range(10**9))

    def prepare_round():
        r = next(rounds)
        order = ("clear", "ohttp") if r % 2 == 0 else ("ohttp", "clear")
        plan = [
            (name, [requests.Request("POST", url, data=BODY, auth=auth,
                                     headers={"Content-Type": CONTENT_TYPE}).prepare()
                    for _ in range(BATCH)])
            for name in order
        ]  # fmt: skip
        gc.collect()
        return (plan,), {}

    def run_round(plan):
        perf = time.perf_counter_ns
        for name, prepared in plan:
            send, times = sessions[name].send, []
            for request in prepared:
                start = perf()
                response = send(request, timeout=30)
                times.append(perf() - start)
                if response.status_code != 201:
                    failures.append((name, response.status_code, response.content[:200]))
            samples[name].append(times)
            last = response
        auth.verify_response(last)  # the inner answer, signed for this very request

    warm_then_measure(benchmark, prepare_round, run_round, samples, ROUNDS)
    for http in sessions.values():
        http.close()
    assert not failures, failures[:3]

    clear = statistics.median(ns for b in samples["clear"] for ns in b) / 1000
    encrypted = statistics.median(ns for b in samples["ohttp"] for ns in b) / 1000
    ratio = encrypted / clear
    table = (
        f"end to end, example project under gunicorn -w 2 -k gthread (keep-alive), "
        f"{'PostgreSQL' if deployment.database == 'postgres' else 'SQLite file'}, nonces on "
        f"Redis, loopback: signed POST "
        f"{PATH}, {len(samples['clear'])} interleaved rounds x {BATCH}\n"
        f"in the clear {clear:.1f} µs, through the gateway {encrypted:.1f} µs (medians): "
        f"{ratio:.2f}x, {encrypted - clear:+.1f} µs (goal {GOAL:.1f}x: "
        f"{'met' if ratio <= GOAL else 'NOT met'}; fails above {END_TO_END_GUARD:.1f}x)"
    )
    benchmark.extra_info.update(
        {"clear_median_us": round(clear, 1), "ohttp_median_us": round(encrypted, 1),
         "ratio": round(ratio, 3), "added_us": round(encrypted - clear, 1)}
    )  # fmt: skip
    with capsys.disabled():
        print("\n" + table)
    assert ratio <= END_TO_END_GUARD, table
