"""The audit log in the admin: read only, and not deletable here (``signed_api_cleanup`` removes
events past retention)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import SecurityEvent
from .base import NoSecretLookupsMixin, ReadOnlyMixin


@admin.register(SecurityEvent)
class SecurityEventAdmin(NoSecretLookupsMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "username", "key_id", "client_address", "detail")
    list_filter = ("kind", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("username", "key_id")
    search_help_text = _("Username or key id")
    fields = ("created_at", "kind", "user", "username", "key_id", "client_address", "detail")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False  # signed_api_cleanup removes events past retention
