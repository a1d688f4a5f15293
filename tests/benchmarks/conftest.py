"""Collect the means of the verification benchmarks and print them, with ratios, at the end.

The benchmarks are not part of the default run (pyproject ``addopts`` ignores this folder):

    .venv/bin/pytest tests/benchmarks -o addopts="" -p no:django      # or: make bench
"""

from __future__ import annotations

import pytest

# name -> mean seconds per operation, filled by the ``record`` fixture.
RESULTS: dict[str, float] = {}
MEDIANS: dict[str, float] = {}
MINIMA: dict[str, float] = {}
# (ours, theirs, what) pairs to report as ratios when both were measured in this run.
COMPARISONS = [
    ("ours-hmac", "theirs-hmac", "hmac-sha256 POST, 1 KB body"),
    ("ours-ed25519", "theirs-ed25519", "ed25519 POST, 1 KB body"),
]


@pytest.fixture
def bench_results() -> dict[str, float]:
    """The means recorded so far in this run (ours is measured before theirs)."""
    return RESULTS


@pytest.fixture
def record(benchmark):
    """Call ``record(name)`` after ``benchmark(...)`` to keep its mean for the summary."""

    def keep(name: str) -> float | None:
        stats = getattr(benchmark, "stats", None)
        if not stats:  # --benchmark-disable: the function ran once, untimed
            return None
        mean = stats.stats.mean
        RESULTS[name] = mean
        MEDIANS[name] = stats.stats.median
        MINIMA[name] = stats.stats.min
        benchmark.extra_info["mean_us"] = round(mean * 1e6, 2)
        return mean

    return keep


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("signed_api core verification (mean per operation)")
    write(f"{'':<28} {'mean':>10} {'median':>10} {'min':>10}")
    for name, mean in sorted(RESULTS.items()):
        write(
            f"{name:<28} {mean * 1e6:7.2f} us {MEDIANS[name] * 1e6:7.2f} us "
            f"{MINIMA[name] * 1e6:7.2f} us"
        )
    for ours, theirs, what in COMPARISONS:
        if ours in RESULTS and theirs in RESULTS:
            ratio = RESULTS[theirs] / RESULTS[ours]
            write(
                f"{what}: ours {RESULTS[ours] * 1e6:.2f} us, http-message-signatures "
                f"{RESULTS[theirs] * 1e6:.2f} us (means), ours {ratio:.1f}x faster; "
                f"medians {MEDIANS[theirs] / MEDIANS[ours]:.1f}x"
            )
