"""Interleaved rounds, as the benchmarks run them."""

from __future__ import annotations


def warm_then_measure(benchmark, prepare_round, run_round, samples: dict, rounds: int) -> None:
    """One round to warm up (connections, caches, imports in the server's workers), its samples
    thrown away, then ``rounds`` rounds through pytest-benchmark (``prepare_round`` builds and
    signs each round's requests outside the timing)."""
    args, kwargs = prepare_round()
    run_round(*args, **kwargs)
    for batches in samples.values():
        batches.clear()
    benchmark.pedantic(run_round, setup=prepare_round, rounds=rounds, iterations=1)
