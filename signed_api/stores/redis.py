"""The shared store on Redis, through the cache alias named by ``NONCE_CACHE``.

django-redis (``django_redis.cache.RedisCache``) and Django's own ``RedisCache`` both work: the
store talks to the redis-py client underneath, with the alias's key prefix and version, so a
request costs one round trip (``SET NX EX`` for the nonce and ``GET`` of the state token,
pipelined). Counters are ``SET NX EX`` + ``INCR`` + ``TTL`` in one ``MULTI``.

Redis must not evict: under any ``maxmemory-policy`` but ``noeviction`` a full Redis drops keys,
nonces among them, and a dropped nonce can be replayed. :func:`eviction_policy` reads the policy
for the system check (``signed_api.W007``); with ``noeviction`` a full Redis refuses writes, and a
refused write is :class:`StoreUnavailable`: 503, never a pass.
"""

from __future__ import annotations

import logging

from django.core.cache import caches

from .base import Store, StoreUnavailable, bounded

logger = logging.getLogger("signed_api")

DJANGO_REDIS_BACKENDS = ("django_redis.cache.RedisCache",)
DJANGO_BUILTIN_REDIS = "django.core.cache.backends.redis.RedisCache"

# Take one back only from a live counter above zero: DECR on a missing key would create a
# counter with no expiry.
_DECR = """
local v = redis.call('GET', KEYS[1])
if v and tonumber(v) > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def is_redis_backend(backend: str) -> bool:
    return backend in DJANGO_REDIS_BACKENDS or backend == DJANGO_BUILTIN_REDIS


class RedisStore(Store):
    def __init__(self, alias: str):
        from django.conf import settings

        self.alias = alias
        config = settings.CACHES.get(alias)
        if config is None:
            raise StoreUnavailable(f"NONCE_CACHE names cache {alias!r}, which CACHES lacks")
        backend = config.get("BACKEND", "")
        if not is_redis_backend(backend):
            # A locmem, database, file or memcached cache culls or evicts: not a nonce store.
            raise StoreUnavailable(
                f"NONCE_CACHE {alias!r} uses {backend}, which forgets entries early "
                "(signed_api.E008)"
            )
        self.cache = caches[alias]
        self._builtin = backend == DJANGO_BUILTIN_REDIS
        self._decr_script = None

    def describe(self) -> str:
        return f"Redis (cache alias {self.alias!r})"

    # -- plumbing ------------------------------------------------------------------------------
    def client(self):
        if self._builtin:
            return self.cache._cache.get_client(None, write=True)
        return self.cache.client.get_client(write=True)

    def _key(self, key: str) -> str:
        return str(self.cache.make_key(bounded(key)))

    def _call(self, what: str, func):
        try:
            return func()
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - every backend failure fails closed
            logger.error("signed_api: Redis store %r: %s failed: %s", self.alias, what,
                         type(exc).__name__)
            raise StoreUnavailable(f"redis store: {type(exc).__name__}") from None

    # -- one-time entries ----------------------------------------------------------------------
    def add(self, key: str, ttl: int) -> bool:
        return self._call(
            "add",
            lambda: bool(self.client().set(self._key(key), b"1", nx=True, ex=max(int(ttl), 1))),
        )

    def confirm(self, nonce_key, ttl, state_key):
        def run():
            pipe = self.client().pipeline(transaction=False)
            if nonce_key is not None:
                pipe.set(self._key(nonce_key), b"1", nx=True, ex=max(int(ttl), 1))
            pipe.get(self._key(state_key))
            results = pipe.execute()
            raw = results[-1]
            added = True if nonce_key is None else bool(results[0])
            return added, (raw.decode("ascii") if raw is not None else None)

        return self._call("confirm", run)

    # -- state tokens --------------------------------------------------------------------------
    def get_token(self, key: str) -> str | None:
        raw = self._call("get", lambda: self.client().get(self._key(key)))
        return raw.decode("ascii") if raw is not None else None

    def set_token(self, key: str, token: str, ttl: int) -> None:
        self._call(
            "set",
            lambda: self.client().set(self._key(key), token.encode("ascii"), ex=int(ttl)),
        )

    def adopt_token(self, key: str, token: str, ttl: int) -> None:
        self._call(
            "adopt",
            lambda: self.client().set(
                self._key(key), token.encode("ascii"), nx=True, ex=int(ttl)
            ),
        )

    def delete(self, key: str) -> None:
        self._call("delete", lambda: self.client().delete(self._key(key)))

    # -- counters ------------------------------------------------------------------------------
    def incr(self, key: str, window: int) -> tuple[int, int]:
        def run():
            raw = self._key(key)
            pipe = self.client().pipeline(transaction=True)
            pipe.set(raw, 0, nx=True, ex=max(int(window), 1))
            pipe.incr(raw)
            pipe.ttl(raw)
            _created, count, ttl = pipe.execute()
            return int(count), int(ttl) if ttl and int(ttl) > 0 else int(window)

        return self._call("incr", run)

    def decr(self, key: str) -> None:
        def run():
            client = self.client()
            if self._decr_script is None:
                self._decr_script = client.register_script(_DECR)
            return self._decr_script(keys=[self._key(key)], client=client)

        self._call("decr", run)

    # -- housekeeping --------------------------------------------------------------------------
    def clear(self) -> None:
        def run():
            client = self.client()
            pattern = self._key("signed_api:*")
            for raw in client.scan_iter(match=pattern, count=1000):
                client.delete(raw)

        self._call("clear", run)

    def eviction_policy(self) -> str:
        """``maxmemory-policy`` of the server (``CONFIG GET``); raises where it is refused."""
        policy = self.client().config_get("maxmemory-policy")
        value = policy.get("maxmemory-policy")
        return value.decode() if isinstance(value, bytes) else str(value)
