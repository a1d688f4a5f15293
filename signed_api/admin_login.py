"""The Django admin login with the second factor and the guessing budget of the API.

:class:`SecondFactorAdminAuthenticationForm` is the admin's login form with one more, optional
field, ``code``: a current TOTP code or an unused recovery code. A user with a confirmed TOTP
device is logged in only with a right one (``second_factor.verify_code``, which records the
TOTP step, so a code works once and a recovery code is used up); a user without one leaves the
field empty. Every attempt is charged to the same per-username and per-address budget as the
API's password logins and code checks (``throttle.attempt``) *before* the password is checked,
and only a success hands the charge back.

Every failure shows one message: an unknown username, a wrong password, a missing or wrong
code, an inactive or non-staff account. So the page never tells a guesser that a username
exists or that a password was right (the audit log keeps the reason for the operators). The code
is looked at only after the password was right, so a mistyped password does not use up a code.

:func:`second_factor_satisfied` is the gate behind it: a user with a confirmed device reaches
the admin only with a Django session in which the code was given (a mark this login puts in the
session). A session made by any other login view (``django.contrib.auth.urls``, DRF's
``rest_framework.urls``, ``Client.force_login``) is sent back to this login page instead.

With the project's default ``admin.site``, ``SignedApiConfig.ready()`` installs all of this
(:func:`install`) unless the project set its own ``login_form`` or ``login_template``; system
check ``signed_api.W009`` then says the admin login skips the second factor. A project with its
own :class:`~django.contrib.admin.AdminSite` subclass adds :class:`SecondFactorAdminSiteMixin`
(docs/admin-and-rotation.md).

This module stays outside the ``signed_api.admin`` package and imports nothing from it:
``AdminConfig.default_site`` may name :class:`SecondFactorAdminSite`, which Django imports while
it builds ``admin.site``, before the package's model admins can be registered on it.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from .models import SecurityEvent
from .services import events, second_factor, throttle

logger = logging.getLogger("signed_api")

LOGIN_TEMPLATE = "admin/signed_api/login.html"
#: The session key that marks a Django session in which the second factor was given.
SESSION_KEY = "_signed_api_second_factor"
#: Set on the request by a successful form, read by the ``user_logged_in`` receiver.
_REQUEST_MARK = "_signed_api_admin_login"
CODE_MAX_LENGTH = 64  # a TOTP code has 6 digits and a recovery code 19 characters


class CodeInput(forms.TextInput):
    """A text input that never writes the typed code back into the page (after a failed login
    the page would otherwise carry a recovery code), as ``PasswordInput`` does for passwords."""

    def format_value(self, value):
        return None


class SecondFactorAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form: username, password and, for a user with a second factor, a code."""

    code = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        strip=True,
        max_length=CODE_MAX_LENGTH,
        help_text=_("Only if your account has a second factor: the 6-digit code from your "
                    "authenticator app, or one of your recovery codes."),
        widget=CodeInput(attrs={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        }),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password for a staff account, and the "
            "code of your authenticator app (or a recovery code) if your account has a second "
            "factor. Note that the fields may be case-sensitive."
        ),
        "unavailable": _("Logging in is not possible right now: the login attempt could not be "
                         "counted. Please try again in a moment."),
    }

    @sensitive_variables("password", "code")
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data  # the field errors say what is missing
        code = self.cleaned_data.get("code") or ""
        address = throttle.client_address(self.request)
        reason = "invalid_credentials"
        try:
            # Charged before anything is evaluated; refused here when a budget is spent.
            with throttle.attempt(username, throttle.guess_address(address)) as attempt:
                user = authenticate(self.request, username=username, password=password)
                if user is not None and self._allowed(user):
                    has_device = second_factor.has_confirmed_device(user)
                    if not has_device or second_factor.verify_code(user, code):
                        attempt.succeeded()
                        self.user_cache = user
                        if self.request is not None:
                            setattr(self.request, _REQUEST_MARK, (user.pk, has_device))
                        return self.cleaned_data
                    reason = "otp_invalid" if code else "otp_missing"
                elif user is not None:
                    reason = "not_allowed"
        except throttle.ThrottledError as exc:
            raise ValidationError(_throttled_message(exc.wait), code="throttled") from None
        except throttle.StoreUnavailable:
            logger.error("signed_api: an admin login attempt could not be counted (the shared "
                         "store is unavailable); nobody was logged in")
            raise ValidationError(self.error_messages["unavailable"],
                                  code="unavailable") from None
        except OperationalError as exc:
            # SQLite stayed locked past its timeout (many logins at once): nobody logged in,
            # and the attempt stays counted.
            logger.error("signed_api: an admin login could not be checked: %s", exc)
            raise ValidationError(self.error_messages["unavailable"],
                                  code="unavailable") from None
        events.record(
            SecurityEvent.LOGIN_FAILED, username=username, request=self.request,
            gate=f"{username}\0{address}", detail={"via": "admin", "reason": reason},
        )
        raise self.get_invalid_login_error()

    def _allowed(self, user) -> bool:
        """``confirm_login_allowed`` (active, staff) as a yes or no: its own messages would tell
        that the password was right."""
        try:
            self.confirm_login_allowed(user)
        except ValidationError:
            return False
        return True


