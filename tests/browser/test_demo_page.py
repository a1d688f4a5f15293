"""The demo page /demo/ of the example project, served live by gunicorn, driven in Chromium.

What a person does after ``make demo``: the page loads the committed bundle
(``signed_api/static/signed_api/signed-api.js``) and logs in with a device-bound key (a
non-extractable ECDSA key in IndexedDB), enrols TOTP through the page (the code computed here
with pyotp from the seed the page shows), logs out and in again with a TOTP code as second
factor, lists and adds notes through signed requests, then once more through Oblivious HTTP.
Every answer is shown verified on the page (by the server's key from the JWKS: the logins' too,
which the page requires); the notes are in the database afterwards; a response changed on the
way (the page's own button) is shown as not verified. Screenshots of each step go to the browser
tests' screenshot folder.
"""

from __future__ import annotations

import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from tests.integration.test_gunicorn_example import ExampleDeployment, deployment_env

from .support import TIMEOUT_MS

PASSWORD = "demo page password, " + secrets.token_urlsafe(8)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo-page")
    env = deployment_env(f"sqlite:///{workdir / 'example.sqlite3'}")
    deployment = ExampleDeployment(workdir, env)
    try:
        deployment.manage("migrate", "--noinput")
        deployment.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('demo', password={PASSWORD!r})",
        )  # fmt: skip
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def _wait_state(page, state: str) -> None:
    page.wait_for_function(
        "s => document.getElementById('demo').dataset.state === s", arg=state, timeout=TIMEOUT_MS
    )


def _log(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#log li", "items => items.map(i => ({...i.dataset, text: i.textContent}))"
    )


def _log_in(page, code: str | None = None) -> None:
    page.fill("#username", "demo")
    page.fill("#password", PASSWORD)
    assert page.is_checked("#device-bound")  # a device-bound key by default
    page.click("#login-button")
    if code is not None:
        _wait_state(page, "challenge")
        page.fill("#code", code)
        page.click("#code-button")
    _wait_state(page, "logged-in")


def test_demo_page_login_with_totp_and_signed_notes(example, browser, screenshot_dir, step):
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(TIMEOUT_MS)

    with step("load /demo/"):
        page.goto(example.url("/demo/"))
        page.wait_for_function("document.getElementById('demo').dataset.ready === 'true'")
        assert page.eval_on_selector(
            "script[src$='signed-api.js']", "s => s.getAttribute('src')"
        ) == "/static/signed_api/signed-api.js"
        page.screenshot(path=str(screenshot_dir / "demo-1-ready.png"), full_page=True)

    with step("first login, enrol TOTP"):
        _log_in(page)
        assert "device key of this browser" in page.text_content("#session-key")
        page.click("#totp-start")
        page.wait_for_selector("#totp-enrol:not([hidden])")
        uri = page.text_content("#totp-uri")
        seed = parse_qs(urlsplit(uri).query)["secret"][0]
        totp = pyotp.TOTP(seed)
        page.fill("#totp-code", totp.now())
        page.click("#totp-confirm-form button[type=submit]")
        page.wait_for_selector("#recovery:not([hidden])")
        page.screenshot(path=str(screenshot_dir / "demo-2-totp-enrolled.png"), full_page=True)
        page.click("#logout-button")
        _wait_state(page, "logged-out")

    with step("login with a TOTP code"):
        # The enrolment used this step's code; a code is taken once per step, so the next step's
        # (accepted within the server's tolerance) is the one to type now.
        _log_in(page, code=totp.at(time.time() + 30))
        assert "device key of this browser" in page.text_content("#session-key")
        page.screenshot(path=str(screenshot_dir / "demo-3-logged-in.png"), full_page=True)

    with step("add notes in the clear and through OHTTP"):
        page.fill("#note-text", "a note from the demo page")
        page.click("#note-add")
        page.wait_for_selector("#notes li:has-text('a note from the demo page')")
        page.check("#use-ohttp")
        page.fill("#note-text", "a note through Oblivious HTTP")
        page.click("#note-add")
        page.wait_for_selector("#notes li:has-text('a note through Oblivious HTTP')")
        page.wait_for_function(
            "document.querySelectorAll('#log li[data-via=ohttp][data-path=\"/api/notes/\"]')"
            ".length >= 2"
        )
        page.screenshot(path=str(screenshot_dir / "demo-4-notes.png"), full_page=True)

    log = _log(page)
    with step("a response changed on the way"):
        page.uncheck("#use-ohttp")
        page.click("#tamper-response")
        page.wait_for_function(
            "() => document.querySelector('#log li').dataset.verified === 'false'"
        )
        changed = _log(page)[0]
        assert changed["verification"] == "digest_mismatch", changed
        page.screenshot(path=str(screenshot_dir / "demo-5-changed-response.png"), full_page=True)
    context.close()
    assert not errors, errors

    def is_login(e):  # unsigned requests: the password, then the code
        login = re.fullmatch(r"/api/auth/sessions/(.+/verify/)?", e["path"])
        return e["method"] == "POST" and login is not None

    signed = [e for e in log if not is_login(e)]
    assert signed, log
    for entry in log:  # every answer verified (the logins' by the server key), none refused
        assert entry["verified"] == "true", entry
        assert entry["status"].startswith("2") and not entry["code"], entry
        assert re.search(r"signature verified", entry["text"]), entry
    notes = [(e["method"], e["via"]) for e in signed if e["path"] == "/api/notes/"]
    assert ("POST", "clear") in notes and ("POST", "ohttp") in notes
    assert ("GET", "clear") in notes and ("GET", "ohttp") in notes
    assert any(e["method"] == "DELETE" for e in signed)  # the logout, signed and verified
    logins = [e for e in log if is_login(e)]
    assert {e["status"] for e in logins} >= {"201", "202"}, logins  # the 202 asked for the code

    saved = example.manage(
        "shell", "-c",
        "from example_project.notes.models import Note; "
        "print(sorted(Note.objects.values_list('text', flat=True)))",
    )  # fmt: skip
    assert "a note from the demo page" in saved and "a note through Oblivious HTTP" in saved
