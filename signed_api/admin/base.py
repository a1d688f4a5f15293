"""What every model admin of ``signed_api`` shares: the audit-log entry of an admin write, the
one time a secret is shown, the permission behind the actions, and pages that are read only.

Secrets (djangorestframework-api-key's rule): a new secret is shown once, base64url as clients
use it, and never in a list column, a form field or a change page. It is shown on a page of its
own, ``<model>/new-secrets/``, that the save or the action redirects to: the secrets travel there
in a cookie encrypted under the master keys (AES-256-GCM, bound to the admin user, two minutes,
sent to that page only, deleted by it), never through Django's message storage, whose default
(``FallbackStorage``) writes what does not fit in its cookie into the session, a database row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_permission_codename, get_user_model
from django.db import transaction
from django.utils import timezone
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


# The mixins below are model admins to the type checker, plain classes at run time.
if TYPE_CHECKING:
    _ModelAdminMixin = admin.ModelAdmin[Any]
else:
    _ModelAdminMixin = object


#: Columns that hold a secret in some form (sealed, hashed, a fingerprint of credentials). No
#: page shows them, and no changelist filters on them: ``?secret_encrypted__startswith=v1.a``
#: would read one a character at a time (Django allows lookups on a model's own fields).
SECRET_COLUMNS = frozenset({
    "secret_encrypted", "previous_secret_encrypted", "secret_hash", "seed_encrypted",
    "code_hash", "auth_fingerprint", "private_key_encrypted",
})


class NoSecretLookupsMixin(_ModelAdminMixin):
    """Refuses changelist lookups (``?field__op=...``) that touch a :data:`SECRET_COLUMNS`."""

    def lookup_allowed(self, lookup, value, request=None):  # request: Django 5.0 and newer
        import django
        from django.db.models.constants import LOOKUP_SEP

        if any(part in SECRET_COLUMNS for part in str(lookup).split(LOOKUP_SEP)):
            return False
        if django.VERSION < (5, 0):
            return super().lookup_allowed(lookup, value)  # type: ignore[call-arg,unused-ignore]
        return super().lookup_allowed(lookup, value, request)


def show_secret(request, kind: str, key_id: str, secret: bytes, *, until: str = "") -> None:
    """The one and only time a secret is displayed: queued for the new-secrets page that
    :class:`NewSecretsMixin` redirects this request to (base64url, as clients use it). ``kind``
    is one of :data:`_SENTENCES` (what the page says of it); ``until``, for a rotation, when the
    previous secret stops verifying. Only these few values travel in the cookie, so that a page
    of :data:`MAX_NEW_SECRETS` fits in the 4 kB a browser keeps."""
    if kind not in _SENTENCES:
        raise ValueError(f"unknown kind of secret {kind!r}")
    request.__dict__.setdefault(_QUEUED, []).append([kind, key_id, b64url_encode(secret), until])


_SENTENCES = {
    "api_key": _("The secret of API key %(key)s is"),
    "rotated": _("API key %(key)s rotated; the previous secret keeps working until %(until)s. "
                 "The new secret is"),
    "enrollment_key": _("The secret of enrollment key %(key)s is"),
}


_QUEUED = "_signed_api_new_secrets"
SECRETS_COOKIE = "signed_api_new_secrets"
SECRETS_TEMPLATE = "admin/signed_api/new_secrets.html"
#: Seconds the cookie carrying new secrets lives: long enough for the redirect, no more.
SECRETS_MAX_AGE = 120
#: At most this many new secrets per page (an action on more objects is refused): their
#: encrypted cookie stays well under the 4 kB a browser keeps.
MAX_NEW_SECRETS = 20


def _secrets_context(request) -> str:
    return f"signed_api admin new secrets\0{request.user.pk}"


def _shown(item) -> list[str] | None:
    """``[sentence, secret]`` of a queued ``[kind, key_id, secret, until]``."""
    if not (isinstance(item, list) and len(item) == 4 and all(isinstance(v, str) for v in item)):
        return None
    kind, key_id, secret, until = item
    sentence = _SENTENCES.get(kind)
    if sentence is None:
        return None
    return [str(sentence) % {"key": key_id, "until": until}, secret]


class NewSecretsMixin(_ModelAdminMixin):
    """The page that shows the secrets of an add or an action once (see the module)."""

    def get_urls(self):
        from django.urls import path

        opts = self.opts
        name = f"{opts.app_label}_{opts.model_name}_new_secrets"
        own = [path("new-secrets/", self.admin_site.admin_view(self.new_secrets_view), name=name)]
        return own + super().get_urls()

    def _url(self, view: str) -> str:
        from django.urls import reverse

        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}",
                       current_app=self.admin_site.name)

    def changelist_view(self, request, extra_context=None):
        return self._to_new_secrets(request, super().changelist_view(request, extra_context))

    def add_view(self, request, form_url="", extra_context=None):
        return self._to_new_secrets(request, super().add_view(request, form_url, extra_context))

    def _to_new_secrets(self, request, response):
        """Where a request queued secrets, its answer becomes a redirect to the new-secrets
        page, with the secrets (and where the admin was going) in the encrypted cookie."""
        import json
        import time

        from django.http import HttpResponseRedirect

        from .. import state

        queued = request.__dict__.pop(_QUEUED, None)
        if not queued:
            return response
        going = response.get("Location") if response.status_code in (301, 302, 303) else None
        if going is not None and len(going) > 200:  # a long filtered changelist: not in the cookie
            going = None
        payload = {
            "user": request.user.pk,
            "until": int(time.time()) + SECRETS_MAX_AGE,
            "next": going or self._url("changelist"),
            "secrets": queued,
        }
        token = state.keyring().encrypt(
            json.dumps(payload).encode("utf-8"), context=_secrets_context(request)
        )
        redirect = HttpResponseRedirect(self._url("new_secrets"))
        redirect.set_cookie(
            SECRETS_COOKIE, token, max_age=SECRETS_MAX_AGE, path=self._url("new_secrets"),
            # Behind a proxy that ends TLS without SECURE_PROXY_SSL_HEADER, is_secure() is
            # False: the project's SESSION_COOKIE_SECURE says the admin is served over HTTPS.
            secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
            httponly=True, samesite="Strict",
        )  # fmt: skip
        redirect["Cache-Control"] = "no-store"
        return redirect

    def new_secrets_view(self, request):
        import json
        import time

        from django.template.response import TemplateResponse
        from django.utils.http import url_has_allowed_host_and_scheme

        from .. import state
        from ..core.keyring import KeyringError

        shown: list[list[str]] = []
        going = self._url("changelist")
        token = request.COOKIES.get(SECRETS_COOKIE)
        if token:
            try:
                payload = json.loads(
                    state.keyring().decrypt(token, context=_secrets_context(request))
                )
            except (KeyringError, ValueError, TypeError):
                payload = None
            if (
                isinstance(payload, dict)
                and payload.get("user") == request.user.pk
                and isinstance(payload.get("until"), int)
                and payload["until"] >= time.time()
                and isinstance(payload.get("secrets"), list)
            ):
                shown = [found for found in map(_shown, payload["secrets"]) if found]
                nxt = payload.get("next")
                if isinstance(nxt, str) and url_has_allowed_host_and_scheme(
                    nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    going = nxt
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": _("New secrets") if shown else _("No new secret to show"),
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "secrets": shown,
            "next_url": going,
        }
        response = TemplateResponse(request, SECRETS_TEMPLATE, context)
        response.delete_cookie(SECRETS_COOKIE, path=self._url("new_secrets"), samesite="Strict")
        response["Cache-Control"] = "no-store"
        return response


def adopt(obj, created) -> None:
    """After a service created the row: the admin goes on with ``obj`` (log entry, redirect),
    so make it the created one."""
    obj.pk = created.pk
    obj.refresh_from_db()
    obj._state.adding = False


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
