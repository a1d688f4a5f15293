"""Failure-based throttling of credential guessing (passwords, second-factor codes).

Only failures count, per username (known or not) and per client address, in the shared cache
(``NONCE_CACHE``) so every process sees them; a user who logs in correctly is never held back.
"""

from __future__ import annotations

import hashlib

from ..conf import signed_api_settings
from ..keystore import shared_store

PREFIX = "signed_api:fail:"


def _key(kind: str, value: str) -> str:
    return PREFIX + kind + ":" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]


def _keys(username: str | None, address: str | None) -> list[tuple[str, int]]:
    s = signed_api_settings
    keys = []
    if username:
        keys.append((_key("u", username.strip().lower()), int(s.LOGIN_FAILURES_PER_USERNAME)))
    if address:
        keys.append((_key("a", address), int(s.LOGIN_FAILURES_PER_ADDRESS)))
    return keys


class ThrottledError(Exception):
    def __init__(self, wait: int):
        self.wait = wait
        super().__init__(f"throttled for {wait} s")


def check(username: str | None, address: str | None) -> None:
    """Raise :class:`ThrottledError` when either counter reached its limit."""
    keys = _keys(username, address)
    if not keys:
        return
    cache = shared_store().cache
    counts = cache.get_many([k for k, _ in keys])
    window = int(signed_api_settings.LOGIN_FAILURE_WINDOW)
    for key, limit in keys:
        if int(counts.get(key) or 0) >= limit:
            ttl = getattr(cache, "ttl", None)
            wait = ttl(key) if callable(ttl) else None
            raise ThrottledError(int(wait) if isinstance(wait, int) and wait > 0 else window)


def record_failure(username: str | None, address: str | None) -> None:
    cache = shared_store().cache
    window = int(signed_api_settings.LOGIN_FAILURE_WINDOW)
    for key, _limit in _keys(username, address):
        # add() starts the window; incr() is atomic on Redis and within one locmem process.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: start again
            cache.add(key, 1, timeout=window)
