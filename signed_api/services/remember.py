"""Remember-me tokens: families of one-time tokens, each exchanged for a session and a new token.

A family is bound to the user's credentials (``second_factor.fingerprint``: password hash and
second-factor state), so a change to either ends it; a consumed token presented again after the
grace period is theft and ends the family with every session it gave (``endings``). A family may
also be bound to a device key (its tokens are then exchanged only under that key's signature).
The exchange itself is a login, in ``sessions.login_with_remember_token``.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .. import tokens
from ..conf import signed_api_settings
from ..models import RememberFamily, RememberToken
from . import second_factor
from .endings import revoke_family, revoke_remember_tokens

__all__ = ["REMEMBER_KIND", "issue_token", "revoke_family", "revoke_remember_tokens",
           "start_family"]

REMEMBER_KIND = "rmb"


def issue_token(family: RememberFamily) -> str:
    """A new token of ``family``: the text is returned this once, only its hash is kept."""
    issued = tokens.issue()
    RememberToken.objects.create(family=family, lookup=issued.lookup, secret_hash=issued.hashed)
    return issued.text(REMEMBER_KIND)


def start_family(user, *, device_name: str = "", device_key=None) -> RememberFamily:
    """A new remember-me family, bound to the user's password and second-factor state, and,
    with ``device_key`` (a checked :class:`~.device_keys.DeviceKey`), to that key: each of its
    tokens is then exchanged only under the key's signature."""
    lifetime = timedelta(seconds=int(signed_api_settings.REMEMBER_TOKEN_LIFETIME))
    return RememberFamily.objects.create(
        user=user,
        expires_at=timezone.now() + lifetime,
        auth_fingerprint=second_factor.fingerprint(user),
        device_name=device_name,
        algorithm=device_key.algorithm if device_key is not None else "",
        public_key=device_key.pem if device_key is not None else "",
        key_thumbprint=device_key.thumbprint if device_key is not None else "",
    )
