"""Every admin action is built by the one helper (``signed_api.admin.actions.object_action``),
and an irreversible one changes nothing until its confirmation page is answered.

The cases are read from the admin site itself, so an action added without the helper, or an
irreversible action without a case here, fails a test.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.core import serializers
from django.test import RequestFactory
from django.utils.html import escape

from signed_api.admin.actions import ACTION_MARK
from signed_api.models import (
    ApiKey,
    EnrollmentKey,
    RememberFamily,
    SecurityEvent,
    Session,
    TOTPDevice,
)
from signed_api.services import keys, sessions
from tests.accounts import PASSWORD
from tests.admin.support import enrol_device, html, run_action, url

pytestmark = pytest.mark.django_db(transaction=True)

#: Actions that run at once, without a confirmation page: nothing is lost by them (a rotation
#: keeps the old secret for the grace period; an extension only adds time).
AT_ONCE = {"rotate_keys", "extend_expiry"}


def _signed_api_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if model._meta.app_label == "signed_api"]


def _actions(admin_user):
    """``(model, name, function)`` of every action the admin offers on a signed_api model."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    found = []
    for model, model_admin in _signed_api_admins():
        for name, (function, _name, _description) in model_admin.get_actions(request).items():
            if name != "delete_selected":  # Django's own; each admin's delete_model is ours
                found.append((model, name, function))
    return found


def test_every_action_is_built_by_the_one_helper(admin_user):
    found = _actions(admin_user)
    assert {name for _model, name, _function in found} >= {
        "rotate_keys", "revoke_keys", "extend_expiry", "revoke_sessions", "revoke_families",
        "reset_devices", "revoke_enrollment_keys",
    }
    for model, name, function in found:
        options = getattr(function, ACTION_MARK, None)
        assert options is not None, f"{model.__name__}.{name} is not built by object_action"
        assert options.audit, name
        assert (options.confirm is None) == (name in AT_ONCE), name


# -- the confirmation pages ------------------------------------------------------------------------
def _request():
    return RequestFactory().post("/api/auth/sessions/", REMOTE_ADDR="192.0.2.7",
                                 HTTP_USER_AGENT="pytest")


def _api_key(user):
    key, _secret = keys.create_api_key(user, name="k")
    return key


def _session(user):
    return sessions.login_with_password(_request(), "alice", PASSWORD, remember=False).session


def _family(user):
    sessions.login_with_password(_request(), "alice", PASSWORD, remember=True)
    return RememberFamily.objects.get(user=user)


def _device(user):
    enrol_device(user)
    return TOTPDevice.objects.get(user=user)


def _enrollment(user):
    enrollment, _secret = keys.create_enrollment_key(name="workshop", uses=2)
    return enrollment


def _revoked(obj) -> bool:
    return type(obj).objects.get(pk=obj.pk).revoked_at is not None


def _gone(obj) -> bool:
    return not type(obj).objects.filter(pk=obj.pk).exists()


#: For each irreversible action: the object it acts on, and what it says it does.
CASES = {
    "revoke_keys": (ApiKey, _api_key, _revoked),
    "revoke_sessions": (Session, _session, _revoked),
    "revoke_families": (RememberFamily, _family, _revoked),
    "reset_devices": (TOTPDevice, _device, _gone),
    "revoke_enrollment_keys": (EnrollmentKey, _enrollment, _revoked),
}


def test_every_irreversible_action_has_a_case(admin_user):
    confirmed = {name for _model, name, function in _actions(admin_user)
                 if getattr(function, ACTION_MARK).confirm is not None}
    assert confirmed == set(CASES)


def _everything() -> list[str]:
    """Every row of every signed_api table, as text: what an action could change."""
    return [serializers.serialize("json", model.objects.order_by("pk"))
            for model in apps.get_app_config("signed_api").get_models()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_get_or_the_confirmation_page_changes_nothing_and_the_post_acts(
    name, admin_client, admin_user, user
):
    model, make, done = CASES[name]
    obj = make(user)
    changelist = url(model, "changelist")
    before = _everything()

    # A GET with the action's parameters, the answer included, runs nothing: the changelist
    # takes them for unknown filters (Django runs actions on POST only).
    got = admin_client.get(changelist, {"action": name,
                                        helpers.ACTION_CHECKBOX_NAME: str(obj.pk),
                                        "post": "yes"}, follow=True)
    assert got.status_code == 200
    assert _everything() == before

    # The action's first POST is its confirmation page, and changes nothing either.
    options = getattr(getattr(type(admin.site._registry[model]), name), ACTION_MARK)
    page = run_action(admin_client, model, name, [obj])
    assert page.status_code == 200
    for text in (options.confirm.button, options.confirm.question, obj):
        assert escape(str(text)) in html(page)
    assert _everything() == before
    assert not done(obj)

    # Answering it does what it says, once, with its audit-log entry and its message.
    answered = run_action(admin_client, model, name, [obj], confirm=True)
    assert answered.status_code == 200
    assert done(obj)
    audit = [event for event in SecurityEvent.objects.filter(kind=SecurityEvent.ADMIN_ACTION)
             if event.detail.get("action") == options.audit]
    assert len(audit) == 1 and audit[0].detail["by"] == admin_user.get_username()
    assert escape(options.done % {"count": 1}) in html(answered)
