"""Recovery codes: ten one-time codes (80 bits each), hashed at rest, a backup of TOTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.db import router, transaction
from django.utils import timezone

from ..conf import signed_api_settings
from ..models import RecoveryCode
from .base import SecondFactor


def normalize(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def hash_code(code: str) -> str:
    return "sha256$" + hashlib.sha256(normalize(code).encode()).hexdigest()


class RecoveryCodes(SecondFactor):
    name = "recovery_code"
    primary = False

    def is_enabled_for(self, user) -> bool:
        return RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists()

    def issue(self, user) -> list[str]:
        """A new set (the old one is gone); the codes are returned this once."""
        RecoveryCode.objects.filter(user=user).delete()
        codes = []
        for _ in range(int(signed_api_settings.RECOVERY_CODES)):
            # 80 bits each, as four groups of four base32 characters.
            raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
            codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=hash_code(c)) for c in codes]
        )
        return codes

    def verify(self, user, code: str, *, now: float | None = None) -> bool:
        if len(normalize(code)) != 16:
            return False
        wanted = hash_code(code)
        # Its own transaction (a savepoint inside the caller's), so the lock covers the write.
        with transaction.atomic(using=router.db_for_write(RecoveryCode)):
            match = None
            rows = RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True)
            for row in rows:
                if hmac.compare_digest(row.code_hash, wanted):
                    match = row
            if match is None:
                return False
            match.used_at = timezone.now()
            match.save(update_fields=["used_at"])
            return True

    def reset(self, user) -> bool:
        deleted, _ = RecoveryCode.objects.filter(user=user).delete()
        return bool(deleted)

    def state(self, user) -> str:
        return "-"  # using up a code is not a change of credentials
