"""A per-process store, for tests only.

It never culls (entries leave only when they expire), but it is seen by one process alone: under
two workers a replay that reaches the other worker would be answered. So it is refused (503, and
the system check ``signed_api.E010``) unless ``ALLOW_PROCESS_LOCAL_STORE`` is set, which only a
test suite should do.
"""

from __future__ import annotations

import threading
import time

from .base import Store, StoreUnavailable


class MemoryStore(Store):
    shared = False

    def __init__(self) -> None:
        from ..conf import signed_api_settings

        if not signed_api_settings.ALLOW_PROCESS_LOCAL_STORE:
            raise StoreUnavailable(
                "MemoryStore is per process and for tests only: set "
                "ALLOW_PROCESS_LOCAL_STORE to use it (signed_api.E010)"
            )
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str, int]] = {}  # key -> (expires, value, count)

    def _live(self, key: str, now: float):
        entry = self._entries.get(key)
        if entry is not None and entry[0] <= now:
            del self._entries[key]
            return None
        return entry

    def add(self, key: str, ttl: int) -> bool:
        now = time.time()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._entries[key] = (now + max(int(ttl), 1), "", 0)
            return True

    def get_token(self, key: str) -> str | None:
        with self._lock:
            entry = self._live(key, time.time())
            return entry[1] if entry is not None else None

    def set_token(self, key: str, token: str, ttl: int) -> None:
        with self._lock:
            self._entries[key] = (time.time() + int(ttl), token, 0)

    def adopt_token(self, key: str, token: str, ttl: int) -> None:
        now = time.time()
        with self._lock:
            if self._live(key, now) is None:
                self._entries[key] = (now + int(ttl), token, 0)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def incr(self, key: str, window: int) -> tuple[int, int, str]:
        now = time.time()
        with self._lock:
            entry = self._live(key, now)
            if entry is None:
                entry = (now + max(int(window), 1), "", 0)
            entry = (entry[0], entry[1], entry[2] + 1)
            self._entries[key] = entry
            # A later window of the key ends later: its end names it.
            return entry[2], max(int(entry[0] - now), 1), repr(entry[0])

    def decr(self, key: str, window: str) -> None:
        with self._lock:
            entry = self._live(key, time.time())
            if entry is not None and entry[2] > 0 and repr(entry[0]) == window:
                self._entries[key] = (entry[0], entry[1], entry[2] - 1)

    def purge_expired(self, limit: int = 1000) -> int:
        now = time.time()
        with self._lock:
            dead = [k for k, e in self._entries.items() if e[0] <= now][:limit]
            for key in dead:
                del self._entries[key]
            return len(dead)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
