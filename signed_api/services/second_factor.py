"""Second-factor flows: enrolling and removing a TOTP device, checking a code at login.

The factors themselves (TOTP, recovery codes, whatever ``SECOND_FACTORS`` adds) keep the
contract of :mod:`signed_api.second_factors`, so nothing here or in the login flow
special-cases a factor type: ``verify_code(user, code)`` accepts a code of any factor the user
has, never the same one twice. Enrolment is TOTP's own (``totp/`` endpoints).
"""

from __future__ import annotations

import hashlib
import io

import pyotp
from django.db import transaction
from django.utils import timezone

from .. import second_factors
from ..conf import signed_api_settings
from ..logsafe import get_logger
from ..models import RecoveryCode, TOTPDevice
from ..second_factors.recovery import RecoveryCodes
from ..second_factors.totp import DIGITS, STEP, accept, normalize
from .database import write_transaction
from .endings import end_sessions_of, lock_pending_logins, revoke_remember_tokens
from .errors import SecondFactorError

logger = get_logger("signed_api")  # escapes what a request put in a record





def has_confirmed_device(user) -> bool:
    """A login of ``user`` needs a second factor."""
    return second_factors.is_due(user)


def fingerprint(user, *, password_hash: str | None = None) -> str:
    """What remember tokens are bound to: the password hash (``user.password``, or
    ``password_hash``) and the second-factor state."""
    encoded = user.password if password_hash is None else password_hash
    material = f"{user.pk}|{encoded}|{second_factors.state(user)}"
    return "sha256$" + hashlib.sha256(material.encode("utf-8")).hexdigest()


# -- enrolment -------------------------------------------------------------------------------
def begin_enrolment(user) -> tuple[str, str | None]:
    """A new, unconfirmed device; returns ``(otpauth_uri, qr_svg)``. The seed is shown only
    inside these two values, this once. ``qr_svg`` is None without segno (the ``qr`` extra)."""
    with _write_transaction():
        existing = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if existing is not None and existing.confirmed_at is not None:
            raise SecondFactorError(
                "totp_already_enabled", "A confirmed device exists; delete it first."
            )
        if existing is not None:
            existing.delete()
        seed = pyotp.random_base32(32)  # 160 bits, from secrets
        device = TOTPDevice(user=user)
        device.set_seed(seed)
        device.save()
    label = user.get_username()
    uri = pyotp.TOTP(seed, digits=DIGITS, interval=STEP).provisioning_uri(
        name=label, issuer_name=signed_api_settings.TOTP_ISSUER
    )
    try:
        import segno  # the optional `qr` extra: django-signed-api[qr]
    except ImportError:
        return uri, None  # the URI alone enrols too (typed in, or a QR made client-side)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return uri, buffer.getvalue().decode("utf-8")


def confirm_enrolment(user, code: str, *, now: float | None = None) -> list[str]:
    """Confirm with a current code; returns the recovery codes (shown this once)."""
    with _write_transaction():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is not None:
            raise SecondFactorError("totp_not_pending", "No device is waiting for confirmation.")
        if not _accept_totp(device, code, now):
            raise SecondFactorError("otp_invalid", "The code is not valid.")
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at", "last_t"])
        codes = RecoveryCodes().issue(user)
        _end_remember_tokens(user, "second_factor_enabled")
        _record(user, "totp_enabled")
    return codes


def disable(user, code: str, *, now: float | None = None, keep_session=None) -> None:
    """Remove the device (and recovery codes); needs a current code or a recovery code.

    Every session and remember family of ``user`` ends, but ``keep_session`` (the session that
    asked, through the API)."""
    with _write_transaction():
        lock_pending_logins(user)  # before the device: the order verify_challenge takes
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is None:
            raise SecondFactorError("totp_not_enabled", "No confirmed device.")
        if not _accept_totp(device, code, now) and not _verify_backup(user, code, now):
            raise SecondFactorError("otp_invalid", "The code is not valid.")
        device.delete()
        RecoveryCode.objects.filter(user=user).delete()
        _end_sessions(user, "second_factor_disabled", keep_session=keep_session)
        _record(user, "totp_disabled")


def reset(user, *, actor=None) -> bool:
    """Remove every second factor of a user without a code (the admin's "reset"); every
    session and remember family of the user ends."""
    with transaction.atomic():
        lock_pending_logins(user)  # before the factors' rows: the order verify_challenge takes
        removed = second_factors.reset(user)
        if removed:
            _end_sessions(user, "second_factor_reset")
            _record(user, "totp_disabled", by=actor.get_username() if actor else "")
    return removed


def _record(user, kind: str, **detail) -> None:
    from .events import record

    record(kind, user=user, detail=detail)


def _end_remember_tokens(user, reason: str) -> None:
    revoke_remember_tokens(user, reason)


def _end_sessions(user, reason: str, *, keep_session=None) -> None:
    end_sessions_of(user, reason=reason, keep_session=keep_session)


def _write_transaction():
    """An atomic block that holds SQLite's write lock from its first statement."""
    return write_transaction()


# -- verification ----------------------------------------------------------------------------
def verify_code(user, code: str, *, now: float | None = None) -> bool:
    """A code of any second factor of ``user`` (a current TOTP code, an unused recovery
    code...); each works once."""
    # The write lock first: parallel checks of one code on SQLite take turns instead of one
    # failing with "database is locked" (the code is used up by whichever runs first).
    with write_transaction():
        return second_factors.verify(user, code, now=now)


def _verify_backup(user, code: str, now: float | None) -> bool:
    return any(
        not f.primary and f.is_enabled_for(user) and f.verify(user, code, now=now)
        for f in second_factors.enabled()
    )


# TOTP's pieces under their former names (tests and callers of this module use them).
_accept_totp = accept
_normalize_totp = normalize
