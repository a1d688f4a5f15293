"""The key lifecycle: create, rotate with overlap, revoke, extend; enrollment keys.

One set of functions serves the admin, the API endpoints and the management commands. Each
writes an audit event; secrets are returned once and stored only encrypted.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..conf import signed_api_settings
from ..core import HMAC_SHA256
from ..logsafe import get_logger
from ..models import SECRET_BYTES, ApiKey, EnrollmentKey, SecurityEvent, new_key_id
from . import events
from .errors import KeyServiceError

__all__ = [
    "KeyError_",
    "clean_scopes",
    "create_api_key",
    "create_enrollment_key",
    "enroll",
    "extend_expiry",
    "revoke_api_key",
    "revoke_enrollment_key",
    "rotate_api_key",
]


#: The key services' error (a :class:`ServiceError`; the old name stays for callers).
KeyError_ = KeyServiceError


def _actor_name(actor) -> str:
    return actor.get_username() if actor is not None else ""


logger = get_logger("signed_api")

#: The longest overlap a rotation may give the previous secret (the endpoint's cap too).
MAX_ROTATION_GRACE = timedelta(days=90)
#: The longest lifetime a key may be given in days (the endpoint's and the commands' cap).
MAX_LIFETIME_DAYS = 3650
#: The most uses an enrollment key may have (a PostgreSQL integer holds up to 2**31 - 1).
MAX_ENROLLMENT_USES = 1_000_000


def _check_name(model, name: str) -> None:
    """A name that fits the model's ``name`` column."""
    most = model._meta.get_field("name").max_length
    if not isinstance(name, str) or len(name) > most:
        raise KeyError_("invalid_name", f"a name has at most {most} characters")


def create_api_key(
    user,
    *,
    name: str = "",
    algorithm: str = HMAC_SHA256,
    public_key=None,
    expires_at: datetime | None = None,
    scopes=None,
    actor=None,
    request=None,
    via: str = "api",
):
    """``(api_key, secret)``; ``secret`` (bytes) only for hmac, shown once. ``scopes=None``
    means the ``DEFAULT_KEY_SCOPES`` setting; an empty list means none."""
    _check_name(ApiKey, name)
    clean_scopes = None if scopes is None else _clean_scopes(scopes)  # None: the defaults
    try:
        with transaction.atomic():
            key, secret = ApiKey.objects.create_key(
                user, name=name, algorithm=algorithm, public_key=public_key,
                expires_at=expires_at, scopes=clean_scopes,
            )
            clean_scopes = key.scopes
            events.record(
                SecurityEvent.KEY_CREATED, user=user, key_id=key.key_id, request=request,
                detail={"algorithm": algorithm, "via": via, "by": _actor_name(actor),
                        "scopes": clean_scopes},
            )
    except ValueError as exc:
        raise KeyError_("invalid_key", str(exc)) from None
    return key, secret


def clean_scopes(scopes) -> list[str]:
    """A list of scopes from a list or a space/comma separated string; refuses bad ones."""
    return _clean_scopes(scopes)


def _clean_scopes(scopes) -> list[str]:
    if isinstance(scopes, str):
        scopes = [s for s in scopes.replace(",", " ").split() if s]
    result = []
    for scope in scopes or ():
        if not isinstance(scope, str) or not scope or len(scope) > 64 or " " in scope:
            raise KeyError_("invalid_scope", f"not a scope: {scope!r}")
        if scope not in result:
            result.append(scope)
    return result


def rotate_api_key(
    key: ApiKey, *, grace: timedelta | None = None, public_key=None, actor=None, request=None,
    via: str = "api",
) -> bytes | None:
    """Give ``key`` a new secret (or public key); the old one verifies for ``grace``
    (``KEY_ROTATION_GRACE`` by default). Returns the new hmac secret, shown once.

    A rotation while the key is still in the overlap of an earlier one (a double submission in
    the admin, a retried call, a second rotation to lengthen the overlap) replaces the current
    secret and keeps the previous one, the secret the clients still hold, which then verifies
    for ``grace`` from now: a repeat never ends the secret that is deployed. The secret of the
    earlier rotation, never deployed or about to be replaced, stops verifying."""
    if grace is None:
        grace = timedelta(seconds=int(signed_api_settings.KEY_ROTATION_GRACE))
    if grace < timedelta(0):
        raise KeyError_("invalid_grace", "the grace period cannot be negative")
    if grace > MAX_ROTATION_GRACE:
        raise KeyError_("invalid_grace",
                        f"the grace period is at most {MAX_ROTATION_GRACE.days} days")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            raise KeyError_("key_revoked", "a revoked key cannot be rotated", http_status=409)
        now = timezone.now()
        secret = None
        in_overlap = key.previous_valid_until is not None and key.previous_valid_until > now
        if key.algorithm == HMAC_SHA256:
            if public_key is not None:
                raise KeyError_("invalid_key", "an hmac-sha256 key has no public key")
            in_overlap = in_overlap and bool(key.previous_secret_encrypted)
            if not in_overlap:
                # Re-seal the old secret under its "previous" context so it cannot be swapped
                # back.
                from ..core.keyring import KeyringError
                from ..state import keyring

                try:
                    old = keyring().decrypt(key.secret_encrypted, context=key._context)
                except KeyringError as exc:
                    # No master key opens it (the one that sealed it was removed too early, or
                    # SECRET_KEY changed without SECRET_KEY_FALLBACKS): it verifies nothing
                    # now, so there is no overlap to keep; the rotation is how the key
                    # recovers, with its new secret alone.
                    logger.error("signed_api: %s: its secret does not decrypt (%s); rotated "
                                 "without an overlap", key.key_id, exc)
                    key.previous_secret_encrypted = ""
                    grace = timedelta(0)
                else:
                    key.previous_secret_encrypted = keyring().encrypt(
                        old, context=key._previous_context
                    )
            secret = secrets.token_bytes(SECRET_BYTES)
            key.set_secret(secret)
        else:
            if public_key is None:
                raise KeyError_("invalid_key", f"rotating an {key.algorithm} key needs its new "
                                               "public key")
            in_overlap = in_overlap and bool(key.previous_public_key)
            if not in_overlap:
                key.previous_public_key = key.public_key
            try:
                key.set_public_key(public_key)
            except ValueError as exc:  # a public key that cannot be used: 400, as at creation
                raise KeyError_("invalid_key", str(exc)) from None
        key.previous_valid_until = now + grace
        key.rotated_at = now
        key.save()
        events.record(
            SecurityEvent.KEY_ROTATED, user=key.user, key_id=key.key_id, request=request,
            detail={"grace_seconds": int(grace.total_seconds()), "via": via,
                    "by": _actor_name(actor), "kept_previous": in_overlap},
        )
    return secret


