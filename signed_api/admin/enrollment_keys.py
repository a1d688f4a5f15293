"""The admin of enrollment keys (a device enrols with one, ``POST enroll/``): create (the secret
is shown once, in a message), revoke; a key's page is read only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ..models import EnrollmentKey
from ..services import keys
from .actions import Confirm, audited, object_action
from .base import (
    AddFormMixin,
    DeleteEachMixin,
    ManageMixin,
    NewSecretsMixin,
    NoSecretLookupsMixin,
    adopt,
    record,
    show_secret,
)


class EnrollmentKeyAddForm(forms.ModelForm):
    class Meta:
        model = EnrollmentKey
        fields = ("name", "uses_left", "expires_at")
        labels = {"uses_left": _("uses")}
        help_texts = {"uses_left": _("How many devices may enrol with it.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["uses_left"].min_value = 1
        self.fields["uses_left"].widget.attrs["min"] = 1
        self.fields["uses_left"].widget.attrs["max"] = keys.MAX_ENROLLMENT_USES
        self.fields["uses_left"].initial = 1

    def clean_uses_left(self):
        uses = self.cleaned_data["uses_left"]
        if uses is not None and uses < 1:
            raise ValidationError(_("An enrollment key needs at least one use."))
        if uses is not None and uses > keys.MAX_ENROLLMENT_USES:
            raise ValidationError(_("An enrollment key has at most %(most)d uses.")
                                  % {"most": keys.MAX_ENROLLMENT_USES})
        return uses


@admin.register(EnrollmentKey)
class EnrollmentKeyAdmin(
    NoSecretLookupsMixin, NewSecretsMixin, ManageMixin, AddFormMixin, DeleteEachMixin,
    admin.ModelAdmin,
):
    add_form = EnrollmentKeyAddForm
    list_display = ("key_id", "name", "status_display", "uses_left", "uses_total", "created_at",
                    "expires_at", "created_by")
    list_filter = ("created_at",)
    list_select_related = ("created_by",)
    search_fields = ("key_id", "name")
    view_fields = ("key_id", "name", "status_display", "uses_left", "uses_total", "created_at",
                   "expires_at", "revoked_at", "created_by")
    readonly_fields = view_fields
    actions = ("revoke_enrollment_keys",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "uses_left", "expires_at")
        return self.view_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.view_fields

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description=_("status"))
    def status_display(self, obj):
        return obj.status

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover - the change page is read only
            return
        data = form.cleaned_data
        enrollment, secret = keys.create_enrollment_key(
            name=data.get("name") or "",
            uses=data["uses_left"],
            expires_at=data.get("expires_at"),
            actor=request.user,
            request=request,
            via="admin",
        )
        adopt(obj, enrollment)
        record(request, "create_enrollment_key", key_id=enrollment.key_id,
               uses=enrollment.uses_total)
        show_secret(request, "enrollment_key", enrollment.key_id, secret)

    def end(self, request, obj):
        keys.revoke_enrollment_key(obj, actor=request.user, request=request, via="admin")
        record(request, "delete_enrollment_key", key_id=obj.key_id)

    @object_action(
        "revoke_enrollment_key",
        description=_("Revoke the selected enrollment keys (irreversible)"),
        permissions=["manage"],
        confirm=Confirm(
            title=_("Revoke enrollment keys"),
            question=_("Revoke these enrollment keys? Nobody can enrol with them any more; keys "
                       "already enrolled keep working."),
            button=_("Yes, revoke"),
        ),
        done=ngettext_lazy("Revoked %(count)d enrollment key.",
                           "Revoked %(count)d enrollment keys.", "count"),
    )
    def revoke_enrollment_keys(self, request, enrollment):
        if keys.revoke_enrollment_key(enrollment, actor=request.user, request=request,
                                      via="admin"):
            return audited(key_id=enrollment.key_id)
        return None
