"""What every model admin of ``signed_api`` shares: the audit-log entry of an admin write, the
one time a secret is shown, the permission behind the actions, and pages that are read only.

Secrets (djangorestframework-api-key's rule): a new secret is shown once, base64url as clients
use it, in a warning message on the page after the save or the action, and never in a list
column, a form field or a change page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename, get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..core.b64 import b64url_encode
from ..models import SecurityEvent
from ..services import events


def username_lookup() -> str:
    """The search lookup of the owner's username (whatever the user model calls it)."""
    return "user__" + get_user_model().USERNAME_FIELD


def when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "-"


def record(request, action: str, *, user=None, key_id: str = "", **extra) -> None:
    """The audit-log entry of one admin write (never a secret in ``extra``)."""
    events.record(
        SecurityEvent.ADMIN_ACTION,
        user=user,
        key_id=key_id,
        request=request,
        detail={"action": action, "by": request.user.get_username(), **extra},
    )


def show_secret(request, text: str, secret: bytes) -> None:
    """The one and only time a secret is displayed: a warning message, base64url."""
    messages.warning(
        request,
        format_html(
            '{} <code class="signed-api-secret">{}</code> {}',
            text,
            b64url_encode(secret),
            _("Copy it now: it is shown this once and cannot be shown again."),
        ),
    )


def adopt(obj, created) -> None:
    """After a service created the row: the admin goes on with ``obj`` (log entry, redirect),
    so make it the created one."""
    obj.pk = created.pk
    obj.refresh_from_db()
    obj._state.adding = False


# The mixins below are model admins to the type checker, plain classes at run time.
if TYPE_CHECKING:
    _ModelAdminMixin = admin.ModelAdmin[Any]
else:
    _ModelAdminMixin = object


class AddFormMixin(_ModelAdminMixin):
    """``add_form`` on the add page, ``form`` on the change page."""

    add_form: type[forms.ModelForm[Any]] | None = None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)


class ManageMixin(_ModelAdminMixin):
    """``permissions=["manage"]`` on an action: the model's change permission, even where the
    change page itself is read only."""

    def has_manage_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


class ReadOnlyMixin:
    """Rows that come from the API (a login, an enrolment): nothing to add or edit here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeleteEachMixin:
    """Deleting (a row's delete page, or "delete selected" row by row) ends the row through its
    service first, ``end(request, obj)`` (audit events, the change published to every process's
    key cache), then deletes it, in one transaction."""

    def end(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        with transaction.atomic():
            self.end(request, obj)
            obj.delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related(*self.list_select_related):
            self.delete_model(request, obj)
