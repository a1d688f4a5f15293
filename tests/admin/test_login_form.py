"""The admin login form on its own, on a project's own ``AdminSite`` subclass, ``install()`` and
the system checks W009 (a login that skips the second factor) and W010 (DRF's login page beside
SessionAuthentication)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.core.checks import run_checks
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from signed_api import admin_login, checks
from signed_api.admin_login import (
    LOGIN_TEMPLATE,
    SecondFactorAdminAuthenticationForm,
    SecondFactorAdminSiteMixin,
)
from signed_api.conf import signed_api_settings
from tests.admin.support import (
    LOGIN,
    STAFF_PASSWORD,
    admin_page,
    fresh_code,
    html,
    is_authenticated,
    log_in,
    logged_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_ready_puts_the_form_on_the_default_admin_site():
    assert admin.site.login_form is SecondFactorAdminAuthenticationForm
    assert admin.site.login_template == LOGIN_TEMPLATE
    assert admin_login.is_protected(admin.site)


def test_the_login_marks_the_session(staff_2fa, staff):
    user, authenticator, _codes = staff_2fa
    client = Client()
    assert logged_in(log_in(client, "dora", STAFF_PASSWORD, fresh_code(authenticator, user)))
    assert client.session[admin_login.SESSION_KEY] == str(user.pk)
    assert logged_in(log_in(client, "root", STAFF_PASSWORD))
    assert admin_login.SESSION_KEY not in client.session


# -- the form on its own ---------------------------------------------------------------------------
def _form(data, address="127.0.0.1"):
    request = RequestFactory().post(LOGIN, REMOTE_ADDR=address)
    return SecondFactorAdminAuthenticationForm(request, data=data)


def test_form_accepts_a_code_and_returns_the_user(staff_2fa):
    user, authenticator, _codes = staff_2fa
    form = _form({"username": "dora", "password": STAFF_PASSWORD,
                  "code": " " + fresh_code(authenticator, user) + " "})
    assert form.is_valid(), form.errors
    assert form.get_user() == user


def test_form_refuses_without_code_and_keeps_no_user(staff_2fa):
    form = _form({"username": "dora", "password": STAFF_PASSWORD})
    assert not form.is_valid()
    assert form.get_user() is None
    assert [e.code for e in form.non_field_errors().as_data()] == ["invalid_login"]


def test_form_throttled_error_has_its_code(staff):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME):
        assert not _form({"username": "root", "password": "wrong"}).is_valid()
    form = _form({"username": "root", "password": STAFF_PASSWORD})
    assert not form.is_valid()
    assert [e.code for e in form.non_field_errors().as_data()] == ["throttled"]
    assert form.get_user() is None


def test_form_missing_fields_charge_nothing(staff):
    for _ in range(signed_api_settings.LOGIN_FAILURES_PER_USERNAME * 2):
        assert not _form({"username": "root", "password": ""}).is_valid()
    assert _form({"username": "root", "password": STAFF_PASSWORD}).is_valid()


def test_form_refuses_an_overlong_code(staff_2fa):
    form = _form({"username": "dora", "password": STAFF_PASSWORD, "code": "1" * 65})
    assert not form.is_valid() and "code" in form.errors


# -- a project's own AdminSite -------------------------------------------------------------------
class ProjectAdminSite(SecondFactorAdminSiteMixin, AdminSite):
    site_header = "Project admin"


project_site = ProjectAdminSite(name="project_admin")

urlpatterns = [
    path("project-admin/", project_site.urls),
    path("admin/", admin.site.urls),  # the admin templates reverse a few of its names
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_custom_admin_site_with_the_mixin(staff_2fa):
    user, authenticator, _codes = staff_2fa
    assert admin_login.is_protected(project_site)
    client = Client()
    refused = client.post("/project-admin/login/", {"username": "dora",
                                                    "password": STAFF_PASSWORD})
    assert "Authenticator code" in html(refused)
    assert not is_authenticated(client)
    done = client.post("/project-admin/login/", {
        "username": "dora", "password": STAFF_PASSWORD, "code": fresh_code(authenticator, user),
        "next": "/project-admin/"})
    assert done.status_code == 302
    assert client.get("/project-admin/").status_code == 200

    forced = Client()
    forced.force_login(user)
    assert forced.get("/project-admin/").status_code == 302


# -- install() and the checks ----------------------------------------------------------------------
def _ids(messages) -> list[str]:
    return [m.id for m in messages if m.id in ("signed_api.W009", "signed_api.W010")]


@pytest.fixture
def other_site():
    """An ``AdminSite`` of the project's own, gone from ``all_sites`` (what the check looks at)
    after the test."""
    from django.contrib.admin.sites import all_sites

    made = []

    def make(name: str, **attributes) -> AdminSite:
        site = AdminSite(name=name)
        for attribute, value in attributes.items():
            setattr(site, attribute, value)
        made.append(site)
        return site

    yield make
    for site in made:
        all_sites.discard(site)


def test_install_leaves_a_login_form_of_the_projects_own_alone(other_site):
    from django.contrib.admin.forms import AdminAuthenticationForm

    class OwnForm(AdminAuthenticationForm):
        pass

    site = other_site("own_form", login_form=OwnForm)
    assert admin_login.install(site) is False
    assert site.login_form is OwnForm and site.login_template is None
    w009 = [m for m in checks.check_admin_login_second_factor() if m.id == "signed_api.W009"]
    assert len(w009) == 1 and "'own_form'" in w009[0].msg and "OwnForm" in w009[0].msg


def test_install_leaves_a_login_template_of_the_projects_own_alone(other_site):
    site = other_site("own_template", login_template="my/login.html")
    assert admin_login.install(site) is False
    assert site.login_form is None
    w009 = [m for m in checks.check_admin_login_second_factor() if m.id == "signed_api.W009"]
    assert len(w009) == 1 and "'own_template'" in w009[0].msg


def test_install_protects_a_bare_site(other_site, staff_2fa):
    site = other_site("bare")
    assert admin_login.install(site) is True
    assert admin_login.is_protected(site)
    user, _authenticator, _codes = staff_2fa
    request = RequestFactory().get("/bare/")
    request.user = user
    request.session = {}
    assert site.has_permission(request) is False
    request.session = {admin_login.SESSION_KEY: str(user.pk)}
    assert site.has_permission(request) is True
    assert _ids(checks.check_admin_login_second_factor()) == []


def test_the_default_setup_has_no_warning():
    assert _ids(run_checks()) == []


def test_a_login_form_set_later_turns_the_gate_off_and_warns(staff_2fa):
    """A project that sets ``admin.site.login_form`` in its urls.py (after ready()) gets
    Django's login, W009, and not a gate nobody can pass."""
    from django.contrib.admin.forms import AdminAuthenticationForm

    user, _authenticator, _codes = staff_2fa
    ours = admin.site.login_form
    admin.site.login_form = AdminAuthenticationForm  # (monkeypatch would delattr the proxy)
    try:
        assert _ids(checks.check_admin_login_second_factor()) == ["signed_api.W009"]
        client = Client()
        client.force_login(user)
        assert admin_page(client) == 200
    finally:
        admin.site.login_form = ours


def test_drf_login_beside_session_authentication_warns(settings):
    settings.ROOT_URLCONF = "tests.admin.urls_with_drf_login"
    found = checks.check_admin_login_second_factor()
    assert _ids(found) == ["signed_api.W010"], [m.msg for m in found]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": [
        "signed_api.authentication.SignatureAuthentication"]}
    assert _ids(checks.check_admin_login_second_factor()) == []


def test_the_example_project_mounts_no_password_only_login():
    """example_project/urls.py mounts neither rest_framework.urls nor django.contrib.auth.urls:
    the admin login is the only way to a Django session there."""
    from django.urls import NoReverseMatch, reverse

    for name in ("rest_framework:login", "login"):
        with pytest.raises(NoReverseMatch):
            reverse(name)
