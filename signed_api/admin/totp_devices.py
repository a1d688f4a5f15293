"""The admin of TOTP devices, the second factor: list, reset (the device, its recovery codes
and the user's remember-me tokens go; the user enrols again). Seeds are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ..models import TOTPDevice
from ..services import second_factor
from .actions import Confirm, audited, object_action
from .base import (
    DeleteEachMixin,
    ManageMixin,
    NoSecretLookupsMixin,
    ReadOnlyMixin,
    record,
    username_lookup,
)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(
    NoSecretLookupsMixin, ManageMixin, ReadOnlyMixin, DeleteEachMixin, admin.ModelAdmin
):
    list_display = ("user", "created_at", "is_confirmed", "confirmed_at")
    list_filter = ("created_at", "confirmed_at")
    list_select_related = ("user",)
    fields = ("user", "created_at", "confirmed_at")
    readonly_fields = fields
    actions = ("reset_devices",)

    def get_search_fields(self, request):
        return (username_lookup(),)

    @admin.display(description=_("confirmed"), boolean=True)
    def is_confirmed(self, obj):
        return obj.confirmed_at is not None

    def delete_model(self, request, obj):
        # A reset, not a bare delete: recovery codes and remember-me tokens go too (the reset
        # deletes the device itself).
        second_factor.reset(obj.user, actor=request.user)
        record(request, "reset_second_factor", user=obj.user)

    @object_action(
        "reset_second_factor",
        description=_("Reset the selected devices (the users log in with their password alone "
                      "until they enrol again)"),
        permissions=["manage"],
        confirm=Confirm(
            title=_("Reset TOTP devices"),
            question=_("Reset these devices? Their recovery codes and remember-me tokens are "
                       "deleted too, and the users log in with their password alone until they "
                       "enrol a new device."),
            button=_("Yes, reset"),
        ),
        done=ngettext_lazy("Reset %(count)d device.", "Reset %(count)d devices.", "count"),
    )
    def reset_devices(self, request, device):
        if second_factor.reset(device.user, actor=request.user):
            return audited(user=device.user)
        return None
