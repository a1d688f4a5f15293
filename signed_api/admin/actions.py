"""The one way an admin action of ``signed_api`` is written: what it does to ONE object; the
helper does the rest (the confirmation page, the loop, the audit-log entries, the count and the
message)::

    @object_action(
        "revoke_session", description=_("Revoke the selected sessions"), permissions=["manage"],
        confirm=Confirm(_("Revoke sessions"), _("Revoke these sessions? ..."), _("Yes, revoke")),
        done=ngettext_lazy("Revoked %(count)d session.", "Revoked %(count)d sessions.",
                           "count"),
    )
    def revoke_sessions(self, request, session):
        if sessions.revoke_session(session.user, session.key_id):  # the service
            return audited(user=session.user, key_id=session.key_id)
        return None  # left alone (with a message of its own where the operator needs one)

and ``"revoke_sessions"`` in the model admin's ``actions``. Each object the action did
something to gets an audit-log entry (kind ``admin_action``, ``{"action": "revoke_session",
"by": ...}`` and what ``audited()`` names); their count goes into the ``done`` message.

With ``confirm``, the first POST of the action (from the changelist) only renders
``CONFIRM_TEMPLATE`` and changes nothing; that page posts the action again with ``post=yes``
(as Django's "delete selected" does), and only then the action runs. Without ``confirm`` (a
rotation, an extension: nothing is lost) it runs at once. Every action built here carries
``ACTION_MARK``; a test checks that every action of every ``signed_api`` model admin does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .base import record

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a str or a gettext_lazy() string

#: A message with a count: ``ngettext_lazy(singular, plural, "count")``, formatted with
#: ``% {"count": n}``, which picks the form.
Plural = Any

CONFIRM_TEMPLATE = "admin/signed_api/confirm_action.html"
#: The attribute that marks an action built by :func:`object_action` (its options as value).
ACTION_MARK = "signed_api_action"


@dataclass(frozen=True)
class Confirm:
    """The confirmation page of an irreversible action."""

    title: StrOrPromise
    question: StrOrPromise
    button: StrOrPromise


@dataclass(frozen=True)
class ActionOptions:
    audit: str
    confirm: Confirm | None
    done: Plural | None
    skipped: Plural | None
    report_none: bool
    at_most: int | None = None


def audited(*, user=None, key_id: str = "", **extra) -> dict:
    """What an action's ``act`` returns when it did something: the audit-log entry's fields
    (never a secret in ``extra``)."""
    return {"user": user, "key_id": key_id, **extra}


def object_action(audit: str, *, description: StrOrPromise, permissions: list[str],
                  confirm: Confirm | None = None, done: Plural | None = None,
                  skipped: Plural | None = None, report_none: bool = True,
                  at_most: int | None = None):
    """An admin action from ``act(modeladmin, request, obj)``, which returns ``audited(...)``
    when it did something to ``obj`` (recorded as admin action ``audit``) and ``None`` when it
    left it alone (with a message of its own where the operator needs one).

    ``done`` and ``skipped`` (``ngettext_lazy(singular, plural, "count")``) are the success
    message and the note for the objects ``act`` left alone; ``report_none=False`` says nothing when
    nothing was done; ``at_most`` refuses (changing nothing) a selection of more objects. Objects
    come with the model admin's ``list_select_related``.
    """
    options = ActionOptions(audit=audit, confirm=confirm, done=done, skipped=skipped,
                            report_none=report_none, at_most=at_most)

    def build(act):
        @functools.wraps(act)
        def action(modeladmin, request, queryset):
            if at_most is not None and queryset.count() > at_most:
                messages.error(request, _(
                    "Select at most %(count)d at a time for this action; nothing was changed."
                ) % {"count": at_most})
                return None
            if confirm is not None and request.POST.get("post") != "yes":
                return confirmation_page(modeladmin, request, queryset, act.__name__, confirm)
            total = count = 0
            related = modeladmin.list_select_related
            if isinstance(related, (list, tuple)):
                queryset = queryset.select_related(*related)
            for obj in queryset:
                total += 1
                entry = act(modeladmin, request, obj)
                if entry is not None:
                    record(request, audit, **entry)
                    count += 1
            if done is not None and (count or report_none):
                messages.success(request, done % {"count": count})
            if skipped is not None and total > count:
                messages.info(request, skipped % {"count": total - count})
            return None

        setattr(action, ACTION_MARK, options)
        return admin.action(description=description, permissions=permissions)(action)

    return build


def confirmation_page(modeladmin, request, queryset, action: str, confirm: Confirm):
    """The intermediate page of an irreversible action, like Django's "delete selected"."""
    opts = modeladmin.model._meta
    request.current_app = modeladmin.admin_site.name
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": confirm.title,
        "subtitle": None,
        "question": confirm.question,
        "button": confirm.button,
        "objects": list(queryset),
        "opts": opts,
        "app_label": opts.app_label,
        "action_name": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)
