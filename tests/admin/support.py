"""Helpers of the admin tests (imported by the test modules).

The admin is driven with Django's test client as a logged-in superuser; a secret shown in a
message is read back from the page's HTML (``<code class="signed-api-secret">``), exactly as an
operator would copy it.
"""

from __future__ import annotations

import base64
import json
import re

from django.contrib.admin import helpers
from django.urls import reverse

from signed_api.client import decode_secret, encode_secret

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


def body(response) -> dict:
    return json.loads(response.content)
