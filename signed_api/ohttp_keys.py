"""The gateway's Oblivious HTTP keys (RFC 9458 §3): which configurations are served, which
keys decrypt.

Three sources, first match wins:

1. ``SIGNED_API["OHTTP_KEYS"]``: ``[{"key_id": 0-255, "private_key": <base64url X25519
   private key>, "suites": [[kdf_id, aead_id], ...] (optional), "advertised": False
   (optional: still decrypts, no longer served)}]``;
2. the ``OHTTPKey`` rows that ``manage.py signed_api_ohttp_keys`` made (private keys sealed
   under the master keys). A row is served until it is retired and decrypts for
   ``OHTTP_KEY_LIFETIME`` seconds after that (a client may have cached its configuration that
   long), then it is ignored. Rows whose id a settings key uses are ignored (``W012``);
3. neither: one key derived with HKDF from each master key (the newest served, the older ones
   still decrypt during a master key rotation), with a deploy check warning (``W011``).

The result is cached per process; it is dropped when the settings change or an ``OHTTPKey`` is
saved or deleted in this process, and read again at least every :data:`RELOAD_INTERVAL`
seconds (so the other workers see a key another process made or retired). A request naming a
key id the cache lacks may reload it earlier (:func:`refresh`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from .conf import signed_api_settings
from .core import hpke, ohttp
from .core.b64 import b64url_decode
from .core.keyring import KeyringError
from .logsafe import get_logger

logger = get_logger("signed_api")

__all__ = [
    "KeyEntry",
    "SUPPORTED_AEADS",
    "SUPPORTED_KDFS",
    "SUPPORTED_KEMS",
    "advertised_configs",
    "derived_private_key",
    "entries",
    "gateway_keys",
    "public_key_fingerprint",
    "refresh",
    "reset",
    "settings_errors",
]

#: Seconds after which a process reads the stored keys again, whatever it was told.
RELOAD_INTERVAL = 60.0
#: A request for an unknown key id reloads the keys at most this often (seconds).
REFRESH_INTERVAL = 5.0

# What the HPKE wrapper of the core offers (signed_api/core/hpke.py).
SUPPORTED_KEMS = hpke.supported_kems()
SUPPORTED_KDFS = hpke.supported_kdfs()
SUPPORTED_AEADS = hpke.supported_aeads()
PRIVATE_KEY_BYTES = 32  # X25519
SETTINGS_FIELDS = frozenset({"key_id", "private_key", "suites", "advertised", "kem_id"})

# Origins of a key, as `signed_api_ohttp_keys list` shows them.
FROM_SETTINGS = "settings"
FROM_DATABASE = "database"
DERIVED = "derived"


@dataclass(frozen=True)
class KeyEntry:
    """One gateway key and what the gateway does with it."""

    key: ohttp.GatewayKey
    source: str  # FROM_SETTINGS, FROM_DATABASE or DERIVED
    advertised: bool  # served by GET /.well-known/ohttp-gateway
    accepted: bool = True  # decrypts requests (False: retired longer than the key lifetime)
    created_at: datetime | None = None
    retired_at: datetime | None = None

    @property
    def key_id(self) -> int:
        return self.key.config.key_id

    @property
    def state(self) -> str:
        if not self.accepted:
            return "expired"
        return "active" if self.advertised else "retired"


@dataclass
class _KeySet:
    entries: list[KeyEntry]
    loaded_at: float  # time.monotonic()
    valid_until: float  # time.time() at which a retired key expires (or +inf)
    by_id: dict[int, ohttp.GatewayKey] = field(default_factory=dict)
    configs: list[ohttp.KeyConfig] = field(default_factory=list)


_lock = threading.Lock()
_cached: _KeySet | None = None


# -- the settings ---------------------------------------------------------------------------------
def _suites(value: object) -> tuple[tuple[int, int], ...]:
    if value is None:
        return ohttp.DEFAULT_SUITES
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError("'suites' must be a non-empty list of [kdf_id, aead_id] pairs")
    pairs = []
    for pair in value:
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in pair)
        ):
            raise ValueError("'suites' must be a non-empty list of [kdf_id, aead_id] pairs")
        kdf_id, aead_id = pair
        if kdf_id not in SUPPORTED_KDFS or aead_id not in SUPPORTED_AEADS:
            raise LookupError(f"suite ({kdf_id:#06x}, {aead_id:#06x}) is not supported")
        pairs.append((kdf_id, aead_id))
    if len(set(pairs)) != len(pairs):
        raise ValueError("'suites' lists a pair twice")
    return tuple(pairs)


def _settings_entry(item: object) -> KeyEntry:
    """The key of one ``OHTTP_KEYS`` entry; ValueError (malformed) or LookupError (unsupported)."""
    if not isinstance(item, Mapping):
        raise ValueError("must be a dict with 'key_id' and 'private_key'")
    unknown = sorted(set(item) - SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"has unknown fields {unknown}")
    key_id = item.get("key_id")
    if not isinstance(key_id, int) or isinstance(key_id, bool) or not 0 <= key_id <= 255:
        raise ValueError("'key_id' must be an integer from 0 to 255")
    kem_id = item.get("kem_id", hpke.KEM_X25519_HKDF_SHA256)
    if kem_id not in SUPPORTED_KEMS:
        raise LookupError(f"KEM {kem_id!r} is not supported")
    text = item.get("private_key")
    try:
        if not isinstance(text, str):
            raise TypeError
        raw = b64url_decode(text.strip())
    except (TypeError, ValueError, UnicodeError):
        raise ValueError("'private_key' must be base64url text") from None
    if len(raw) != PRIVATE_KEY_BYTES:
        raise ValueError(f"'private_key' must be {PRIVATE_KEY_BYTES} bytes once decoded")
    suites = _suites(item.get("suites"))
    advertised = item.get("advertised", True)
    if not isinstance(advertised, bool):
        raise ValueError("'advertised' must be True or False")
    key = ohttp.GatewayKey.from_private_key(key_id, raw, kem_id=kem_id, suites=suites)
    return KeyEntry(key=key, source=FROM_SETTINGS, advertised=advertised)


def settings_errors(value: object) -> list[tuple[str, str]]:
    """``(check id, message)`` for everything wrong with an ``OHTTP_KEYS`` value:
    ``E015`` malformed, ``E016`` a key id twice, ``E017`` an unsupported KEM or suite."""
    if value is None or value == () or value == []:
        return []
    if not isinstance(value, (list, tuple)):
        return [("signed_api.E015", "SIGNED_API['OHTTP_KEYS'] must be a list of dicts.")]
    errors: list[tuple[str, str]] = []
    seen: dict[int, int] = {}
    for index, item in enumerate(value):
        try:
            entry = _settings_entry(item)
        except LookupError as exc:
            errors.append(("signed_api.E017", f"SIGNED_API['OHTTP_KEYS'][{index}]: {exc}."))
            continue
        except Exception as exc:  # noqa: BLE001 - ValueError, or the HPKE library refusing it
            errors.append(("signed_api.E015", f"SIGNED_API['OHTTP_KEYS'][{index}] {exc}."))
            continue
        if entry.key_id in seen:
            errors.append(
                ("signed_api.E016", f"SIGNED_API['OHTTP_KEYS'][{index}] has key_id "
                 f"{entry.key_id}, like entry {seen[entry.key_id]}: each key id names one key.")
            )
        seen.setdefault(entry.key_id, index)
    if value and not errors and not any(item.get("advertised", True) for item in value):
        errors.append(("signed_api.E015", "SIGNED_API['OHTTP_KEYS'] advertises no key: at "
                       "least one entry must leave 'advertised' at True."))
    return errors


def _settings_entries() -> list[KeyEntry]:
    configured = signed_api_settings.OHTTP_KEYS or ()
    result: list[KeyEntry] = []
    seen: set[int] = set()
    for item in configured:
        entry = _settings_entry(item)  # a broken entry is E015-E017: fail loudly
        if entry.key_id not in seen:
            seen.add(entry.key_id)
            result.append(entry)
    return result


# -- stored keys ----------------------------------------------------------------------------------
def lifetime() -> int:
    return int(signed_api_settings.OHTTP_KEY_LIFETIME)


def _database_entries(
    now: datetime, skip: set[int], unreadable: list[int]
) -> list[KeyEntry]:
    from .models import OHTTPKey

    result = []
    for row in OHTTPKey.objects.order_by("key_id"):
        if row.key_id in skip:
            continue
        expired = row.retired_at is not None and row.retired_at + timedelta(
            seconds=lifetime()
        ) <= now
        try:
            suites = tuple((int(kdf), int(aead)) for kdf, aead in row.suites)
            key = ohttp.GatewayKey.from_private_key(
                row.key_id, row.private_key(), kem_id=row.kem_id, suites=suites
            )
        except (KeyringError, ValueError, TypeError) as exc:
            # Sealed under a master key no longer configured, or tampered with: that key id
            # is unknown (clients fetch the configurations again), and the derived key does
            # not silently take its place.
            logger.error("OHTTP key %s cannot be opened: %s", row.key_id, exc)
            unreadable.append(row.key_id)
            continue
        result.append(
            KeyEntry(
                key=key,
                source=FROM_DATABASE,
                advertised=row.retired_at is None,
                accepted=not expired,
                created_at=row.created_at,
                retired_at=row.retired_at,
            )
        )
    return result


# -- derived keys ---------------------------------------------------------------------------------
def derived_private_key(master: bytes) -> bytes:
    """The X25519 private key derived from a master key (HKDF-SHA256, its own label)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=PRIVATE_KEY_BYTES, salt=b"signed_api",
        info=b"ohttp gateway key v1",
    ).derive(master)


