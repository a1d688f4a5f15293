"""The shared store on Redis, through the cache alias named by ``NONCE_CACHE``.

django-redis (``django_redis.cache.RedisCache``) and Django's own ``RedisCache`` both work: the
store talks to the redis-py client underneath, with the alias's key prefix and version, so a
request costs one round trip: ``SET NX EX`` for the nonce and ``GET`` of the state token, sent
together on one connection (:meth:`RedisStore.confirm`). Counters are ``SET NX EX`` + ``INCR`` +
``TTL`` in one ``MULTI``.

``confirm`` runs on every signed request, so it skips what redis-py's pipeline machinery costs
(a pipeline object, command stacks, response callbacks, the pool's checkout bookkeeping): it
keeps a few of the pool's connections checked out for itself, writes both commands as one
prepacked buffer and reads the two replies with the connection's own parser (so protocol
errors, ``READONLY`` after a failover and ``OOM`` still raise). A held connection is checked
before each use as the pool checks its own (closed by the server, or with unread data: it
reconnects first), and any failure disconnects it, so a connection is never left with a reply
unread. The connections follow the pool: a new pool (settings changed) or a fork starts afresh.

Redis must not evict: under any ``maxmemory-policy`` but ``noeviction`` a full Redis drops keys,
nonces among them, and a dropped nonce can be replayed. :func:`eviction_policy` reads the policy
for the system check (``signed_api.W007``); with ``noeviction`` a full Redis refuses writes, and a
refused write is :class:`StoreUnavailable`: 503, never a pass.
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from django.core.cache import caches

from .base import Store, StoreUnavailable, bounded

logger = logging.getLogger("signed_api")

DJANGO_REDIS_BACKENDS = ("django_redis.cache.RedisCache",)
DJANGO_BUILTIN_REDIS = "django.core.cache.backends.redis.RedisCache"

# A counter is a hash: ``n`` the count, ``w`` the name of its window (chosen by the process that
# started it), expiring with the window. A counter written as a plain string (before windows were
# named) becomes a hash with its count and its time left, so an upgrade loses no charge.
# Returns {count, seconds left, window name}.
_INCR = """
local k = KEYS[1]
local kind = redis.call('TYPE', k)['ok']
if kind == 'string' then
  local n = redis.call('GET', k)
  local left = redis.call('PTTL', k)
  redis.call('DEL', k)
  redis.call('HSET', k, 'n', n, 'w', ARGV[2])
  if left > 0 then redis.call('PEXPIRE', k, left) else redis.call('EXPIRE', k, ARGV[1]) end
elseif kind == 'none' then
  redis.call('HSET', k, 'n', 0, 'w', ARGV[2])
  redis.call('EXPIRE', k, ARGV[1])
