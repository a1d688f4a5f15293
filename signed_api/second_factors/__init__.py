"""The second factors of this site: ``SIGNED_API["SECOND_FACTORS"]``, import strings of
:class:`~signed_api.second_factors.base.SecondFactor` classes (TOTP and recovery codes by
default), in the order a code is tried.

Everything that asks for a second factor goes through here: whether one is due at login
(:func:`is_due`), which methods the 202 offers (:func:`methods_for`), checking a code
(:func:`verify`, the first factor that accepts it wins, each code once), the admin's reset
(:func:`reset`) and what remember-me families are bound to (:func:`state`).
"""

from __future__ import annotations

import threading

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import SecondFactor

__all__ = ["SecondFactor", "enabled", "factor", "is_due", "methods_for", "reset", "state",
           "verify"]

_lock = threading.Lock()
_factors: tuple[SecondFactor, ...] | None = None


def enabled() -> tuple[SecondFactor, ...]:
    global _factors
    factors = _factors
    if factors is None:
        from ..conf import signed_api_settings

        with _lock:
            factors = _factors = tuple(
                (import_string(path) if isinstance(path, str) else path)()
                for path in signed_api_settings.SECOND_FACTORS
            )
    return factors


def factor(name: str) -> SecondFactor | None:
    return next((f for f in enabled() if f.name == name), None)


def methods_for(user) -> list[str]:
    """The factors ``user`` can answer a challenge with now: the enabled primary ones, and the
    backups beside them."""
    primary = [f.name for f in enabled() if f.primary and f.is_enabled_for(user)]
    if not primary:
        return []
    return primary + [f.name for f in enabled() if not f.primary and f.is_enabled_for(user)]


def is_due(user) -> bool:
    """A login of ``user`` needs a second factor (a primary factor is set up)."""
    return any(f.primary and f.is_enabled_for(user) for f in enabled())


def verify(user, code: str, *, now: float | None = None) -> bool:
    """A code of any factor ``user`` can use; each works once (each factor locks its own rows)."""
    if not is_due(user):
        return False
    return any(
        f.is_enabled_for(user) and f.verify(user, code, now=now) for f in enabled()
    )


def reset(user) -> bool:
    """Remove every factor of ``user`` without a code; True when there was one."""
    results = [f.reset(user) for f in enabled()]
    return any(results)


def state(user) -> str:
    """What remember-me families are bound to: the state of every primary factor (with TOTP
    alone, its confirmation time or ``-``)."""
    return "|".join(f.state(user) for f in enabled() if f.primary) or "-"


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    global _factors
    if setting == "SIGNED_API":
        with _lock:
            _factors = None


setting_changed.connect(_on_setting_changed, dispatch_uid="signed_api_second_factors_reset")
