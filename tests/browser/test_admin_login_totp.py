"""The admin login with a second factor in a real browser (Debian's Chromium under Playwright).

The test enrols a TOTP device for a superuser through the same service the API uses, keeps the
seed as an authenticator app would (pyotp), and logs in on the live server: the password alone
is refused, the password and a current code open the admin. Screenshots go under the test's
tmp dir (and to the session's screenshot folder).
"""

from __future__ import annotations

import shutil

import pytest

from signed_api.models import SecurityEvent
from tests.admin.support import enrol_device, fresh_code

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "admin-pw-for-the-browser"
ERROR = "p.errornote"


@pytest.fixture
def totp_admin(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    authenticator, codes = enrol_device(user)
    return user, authenticator, codes


def _fill(page, username: str, password: str, code: str = "") -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.fill("#id_code", code)


def _submit(page) -> None:
    with page.expect_navigation():
        page.click("#login-form input[type=submit]")


def test_admin_login_with_totp(page, totp_admin, tmp_path, screenshot_dir, step):
    from playwright.sync_api import expect  # here: the fixtures skip when it is missing

    user, authenticator, _codes = totp_admin
    shots = []

    def shot(name: str) -> None:
        path = tmp_path / f"admin-totp-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, screenshot_dir / path.name)
        shots.append(path)

    with step("the login page has a code field"):
        page.goto("/admin/")
        page.wait_for_url("**/admin/login/?next=/admin/")
        expect(page.locator("#id_code")).to_be_visible()
        expect(page.locator("#id_code")).to_have_attribute("autocomplete", "one-time-code")
        shot("01-login-page")

    with step("the password alone is refused"):
        _fill(page, "root", PASSWORD)
        _submit(page)
        expect(page.locator(ERROR)).to_contain_text("Please enter the correct username and "
                                                    "password")
        expect(page.locator("#user-tools")).to_have_count(0)
        shot("02-password-alone-refused")

    with step("password and a current TOTP code"):
        _fill(page, "root", PASSWORD, fresh_code(authenticator, user))
        shot("03-code-typed")
        _submit(page)
        page.wait_for_selector("#user-tools")
        expect(page.locator("#user-tools")).to_contain_text("root")
        shot("04-logged-in")

    with step("the admin works in that session"):
        page.goto("/admin/signed_api/securityevent/")
        expect(page.locator("#result_list")).to_be_visible()

    assert SecurityEvent.objects.filter(kind=SecurityEvent.LOGIN_SUCCEEDED, user=user,
                                        detail__via="admin").exists()
    assert all(path.stat().st_size > 1000 for path in shots)