def _derived_entries(taken: set[int]) -> list[KeyEntry]:
    from .state import master_keys

    result = []
    used = set(taken)
    for index, master in enumerate(master_keys()):
        private = derived_private_key(master)
        public = hpke.public_key(hpke.KEM_X25519_HKDF_SHA256, private)
        # The id comes from the key, so a client holding a configuration of an earlier master
        # key is told "unknown key" (and fetches again) rather than failing to decrypt.
        key_id = hashlib.sha256(b"signed_api ohttp key id\0" + public).digest()[0]
        while key_id in used and len(used) < 256:
            key_id = (key_id + 1) % 256
        if key_id in used:
            break
        used.add(key_id)
        key = ohttp.GatewayKey.from_private_key(key_id, private)
        result.append(KeyEntry(key=key, source=DERIVED, advertised=index == 0))
    return result


# -- the key set ----------------------------------------------------------------------------------
def entries(*, include_expired: bool = False) -> list[KeyEntry]:
    """Every key the gateway knows, settings first, in key id order within each source.
    Reads the settings and the database (uncached: the command and the checks use it)."""
    from django.utils import timezone

    found = _settings_entries()
    taken = {e.key_id for e in found}
    unreadable: list[int] = []
    stored = _database_entries(timezone.now(), taken, unreadable)
    if not found and not unreadable and not any(e.advertised for e in stored):
        found += _derived_entries(taken | {e.key_id for e in stored if e.accepted})
    found += stored
    return found if include_expired else [e for e in found if e.accepted]