def _throttled_message(wait: int) -> str:
    wait = max(1, int(wait))
    if wait < 120:
        return ngettext(
            "Too many failed login attempts. Please try again in %(count)d second.",
            "Too many failed login attempts. Please try again in %(count)d seconds.",
            wait,
        ) % {"count": wait}
    minutes = math.ceil(wait / 60)
    return ngettext(
        "Too many failed login attempts. Please try again in %(count)d minute.",
        "Too many failed login attempts. Please try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


# -- the session mark and the gate -------------------------------------------------------------
def user_logged_in(sender, request, user, **kwargs) -> None:
    """Receiver of Django's ``user_logged_in``: after a login through the form above, mark the
    (new) session as one in which the second factor was given, and write the audit event."""
    mark = getattr(request, _REQUEST_MARK, None) if request is not None else None
    if mark is None or mark[0] != user.pk:
        return
    delattr(request, _REQUEST_MARK)
    session = getattr(request, "session", None)
    if session is not None:
        if mark[1]:
            session[SESSION_KEY] = str(user.pk)
        else:
            session.pop(SESSION_KEY, None)
    events.record(SecurityEvent.LOGIN_SUCCEEDED, user=user, request=request,
                  detail={"via": "admin", "second_factor": bool(mark[1])})


def second_factor_satisfied(request) -> bool:
    """Whether ``request.user`` may use a Django session for the admin: the user has no
    confirmed TOTP device, or gave a code in the login that made this session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        return True
    return not second_factor.has_confirmed_device(user)


# An AdminSite to the type checker (its attributes keep AdminSite's types), a plain class at
# run time.
if TYPE_CHECKING:
    _SiteMixin = AdminSite
else:
    _SiteMixin = object


class SecondFactorAdminSiteMixin(_SiteMixin):
    """For a project's own ``AdminSite`` subclass: the login form and template above, and
    ``has_permission`` refusing a session in which a user with a second factor gave no code::

        class MyAdminSite(SecondFactorAdminSiteMixin, admin.AdminSite):
            ...
    """

    login_form = SecondFactorAdminAuthenticationForm
    login_template = LOGIN_TEMPLATE

    def has_permission(self, request):
        return super().has_permission(request) and second_factor_satisfied(request)


class SecondFactorAdminSite(SecondFactorAdminSiteMixin, AdminSite):
    """An ``AdminSite`` with the second factor (for ``AdminConfig.default_site``)."""


def is_protected(site) -> bool:
    """Whether ``site`` logs in through the form above."""
    form = getattr(site, "login_form", None)
    return isinstance(form, type) and issubclass(form, SecondFactorAdminAuthenticationForm)


def install(site) -> bool:
    """Put the form, the template and the gate on ``site`` (an ``AdminSite`` instance) unless
    it already has a login form or template of its own; ``True`` if it is protected after."""
    if is_protected(site):
        return True
    if site.login_form is not None or site.login_template is not None:
        return False  # the project's own: check W009 says so
    site.login_form = SecondFactorAdminAuthenticationForm
    site.login_template = LOGIN_TEMPLATE
    original = site.has_permission

    def has_permission(request):
        if not original(request):
            return False
        # Only while the form above is the login form: a project that sets its own later (in
        # its urls.py, say) gets Django's behaviour, and W009, not a login nobody can pass.
        return not is_protected(site) or second_factor_satisfied(request)

    site.has_permission = has_permission
    return True
