"""Receivers that keep every process's view of credentials honest (connected in ``apps.py``).

- a saved or deleted API key, session or enrollment key publishes its new state, so every
  process drops its cached copy at once;
- a change to a user that matters (password, activity, ...) renews the state of all their
  credentials, and a new password ends every session and remember family of the user; a save
  of ``last_login`` alone (every login) changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from . import credentials

# Fields of a user whose change does not touch any credential: a login writes last_login, and
# must not make every process re-read every key and session of the user.
IGNORED_USER_FIELDS = frozenset({"last_login"})


def _compared_fields(model, update_fields) -> list[str]:
    names = [
        f.attname for f in model._meta.concrete_fields
        if f.name not in IGNORED_USER_FIELDS and f.attname not in IGNORED_USER_FIELDS
    ]
    if update_fields is not None:
        wanted = set(update_fields)
        names = [n for n in names if n in wanted or n.removesuffix("_id") in wanted]
    return [n for n in names if n != model._meta.pk.attname]


def user_about_to_save(sender, instance, raw=False, update_fields=None, using=None, **kwargs):
    """Before a user is saved: read what the stored row holds, so ``user_saved`` can tell what
    changed (a save of ``last_login`` alone reads nothing)."""
    instance.__dict__.pop("_signed_api_stored", None)
    if raw or instance.pk is None or instance._state.adding:
        return
    fields = _compared_fields(sender, update_fields)
    stored = None
    if fields:
        stored = sender._base_manager.using(using).filter(pk=instance.pk).values(*fields).first()
    instance._signed_api_stored = (fields, stored)


def _is_hash_upgrade(instance, update_fields) -> bool:
    """``check_password()`` re-hashing a correct password with a newer hasher: the same
    password, so not a change (Django clears ``_password`` for exactly this save)."""
    return (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(instance, "_password", None) is None
    )


def _rebind_remember_families(user, old_hash: str) -> None:
    """A hash upgrade is the same password: the user's live remember-me families bound to the old
    hash are bound to the new one (they would be ended as ``credentials_changed`` at their next
    exchange). Without the old hash (no snapshot) they are left to end: the safe side."""
    from .models import RememberFamily
    from .services.second_factor import fingerprint

    RememberFamily.objects.filter(
        user=user, revoked_at__isnull=True,
        auth_fingerprint=fingerprint(user, password_hash=old_hash),
    ).update(auth_fingerprint=fingerprint(user))


def user_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    """A change to a user that matters (deactivated, new password, any field but
    ``last_login``...) invalidates the cached copies of all their credentials, API keys and
    sessions: every process re-reads the owner on the next request. A new password also ends
    every session and remember-me family of the user (docs/sessions.md)."""
    from .models import ApiKey, Session, new_state_token

    snapshot = instance.__dict__.pop("_signed_api_stored", None)
    if created or raw:
        return
    if snapshot is None:
        # No snapshot (user_about_to_save is not connected): assume every field changed.
        fields, stored = _compared_fields(sender, update_fields), None
    else:
        fields, stored = snapshot
    if not fields:
        return  # only last_login was saved
    if stored is None:  # nothing to compare with: change everything, to be safe
        changed = set(fields)
    else:
        changed = {name for name in fields if getattr(instance, name, None) != stored[name]}
    if not changed:
        return
    if "password" in changed and _is_hash_upgrade(instance, update_fields):
        if stored is not None:
            _rebind_remember_families(instance, stored["password"])
    elif "password" in changed:
        from .services.endings import end_sessions_of

        end_sessions_of(instance, reason="password_changed")

    token = new_state_token()
    changed_ids = []
    for model in (ApiKey, Session):
        rows = model.objects.filter(user_id=instance.pk)
        if model is Session:
            rows = rows.filter(revoked_at__isnull=True)
        key_ids = list(rows.values_list("key_id", flat=True))
        if key_ids:
            model.objects.filter(key_id__in=key_ids).update(state_token=token)
            changed_ids += key_ids
    for key_id in changed_ids:
        credentials.key_cache.discard(key_id)

    def publish():
        for key_id in changed_ids:
            credentials.publish_state(key_id, token)

    if changed_ids:
        transaction.on_commit(publish)


def credential_saved(sender, instance, using=None, **kwargs):
    """A saved API key, session or enrollment key carries a new state token: this process
    forgets its copy now (so the change applies here even before the transaction commits, e.g.
    inside a test), and every other process once it has committed."""
    key_id, token = instance.key_id, instance.state_token
    credentials.key_cache.discard(key_id)
    transaction.on_commit(lambda: credentials.publish_state(key_id, token), using=using)


def credential_deleted(sender, instance, **kwargs):
    """A deleted API key, session or enrollment key is refused at once in every process."""
    key_id = instance.key_id
    credentials.key_cache.discard(key_id)
    transaction.on_commit(lambda: credentials.publish_state(key_id, "deleted"))