end
local n = redis.call('HINCRBY', k, 'n', 1)
return {n, redis.call('TTL', k), redis.call('HGET', k, 'w')}
"""

# Take one back only from the live window the refund names, above zero: a missing key is not
# created, and a later window of the key is left alone.
_DECR = """
local k = KEYS[1]
if redis.call('TYPE', k)['ok'] ~= 'hash' then return 0 end
if redis.call('HGET', k, 'w') ~= ARGV[1] then return 0 end
local n = tonumber(redis.call('HGET', k, 'n'))
if n and n > 0 then return redis.call('HINCRBY', k, 'n', -1) end
return 0
"""


#: At most this many connections are held by a store for ``confirm`` (one per thread that
#: confirms at the same moment); more go back to the pool.
HELD_CONNECTIONS = 32
#: State keys are the same for every request of a credential: their prefixed, encoded form is
#: kept (up to this many; then the table starts again).
KEY_CACHE_SIZE = 4096


def _pack(*args: bytes) -> bytes:
    """One command in RESP (an array of bulk strings), as every Redis reads it."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def _connection_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError)


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
        self._scripts: dict[str, Any] = {}
        # confirm's own connections (see the module docstring), for the pool and process
        # they came from.
        self._held: list = []
        self._held_pool: Any = None
        self._held_pid = os.getpid()
        self._closed = False
        self._raw_keys: dict[str, bytes] = {}
        self._connection_errors = _connection_errors()

    def describe(self) -> str:
        return f"Redis (cache alias {self.alias!r})"

    # -- plumbing ------------------------------------------------------------------------------
    def client(self):
        if self._builtin:
            return self.cache._cache.get_client(None, write=True)
        return self.cache.client.get_client(write=True)

    def _key(self, key: str) -> str:
        return str(self.cache.make_key(bounded(key)))

    def _raw_key(self, key: str) -> bytes:
        """The key as Redis sees it (prefix, version), encoded."""
        return str(self.cache.make_key(bounded(key))).encode("utf-8")

    def _acquire(self):
        """A connection for ``confirm``, ready to send: a held one, checked, or a new one
        from the pool. Returns ``(pool, connection)``."""
        pool = self.client().connection_pool
        if pool is not self._held_pool or self._held_pid != os.getpid():
            # Another pool (the cache was rebuilt) or a forked child: never share a socket.
            if self._held_pid == os.getpid():
                self._give_back()  # the old pool counts them as in use until released
            self._held, self._held_pool, self._held_pid = [], pool, os.getpid()
        try:
            connection = self._held.pop()
        except IndexError:
            return pool, pool.get_connection()  # connected and checked by the pool
        try:
            connection.connect()
            if connection.can_read():  # unread data: out of step, start afresh
                raise OSError("connection has unread data")
        except self._connection_errors:
            # Closed by the server (restart, idle timeout, failover): one reconnect, which
            # raises if Redis is really down.
            connection.disconnect()
            try:
                connection.connect()
            except BaseException:
                pool.release(connection)
                raise
        return pool, connection

    def _release(self, pool, connection) -> None:
        if not self._closed and pool is self._held_pool and len(self._held) < HELD_CONNECTIONS and (
            pool.owns_connection(connection)  # Sentinel: still the current primary
        ):
            self._held.append(connection)
        else:
            pool.release(connection)

    def _give_back(self) -> None:
        """Release the held connections to the pool they came from: it counts them as in use
        (redis-py's pool allows 100 by default) until then."""
        held, self._held = self._held, []
        for connection in held:
            self._held_pool.release(connection)

    def close(self) -> None:
        """This store is replaced (settings changed): hand its connections back, and any that
        a request still in flight returns later go straight to the pool."""
        self._closed = True
        if self._held_pid == os.getpid():
            self._give_back()
        else:
            self._held = []

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
        raw_state = self._raw_keys.get(state_key)
        if raw_state is None:
            if len(self._raw_keys) >= KEY_CACHE_SIZE:
                self._raw_keys.clear()
            raw_state = self._raw_keys[state_key] = self._raw_key(state_key)
        get = _pack(b"GET", raw_state)
        if nonce_key is None:
            packed = get
        else:
            ex = b"%d" % max(int(ttl), 1)
            packed = _pack(b"SET", self._raw_key(nonce_key), b"1", b"NX", b"EX", ex) + get
        connection = pool = None
        try:
            pool, connection = self._acquire()
            connection.send_packed_command([packed])
            # SET NX answers OK when it set the key, nil when the key was there already.
            added = True if nonce_key is None else connection.read_response() is not None
            raw = connection.read_response()
        except Exception as exc:  # noqa: BLE001 - every backend failure fails closed
            if connection is not None:
                # A reply may be left unread (an error on the first command): never reuse it.
                connection.disconnect()
                pool.release(connection)
            logger.error("signed_api: Redis store %r: confirm failed: %s", self.alias,
                         type(exc).__name__)
            raise StoreUnavailable(f"redis store: {type(exc).__name__}") from None
        self._release(pool, connection)
        if raw is None:
            return added, None
        return added, raw.decode("ascii") if isinstance(raw, bytes) else str(raw)

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
    def _script(self, name: str, source: str):
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client().register_script(source)
        return script

    def incr(self, key: str, window: int) -> tuple[int, int, str]:
        def run():
            client = self.client()
            count, ttl, name = self._script("incr", _INCR)(
                keys=[self._key(key)],
                args=[max(int(window), 1), secrets.token_hex(8)],
                client=client,
            )
            ttl = int(ttl)
            name = name.decode() if isinstance(name, bytes) else str(name)
            return int(count), ttl if ttl > 0 else max(int(window), 1), name

        return self._call("incr", run)

    def decr(self, key: str, window: str) -> None:
        def run():
            return self._script("decr", _DECR)(
                keys=[self._key(key)], args=[str(window)], client=self.client()
            )

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
