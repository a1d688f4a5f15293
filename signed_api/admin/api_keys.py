"""The admin of API keys: create (an hmac secret is generated, or a client's public key
registered), rotate with overlap, revoke, extend the expiry; edit name, scopes and expiry while
not revoked. Every write goes through ``services.keys``, like the API views and the management
commands; a new secret is shown once, in a message.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ..conf import signed_api_settings
from ..core import HMAC_SHA256
from ..models import ALGORITHM_CHOICES, PUBLIC_KEY_ALGORITHMS, ApiKey
from ..services import keys
from .actions import Confirm, audited, object_action
from .base import (
    MAX_NEW_SECRETS,
    AddFormMixin,
    NewSecretsMixin,
    NoSecretLookupsMixin,
    adopt,
    record,
    show_secret,
    username_lookup,
    when,
)

EXTEND_BY = timedelta(days=30)


class ScopesField(forms.CharField):
    """Scopes typed as text, separated by spaces or commas; a list in the model."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Scopes"))
        kwargs.setdefault(
            "help_text",
            _("Separated by spaces or commas, e.g. <code>notes:read notes:write</code>. "
              "Empty: nothing that requires a scope."),
        )
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return " ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        try:
            return keys.clean_scopes(text)
        except keys.KeyError_ as exc:
            raise ValidationError(exc.detail, code=exc.code) from None


