"""The shared store as a table of the project's own database (the default).

One row per entry in ``signed_api_storeentry``: ``entry_key`` (the primary key, already a hash of
the nonce or username), ``token`` (a state token), ``hits`` (a counter) and ``expires`` (epoch
seconds). Every operation is one statement (``INSERT ... ON CONFLICT``), so it is atomic on
SQLite and on PostgreSQL without any lock held across statements:

- ``add`` inserts, or takes over an *expired* row; an unexpired row makes it insert nothing, and
  that is a replay. Nothing culls rows early.
- ``incr`` inserts a counter or adds one to it (restarting an expired window) and returns the new
  count and the window's end, which names the window; ``decr`` takes one back only while that
  same window is live.

Expired rows are deleted in bounded batches: every ``PURGE_EVERY`` writes of a process, and by
``manage.py signed_api_cleanup``. A database error of any kind is :class:`StoreUnavailable`.
When the caller is inside a transaction, each operation runs in a savepoint (SQLite needs none),
so a failure here leaves the caller's transaction usable.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time

from django.db import DatabaseError, connections, transaction

from .base import Store, StoreUnavailable, bounded

logger = logging.getLogger("signed_api")

TABLE = "signed_api_storeentry"
#: A process purges one batch of expired rows every this many writes.
PURGE_EVERY = 500
PURGE_BATCH = 1000
#: The most rows a command handles in one statement or transaction (its --batch bound).
MAX_BATCH = 100_000


def _end(now: int, seconds: int) -> int:
    """The ``expires`` of an entry made at ``now`` (``int(time.time())``, rounded down) that
    must last ``seconds``: one second more, since a row counts as expired once ``expires <=
    now``, and ``now + seconds`` would end up to a second early. A nonce kept for twice the
    clock skew and forgotten a second early could be replayed in that second."""
    return now + max(int(seconds), 1) + 1


class DatabaseStore(Store):
    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._writes = itertools.count(1)

    def describe(self) -> str:
        vendor = connections[self.alias].vendor
        return f"database table {TABLE} ({vendor}, alias {self.alias!r})"

    # -- plumbing ------------------------------------------------------------------------------
    def _run(self, sql: str, params: tuple, *, fetch: str | None = None):
        connection = connections[self.alias]
        try:
            # On PostgreSQL a failed statement aborts the caller's transaction: run in a
            # savepoint. SQLite rolls back only the failed statement.
            if connection.in_atomic_block and connection.vendor != "sqlite":
                with transaction.atomic(using=self.alias), connection.cursor() as cursor:
                    return self._execute(cursor, sql, params, fetch)
            with connection.cursor() as cursor:
                return self._execute(cursor, sql, params, fetch)
        except DatabaseError as exc:
            logger.error("signed_api: the store table is unavailable: %s", type(exc).__name__)
            raise StoreUnavailable(f"database store: {type(exc).__name__}") from None

    @staticmethod
    def _execute(cursor, sql, params, fetch):
        cursor.execute(sql, params)
        if fetch == "one":
            return cursor.fetchone()
        return cursor.rowcount

    def _wrote(self) -> None:
        if next(self._writes) % PURGE_EVERY == 0:
            # Purging is housekeeping: a failure leaves it to the next batch.
            with contextlib.suppress(StoreUnavailable):
                self.purge_expired(PURGE_BATCH)

    # -- one-time entries ----------------------------------------------------------------------
    _ADD = (
        f"INSERT INTO {TABLE} (entry_key, token, hits, expires) VALUES (%s, '', 0, %s) "  # noqa: S608
        "ON CONFLICT (entry_key) DO UPDATE SET token = '', hits = 0, "
        f"expires = excluded.expires WHERE {TABLE}.expires <= %s"
    )
    # The add, returning the state token read in the same statement: one statement per
    # request. A row comes back only when the nonce was inserted (or took over an expired row).
    _CONFIRM = (
        _ADD + f" RETURNING (SELECT token FROM {TABLE} WHERE entry_key = %s AND expires > %s)"  # noqa: S608
    )

    def add(self, key: str, ttl: int) -> bool:
        now = int(time.time())
        rows = self._run(self._ADD, (bounded(key), _end(now, ttl), now))
        self._wrote()
        return rows == 1

    def confirm(self, nonce_key: str | None, ttl: int, state_key: str) -> tuple[bool, str | None]:
        if nonce_key is None or not connections[self.alias].features.can_return_columns_from_insert:
            return super().confirm(nonce_key, ttl, state_key)  # an SQLite older than 3.35
        now = int(time.time())
        row = self._run(
            self._CONFIRM,
            (bounded(nonce_key), _end(now, ttl), now, bounded(state_key), now),
            fetch="one",
        )
        self._wrote()
        if row is None:  # a replay: nothing inserted, so nothing returned; read the token
            return False, self.get_token(state_key)
        return True, row[0]

    # -- state tokens --------------------------------------------------------------------------
    def get_token(self, key: str) -> str | None:
        row = self._run(
            f"SELECT token FROM {TABLE} WHERE entry_key = %s AND expires > %s",  # noqa: S608
            (bounded(key), int(time.time())),
            fetch="one",
        )
        return row[0] if row else None

    def set_token(self, key: str, token: str, ttl: int) -> None:
        self._run(
            f"INSERT INTO {TABLE} (entry_key, token, hits, expires) VALUES (%s, %s, 0, %s) "  # noqa: S608
            "ON CONFLICT (entry_key) DO UPDATE SET token = excluded.token, "
            "expires = excluded.expires",
            (bounded(key), token, _end(int(time.time()), ttl)),
        )
        self._wrote()

    def adopt_token(self, key: str, token: str, ttl: int) -> None:
        now = int(time.time())
        self._run(
            f"INSERT INTO {TABLE} (entry_key, token, hits, expires) VALUES (%s, %s, 0, %s) "  # noqa: S608
            "ON CONFLICT (entry_key) DO UPDATE SET token = excluded.token, "
            f"expires = excluded.expires WHERE {TABLE}.expires <= %s",
            (bounded(key), token, _end(now, ttl), now),
        )
        self._wrote()

    def delete(self, key: str) -> None:
        self._run(f"DELETE FROM {TABLE} WHERE entry_key = %s", (bounded(key),))  # noqa: S608

    # -- counters ------------------------------------------------------------------------------
    def incr(self, key: str, window: int) -> tuple[int, int, str]:
        now = int(time.time())
        key = bounded(key)
        upsert = (
            f"INSERT INTO {TABLE} (entry_key, token, hits, expires) VALUES (%s, '', 1, %s) "  # noqa: S608
            "ON CONFLICT (entry_key) DO UPDATE SET "
            f"hits = CASE WHEN {TABLE}.expires <= %s THEN 1 ELSE {TABLE}.hits + 1 END, "
            f"expires = CASE WHEN {TABLE}.expires <= %s THEN excluded.expires "
            f"ELSE {TABLE}.expires END"
        )
        params = (key, _end(now, window), now, now)
        connection = connections[self.alias]
        if connection.features.can_return_columns_from_insert:
            row = self._run(upsert + " RETURNING hits, expires", params, fetch="one")
        else:  # an SQLite older than 3.35: the upsert takes the write lock, then read back
            try:
                with transaction.atomic(using=self.alias), connection.cursor() as cursor:
                    cursor.execute(upsert, params)
                    cursor.execute(
                        f"SELECT hits, expires FROM {TABLE} WHERE entry_key = %s", (key,)  # noqa: S608
                    )
                    row = cursor.fetchone()
            except DatabaseError as exc:
                raise StoreUnavailable(f"database store: {type(exc).__name__}") from None
        self._wrote()
        count, expires = int(row[0]), int(row[1])
        # A window restarted after the last one expired ends later than it: ``expires`` names
        # the window.
        # (The second _end adds is not reported: a wait is at most the window.)
        return count, min(max(expires - now, 1), max(int(window), 1)), str(expires)

    def decr(self, key: str, window: str) -> None:
        try:
            expires = int(window)
        except (TypeError, ValueError):
            return  # not a window this store named: nothing of it is live
        self._run(
            f"UPDATE {TABLE} SET hits = hits - 1 "  # noqa: S608
            "WHERE entry_key = %s AND hits > 0 AND expires = %s AND expires > %s",
            (bounded(key), expires, int(time.time())),
        )

    # -- housekeeping --------------------------------------------------------------------------
    def purge_expired(self, limit: int = PURGE_BATCH) -> int:
        # ``expires <= now`` on the outer DELETE too: on PostgreSQL (READ COMMITTED) a row the
        # subquery picked and a concurrent write then made live again (incr starting a new
        # window, a nonce or token taken over) is re-checked against the outer WHERE only,
        # once its lock is released; without the condition there it was deleted live.
        now = int(time.time())
        return self._run(
            f"DELETE FROM {TABLE} WHERE expires <= %s AND entry_key IN "  # noqa: S608
            f"(SELECT entry_key FROM {TABLE} WHERE expires <= %s LIMIT %s)",
            (now, now, int(limit)),
        )

    def clear(self) -> None:
        self._run(f"DELETE FROM {TABLE}", ())  # noqa: S608
