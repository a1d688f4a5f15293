"""Resolving a ``keyid`` to its key, fast, with revocation effective at once in every process.

Each process keeps verified keys in memory (decrypting a secret and loading the owner on every
request would cost more than the whole signature check). What makes that safe is a *state
token*: every change to a key (revocation, rotation, expiry, its owner's account) writes a new
random token to the database and publishes it to the shared store (:mod:`signed_api.stores`: a
table of the database, or Redis). After a signature verifies, one store call both records the
nonce and reads the key's current token (``Store.confirm``). A token that differs from the
cached copy's, or is missing, makes the process reload the key from the database before the
request is accepted.

So the per-request cost is one Redis round trip (or two statements on the store table), and a
revoked key is refused by every process on its very next request.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from django.core.signals import setting_changed

from .conf import signed_api_settings
from .core import KeyChain, SignatureError, VerifyingKey
from .core.errors import (
    KEY_EXPIRED,
    KEY_REVOKED,
    REPLAY_STORE_UNAVAILABLE,
    SESSION_EXPIRED,
    UNKNOWN_KEY,
    USER_INACTIVE,
)
from .stores import StoreUnavailable, get_store

logger = logging.getLogger("signed_api")

STATE_PREFIX = "signed_api:state:"
NONCE_PREFIX = "signed_api:nonce:"
# Published tokens expire eventually; a missing token only means "ask the database".
STATE_TIMEOUT = 7 * 24 * 3600
# A cached credential is re-read from the database at least this often (seconds), whatever the
# shared token says: the backstop for a change whose publication was lost.
CACHE_MAX_AGE = 60


def nonce_key(key_id: str, nonce: str) -> str:
    """A bounded cache key for a nonce, whatever its length or characters."""
    digest = hashlib.sha256(f"{key_id}\0{nonce}".encode()).hexdigest()[:40]
    return NONCE_PREFIX + digest


def state_key(key_id: str) -> str:
    return STATE_PREFIX + hashlib.sha256(key_id.encode()).hexdigest()[:40]


# -- the shared store (signed_api.stores) ---------------------------------------------------------
def shared_store():
    """The shared store of this site (see :mod:`signed_api.stores`)."""
    return get_store()


def publish_state(key_id: str, token: str) -> None:
    """Tell every process that ``key_id`` changed. Called after the change commits.

    It must not fail silently and must not fail the committed change: it tries twice to write
    the new token and, failing that, to delete the old one (readers then go to the database).
    If the store cannot be reached at all, every process refuses requests anyway (503), and the
    bounded age of cached entries (``CACHE_MAX_AGE``) covers a blip that hides the change.
    """
    key_cache.discard(key_id)
    store = shared_store()
    for attempt in (1, 2):
        try:
            store.set_token(state_key(key_id), token, STATE_TIMEOUT)
            return
        except StoreUnavailable as exc:
            logger.error("signed_api: publishing the state of %s failed (%d): %s",
                         key_id, attempt, exc)
    try:
        store.delete(state_key(key_id))
    except StoreUnavailable:
        logger.error("signed_api: the state of %s could not be published nor cleared; other "
                     "processes see the change within %d s", key_id, CACHE_MAX_AGE)


# -- the per-process cache ----------------------------------------------------------------------
@dataclass(frozen=True)
class Credential:
    """Everything needed to accept a request signed with one key, loaded from the database."""

    key_id: str
    token: str
    verifying_key: VerifyingKey
    user: object
    auth: object  # the ApiKey, Session or EnrollmentKey instance
    expires_at: float | None
    revoked: bool
    kind: str = "api_key"  # "api_key", "session" or "enrollment"
    # Scopes the credential carries; None means every scope (a session acts as its user).
    scopes: frozenset | None = frozenset()
    # Rotation overlap: the previous key verifies too, until previous_until (epoch seconds).
    previous_key: VerifyingKey | None = None
    previous_until: float | None = None
    loaded_at: float = 0.0

    @property
    def is_session(self) -> bool:
        return self.kind == "session"

    def key_for(self, now: float) -> VerifyingKey:
        """The key to verify with now: the current one, chained with the previous one while
        the rotation overlap lasts."""
        if self.previous_key is not None and self.previous_until and now < self.previous_until:
            return KeyChain((self.verifying_key, self.previous_key))
        return self.verifying_key

    def check_usable(self, now: float) -> None:
        if self.revoked:
            raise SignatureError(KEY_REVOKED, f"{self.key_id} is revoked")
        if self.expires_at is not None and now >= self.expires_at:
            code = SESSION_EXPIRED if self.is_session else KEY_EXPIRED
            raise SignatureError(code, f"{self.key_id} expired")
        if self.kind != "enrollment" and not getattr(self.user, "is_active", True):
            raise SignatureError(USER_INACTIVE, f"owner of {self.key_id} is inactive")


class KeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, Credential] = {}
        self._last_used: dict[str, float] = {}
        self._touch_lock = threading.Lock()

    def get(self, key_id: str) -> Credential | None:
        return self._entries.get(key_id)

    def put(self, credential: Credential) -> None:
        if len(self._entries) >= int(signed_api_settings.KEY_CACHE_SIZE):
            self._entries.clear()
        self._entries[credential.key_id] = credential

    def discard(self, key_id: str) -> None:
        self._entries.pop(key_id, None)

    def clear(self) -> None:
        self._entries.clear()
        self._last_used.clear()

    def due_for_touch(self, key_id: str, now: float, interval: float) -> bool:
        """True for exactly one caller per ``interval`` per key in this process."""
        if now - self._last_used.get(key_id, 0.0) < interval:
            return False
        with self._touch_lock:
            if now - self._last_used.get(key_id, 0.0) < interval:
                return False
            self._last_used[key_id] = now
            return True


key_cache = KeyCache()


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    # Cached credentials hold keys opened with the old keyring and users of the old settings.
    if setting in ("SIGNED_API", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "CACHES", "DATABASES",
                   "AUTH_USER_MODEL"):
        key_cache.clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_key_cache_reset")


def credential_model(key_id: str):
    """The model a key id belongs to, by its prefix (API key, session or enrollment key)."""
    from .models import ApiKey, EnrollmentKey, Session

    s = signed_api_settings
    for prefix, model in (
        (s.SESSION_ID_PREFIX, Session),
        (s.ENROLLMENT_KEY_PREFIX, EnrollmentKey),
        (s.KEY_ID_PREFIX, ApiKey),
    ):
        if key_id.startswith(prefix):
            return model
    # The key id is not repeated: one of no known kind may be a secret pasted in its place (a
    # remember token, an API secret), and the detail is logged.
    raise SignatureError(UNKNOWN_KEY, "no credential type for this key id (an unknown prefix)")


def load_credential(key_id: str) -> Credential:
    """Read ``key_id`` from the database (one query, owner joined)."""
    from django.contrib.auth.models import AnonymousUser

    from .models import EnrollmentKey, Session

    model = credential_model(key_id)
    query = model.objects if model is EnrollmentKey else model.objects.select_related("user")
    try:
        obj = query.get(key_id=key_id)
    except model.DoesNotExist:
        raise SignatureError(UNKNOWN_KEY, f"no key {key_id!r}") from None
    previous_key = None
    try:
        verifying_key = obj.verifying_key()
        if hasattr(obj, "previous_verifying_key"):
            previous_key = obj.previous_verifying_key()
    except Exception as exc:  # noqa: BLE001 - a key we cannot open is unusable, not a 500
        logger.error("signed_api: key %s cannot be loaded: %s", key_id, type(exc).__name__)
        raise SignatureError(UNKNOWN_KEY, f"key {key_id!r} cannot be loaded") from None
    if any(getattr(k, "small_order", False) for k in (verifying_key, previous_key)):
        # Stored before public keys were checked; Ed25519VerifyingKey refuses every signature.
        logger.warning("signed_api: key %s has an Ed25519 public key of small order, which "
                       "verifies nothing: revoke it", key_id)
    if model is Session:
        kind, scopes, user = "session", None, obj.user
        expires = min(obj.expires_at, obj.idle_expires_at)
        revoked = obj.revoked_at is not None
    elif model is EnrollmentKey:
        kind, scopes, user = "enrollment", frozenset({"enroll"}), AnonymousUser()
        expires = obj.expires_at
        # A used-up key still authenticates, so that enrol answers 403 enrollment_used_up
        # (the same answer as when the last use is lost to a parallel request).
        revoked = obj.revoked_at is not None
    else:
        kind, scopes, user = "api_key", frozenset(obj.scopes or ()), obj.user
        expires = obj.expires_at
        revoked = obj.revoked_at is not None
    return Credential(
        key_id=key_id,
        token=obj.state_token,
        verifying_key=verifying_key,
        user=user,
        auth=obj,
        expires_at=expires.timestamp() if expires else None,
        revoked=revoked,
        kind=kind,
        scopes=scopes,
        previous_key=previous_key,
        previous_until=(
            obj.previous_valid_until.timestamp()
            if previous_key is not None and obj.previous_valid_until
            else None
        ),
        loaded_at=time.time(),
    )


def resolve(key_id: str) -> Credential:
    credential = key_cache.get(key_id)
    if credential is None or time.time() - credential.loaded_at > CACHE_MAX_AGE:
        credential = load_credential(key_id)
        key_cache.put(credential)
    return credential


def confirm(credential: Credential, nonce: str | None, ttl: int) -> tuple[bool, Credential]:
    """After the signature verified: record the nonce and make sure ``credential`` is current.

    Returns ``(nonce_was_new, current_credential)``; the credential is re-read from the
    database when the shared token differs from the cached one or is missing.
    """
    store = shared_store()
    nonce_entry = nonce_key(credential.key_id, nonce) if nonce is not None else None
    try:
        added, token = store.confirm(nonce_entry, ttl, state_key(credential.key_id))
    except StoreUnavailable as exc:
        raise SignatureError(REPLAY_STORE_UNAVAILABLE, str(exc)) from None
    if token is not None and token == credential.token:
        return added, credential
    key_cache.discard(credential.key_id)
    fresh = load_credential(credential.key_id)
    if token is None:
        try:
            store.adopt_token(state_key(fresh.key_id), fresh.token, STATE_TIMEOUT)
        except StoreUnavailable as exc:
            raise SignatureError(REPLAY_STORE_UNAVAILABLE, str(exc)) from None
    key_cache.put(fresh)
    return added, fresh


def refresh_if_stale(credential: Credential) -> Credential | None:
    """After a signature failed against a cached key: if the key changed since it was cached
    (a rotation elsewhere), return the current one to try again; else ``None``. Only reads."""
    try:
        token = shared_store().get_token(state_key(credential.key_id))
    except StoreUnavailable as exc:
        raise SignatureError(REPLAY_STORE_UNAVAILABLE, str(exc)) from None
    if token is not None and token == credential.token:
        return None
    key_cache.discard(credential.key_id)
    fresh = load_credential(credential.key_id)
    if fresh.token == credential.token:
        return None
    key_cache.put(fresh)
    return fresh


def ensure_usable(credential: Credential, now: float) -> Credential:
    """Refuse a revoked or expired credential; an expiry seen on a cached copy is re-read
    first (another process may have extended a session's idle deadline)."""
    try:
        credential.check_usable(now)
        return credential
    except SignatureError as error:
        if error.code not in (KEY_EXPIRED, SESSION_EXPIRED):
            raise
    key_cache.discard(credential.key_id)
    fresh = load_credential(credential.key_id)
    fresh.check_usable(now)
    key_cache.put(fresh)
    return fresh


def per_request_copy(credential: Credential) -> tuple[object, object]:
    """Fresh ``(user, auth)`` objects, so a view that mutates them cannot touch the cache;
    ``auth.user`` is that same fresh ``user``."""
    user = _copy_instance(credential.user)
    auth = _copy_instance(credential.auth)
    state = getattr(auth, "_state", None)
    if state is not None and "user" in state.fields_cache:
        state.fields_cache["user"] = user
    return user, auth


def _copy_instance(instance):
    # copy.copy goes through Model.__reduce__ (apps.get_model, __getstate__/__setstate__);
    # copying __dict__ and the ModelState (whose copy copies fields_cache) is twice as fast.
    state = getattr(instance, "_state", None)
    if state is None:  # AnonymousUser (enrollment keys) and other plain objects
        return copy.copy(instance)
    clone = object.__new__(type(instance))
    clone.__dict__.update(instance.__dict__)
    clone._state = copy.copy(state)
    return clone


def now() -> float:
    return time.time()
