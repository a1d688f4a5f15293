"""Signal receivers that keep every process's key cache honest."""

from __future__ import annotations

from django.db import transaction

from . import keystore


def user_saved(sender, instance, **kwargs):
    """A change to a user (deactivated, new password...) invalidates the caches of their keys:
    every process re-reads the owner on the next request."""
    from .models import ApiKey, new_state_token

    keys = list(ApiKey.objects.filter(user_id=instance.pk).values_list("key_id", flat=True))
    if not keys:
        return
    token = new_state_token()
    ApiKey.objects.filter(user_id=instance.pk).update(state_token=token)

    def publish():
        for key_id in keys:
            keystore.publish_state(key_id, token)

    transaction.on_commit(publish)


def api_key_deleted(sender, instance, **kwargs):
    key_id = instance.key_id
    transaction.on_commit(lambda: keystore.publish_state(key_id, "deleted"))