def revoke_api_key(key: ApiKey, *, actor=None, request=None, via: str = "api") -> bool:
    """Revoke at once (irreversible). ``False`` if it was revoked already."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            return False
        key.revoke()
        events.record(
            SecurityEvent.KEY_REVOKED, user=key.user, key_id=key.key_id, request=request,
            detail={"via": via, "by": _actor_name(actor)},
        )
    return True


def extend_expiry(key: ApiKey, expires_at: datetime | None, *, actor=None, request=None,
                  via: str = "api") -> None:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            raise KeyError_("key_revoked", "a revoked key cannot be extended", http_status=409)
        key.expires_at = expires_at
        key.save(update_fields=["expires_at"])
        events.record(
            SecurityEvent.KEY_EXPIRY_CHANGED, user=key.user, key_id=key.key_id, request=request,
            detail={"expires_at": expires_at.isoformat() if expires_at else None, "via": via,
                    "by": _actor_name(actor)},
        )


# -- enrollment ------------------------------------------------------------------------------
def revoke_enrollment_key(enrollment: EnrollmentKey, *, actor=None, request=None,
                          via: str = "api") -> bool:
    """Revoke an enrollment key now (irreversible). ``False`` if it was revoked already."""
    with transaction.atomic():
        enrollment = EnrollmentKey.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.revoked_at is not None:
            return False
        enrollment.revoke()
        events.record(
            SecurityEvent.KEY_REVOKED, key_id=enrollment.key_id, request=request,
            user=actor if getattr(actor, "pk", None) else None,
            detail={"via": via, "by": _actor_name(actor), "kind": "enrollment"},
        )
    return True

def create_enrollment_key(*, name: str = "", uses: int, expires_at: datetime | None = None,
                          actor=None, request=None, via: str = "api"):
    """``(enrollment_key, secret)``: the secret is shown once."""
    if uses < 1:
        raise KeyError_("invalid_uses", "an enrollment key needs at least one use")
    if uses > MAX_ENROLLMENT_USES:
        raise KeyError_("invalid_uses", f"an enrollment key has at most {MAX_ENROLLMENT_USES} uses")
    _check_name(EnrollmentKey, name)
    secret = secrets.token_bytes(SECRET_BYTES)
    with transaction.atomic():
        enrollment = EnrollmentKey(
            key_id=new_key_id(signed_api_settings.ENROLLMENT_KEY_PREFIX),
            name=name,
            uses_left=uses,
            uses_total=uses,
            expires_at=expires_at,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        enrollment.set_secret(secret)
        enrollment.save(force_insert=True)
        events.record(
            SecurityEvent.ENROLLMENT_KEY_CREATED, user=actor if getattr(actor, "pk", None)
            else None, key_id=enrollment.key_id, request=request,
            detail={"uses": uses, "via": via},
        )
    return enrollment, secret


def enroll(enrollment: EnrollmentKey, *, username: str, algorithm: str = HMAC_SHA256,
           public_key=None, name: str = "", request=None):
    """Spend one use of ``enrollment`` on a new key for ``username``: ``(api_key, secret)``."""
    User = get_user_model()
    with transaction.atomic():
        spent = EnrollmentKey.objects.usable().filter(pk=enrollment.pk).update(
            uses_left=F("uses_left") - 1
        )
        if not spent:
            raise KeyError_("enrollment_used_up", "this enrollment key has no uses left",
                          http_status=403)
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise KeyError_("unknown_user", "no such user") from None
        if not user.is_active:
            raise KeyError_("unknown_user", "no such user")
        if user.is_staff or user.is_superuser:
            # An enrollment key is handed around in person: it must never mint a key that
            # can act as an administrator.
            raise KeyError_("staff_not_enrollable", "staff accounts cannot be enrolled")
        key, secret = create_api_key(
            user, name=name or f"enrolled with {enrollment.key_id}", algorithm=algorithm,
            public_key=public_key, request=request, via="enrollment",
        )
        events.record(
            SecurityEvent.ENROLLED, user=user, key_id=key.key_id, request=request,
            detail={"enrollment_key": enrollment.key_id, "algorithm": algorithm},
        )
        # Every process must see the new use count at once (the key may be used up now).
        EnrollmentKey.objects.get(pk=enrollment.pk).save(update_fields=["uses_left"])
    return key, secret