class ApiKeyAddForm(forms.ModelForm):
    public_key_pem = forms.CharField(
        label=_("Public key (PEM)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70, "spellcheck": "false"}),
        help_text=_("PEM (SubjectPublicKeyInfo) of the client's key: required for ed25519 and "
                    "ecdsa-p256-sha256, refused for hmac-sha256, whose secret is generated here."),
    )
    scopes = ScopesField()

    class Meta:
        model = ApiKey
        fields = ("user", "name", "algorithm", "scopes", "expires_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = " ".join(signed_api_settings.DEFAULT_KEY_SCOPES)
        self.fields["scopes"].help_text = format_html(
            "{} <code>notes:read notes:write</code>. {}",
            _("Separated by spaces or commas, e.g."),
            _("Empty: the default scopes (DEFAULT_KEY_SCOPES): %(defaults)s.")
            % {"defaults": defaults or _("none")},
        )
        allowed = tuple(signed_api_settings.ALGORITHMS)
        field = self.fields["algorithm"]
        field.choices = [(value, label) for value, label in ALGORITHM_CHOICES if value in allowed]
        field.initial = HMAC_SHA256 if HMAC_SHA256 in allowed else field.choices[0][0]

    #: The admin user filling the form in (set by ``ApiKeyAdmin.get_form``).
    actor = None

    def clean_user(self):
        owner = self.cleaned_data.get("user")
        if owner is not None and self.actor is not None and not may_hold_keys_for(
            self.actor, owner
        ):
            raise ValidationError(_NOT_FOR_THIS_OWNER)
        return owner

    def clean(self):
        data = super().clean()
        algorithm = data.get("algorithm")
        pem = (data.get("public_key_pem") or "").strip()
        if algorithm == HMAC_SHA256:
            if pem:
                self.add_error("public_key_pem", _(
                    "An hmac-sha256 key has a shared secret, generated here: leave the public "
                    "key empty."))
        elif algorithm in PUBLIC_KEY_ALGORITHMS:
            if not pem:
                self.add_error("public_key_pem", _("An %(algorithm)s key needs the client's "
                                                   "public key (PEM).") % {"algorithm": algorithm})
            else:
                try:
                    ApiKey(algorithm=algorithm).set_public_key(pem)
                except ValueError as exc:
                    self.add_error("public_key_pem", str(exc))
        data["public_key_pem"] = pem
        return data


def may_hold_keys_for(actor, owner) -> bool:
    """Whether ``actor`` may create, rotate or change the API keys of ``owner`` in the admin: a
    superuser for anyone, any other staff user only for themselves and for users who are
    neither staff nor superusers. A key is its owner's identity: minting or rotating one for a
    superuser would hand a staff user with the API-key permissions the superuser's powers
    through the API (the enrollment endpoint refuses staff accounts for the same reason)."""
    if actor.is_superuser or owner.pk == actor.pk:
        return True
    return not (owner.is_staff or owner.is_superuser)


_NOT_FOR_THIS_OWNER = _(
    "Only a superuser can create, rotate or change the keys of a staff user or a superuser."
)


class ApiKeyChangeForm(forms.ModelForm):
    scopes = ScopesField()

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "expires_at")

    def clean(self):
        data = super().clean()
        if self.instance.pk and ApiKey.objects.filter(
            pk=self.instance.pk, revoked_at__isnull=False
        ).exists():
            raise ValidationError(_("This key has been revoked meanwhile; it cannot change."))
        return data


class ApiKeyStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("active", _("active")),
            ("rotating", _("rotating")),
            ("expired", _("expired")),
            ("revoked", _("revoked")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        not_revoked = Q(revoked_at__isnull=True)
        not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        overlapping = Q(previous_valid_until__gt=now)
        value = self.value()
        if value == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if value == "expired":
            return queryset.filter(not_revoked, expires_at__lte=now)
        if value == "rotating":
            return queryset.filter(not_revoked, not_expired, overlapping)
        if value == "active":
            return queryset.filter(not_revoked, not_expired).exclude(overlapping)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(NoSecretLookupsMixin, NewSecretsMixin, AddFormMixin, admin.ModelAdmin):
    form = ApiKeyChangeForm
    add_form = ApiKeyAddForm
    list_display = (
        "key_id", "user", "name", "algorithm", "status_display", "created_at", "last_used_at",
        "expires_at",
    )
    list_filter = ("algorithm", ApiKeyStatusFilter, "created_at")
    list_select_related = ("user",)
    search_help_text = _("Key id, name or owner's username")
    raw_id_fields = ("user",)
    actions = ("rotate_keys", "revoke_keys", "extend_expiry")
    add_fieldsets = (
        (None, {"fields": ("user", "name", "algorithm", "public_key_pem", "scopes",
                           "expires_at")}),
    )
    history_fields = ("created_at", "last_used_at", "rotated_at", "previous_valid_until",
                      "revoked_at")
    readonly_fields = (
        "key_id", "user", "algorithm", "status_display", "scopes_display", "public_key_display",
        *history_fields,
    )

    def get_search_fields(self, request):
        return ("key_id", "name", username_lookup())

    # -- forms -------------------------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        scopes = "scopes_display" if obj.revoked_at is not None else "scopes"
        fieldsets = [
            (None, {"fields": ("key_id", "user", "name", "algorithm", "status_display", scopes,
                               "expires_at")}),
        ]
        if obj.algorithm in PUBLIC_KEY_ALGORITHMS:
            fieldsets.append((_("Public key"), {"fields": ("public_key_display",)}))
        fieldsets.append((_("History"), {"fields": self.history_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form = type(form.__name__, (form,), {"actor": request.user})
        return form

    def has_change_permission(self, request, obj=None):
        # Revocation is irreversible: a revoked key's page is read only (and the model refuses
        # to un-revoke in any case).
        if obj is not None and obj.revoked_at is not None:
            return None
        if obj is not None and not may_hold_keys_for(request.user, obj.user):
            return False
        return super().has_change_permission(request, obj)

    # -- columns -----------------------------------------------------------------------------
    @admin.display(description=_("status"))
    def status_display(self, obj):
        return obj.status

    @admin.display(description=_("scopes"))
    def scopes_display(self, obj):
        return " ".join(obj.scopes or ()) or "-"

    @admin.display(description=_("public key (PEM)"))
    def public_key_display(self, obj):
        # A public key is public; it is shown so an operator can compare it with the client's.
        return format_html("<pre>{}</pre>", obj.public_key) if obj.public_key else "-"

    # -- saving goes through the services ------------------------------------------------------
    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            key, secret = keys.create_api_key(
                data["user"],
                name=data.get("name") or "",
                algorithm=data["algorithm"],
                public_key=data.get("public_key_pem") or None,
                expires_at=data.get("expires_at"),
                scopes=data.get("scopes") or None,  # empty: DEFAULT_KEY_SCOPES
                actor=request.user,
                request=request,
                via="admin",
            )
            adopt(obj, key)
            record(request, "create_key", user=key.user, key_id=key.key_id)
            if secret is not None:
                show_secret(request, "api_key", key.key_id, secret)
            return
        with transaction.atomic():
            current = ApiKey.objects.select_for_update().get(pk=obj.pk)
            if current.revoked_at is not None:
                messages.error(request, _("%(key)s is revoked; nothing was changed.")
                               % {"key": obj.key_id})
                return
            fields = [name for name in ("name", "scopes") if name in form.changed_data]
            if fields:
                obj.save(update_fields=fields)
            if "expires_at" in form.changed_data:
                keys.extend_expiry(obj, obj.expires_at, actor=request.user, request=request,
                                   via="admin")
            if form.changed_data:
                record(request, "change_key", user=obj.user, key_id=obj.key_id,
                        fields=list(form.changed_data), scopes=list(obj.scopes or ()))

    def delete_model(self, request, obj):
        self.delete_queryset(request, ApiKey.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        # Revoke first (the services' audit trail), then delete.
        with transaction.atomic():
            for key in queryset.select_related("user"):
                keys.revoke_api_key(key, actor=request.user, request=request, via="admin")
                record(request, "delete_key", user=key.user, key_id=key.key_id)
                key.delete()

    # -- actions (signed_api.admin.actions) ------------------------------------------------------
    @object_action(
        "rotate_key",
        description=_("Rotate the selected keys (new secret; the old one keeps working for the "
                      "grace period)"),
        permissions=["change"],
        done=ngettext_lazy("Rotated %(count)d key.", "Rotated %(count)d keys.", "count"),
        report_none=False,
        at_most=MAX_NEW_SECRETS,  # each new secret is shown on the page that follows
    )
    def rotate_keys(self, request, key):
        if not may_hold_keys_for(request.user, key.user):
            messages.error(request, f"{key.key_id}: {_NOT_FOR_THIS_OWNER}")
            return None
        if key.revoked_at is not None:
            messages.error(request, _("%(key)s is revoked and cannot be rotated.")
                           % {"key": key.key_id})
            return None
        if key.algorithm != HMAC_SHA256:
            messages.error(request, _(
                "%(key)s is an %(algorithm)s key: its private key is held by the client, so "
                "rotating it needs the client's new public key, which the admin cannot "
                "generate. Rotate it with `manage.py signed_api_rotatekey %(key)s "
                "--public-key PEMFILE` or the client's POST keys/%(key)s/rotate/."
            ) % {"key": key.key_id, "algorithm": key.algorithm})
            return None
        try:
            secret = keys.rotate_api_key(key, actor=request.user, request=request, via="admin")
        except keys.KeyError_ as exc:
            messages.error(request, f"{key.key_id}: {exc.detail}")
            return None
        key.refresh_from_db()
        show_secret(request, "rotated", key.key_id, secret, until=when(key.previous_valid_until))
        return audited(user=key.user, key_id=key.key_id)

    @object_action(
        "revoke_key",
        description=_("Revoke the selected keys (irreversible)"),
        permissions=["change"],
        confirm=Confirm(
            title=_("Revoke API keys"),
            question=_("Revoke these keys? Every request signed with them is refused at once, "
                       "and a revoked key can never be used again."),
            button=_("Yes, revoke"),
        ),
        done=ngettext_lazy("Revoked %(count)d key.", "Revoked %(count)d keys.", "count"),
        skipped=ngettext_lazy("%(count)d key was revoked already.",
                              "%(count)d keys were revoked already.", "count"),
    )
    def revoke_keys(self, request, key):
        if keys.revoke_api_key(key, actor=request.user, request=request, via="admin"):
            return audited(user=key.user, key_id=key.key_id)
        return None

    @object_action("extend_expiry",
                   description=_("Extend the expiry of the selected keys by 30 days"),
                   permissions=["change"])
    def extend_expiry(self, request, key):
        if not may_hold_keys_for(request.user, key.user):
            messages.error(request, f"{key.key_id}: {_NOT_FOR_THIS_OWNER}")
            return None
        if key.revoked_at is not None:
            messages.error(request, _("%(key)s is revoked; its expiry cannot change.")
                           % {"key": key.key_id})
            return None
        if key.expires_at is None:
            messages.info(request, _("%(key)s never expires; left as it is.")
                          % {"key": key.key_id})
            return None
        new_expiry = max(key.expires_at, timezone.now()) + EXTEND_BY
        try:
            keys.extend_expiry(key, new_expiry, actor=request.user, request=request, via="admin")
        except keys.KeyError_ as exc:
            messages.error(request, f"{key.key_id}: {exc.detail}")
            return None
        messages.success(request, _("%(key)s now expires at %(when)s.")
                         % {"key": key.key_id, "when": when(new_expiry)})
        return audited(user=key.user, key_id=key.key_id, expires_at=new_expiry.isoformat())
