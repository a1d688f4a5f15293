"""Process-wide state derived from settings: the keyring, the verification policy, caches.

Built on first use and dropped whenever a relevant setting changes (this module listens to
``setting_changed`` itself).
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.signals import setting_changed

from .conf import signed_api_settings
from .core import Policy
from .core.keyring import Keyring, decode_master_key, derive_master_key

_lock = threading.Lock()
_keyring: Keyring | None = None
_policy: Policy | None = None


def master_keys() -> list[bytes]:
    """Newest ``MASTER_KEYS`` entry first; without any, keys derived from SECRET_KEY (and its
    fallbacks, so data sealed before a SECRET_KEY rotation still opens)."""
    configured = signed_api_settings.MASTER_KEYS
    if configured:
        return [decode_master_key(k) for k in configured]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [derive_master_key(s) for s in secrets]


def keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                _keyring = Keyring(master_keys())
    return _keyring


def policy() -> Policy:
    global _policy
    if _policy is None:
        s = signed_api_settings
        required_params = ["keyid", "created"] + (["nonce"] if s.REQUIRE_NONCE else [])
        _policy = Policy(
            required_components=tuple(s.REQUIRED_COMPONENTS),
            required_params=tuple(required_params),
            clock_skew=int(s.CLOCK_SKEW),
            require_digest_for_body=True,
            tag=s.SIGNATURE_TAG,
            label=s.SIGNATURE_LABEL,
        )
    return _policy


def reset() -> None:
    """Forget the keyring and the policy; they are built again from the settings on next use."""
    global _keyring, _policy
    with _lock:
        _keyring = None
        _policy = None


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting in ("SIGNED_API", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_state_reset")
