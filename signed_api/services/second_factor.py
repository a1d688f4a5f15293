"""The second factor: RFC 6238 TOTP devices (pyotp) and one-time recovery codes.

A small contract (django-otp's idea) so the login flow does not special-case factor types:
``verify_code(user, code)`` accepts a current TOTP code or an unused recovery code, and never
accepts the same one twice (the TOTP time step is recorded under ``select_for_update``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time

import pyotp
from django.db import transaction
from django.utils import timezone

from ..conf import signed_api_settings
from ..core.keyring import KeyringError
from ..logsafe import get_logger
from ..models import RecoveryCode, TOTPDevice
from .database import write_transaction
from .endings import end_sessions_of, revoke_remember_tokens
from .errors import SecondFactorError

logger = get_logger("signed_api")  # escapes what a request put in a record

STEP = 30  # RFC 6238 default time step, what every authenticator app uses
DIGITS = 6
TOLERANCE = 1  # ±1 step: a code typed just as it rolls over still works




def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def fingerprint(user) -> str:
    """What remember tokens are bound to: the password hash and the second-factor state."""
    device = TOTPDevice.objects.filter(user=user).values_list("confirmed_at", "created_at").first()
    state = f"{device[0].isoformat() if device and device[0] else '-'}"
    material = f"{user.pk}|{user.password}|{state}"
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
        codes = _new_recovery_codes(user)
        _end_remember_tokens(user, "second_factor_enabled")
        _record(user, "totp_enabled")
    return codes


def disable(user, code: str, *, now: float | None = None, keep_session=None) -> None:
    """Remove the device (and recovery codes); needs a current code or a recovery code.

    Every session and remember family of ``user`` ends, but ``keep_session`` (the session that
    asked, through the API)."""
    with _write_transaction():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is None:
            raise SecondFactorError("totp_not_enabled", "No confirmed device.")
        if not _accept_totp(device, code, now) and not _use_recovery_code(user, code):
            raise SecondFactorError("otp_invalid", "The code is not valid.")
        device.delete()
        RecoveryCode.objects.filter(user=user).delete()
        _end_sessions(user, "second_factor_disabled", keep_session=keep_session)
        _record(user, "totp_disabled")


def reset(user, *, actor=None) -> bool:
    """Remove a user's device and recovery codes without a code (the admin's "reset"); every
    session and remember family of the user ends."""
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        if deleted:
            _end_sessions(user, "second_factor_reset")
            _record(user, "totp_disabled", by=actor.get_username() if actor else "")
    return bool(deleted)


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
    """A current TOTP code or an unused recovery code of ``user``; each works once."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return False
        if _accept_totp(device, code, now):
            device.save(update_fields=["last_t"])
            return True
        return _use_recovery_code(user, code)


def _normalize_totp(code: str) -> str | None:
    code = "".join(str(code).split())
    return code if len(code) == DIGITS and code.isdigit() else None


def _accept_totp(device: TOTPDevice, code: str, now: float | None) -> bool:
    """Check ``code`` against steps t-1, t, t+1 newer than ``device.last_t``; record the step.
    The caller holds the row lock and saves ``last_t``."""
    candidate = _normalize_totp(code)
    if candidate is None:
        return False
    try:
        seed = device.seed()
    except KeyringError:
        # The seed was sealed under a master key that is gone: no code can be right, and the
        # user needs a reset (admin) rather than a 500.
        logger.error("signed_api: the TOTP seed of user %s cannot be decrypted", device.user_id)
        return False
    totp = pyotp.TOTP(seed, digits=DIGITS, interval=STEP)
    current = int((time.time() if now is None else now) // STEP)
    accepted = None
    for step in range(current - TOLERANCE, current + TOLERANCE + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected.encode(), candidate.encode()) and step > device.last_t:
            accepted = step
    if accepted is None:
        return False
    device.last_t = accepted
    return True


# -- recovery codes --------------------------------------------------------------------------
def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return "sha256$" + hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(int(signed_api_settings.RECOVERY_CODES)):
        # 80 bits each, as four groups of four base32 characters.
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_hash_recovery(c)) for c in codes]
    )
    return codes


def _use_recovery_code(user, code: str) -> bool:
    if len(_normalize_recovery(code)) != 16:
        return False
    wanted = _hash_recovery(code)
    match = None
    for row in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
        if hmac.compare_digest(row.code_hash, wanted):
            match = row
    if match is None:
        return False
    match.used_at = timezone.now()
    match.save(update_fields=["used_at"])
    return True
