"""Ending sessions and remember-me families: logout, "log out my other devices", a new password,
the second factor turned on or off, the session cap, theft of a remember token.

Every path that ends something comes here, so that each ended session's key is refused at once
in this process and, once the transaction commits, in every other (its state token is renewed and
published), and an ended family's tokens log nobody in again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import credentials
from ..models import LoginChallenge, RememberFamily, Session, new_state_token


def end_sessions(sessions) -> int:
    """End every live session of the queryset ``sessions`` in one UPDATE; their keys are
    refused at once here and, once committed, in every process. Returns how many ended."""
    key_ids = list(sessions.live().values_list("key_id", flat=True))
    if not key_ids:
        return 0
    token = new_state_token()
    ended = Session.objects.filter(key_id__in=key_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), state_token=token
    )
    for key_id in key_ids:
        credentials.key_cache.discard(key_id)

    def publish():
        for key_id in key_ids:
            credentials.publish_state(key_id, token)

    transaction.on_commit(publish)
    return ended


def end_families(families, reason: str) -> int:
    return families.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:32]
    )


def lock_pending_logins(user) -> None:
    """Lock the challenges of ``user`` (its pending logins), before anything else of a
    transaction that ends them and also touches the second factor. ``verify_challenge`` locks
    its challenge, then the second factor's rows (the TOTP device, a recovery code), so a path
    that locked the device first and then deleted the challenges (turning the factor off, the
    admin's reset) deadlocked against a verify in flight on PostgreSQL. Taken in this order,
    it waits for that verify instead, whose session it then ends with the others."""
    list(
        LoginChallenge.objects.select_for_update().filter(user=user).order_by("pk")
        .values_list("pk", flat=True)
    )


def end_sessions_of(user, *, reason: str, keep_session: Session | None = None,
                    keep_family: bool = False) -> int:
    """End every live session and remember family of ``user``, but ``keep_session`` (and, with
    ``keep_family``, the remember family it belongs to). Returns how many sessions ended.

    Called on a password change (everything ends), when the second factor is turned off (all
    but the session that did it) and for "log out my other devices" (all but the caller's
    session and its family).

    The user's pending logins (the challenges of 202s) are deleted first: one started with the
    old password would otherwise still give a session, and a remember family bound to the new
    password, when its second factor came. First, because a verify in flight holds its
    challenge's row lock: the delete waits for it, and the session it made is then ended with
    the others."""
    LoginChallenge.objects.filter(user=user).delete()
    sessions = Session.objects.filter(user=user)
    families = RememberFamily.objects.filter(user=user)
    if keep_session is not None:
        sessions = sessions.exclude(pk=keep_session.pk)
        if keep_family and keep_session.remember_family_id is not None:
            families = families.exclude(pk=keep_session.remember_family_id)
    end_families(families, reason)
    return end_sessions(sessions)


def revoke_family(family: RememberFamily, reason: str) -> None:
    """End the family (its tokens no longer log in) and every session it gave."""
    end_families(RememberFamily.objects.filter(pk=family.pk), reason)
    end_sessions(Session.objects.filter(remember_family=family))


def revoke_remember_tokens(user, reason: str) -> None:
    """End every remember-me family of ``user`` (the second factor was turned on)."""
    end_families(RememberFamily.objects.filter(user=user), reason)
