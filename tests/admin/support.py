"""Helpers of the admin tests (imported by the test modules).

The admin is driven with Django's test client as a logged-in superuser; a secret shown in a
message is read back from the page's HTML (``<code class="signed-api-secret">``), exactly as an
operator would copy it.
"""

from __future__ import annotations

import base64
import re

from django.contrib.admin import helpers
from django.urls import reverse

from signed_api.client import decode_secret, encode_secret
from tests.accounts import STEP, enrol_device, fresh_code, wrong_code  # noqa: F401 - re-exported
from tests.http import body  # noqa: F401 - re-exported

STAFF_PASSWORD = "staff-pw-for-the-admin"
LOGIN = "/admin/login/"
API_LOGIN = "/api/auth/sessions/"
INVALID = "Please enter the correct username and password for a staff account"
THROTTLED = "Too many failed login attempts"
UNAVAILABLE = "Logging in is not possible right now"
SECRET_RE = re.compile(r'<code class="signed-api-secret">([A-Za-z0-9_-]+)</code>')
NOTES = "/api/notes/"
NOTES_SCOPES = "notes:read notes:write"


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def html(response) -> str:
    return response.content.decode("utf-8")


def shown_secrets(response) -> list[str]:
    """The secrets the page shows in messages (base64url, as clients use them)."""
    return SECRET_RE.findall(html(response))


def the_secret(response) -> tuple[str, bytes]:
    found = shown_secrets(response)
    assert len(found) == 1, found
    return found[0], decode_secret(found[0])


def spellings(secret: bytes) -> list[str]:
    """Every way a secret could leak into a page: base64url, standard base64, hex."""
    return [
        encode_secret(secret),
        base64.b64encode(secret).decode("ascii"),
        base64.b64encode(secret).decode("ascii").rstrip("="),
        secret.hex(),
        secret.hex().upper(),
    ]


def assert_absent(page: str, needles, where: str) -> None:
    for needle in needles:
        if needle:
            assert needle not in page, f"{needle[:12]}... shown on {where}"


def run_action(client, model, action: str, objects, *, confirm: bool = False, query: str = ""):
    """Run a changelist action on ``objects``; ``confirm`` answers its confirmation page."""
    data = {
        "action": action,
        helpers.ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects],
    }
    if confirm:
        data["post"] = "yes"
    else:
        data["index"] = "0"
    return client.post(url(model, "changelist") + query, data, follow=True)


def add_api_key(client, user, *, name="k", algorithm="hmac-sha256", public_key="",
                scopes=NOTES_SCOPES, expires=("", ""), follow=True, **extra):
    data = {
        "user": str(user.pk),
        "name": name,
        "algorithm": algorithm,
        "public_key_pem": public_key,
        "scopes": scopes,
        "expires_at_0": expires[0],
        "expires_at_1": expires[1],
        "_save": "Save",
        **extra,
    }
    from signed_api.models import ApiKey

    return client.post(url(ApiKey, "add"), data, follow=follow)


# -- the admin login with a second factor ---------------------------------------------------------
def log_in(client, username: str, password: str, code: str | None = None, *,
                address: str = "127.0.0.1"):
    """POST the admin login form (not followed)."""
    data = {"username": username, "password": password, "next": "/admin/"}
    if code is not None:
        data["code"] = code
    return client.post(LOGIN, data, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    """The login answered with the redirect into the admin (a failed one shows the form)."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def login_errors(response) -> list[str]:
    """The form-wide errors the login page shows."""
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    return [str(error) for error in form.non_field_errors()]


def admin_page(client) -> int:
    """The status of the admin index for this client: 200 in, 302 to the login page."""
    return client.get("/admin/").status_code


def is_authenticated(client) -> bool:
    from django.contrib.auth import SESSION_KEY

    return SESSION_KEY in client.session


def api_login(username: str, password: str, address: str = "127.0.0.1"):
    """A password login at the API (``POST sessions/``)."""
    from rest_framework.test import APIClient

    return APIClient().post(API_LOGIN, {"username": username, "password": password},
                            format="json", REMOTE_ADDR=address)
