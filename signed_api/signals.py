"""signed_api's own signals, and the receivers that keep every process's key cache honest.

Signals you can connect to (all sent after the fact, with ``sender`` the model class):

- ``session_created(user, session, request, via)``: a session was issued (``via`` is
  ``"password"``, ``"second_factor"`` or ``"remember_token"``);
- ``session_revoked(user, session)``: a session was ended by its owner;
- ``second_factor_failed(user, request)``: a wrong TOTP or recovery code;
- ``remember_token_reused(user, family, request)``: a consumed remember token came back after
  the grace period, i.e. it was stolen; the family and its sessions are already revoked.
- ``security_event(event, request)``: any audit-log entry was written (``event`` is the
  ``SecurityEvent``; key created / rotated / revoked, logins, replays, admin actions...).

Django's own ``user_logged_in`` and ``user_login_failed`` are sent by the login flow too.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from . import keystore

session_created = Signal()
session_revoked = Signal()
second_factor_failed = Signal()
remember_token_reused = Signal()
security_event = Signal()


def user_saved(sender, instance, **kwargs):
    """A change to a user (deactivated, new password...) invalidates the cached copies of all
    their credentials, API keys and sessions: every process re-reads the owner on the next
    request."""
    from .models import ApiKey, Session, new_state_token

    token = new_state_token()
    changed = []
    for model in (ApiKey, Session):
        rows = model.objects.filter(user_id=instance.pk)
        if model is Session:
            rows = rows.filter(revoked_at__isnull=True)
        key_ids = list(rows.values_list("key_id", flat=True))
        if key_ids:
            model.objects.filter(key_id__in=key_ids).update(state_token=token)
            changed += key_ids
    for key_id in changed:
        keystore.key_cache.discard(key_id)

    def publish():
        for key_id in changed:
            keystore.publish_state(key_id, token)

    if changed:
        transaction.on_commit(publish)


def credential_deleted(sender, instance, **kwargs):
    """A deleted API key, session or enrollment key is refused at once in every process."""
    key_id = instance.key_id
    keystore.key_cache.discard(key_id)
    transaction.on_commit(lambda: keystore.publish_state(key_id, "deleted"))
