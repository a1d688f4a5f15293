"""RFC 6238 TOTP devices (pyotp): one per user, confirmed with a first code.

A code is accepted for steps t-1, t and t+1 and only for a step newer than the last one
accepted (``last_t``, written under the row lock), so each code works once across every path.
"""

from __future__ import annotations

import hmac
import time

import pyotp
from django.db import router, transaction

from ..core.keyring import KeyringError
from ..logsafe import get_logger
from ..models import TOTPDevice
from .base import SecondFactor

logger = get_logger("signed_api")

STEP = 30  # RFC 6238 default time step, what every authenticator app uses
DIGITS = 6
TOLERANCE = 1  # ±1 step: a code typed just as it rolls over still works


def normalize(code: str) -> str | None:
    code = "".join(str(code).split())
    return code if len(code) == DIGITS and code.isdigit() else None


def accept(device: TOTPDevice, code: str, now: float | None) -> bool:
    """Check ``code`` against steps t-1, t, t+1 newer than ``device.last_t``; record the step.
    The caller holds the row lock and saves ``last_t``."""
    candidate = normalize(code)
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


class TOTP(SecondFactor):
    name = "totp"
    primary = True

    def is_enabled_for(self, user) -> bool:
        return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()

    def verify(self, user, code: str, *, now: float | None = None) -> bool:
        # Its own transaction (a savepoint inside the caller's): the row lock spans reading and
        # writing last_t, so two requests with one code cannot both pass.
        with transaction.atomic(using=router.db_for_write(TOTPDevice)):
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed_at__isnull=False)
                .first()
            )
            if device is None or not accept(device, code, now):
                return False
            device.save(update_fields=["last_t"])
            return True

    def reset(self, user) -> bool:
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        return bool(deleted)

    def state(self, user) -> str:
        confirmed = (
            TOTPDevice.objects.filter(user=user).values_list("confirmed_at", flat=True).first()
        )
        return confirmed.isoformat() if confirmed else "-"
