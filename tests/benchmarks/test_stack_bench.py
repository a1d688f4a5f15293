"""What authentication costs through the whole Django + DRF stack (issue 3, item 9).

Every request goes through ``django.test.Client``: WSGI handler, the full middleware stack of
``tests/settings.py``, URL resolution, DRF's ``APIView`` dispatch, authentication, permission,
JSON parsing of a ~230-byte body and JSON rendering of the answer. The database is SQLite
(autocommit, as a server runs); the shared store is, in turn, its ``signed_api_storeentry``
table (the default) and a real Redis (``tests/servers.py``). The variants of one view differ
only in their authentication class (see ``bench_urls``): no auth, DRF ``TokenAuthentication``,
simplejwt, a DRF class around ``http-message-signatures``, and ours (signed with an API key,
with a session, and with its response signed, as the default ``SIGN_RESPONSES`` does).

Honest timing:

- Rounds are interleaved: each round runs every variant for a batch of requests, in an order
  that rotates from round to round, so drift (CPU frequency, Redis, the allocator, neighbours on
  the machine) hits all variants alike. One warm-up round is thrown away.
- Each signed request is freshly signed (new nonce, ``created`` now) *before* its batch runs:
  signing is outside the timed region, and is reported on a line of its own. The timer wraps
  ``client.post`` only; the client-side work every variant shares (building the WSGI environ,
  reading the response) is the same in all of them and cancels out of the overheads.
- A variant's overhead is its time minus no auth's, three ways: difference of means, of
  medians, and the median over rounds of the per-round difference of medians ("paired", the
  most robust to drift).
- Correctness is checked, not assumed: every timed response must be a 200; a preflight checks
  that each variant answers for its user and refuses unsigned, replayed, tampered or wrong
  credentials; afterwards the store must hold one nonce per signed request of ours, and Redis
  one per request of the reference.
- Each store is measured in ``SIGNED_API_BENCH_RUNS`` (default 3) separate runs, each with
  its own fixture; ``test_stack_goal`` then prints, per store, the median over the runs of the
  paired ratios (ours, and ours with response signing, to Token).

pytest-benchmark's own table times whole rounds (every variant's batch); the per-variant table
is printed after the test and stored in the benchmark's ``extra_info``. Run it (the default
suite ignores tests/benchmarks)::

    .venv/bin/pytest tests/benchmarks/test_stack_bench.py -o addopts="" -p no:cacheprovider

``SIGNED_API_BENCH_ROUNDS`` (default 30) and ``SIGNED_API_BENCH_BATCH`` (default 40) size a
run. ``SIGNED_API_BENCH_PROFILE=ours`` (or other variants, comma-separated) prints a cProfile of
that variant's requests after the table. ``SIGNED_API_BENCH_ASSERT_GOAL=1`` also fails the test
when our overhead exceeds Token's (the goal of issue 3; off by default, as a shared machine can
be noisy), and when the median ratio with response signing exceeds 0.75x on either store (the
goal of issue 13).
"""

from __future__ import annotations

import gc
import itertools
import os
import statistics
import time

import pytest

# Helpers with plain asserts: let pytest rewrite them before they are imported below.
pytest.register_assert_rewrite("tests.benchmarks.stack_conftest")

from tests.benchmarks.stack_conftest import (  # noqa: E402
    BODY,
    CONTENT_TYPE,
    LABELS,
    SIGNED_GOAL,
    STORES,
    VARIANTS,
    check_variants,
    format_table,
    path_of,
    profile_variant,
    ratio,
    summarize,
)

pytest_plugins = ["tests.benchmarks.stack_conftest"]

ROUNDS = int(os.environ.get("SIGNED_API_BENCH_ROUNDS", "30"))
BATCH = int(os.environ.get("SIGNED_API_BENCH_BATCH", "40"))
PROFILE = [v for v in os.environ.get("SIGNED_API_BENCH_PROFILE", "").split(",") if v.strip()]
ASSERT_GOAL = os.environ.get("SIGNED_API_BENCH_ASSERT_GOAL", "").strip() in {"1", "true", "yes"}
RUNS = max(1, int(os.environ.get("SIGNED_API_BENCH_RUNS", "3")))

#: store -> one (ours/Token, signed/Token, session/ours) paired ratio triple per run.
RATIOS: dict[str, list[tuple[float, float, float]]] = {store: [] for store in STORES}


def test_stack_variants_authenticate(stack):
    """Outside any timing: each variant really authenticates (and refuses what it must)."""
    check_variants(stack)


