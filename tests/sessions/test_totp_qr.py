"""QR codes are the optional ``qr`` extra (segno): ``POST totp/`` answers ``qr_svg`` as SVG when
segno is installed and ``null`` without it, and enrolment works either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest

from signed_api.models import TOTPDevice
from tests.accounts import PASSWORD

from .support import TOTP, TOTP_CONFIRM, body, login, session_client

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signed(user):
    return session_client(login("alice", PASSWORD))


def test_enrolment_with_segno_answers_an_svg_qr_code(user, signed):
    pytest.importorskip("segno")
    started = signed.post(TOTP)

    assert started.status_code == 201, started.content
    svg = body(started)["qr_svg"]
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_enrolment_without_segno_answers_qr_svg_null_and_still_enrols(user, signed, monkeypatch):
    # A None entry in sys.modules makes `import segno` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "segno", None)

    started = signed.post(TOTP)

    assert started.status_code == 201, started.content
    data = body(started)
    assert set(data) == {"otpauth_uri", "qr_svg"}
    assert data["qr_svg"] is None
    authenticator = pyotp.parse_uri(data["otpauth_uri"])
    confirmed = signed.post(TOTP_CONFIRM, {"code": authenticator.now()}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert TOTPDevice.objects.get(user=user).confirmed_at is not None


def test_the_app_loads_without_segno():
    script = (
        "import sys\n"
        "sys.modules['segno'] = None\n"  # import segno raises ImportError from here on
        "import django\n"
        "django.setup()\n"
        "import signed_api.services.second_factor, signed_api.views, signed_api.urls\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
