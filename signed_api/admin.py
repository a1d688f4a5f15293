"""The Django admin: the whole key lifecycle for operators, and nothing secret on any page.

What an operator can do here, each through the same service functions as the API views and the
management commands (``services.keys``, ``services.sessions``, ``services.second_factor``):

- **API keys**: create (an hmac secret is generated, or a client's public key registered), rotate
  with overlap, revoke, extend the expiry; edit name, scopes and expiry while not revoked.
- **Sessions** and **remember-me families**: revoke. **TOTP devices**: reset.
- **Enrollment keys**: create, revoke. **Security events**: read only.

Secrets (djangorestframework-api-key's rule): a new secret is shown once, base64url as clients
use it, in a warning message on the page after the save or the action, and never in a list
column, a form field or a change page. Encrypted secrets, seeds, token hashes, fingerprints and
state tokens are never displayed at all. Recovery codes, remember tokens and login challenges
hold nothing but hashes and bookkeeping, so they are not registered.

Every admin write also records a ``SecurityEvent`` of kind ``admin_action`` with
``{"action": ..., "by": <admin username>}``; the services record their own events besides.
Irreversible actions (revoke, reset) ask for confirmation first, like Django's "delete selected".
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .client.auth import encode_secret
from .conf import signed_api_settings
from .core import HMAC_SHA256
from .models import (
    ALGORITHM_CHOICES,
    PUBLIC_KEY_ALGORITHMS,
    ApiKey,
    EnrollmentKey,
    RememberFamily,
    SecurityEvent,
    Session,
    TOTPDevice,
)
from .services import events, keys, second_factor, sessions

EXTEND_BY = timedelta(days=30)
CONFIRM_TEMPLATE = "admin/signed_api/confirm_action.html"


# -- helpers ---------------------------------------------------------------------------------------
def _username_lookup() -> str:
    return "user__" + get_user_model().USERNAME_FIELD


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "-"


def _record(request, action: str, *, user=None, key_id: str = "", **extra) -> None:
    """The audit-log entry of one admin write (never a secret in ``extra``)."""
    events.record(
        SecurityEvent.ADMIN_ACTION,
        user=user,
        key_id=key_id,
        request=request,
        detail={"action": action, "by": request.user.get_username(), **extra},
    )


def _show_secret(request, text: str, secret: bytes) -> None:
    """The one and only time a secret is displayed: a warning message, base64url."""
    messages.warning(
        request,
        format_html(
            '{} <code class="signed-api-secret">{}</code> {}',
            text,
            encode_secret(secret),
            _("Copy it now: it is shown this once and cannot be shown again."),
        ),
    )


def _confirm(modeladmin, request, queryset, *, action: str, title: str, question: str,
             button: str):
    """An intermediate page for an irreversible action; ``None`` once confirmed."""
    if request.POST.get("post") == "yes":
        return None
    opts = modeladmin.model._meta
    request.current_app = modeladmin.admin_site.name
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "question": question,
        "button": button,
        "objects": list(queryset),
        "opts": opts,
        "app_label": opts.app_label,
        "action_name": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


class _ManageMixin:
    """``permissions=["manage"]`` on an action: the model's change permission, even where the
    change page itself is read only."""

    def has_manage_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


# ==============================================================================================
# API keys
# ==============================================================================================
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
class ApiKeyAdmin(admin.ModelAdmin):
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
        return ("key_id", "name", _username_lookup())

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

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Revocation is irreversible: a revoked key's page is read only (and the model refuses
        # to un-revoke in any case).
        if obj is not None and obj.revoked_at is not None:
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
            # The admin goes on with ``obj`` (log entry, redirect): make it the created key.
            obj.pk = key.pk
            obj.refresh_from_db()
            obj._state.adding = False
            _record(request, "create_key", user=key.user, key_id=key.key_id)
            if secret is not None:
                _show_secret(request, _("The secret of API key %(key)s is") % {"key": key.key_id},
                             secret)
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
                _record(request, "change_key", user=obj.user, key_id=obj.key_id,
                        fields=list(form.changed_data), scopes=list(obj.scopes or ()))

    def delete_model(self, request, obj):
        self.delete_queryset(request, ApiKey.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        # Revoke first (the services' audit trail), then delete.
        with transaction.atomic():
            for key in queryset.select_related("user"):
                keys.revoke_api_key(key, actor=request.user, request=request, via="admin")
                _record(request, "delete_key", user=key.user, key_id=key.key_id)
                key.delete()

    # -- actions -----------------------------------------------------------------------------
    @admin.action(description=_("Rotate the selected keys (new secret; the old one keeps "
                                "working for the grace period)"), permissions=["change"])
    def rotate_keys(self, request, queryset):
        rotated = 0
        for key in queryset.select_related("user"):
            if key.revoked_at is not None:
                messages.error(request, _("%(key)s is revoked and cannot be rotated.")
                               % {"key": key.key_id})
                continue
            if key.algorithm != HMAC_SHA256:
                messages.error(request, _(
                    "%(key)s is an %(algorithm)s key: its private key is held by the client, so "
                    "rotating it needs the client's new public key, which the admin cannot "
                    "generate. Rotate it with `manage.py signed_api_rotatekey %(key)s "
                    "--public-key PEMFILE` or the client's POST keys/%(key)s/rotate/."
                ) % {"key": key.key_id, "algorithm": key.algorithm})
                continue
            try:
                secret = keys.rotate_api_key(key, actor=request.user, request=request,
                                             via="admin")
            except keys.KeyError_ as exc:
                messages.error(request, f"{key.key_id}: {exc.detail}")
                continue
            key.refresh_from_db()
            _record(request, "rotate_key", user=key.user, key_id=key.key_id)
            rotated += 1
            _show_secret(
                request,
                _("API key %(key)s rotated; the previous secret keeps working until %(until)s. "
                  "The new secret is") % {"key": key.key_id,
                                          "until": _when(key.previous_valid_until)},
                secret,
            )
        if rotated:
            messages.success(request, ngettext("Rotated %(count)d key.", "Rotated %(count)d keys.",
                                               rotated) % {"count": rotated})

    @admin.action(description=_("Revoke the selected keys (irreversible)"),
                  permissions=["change"])
    def revoke_keys(self, request, queryset):
        response = _confirm(
            self, request, queryset, action="revoke_keys",
            title=_("Revoke API keys"),
            question=_("Revoke these keys? Every request signed with them is refused at once, "
                       "and a revoked key can never be used again."),
            button=_("Yes, revoke"),
        )
        if response is not None:
            return response
        revoked = 0
        for key in queryset.select_related("user"):
            if keys.revoke_api_key(key, actor=request.user, request=request, via="admin"):
                _record(request, "revoke_key", user=key.user, key_id=key.key_id)
                revoked += 1
        skipped = queryset.count() - revoked
        messages.success(request, ngettext("Revoked %(count)d key.", "Revoked %(count)d keys.",
                                           revoked) % {"count": revoked})
        if skipped:
            messages.info(request, ngettext("%(count)d key was revoked already.",
                                            "%(count)d keys were revoked already.", skipped)
                          % {"count": skipped})

    @admin.action(description=_("Extend the expiry of the selected keys by 30 days"),
                  permissions=["change"])
    def extend_expiry(self, request, queryset):
        now = timezone.now()
        for key in queryset.select_related("user"):
            if key.revoked_at is not None:
                messages.error(request, _("%(key)s is revoked; its expiry cannot change.")
                               % {"key": key.key_id})
                continue
            if key.expires_at is None:
                messages.info(request, _("%(key)s never expires; left as it is.")
                              % {"key": key.key_id})
                continue
            new_expiry = max(key.expires_at, now) + EXTEND_BY
            try:
                keys.extend_expiry(key, new_expiry, actor=request.user, request=request,
                                   via="admin")
            except keys.KeyError_ as exc:
                messages.error(request, f"{key.key_id}: {exc.detail}")
                continue
            _record(request, "extend_expiry", user=key.user, key_id=key.key_id,
                    expires_at=new_expiry.isoformat())
            messages.success(request, _("%(key)s now expires at %(when)s.")
                             % {"key": key.key_id, "when": _when(new_expiry)})


# ==============================================================================================
# Sessions and remember-me families
# ==============================================================================================
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
class SessionAdmin(_ManageMixin, admin.ModelAdmin):
    list_display = (
        "key_id", "user", "device_name", "client_address", "created_at", "last_seen_at",
        "expires_at", "revoked_at", "is_live",
    )
    list_filter = (SessionLiveFilter, "created_at")
    list_select_related = ("user",)
    search_help_text = _("Session id, username or device")
    fields = (
        "key_id", "user", "device_name", "client_address", "user_agent", "created_at",
        "last_seen_at", "idle_timeout", "idle_expires_at", "expires_at", "revoked_at",
        "remember_family",
    )
    readonly_fields = fields
    actions = ("revoke_sessions",)

    def get_search_fields(self, request):
        return ("key_id", _username_lookup(), "device_name")

    def has_add_permission(self, request):
        return False  # sessions come from logging in

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("live"), boolean=True)
    def is_live(self, obj):
        return obj.is_live

    def delete_queryset(self, request, queryset):
        for session in queryset.select_related("user"):
            self.delete_model(request, session)

    def delete_model(self, request, obj):
        # Revoke first: that publishes the change to every process's key cache.
        with transaction.atomic():
            sessions.revoke_session(obj.user, obj.key_id)
            _record(request, "delete_session", user=obj.user, key_id=obj.key_id)
            obj.delete()

    @admin.action(description=_("Revoke the selected sessions"), permissions=["manage"])
    def revoke_sessions(self, request, queryset):
        response = _confirm(
            self, request, queryset, action="revoke_sessions",
            title=_("Revoke sessions"),
            question=_("Revoke these sessions? Their keys stop working at once; the users "
                       "have to log in again."),
            button=_("Yes, revoke"),
        )
        if response is not None:
            return response
        revoked = 0
        for session in queryset.select_related("user"):
            if sessions.revoke_session(session.user, session.key_id):
                _record(request, "revoke_session", user=session.user, key_id=session.key_id)
                revoked += 1
        messages.success(request, ngettext(
            "Revoked %(count)d session.", "Revoked %(count)d sessions.", revoked
        ) % {"count": revoked})


@admin.register(RememberFamily)
class RememberFamilyAdmin(_ManageMixin, admin.ModelAdmin):
    list_display = ("id", "user", "device_name", "created_at", "expires_at", "revoked_at",
                    "revoked_reason", "token_count")
    list_filter = ("revoked_reason", "created_at")
    list_select_related = ("user",)
    fields = ("user", "device_name", "created_at", "expires_at", "revoked_at", "revoked_reason")
    readonly_fields = fields
    actions = ("revoke_families",)

    def get_search_fields(self, request):
        return (_username_lookup(), "device_name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("tokens issued"))
    def token_count(self, obj):
        return obj.tokens.count()

    def delete_queryset(self, request, queryset):
        for family in queryset.select_related("user"):
            self.delete_model(request, family)

    def delete_model(self, request, obj):
        with transaction.atomic():
            sessions.revoke_family(obj, "admin")
            _record(request, "delete_remember_family", user=obj.user, family=obj.pk)
            obj.delete()

    @admin.action(description=_("Revoke the selected remember-me families (and their sessions)"),
                  permissions=["manage"])
    def revoke_families(self, request, queryset):
        response = _confirm(
            self, request, queryset, action="revoke_families",
            title=_("Revoke remember-me tokens"),
            question=_("Revoke these remember-me token families? Their tokens stop working and "
                       "every session they gave is ended."),
            button=_("Yes, revoke"),
        )
        if response is not None:
            return response
        revoked = 0
        for family in queryset.select_related("user"):
            if family.revoked_at is not None:
                continue
            sessions.revoke_family(family, "admin")
            _record(request, "revoke_remember_family", user=family.user, family=family.pk)
            revoked += 1
        messages.success(request, ngettext(
            "Revoked %(count)d remember-me family.", "Revoked %(count)d remember-me families.",
            revoked,
        ) % {"count": revoked})


# ==============================================================================================
# TOTP devices
# ==============================================================================================
@admin.register(TOTPDevice)
class TOTPDeviceAdmin(_ManageMixin, admin.ModelAdmin):
    list_display = ("user", "created_at", "is_confirmed", "confirmed_at")
    list_filter = ("created_at", "confirmed_at")
    list_select_related = ("user",)
    fields = ("user", "created_at", "confirmed_at")
    readonly_fields = fields
    actions = ("reset_devices",)

    def get_search_fields(self, request):
        return (_username_lookup(),)

    def has_add_permission(self, request):
        return False  # users enrol themselves (POST totp/)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("confirmed"), boolean=True)
    def is_confirmed(self, obj):
        return obj.confirmed_at is not None

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)

    def delete_model(self, request, obj):
        # A reset, not a bare delete: recovery codes and remember-me tokens go too.
        second_factor.reset(obj.user, actor=request.user)
        _record(request, "reset_second_factor", user=obj.user)

    @admin.action(description=_("Reset the selected devices (the users log in with their "
                                "password alone until they enrol again)"),
                  permissions=["manage"])
    def reset_devices(self, request, queryset):
        response = _confirm(
            self, request, queryset, action="reset_devices",
            title=_("Reset TOTP devices"),
            question=_("Reset these devices? Their recovery codes and remember-me tokens are "
                       "deleted too, and the users log in with their password alone until they "
                       "enrol a new device."),
            button=_("Yes, reset"),
        )
        if response is not None:
            return response
        done = 0
        for device in queryset.select_related("user"):
            if second_factor.reset(device.user, actor=request.user):
                _record(request, "reset_second_factor", user=device.user)
                done += 1
        messages.success(request, ngettext("Reset %(count)d device.", "Reset %(count)d devices.",
                                           done) % {"count": done})


# ==============================================================================================
# Enrollment keys
# ==============================================================================================
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
        self.fields["uses_left"].initial = 1

    def clean_uses_left(self):
        uses = self.cleaned_data["uses_left"]
        if uses is not None and uses < 1:
            raise ValidationError(_("An enrollment key needs at least one use."))
        return uses


@admin.register(EnrollmentKey)
class EnrollmentKeyAdmin(_ManageMixin, admin.ModelAdmin):
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

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

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
        obj.pk = enrollment.pk
        obj.refresh_from_db()
        obj._state.adding = False
        _record(request, "create_enrollment_key", key_id=enrollment.key_id,
                uses=enrollment.uses_total)
        _show_secret(request, _("The secret of enrollment key %(key)s is")
                     % {"key": enrollment.key_id}, secret)

    def delete_queryset(self, request, queryset):
        for enrollment in queryset:
            self.delete_model(request, enrollment)

    def delete_model(self, request, obj):
        with transaction.atomic():
            # Revoked through the service first (audit event, published to every process).
            keys.revoke_enrollment_key(obj, actor=request.user, request=request, via="admin")
            _record(request, "delete_enrollment_key", key_id=obj.key_id)
            obj.delete()

    @admin.action(description=_("Revoke the selected enrollment keys (irreversible)"),
                  permissions=["manage"])
    def revoke_enrollment_keys(self, request, queryset):
        response = _confirm(
            self, request, queryset, action="revoke_enrollment_keys",
            title=_("Revoke enrollment keys"),
            question=_("Revoke these enrollment keys? Nobody can enrol with them any more; keys "
                       "already enrolled keep working."),
            button=_("Yes, revoke"),
        )
        if response is not None:
            return response
        revoked = 0
        for enrollment in queryset:
            if keys.revoke_enrollment_key(enrollment, actor=request.user, request=request,
                                          via="admin"):
                _record(request, "revoke_enrollment_key", key_id=enrollment.key_id)
                revoked += 1
        messages.success(request, ngettext(
            "Revoked %(count)d enrollment key.", "Revoked %(count)d enrollment keys.", revoked
        ) % {"count": revoked})


# ==============================================================================================
# The audit log
# ==============================================================================================
@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "username", "key_id", "client_address", "detail")
    list_filter = ("kind", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("username", "key_id")
    search_help_text = _("Username or key id")
    fields = ("created_at", "kind", "user", "username", "key_id", "client_address", "detail")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # signed_api_cleanup removes events past retention
