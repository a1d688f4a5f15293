"""``signed_api_settings``: the ``SIGNED_API`` settings dict, read lazily, with defaults.

Modelled on DRF's ``api_settings``: nothing is read at import time; the first attribute access
reads ``settings.SIGNED_API`` and the cached values are dropped on ``setting_changed`` (so
``override_settings`` in tests works without reloading modules). Every key is documented in
``docs/settings.md``; an unknown key is a system check error (``signed_api.E001``).
"""

from __future__ import annotations

from django.core.signals import setting_changed

from .core import algorithms

DEFAULTS: dict[str, object] = {
    # --- request signatures (docs/protocol.md) ---
    # Cache alias of a Redis cache (django-redis) for the shared store: nonces, guessing-budget
    # counters, key state. None: a table of the project's database (docs/settings.md#nonce_cache).
    "NONCE_CACHE": None,
    # Import string of another shared store class (None: Redis or the database, as above).
    "STORE": None,
    # Database alias of the store table when no NONCE_CACHE is set.
    "STORE_DATABASE": "default",
    # Tests only: allow the per-process MemoryStore (replays across processes would pass).
    "ALLOW_PROCESS_LOCAL_STORE": False,
    # Seconds `created` may differ from server time, both directions.
    "CLOCK_SKEW": 300,
    # Every signature must carry a one-time `nonce`.
    "REQUIRE_NONCE": True,
    # Components every signature must cover; `content-digest` is added when there is a body.
    "REQUIRED_COMPONENTS": ("@method", "@authority", "@path", "@query"),
    # Pin the signature label the server looks at (None: the one whose keyid it knows).
    "SIGNATURE_LABEL": None,
    # When set, a signature's `tag` parameter must equal it.
    "SIGNATURE_TAG": None,
    # Sign the response to every verified request (needs ResponseSignatureMiddleware).
    "SIGN_RESPONSES": True,
    # Which other responses the server key signs (refusals, login, JWKS, gateway): "app" (the
    # app's own views and signature-authenticated views), "site" (every response) or None.
    "SERVER_SIGNATURES": "app",
    # Algorithms a key may be created with (default: every registered one, core/algorithms.py).
    "ALGORITHMS": algorithms.names(api_keys=True),
    # --- secrets at rest ---
    # base64url 32-byte keys, newest first; empty: derived from SECRET_KEY (warned by a check).
    "MASTER_KEYS": (),
    # --- keys ---
    # Scopes a new API key gets when it is created without any.
    "DEFAULT_KEY_SCOPES": (),
    # Prefix of new API key ids.
    "KEY_ID_PREFIX": "key_",
    # `last_used_at` is written at most this often (seconds) per key.
    "LAST_USED_INTERVAL": 60,
    # How many verified keys each process keeps in memory (revocation still applies at once).
    "KEY_CACHE_SIZE": 10000,
    # --- sessions (docs/sessions.md) ---
    # Prefix of session key ids.
    "SESSION_ID_PREFIX": "ses_",
    # A session unused for this long (seconds) ends.
    "SESSION_IDLE_TIMEOUT": 7 * 24 * 3600,
    # A session ends this long (seconds) after login, used or not.
    "SESSION_ABSOLUTE_TIMEOUT": 30 * 24 * 3600,
    # Live sessions a user may have; a login beyond it ends the oldest (None: no limit).
    "MAX_SESSIONS_PER_USER": 50,
    # --- second factor ---
    # Import strings of the second factors, in the order a code is tried (docs/settings.md).
    "SECOND_FACTORS": (
        "signed_api.second_factors.totp.TOTP",
        "signed_api.second_factors.recovery.RecoveryCodes",
    ),
    # Seconds a pending login (the 202 challenge) waits for its code.
    "TWO_FACTOR_TIMEOUT": 300,
    # Wrong codes a challenge accepts before it is gone.
    "TWO_FACTOR_MAX_ATTEMPTS": 3,
    # The issuer shown by authenticator apps.
    "TOTP_ISSUER": "signed_api",
    # How many recovery codes a confirmed device gets.
    "RECOVERY_CODES": 10,
    # --- remember me ---
    # Seconds a remember token (and its family) lives.
    "REMEMBER_TOKEN_LIFETIME": 30 * 24 * 3600,
    # Seconds during which a just-consumed remember token is still accepted (parallel requests).
    "REMEMBER_REUSE_GRACE": 10,
    # --- throttling of credential guessing ---
    # Failed logins (or codes) per username within LOGIN_FAILURE_WINDOW before 429.
    "LOGIN_FAILURES_PER_USERNAME": 5,
    # Failed logins per client address within LOGIN_FAILURE_WINDOW before 429.
    "LOGIN_FAILURES_PER_ADDRESS": 20,
    # Seconds a failure counts.
    "LOGIN_FAILURE_WINDOW": 900,
    # Proxies in front of the site that append to X-Forwarded-For (the client address is the
    # entry this many from the right); 0: REMOTE_ADDR (the DRF NUM_PROXIES convention).
    "NUM_PROXIES": 0,
    # --- key lifecycle ---
    # Seconds the previous secret keeps verifying after a rotation.
    "KEY_ROTATION_GRACE": 24 * 3600,
    # Prefix of enrollment key ids.
    "ENROLLMENT_KEY_PREFIX": "enr_",
    # Days security events are kept (signed_api_cleanup removes older ones).
    "EVENT_RETENTION_DAYS": 90,
    # At most one event of a kind per key/username/address in this many seconds for events an
    # unauthenticated caller can trigger (failed logins, replays), so they cannot fill storage.
    "EVENT_THROTTLE": 60,
    # --- Oblivious HTTP gateway (docs/encryption.md) ---
    # Gateway keys: [{"key_id": 0-255, "private_key": base64url X25519 key, optional "suites":
    # [[kdf_id, aead_id], ...], optional "advertised": False}]; empty: the keys the
    # signed_api_ohttp_keys command stored, else one derived from the master key (W011).
    "OHTTP_KEYS": (),
    # Seconds clients may cache the key configurations (Cache-Control: max-age), and how long
    # a retired key still decrypts after it stopped being advertised.
    "OHTTP_KEY_LIFETIME": 24 * 3600,
    # Largest encapsulated request (bytes) the gateway reads; larger is a 413.
    "OHTTP_MAX_REQUEST_BYTES": 3 * 1024 * 1024,
    # Pad every inner response with zeros to a multiple of this many bytes (0: no padding).
    "OHTTP_RESPONSE_PADDING": 0,
}


