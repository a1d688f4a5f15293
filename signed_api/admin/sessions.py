"""The admin of sessions (what a login gives): list, search, revoke; nothing to add or edit.
A device-bound session shows its key's algorithm and RFC 7638 thumbprint (and public key)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ..models import Session
from ..services import sessions as session_service
from .actions import Confirm, audited, object_action
from .base import (
    DeleteEachMixin,
    ManageMixin,
    NoSecretLookupsMixin,
    ReadOnlyMixin,
    record,
    username_lookup,
)


class SessionLiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", _("live")), ("ended", _("revoked or expired"))]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.live()
        if self.value() == "ended":
            return queryset.dead()
        return queryset


@admin.register(Session)
class SessionAdmin(
    NoSecretLookupsMixin, ManageMixin, ReadOnlyMixin, DeleteEachMixin, admin.ModelAdmin
):
    list_display = (
        "key_id", "user", "device_name", "client_address", "created_at", "last_seen_at",
        "expires_at", "revoked_at", "is_live", "binding",
    )
    list_filter = (SessionLiveFilter, "algorithm", "created_at")
    list_select_related = ("user",)
    search_help_text = _("Session id, username or device")
    fields = (
        "key_id", "user", "device_name", "client_address", "user_agent", "created_at",
        "last_seen_at", "idle_timeout", "idle_expires_at", "expires_at", "revoked_at",
        "remember_family", "algorithm", "key_thumbprint", "public_key",
    )
    readonly_fields = fields
    actions = ("revoke_sessions",)

    def get_search_fields(self, request):
        return ("key_id", username_lookup(), "device_name", "key_thumbprint")

    @admin.display(description=_("device key"))
    def binding(self, obj):
        """``ecdsa-p256-sha256 <RFC 7638 thumbprint>`` for a device-bound session, else ``-``."""
        return f"{obj.algorithm} {obj.key_thumbprint}" if obj.is_device_bound else "-"

    @admin.display(description=_("live"), boolean=True)
    def is_live(self, obj):
        return obj.is_live

    def end(self, request, obj):
        session_service.revoke_session(obj.user, obj.key_id)
        record(request, "delete_session", user=obj.user, key_id=obj.key_id)

    @object_action(
        "revoke_session",
        description=_("Revoke the selected sessions"),
        permissions=["manage"],
        confirm=Confirm(
            title=_("Revoke sessions"),
            question=_("Revoke these sessions? Their keys stop working at once; the users "
                       "have to log in again."),
            button=_("Yes, revoke"),
        ),
        done=ngettext_lazy("Revoked %(count)d session.", "Revoked %(count)d sessions.",
                           "count"),
    )
    def revoke_sessions(self, request, session):
        if session_service.revoke_session(session.user, session.key_id):
            return audited(user=session.user, key_id=session.key_id)
        return None
