"""The shared store: one-time nonces, guessing-budget counters and key state tokens.

Everything here must hold across every process that serves the site, and must never forget an
entry before it expires: a store that drops a nonce early (an LRU or culling cache) reopens the
replay window, and one that drops a counter early hands out fresh guesses. So there are two real
stores and one for tests:

- :class:`~signed_api.stores.database.DatabaseStore`, the default when ``NONCE_CACHE`` is not
  set: a table of the project's own database (``signed_api_storeentry``), shared by every worker
  on SQLite and PostgreSQL; atomic insert-or-fail and increment, expired rows purged in bounded
  batches as it goes and by ``signed_api_cleanup``.
- :class:`~signed_api.stores.redis.RedisStore` when ``NONCE_CACHE`` names a Redis cache alias
  (django-redis, or Django's own Redis backend): one round trip per request.
- :class:`~signed_api.stores.memory.MemoryStore`: per process, for tests only, and only with
  ``ALLOW_PROCESS_LOCAL_STORE`` (a system check error otherwise).

``STORE`` may name another :class:`Store` subclass by import string. Every failure of a backend
is :class:`StoreUnavailable`; callers turn it into a 503 and never into a pass.
"""

from __future__ import annotations

import logging
import threading

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable", "get_store", "reset"]

logger = logging.getLogger("signed_api")

_lock = threading.Lock()
_store: Store | None = None


def _build() -> Store:
    from ..conf import signed_api_settings

    configured = signed_api_settings.STORE
    if configured:
        cls = import_string(configured) if isinstance(configured, str) else configured
        return cls()
    if signed_api_settings.NONCE_CACHE:
        from .redis import RedisStore

        return RedisStore(signed_api_settings.NONCE_CACHE)
    from .database import DatabaseStore

    return DatabaseStore(signed_api_settings.STORE_DATABASE)


class BrokenStore(Store):
    """Stands in for a store that could not be built (misconfigured): every operation fails
    closed with the reason, so callers answer 503 rather than 500 (the system checks say more).
    """

    def __init__(self, reason: str):
        self.reason = reason

    def _fail(self, *args, **kwargs):
        raise StoreUnavailable(self.reason)

    add = confirm = get_token = set_token = adopt_token = delete = incr = decr = _fail
    purge_expired = clear = _fail

    def describe(self) -> str:
        return f"unusable store ({self.reason})"


def get_store() -> Store:
    """The configured store, built once per process (and again after a settings change)."""
    global _store
    store = _store
    if store is None:
        with _lock:
            store = _store
            if store is None:
                try:
                    store = _build()
                except StoreUnavailable as exc:
                    logger.error("signed_api: the shared store cannot be used: %s", exc)
                    store = BrokenStore(str(exc))
                except ImportError as exc:
                    logger.error("signed_api: SIGNED_API['STORE'] cannot be imported: %s", exc)
                    store = BrokenStore(f"STORE cannot be imported: {exc}")
                _store = store
    return store


def reset(**kwargs) -> None:
    """Forget the built store (its settings, or the caches it wraps, changed)."""
    global _store
    with _lock:
        old, _store = _store, None
    if old is not None:
        old.close()


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting in ("SIGNED_API", "CACHES", "DATABASES"):
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_stores_reset")
