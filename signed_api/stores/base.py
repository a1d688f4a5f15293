"""The contract every shared store keeps (see the package docstring for the stores)."""

from __future__ import annotations

import hashlib


class StoreUnavailable(Exception):
    """The store could not answer (down, read-only, full, misconfigured): fail closed."""


def bounded(key: str) -> str:
    """Keys are at most 100 characters; longer ones are hashed (callers already hash input)."""
    if len(key) <= 100:
        return key
    return key[:40] + hashlib.sha256(key.encode("utf-8")).hexdigest()[:56]


class Store:
    """What signed_api keeps in the shared store, as a small set of atomic operations.

    ``ttl`` and ``window`` are whole seconds. No operation may report success it did not have:
    every backend failure raises :class:`StoreUnavailable`.
    """

    #: Shared by every process of the site (False only for the test-only memory store).
    shared = True

    def close(self) -> None:
        """Called once when the store is replaced (its settings changed): free what it holds."""

    # -- one-time entries (nonces, audit gates) ------------------------------------------------
    def add(self, key: str, ttl: int) -> bool:
        """Insert ``key`` unless an unexpired entry exists. True when this call inserted it."""
        raise NotImplementedError

    def confirm(self, nonce_key: str | None, ttl: int, state_key: str) -> tuple[bool, str | None]:
        """``add(nonce_key, ttl)`` (when given) and ``get_token(state_key)``, in as few round
        trips as the backend allows. Returns ``(nonce_was_new, token_or_None)``."""
        added = True if nonce_key is None else self.add(nonce_key, ttl)
        return added, self.get_token(state_key)

    # -- state tokens --------------------------------------------------------------------------
    def get_token(self, key: str) -> str | None:
        raise NotImplementedError

    def set_token(self, key: str, token: str, ttl: int) -> None:
        """Overwrite (writers: a credential changed)."""
        raise NotImplementedError

    def adopt_token(self, key: str, token: str, ttl: int) -> None:
        """Set only where no unexpired token is (readers, after a fresh database read)."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    # -- counters (the guessing budget) --------------------------------------------------------
    def incr(self, key: str, window: int) -> tuple[int, int, str]:
        """Add one to the counter, starting a ``window``-second window when there is none.
        Returns ``(count_after, seconds_left_in_window, window_name)``, atomically.

        ``window_name`` is opaque and names this window of the counter: no later window of the
        same key has the same name, so a refund can say which window it belongs to."""
        raise NotImplementedError

    def decr(self, key: str, window: str) -> None:
        """Take one back (a refund) from the window ``incr`` named ``window``: never below
        zero, never reviving an expired counter, and never from a later window. A refund that
        arrives after its window ended (a slow success, a delayed refused attempt) does
        nothing: taken from the next window, it would give a guesser one more guess there."""
        raise NotImplementedError

    # -- housekeeping --------------------------------------------------------------------------
    def purge_expired(self, limit: int = 1000) -> int:
        """Delete up to ``limit`` expired entries; returns how many (0 where the backend
        expires entries itself)."""
        return 0

    def clear(self) -> None:
        """Remove every signed_api entry (tests and ``signed_api_cleanup --all-store``)."""
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__
