"""The admin of remember-me token families: list, revoke (their tokens and the sessions they
gave end too); token hashes are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ..models import RememberFamily
from ..services import remember
from .actions import Confirm, audited, object_action
from .base import (
    DeleteEachMixin,
    ManageMixin,
    NoSecretLookupsMixin,
    ReadOnlyMixin,
    record,
    username_lookup,
)


@admin.register(RememberFamily)
class RememberFamilyAdmin(
    NoSecretLookupsMixin, ManageMixin, ReadOnlyMixin, DeleteEachMixin, admin.ModelAdmin
):
    list_display = ("id", "user", "device_name", "created_at", "expires_at", "revoked_at",
                    "revoked_reason", "token_count", "binding")
    list_filter = ("revoked_reason", "created_at")
    list_select_related = ("user",)
    fields = ("user", "device_name", "created_at", "expires_at", "revoked_at", "revoked_reason",
              "algorithm", "key_thumbprint", "public_key")
    readonly_fields = fields
    actions = ("revoke_families",)

    def get_search_fields(self, request):
        return (username_lookup(), "device_name")

    @admin.display(description=_("device key"))
    def binding(self, obj):
        """The device key its tokens need (algorithm and RFC 7638 thumbprint), else ``-``."""
        return f"{obj.algorithm} {obj.key_thumbprint}" if obj.is_device_bound else "-"

    @admin.display(description=_("tokens issued"))
    def token_count(self, obj):
        return obj.tokens.count()

    def end(self, request, obj):
        remember.revoke_family(obj, "admin")
        record(request, "delete_remember_family", user=obj.user, family=obj.pk)

    @object_action(
        "revoke_remember_family",
        description=_("Revoke the selected remember-me families (and their sessions)"),
        permissions=["manage"],
        confirm=Confirm(
            title=_("Revoke remember-me tokens"),
            question=_("Revoke these remember-me token families? Their tokens stop working and "
                       "every session they gave is ended."),
            button=_("Yes, revoke"),
        ),
        done=ngettext_lazy("Revoked %(count)d remember-me family.",
                           "Revoked %(count)d remember-me families.", "count"),
    )
    def revoke_families(self, request, family):
        if family.revoked_at is not None:
            return None
        remember.revoke_family(family, "admin")
        return audited(user=family.user, family=family.pk)
