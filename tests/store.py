"""Looking into the shared store from tests, whichever store this pass uses.

Pass 1 of ``make test`` runs on the default store, a table of the test database; pass 2 on
Redis. Tests that count what a request writes or queries ask here, so one assertion holds on both.
"""

from __future__ import annotations

from signed_api.stores import get_store
from signed_api.stores.database import TABLE, DatabaseStore
from signed_api.stores.memory import MemoryStore
from signed_api.stores.redis import RedisStore


def on_database() -> bool:
    return isinstance(get_store(), DatabaseStore)


def store_keys(prefix: str = "signed_api:") -> set[str]:
    """The keys of every unexpired entry whose key starts with ``prefix``."""
    import time

    store = get_store()
    if isinstance(store, DatabaseStore):
        from signed_api.models import StoreEntry

        rows = StoreEntry.objects.filter(entry_key__startswith=prefix, expires__gt=time.time())
        return set(rows.values_list("entry_key", flat=True))
    if isinstance(store, RedisStore):
        raw_prefix = store._key(prefix)
        names = store.client().scan_iter(match=raw_prefix + "*", count=1000)
        cut = len(raw_prefix) - len(prefix)
        return {name.decode()[cut:] for name in names}
    if isinstance(store, MemoryStore):
        return {k for k in store._entries if k.startswith(prefix)}
    raise AssertionError(f"cannot list the keys of {type(store).__name__}")


def nonce_keys() -> set[str]:
    return store_keys("signed_api:nonce:")


def store_statements(queries) -> list[str]:
    """The SQL statements of ``queries`` (a CaptureQueriesContext) that the store table ran."""
    return [q["sql"] for q in queries if TABLE in q["sql"]]


def other_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if TABLE not in q["sql"]]


#: Statements the store adds to one verified request on a cached key: one INSERT of the nonce
#: RETURNING the key's state token (an INSERT and a SELECT where the database cannot return from
#: an insert: an SQLite before 3.35); none on Redis, where both are one round trip.
def statements_per_request() -> int:
    if not on_database():
        return 0
    from django.db import connection

    return 1 if connection.features.can_return_columns_from_insert else 2


def cold_process() -> None:
    """Make this process look like one that has just started: no keyring or policy built, no
    credential cached, no gateway key loaded, the store object built anew (the store's contents
    stay)."""
    from signed_api import credentials, ohttp_keys, state, stores

    state.reset()
    credentials.key_cache.clear()
    stores.reset()
    ohttp_keys.reset()
