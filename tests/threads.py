"""Racing threads against the real database and cache (shared by the race tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def race(target: Callable[[int], object], threads: int = 4) -> list[object]:
    """Run ``target(i)`` in ``threads`` threads released together; results in order.

    Each thread closes its own database connection; an exception is returned, not lost.
    """
    barrier = threading.Barrier(threads)
    results: list[object] = [None] * threads

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            results[i] = exc
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(w.is_alive() for w in workers)
    return results