class SignedApiSettings:
    """Attribute access to ``settings.SIGNED_API`` merged over :data:`DEFAULTS`."""

    def __init__(self, defaults: dict[str, object] | None = None):
        self.defaults = defaults or DEFAULTS
        self._cached: set[str] = set()
        self._user_settings: dict | None = None

    @property
    def user_settings(self) -> dict:
        if self._user_settings is None:
            from django.conf import settings

            value = getattr(settings, "SIGNED_API", {}) or {}
            self._user_settings = dict(value) if isinstance(value, dict) else {}
        return self._user_settings

    def __getattr__(self, attr: str):
        if attr.startswith("_") or attr not in self.defaults:
            raise AttributeError(f"Invalid signed_api setting: {attr!r}")
        value = self.user_settings.get(attr, self.defaults[attr])
        self._cached.add(attr)
        setattr(self, attr, value)
        return value

    def reload(self) -> None:
        for attr in self._cached:
            self.__dict__.pop(attr, None)
        self._cached.clear()
        self._user_settings = None


signed_api_settings = SignedApiSettings(DEFAULTS)


def _reload(*, setting: str, **kwargs) -> None:
    # Only the settings themselves: each owner of derived state (the keyring and policy in
    # ``state``, the key cache in ``credentials``, the store in ``stores``) listens for itself.
    if setting == "SIGNED_API":
        signed_api_settings.reload()


setting_changed.connect(_reload, dispatch_uid="signed_api_settings_reload")
