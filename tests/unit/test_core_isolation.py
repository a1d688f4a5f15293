"""The core and the client import no Django and no DRF (docs/architecture.md).

Each import runs in a fresh interpreter with a clean environment (no
``DJANGO_SETTINGS_MODULE``), then reports which top-level modules got imported. A control case
imports Django on purpose, to prove the probe would notice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "rest_framework")

PROBE = """
import json, os, sys
assert "DJANGO_SETTINGS_MODULE" not in os.environ
{code}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


def imported_top_level_modules(code: str) -> set[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import signed_api",
        "import signed_api.core",
        "from signed_api.core import *",
        "import signed_api.core.fastsf, signed_api.core.sf, signed_api.core.digest",
        "import signed_api.client",
        "import signed_api.client.__main__",
    ],
)
def test_import_pulls_in_no_django_or_drf(code):
    modules = imported_top_level_modules(code)
    assert "signed_api" in modules
    assert not modules & set(FORBIDDEN), sorted(modules & set(FORBIDDEN))


def test_core_signs_and_verifies_without_django():
    # Not only importable: usable, with no settings anywhere.
    code = """
from signed_api.core import Message, Policy, load_signing_key, sign_message, verify_message
key = load_signing_key("hmac-sha256", b"k" * 32)
message = Message.from_url("GET", "https://example.com/a?b=1")
signature_input, signature = sign_message(
    message, key, components=["@method", "@path", "@query"], keyid="x", created=100
)
message.set_field("signature-input", signature_input)
message.set_field("signature", signature)
assert verify_message(message, lambda keyid: key, Policy(), now=100).keyid == "x"
"""
    modules = imported_top_level_modules(code)
    assert not modules & set(FORBIDDEN)


def test_client_signs_a_request_without_django():
    code = """
import requests
from signed_api.client import SignatureAuth
prepared = requests.Request(
    "POST", "https://example.com/x", json={"a": 1}, auth=SignatureAuth("k", b"s" * 32)
).prepare()
assert "content-digest" in prepared.headers["Signature-Input"]
"""
    modules = imported_top_level_modules(code)
    assert {"requests", "httpx"} <= modules
    assert not modules & set(FORBIDDEN)


def test_the_probe_would_see_django():
    # The control: the same probe does report Django when something imports it.
    assert "django" in imported_top_level_modules("import signed_api.core, django.conf")
