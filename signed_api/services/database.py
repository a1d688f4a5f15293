"""Writing flows on SQLite: take the write lock first, retry a busy database, never a 500.

PostgreSQL needs none of this (row locks and a real wait); there every helper here is a plain
``transaction.atomic()`` or a direct call.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import time

from django.db import OperationalError, transaction

from ..models import LoginChallenge
from .errors import ServiceError

logger = logging.getLogger("signed_api")


BUSY_RETRIES = 3  # more attempts after the first, when SQLite stays locked past its timeout


def database_busy() -> ServiceError:
    return ServiceError(
        "database_busy", "The database is busy; try again in a moment.", http_status=503, wait=1
    )


def _take_write_lock() -> None:
    """First statement of a transaction that will write, on SQLite: take the write lock now.

    Django opens SQLite transactions with a plain (deferred) ``BEGIN``. Two such transactions
    that each read (``select_for_update`` is a no-op there) and then write deadlock, and SQLite
    answers the second writer "database is locked" at once, without waiting for its busy
    timeout. A write as the first statement waits for the lock instead (up to the connection's
    ``timeout``), so the transactions take turns. With ``"transaction_mode": "IMMEDIATE"``
    (Django 5.1+) every transaction begins with the lock and this is a no-op."""
    connection = transaction.get_connection()
    if connection.vendor != "sqlite":
        return
    if str(connection.settings_dict.get("OPTIONS", {}).get("transaction_mode", "")).upper() in (
        "IMMEDIATE", "EXCLUSIVE",
    ):  # fmt: skip
        return
    with connection.cursor() as cursor:
        table = LoginChallenge._meta.db_table  # a model name, never input
        cursor.execute(f"UPDATE {table} SET id = id WHERE 0")  # noqa: S608


@contextlib.contextmanager
def write_transaction():
    """``transaction.atomic()`` that holds SQLite's write lock from its first statement."""
    with transaction.atomic():
        _take_write_lock()
        yield


def _is_locked(error: OperationalError) -> bool:
    return "locked" in str(error).lower() or "busy" in str(error).lower()


def retry_when_busy(flow):
    """Run ``flow`` again (a few times, with a short pause) when SQLite stays locked past its
    busy timeout; then raise :func:`database_busy` (503), never the OperationalError (500).
    Only from outside any transaction: within one (``ATOMIC_REQUESTS``) it cannot be retried."""

    @functools.wraps(flow)
    def run(*args, **kwargs):
        connection = transaction.get_connection()
        for attempt in range(BUSY_RETRIES + 1):
            try:
                return flow(*args, **kwargs)
            except OperationalError as error:
                if connection.vendor != "sqlite" or not _is_locked(error):
                    raise
                if connection.in_atomic_block or attempt == BUSY_RETRIES:
                    logger.warning(
                        "signed_api: %s: the database stayed locked: %s",
                        getattr(flow, "__name__", "a flow"), error,
                    )
                    raise database_busy() from None
                time.sleep(0.05 * (attempt + 1) + secrets.randbelow(50) / 1000)
        raise AssertionError("unreachable")  # pragma: no cover

    return run
