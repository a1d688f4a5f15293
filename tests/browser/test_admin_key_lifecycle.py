"""The key lifecycle through the admin in a real browser: log in, create a key and see its
secret once, reload (gone), sign real HTTP requests with it, rotate, revoke.

The live server is a real HTTP server in this process; requests are signed with the project's
own client (``SignatureAuth`` for requests) and sent over the wire.
"""

from __future__ import annotations

import pytest
import requests

from signed_api.client import SignatureAuth, decode_secret
from signed_api.models import ApiKey

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "ul.messagelist li.warning code.signed-api-secret"
PASSWORD = "admin-pw-for-the-browser"


@pytest.fixture
def people(django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    owner = django_user_model.objects.create_user("alice", password="alice-pw")
    return admin, owner


def _notes(live_server, key_id: str, secret: bytes) -> requests.Response:
    auth = SignatureAuth(key_id, secret)
    return requests.get(f"{live_server.url}/api/notes/", auth=auth, timeout=10)


def _shot(page, folder, name: str) -> None:
    page.screenshot(path=str(folder / f"admin-{name}.png"), full_page=True)


def _row(page, key: ApiKey):
    return page.locator(f"#result_list tr:has(input.action-select[value='{key.pk}'])")


def _run_action(page, key: ApiKey, action: str) -> None:
    page.goto("/admin/signed_api/apikey/")
    page.check(f"input.action-select[value='{key.pk}']")
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")


def test_create_see_once_rotate_revoke(page, live_server, people, screenshot_dir, step):
    from playwright.sync_api import expect  # here: the fixtures skip when it is missing

    _, owner = people

    with step("log in"):
        page.goto("/admin/")
        page.fill("#id_username", "root")
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        _shot(page, screenshot_dir, "01-logged-in")

    with step("create a key"):
        page.goto("/admin/signed_api/apikey/add/")
        page.fill("#id_user", str(owner.pk))
        page.fill("#id_name", "browser key")
        page.select_option("#id_algorithm", "hmac-sha256")
        page.fill("#id_scopes", "notes:read notes:write")
        _shot(page, screenshot_dir, "02-add-form")
        page.click("input[name=_save]")
        # Secrets have a page of their own, reached by a redirect (never message storage).
        page.wait_for_url("**/admin/signed_api/apikey/new-secrets/")
        shown = page.locator(SECRET)
        expect(shown).to_have_count(1)
        secret_text = shown.inner_text().strip()
        _shot(page, screenshot_dir, "03-secret-shown-once")
    key = ApiKey.objects.get(name="browser key")
    secret = decode_secret(secret_text)
    assert len(secret) == 32
    assert key.key_id in page.content()

    with step("sign with the shown secret"):
        assert _notes(live_server, key.key_id, secret).status_code == 200

    with step("reload: the secret is gone"):
        page.reload()
        assert page.locator(SECRET).count() == 0
        assert secret_text not in page.content()
        assert secret.hex() not in page.content()
        page.goto(f"/admin/signed_api/apikey/{key.pk}/change/")
        assert page.locator(SECRET).count() == 0
        assert secret_text not in page.content()
        assert page.input_value("#id_scopes") == "notes:read notes:write"
        _shot(page, screenshot_dir, "04-change-page-no-secret")

    with step("rotate"):
        _run_action(page, key, "rotate_keys")
        shown = page.locator(SECRET)
        expect(shown).to_have_count(1)
        new_text = shown.inner_text().strip()
        assert new_text != secret_text
        _shot(page, screenshot_dir, "05-rotated-new-secret-once")
        with page.expect_navigation():
            page.click("text=Continue")
        assert "rotating" in _row(page, key).inner_text()
    new_secret = decode_secret(new_text)
    assert _notes(live_server, key.key_id, new_secret).status_code == 200
    assert _notes(live_server, key.key_id, secret).status_code == 200  # the overlap
    page.reload()
    assert page.locator(SECRET).count() == 0
    assert new_text not in page.content()

    with step("revoke"):
        _run_action(page, key, "revoke_keys")
        page.wait_for_selector("text=Revoke these keys?")
        _shot(page, screenshot_dir, "06-revoke-confirmation")
        with page.expect_navigation():
            page.click("input[type=submit][value='Yes, revoke']")
        page.wait_for_selector("ul.messagelist li.success")
        assert "revoked" in _row(page, key).inner_text()
        _shot(page, screenshot_dir, "07-revoked")
    for used in (new_secret, secret):
        refused = _notes(live_server, key.key_id, used)
        assert refused.status_code == 401
        assert refused.json()["code"] == "key_revoked"

    with step("the revoked key is read only"):
        page.goto(f"/admin/signed_api/apikey/{key.pk}/change/")
        assert page.locator("#id_name").count() == 0
        assert page.locator("input[name=_save]").count() == 0
        assert "notes:read notes:write" in page.content()
        _shot(page, screenshot_dir, "08-revoked-read-only")
    key.refresh_from_db()
    assert key.status == "revoked"