def _load() -> _KeySet:
    found = entries(include_expired=True)
    valid_until = float("inf")
    by_id: dict[int, ohttp.GatewayKey] = {}
    for entry in found:
        if not entry.accepted:
            continue
        by_id.setdefault(entry.key_id, entry.key)
        if entry.retired_at is not None:
            ends = entry.retired_at.timestamp() + lifetime()
            valid_until = min(valid_until, ends)
    configs = [e.key.config for e in found if e.accepted and e.advertised]
    return _KeySet(
        entries=found, loaded_at=time.monotonic(), valid_until=valid_until, by_id=by_id,
        configs=configs,
    )


def _current() -> _KeySet:
    global _cached
    cached = _cached
    if (
        cached is None
        or time.monotonic() - cached.loaded_at >= RELOAD_INTERVAL
        or time.time() >= cached.valid_until
    ):
        with _lock:
            cached = _cached
            if (
                cached is None
                or time.monotonic() - cached.loaded_at >= RELOAD_INTERVAL
                or time.time() >= cached.valid_until
            ):
                cached = _cached = _load()
    return cached


def gateway_keys() -> dict[int, ohttp.GatewayKey]:
    """The keys that decrypt, by key id (for ``ohttp.decapsulate_request``)."""
    return dict(_current().by_id)


def advertised_configs() -> list[ohttp.KeyConfig]:
    """The key configurations ``GET /.well-known/ohttp-gateway`` serves, newest source first."""
    return list(_current().configs)


def refresh() -> bool:
    """Read the keys again unless that happened less than :data:`REFRESH_INTERVAL` seconds ago
    (a request named a key id this process does not know: another may have just made it).
    Returns whether the set of key ids changed."""
    global _cached
    with _lock:
        cached = _cached
        if cached is not None and time.monotonic() - cached.loaded_at < REFRESH_INTERVAL:
            return False
        before = set(cached.by_id) if cached is not None else set()
        _cached = _load()
        return set(_cached.by_id) != before


def reset() -> None:
    """Forget the cached keys; they are read again on next use."""
    global _cached
    with _lock:
        _cached = None


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting in ("SIGNED_API", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        reset()


def _on_key_changed(sender, using=None, **kwargs) -> None:
    from django.db import transaction

    # Now, for this process (the change applies here even inside a transaction), and again once
    # it commits, in case a request of this process read the keys in between.
    reset()
    transaction.on_commit(reset, using=using)


def public_key_fingerprint(config: ohttp.KeyConfig) -> str:
    """A short, stable name of a configuration: the first 16 hex digits of SHA-256 of it."""
    return hashlib.sha256(config.encode()).hexdigest()[:16]


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_ohttp_keys_reset")
# A lazy sender: this module may be imported before the app registry is ready.
post_save.connect(_on_key_changed, sender="signed_api.OHTTPKey",
                  dispatch_uid="signed_api_ohttp_key_saved")
post_delete.connect(_on_key_changed, sender="signed_api.OHTTPKey",
                    dispatch_uid="signed_api_ohttp_key_deleted")