@pytest.mark.parametrize("run", range(RUNS))
def test_stack_auth_overhead(benchmark, stack, run, capsys):
    check_variants(stack)
    samples: dict[str, list[list[int]]] = {v: [] for v in VARIANTS}
    failures: list[tuple[str, int, bytes]] = []
    round_numbers = itertools.count()
    post = stack.client.post

    def prepare_round():
        """Outside the timing: this round's order and its freshly signed requests."""
        r = next(round_numbers)
        shift = r % len(VARIANTS)
        order = VARIANTS[shift:] + VARIANTS[:shift]
        stack.mint_jwt()
        plan = [(v, path_of(v), [stack.request_extra(v) for _ in range(BATCH)]) for v in order]
        gc.collect()
        return (plan,), {}

    def run_round(plan):
        perf = time.perf_counter_ns
        for variant, path, extras in plan:
            times = []
            for extra in extras:
                start = perf()
                response = post(path, BODY, content_type=CONTENT_TYPE, **extra)
                times.append(perf() - start)
                if response.status_code != 200:
                    failures.append((variant, response.status_code, response.content[:200]))
            samples[variant].append(times)

    # Warm-up (imports, first key load, connections), then forget it.
    args, _ = prepare_round()
    run_round(*args)
    for batches in samples.values():
        batches.clear()
    for signed in stack.sign_ns.values():
        signed.clear()

    benchmark.pedantic(run_round, setup=prepare_round, rounds=ROUNDS, iterations=1)

    assert not failures, failures[:5]
    rounds = len(samples["none"])
    assert rounds >= 1 and all(len(samples[v]) == rounds for v in VARIANTS)

    # Both signature variants really used their store: one nonce per signed request.
    import redis

    conn = redis.Redis.from_url(stack.redis_url)
    if stack.store == "redis":
        ours_nonces = sum(1 for _ in conn.scan_iter("*signed_api:nonce:*", count=1000))
    else:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM signed_api_storeentry WHERE entry_key LIKE %s",
                ["signed_api:nonce:%"],
            )
            ours_nonces = cursor.fetchone()[0]
    reference_nonces = sum(1 for _ in conn.scan_iter("*reference:nonce:*", count=1000))
    assert ours_nonces >= 3 * rounds * BATCH, ours_nonces  # ours, session, signed
    assert reference_nonces >= rounds * BATCH, reference_nonces

    stats = summarize(samples)
    sign_us = {v: statistics.median(ns) / 1000 for v, ns in stack.sign_ns.items()}
    table = format_table(stats, sign_us, rounds, BATCH, stack.store)
    benchmark.extra_info.update(
        {
            "store": stack.store,
            "body_bytes": len(BODY),
            "rounds": rounds,
            "batch": BATCH,
            "variants": {
                LABELS[v]: {
                    "mean_us": round(s.mean, 1),
                    "median_us": round(s.median, 1),
                    "overhead_mean_us": round(s.overhead_mean, 1),
                    "overhead_median_us": round(s.overhead_median, 1),
                    "overhead_paired_us": round(s.overhead_paired, 1),
                }
                for v, s in stats.items()
            },
            "signing_median_us": {LABELS[v]: round(u, 1) for v, u in sign_us.items()},
        }
    )
    with capsys.disabled():
        print("\n" + table)

    for variant in PROFILE:
        report = profile_variant(stack, variant.strip(), requests=max(BATCH * 10, 200))
        with capsys.disabled():
            print(report)

    ours, token, session = stats["ours"], stats["token"], stats["session"]
    RATIOS[stack.store].append(
        (
            ratio(ours.overhead_paired, token.overhead_paired),
            ratio(stats["signed"].overhead_paired, token.overhead_paired),
            ratio(session.overhead_paired, ours.overhead_paired),
        )
    )
    if ASSERT_GOAL:
        assert ratio(ours.overhead_paired, token.overhead_paired) <= 1.0, table
        # Issue 4: a session costs no more than an API key (10% allowance for noise).
        assert ratio(session.overhead_paired, ours.overhead_paired) <= 1.1, table


def test_stack_goal(benchmark, capsys):
    """After the runs: per store, the median over runs of the paired ratios to Token (it
    takes ``benchmark`` so that ``make bench``, which runs benchmarks only, runs it)."""
    measured = {store: runs for store, runs in RATIOS.items() if runs}
    if not measured:
        pytest.skip("no run of test_stack_auth_overhead in this session")
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    lines = ["paired overhead ratios, median over runs (each run: its own table above)"]
    medians = {}
    for store, runs in measured.items():
        ours, signed, session = (statistics.median(r[i] for r in runs) for i in range(3))
        medians[store] = signed
        benchmark.extra_info[store] = {"ours": ours, "signed": signed, "session": session}
        lines.append(
            f"  {store:<9} {len(runs)} runs: ours/Token {ours:.2f}x, "
            f"ours + signed response/Token {signed:.2f}x (goal <= {SIGNED_GOAL:.2f}x; runs "
            + ", ".join(f"{r[1]:.2f}" for r in runs)
            + f"), session/API key {session:.2f}x"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    if ASSERT_GOAL:
        assert all(m <= SIGNED_GOAL for m in medians.values()), lines
