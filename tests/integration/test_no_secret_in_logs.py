"""No secret in a URL or a log line, as deployed: the example project under gunicorn with every
logger at DEBUG (django.request, SQL with its parameters, signed_api) and an access log, through
a full login with a second factor, a wrong code first.

The 202 carries a public id (the verify URL) and a separate challenge token (the body only), so
the access log and Django's "Unauthorized: /…/verify/" line hold no part of a secret.
"""

from __future__ import annotations

import re

import pyotp
import pytest
import requests

from signed_api.client import SignatureAuth, decode_secret

from .test_sqlite_races import PASSWORD, TIMEOUT, deploy


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = deploy(tmp_path_factory, TESTS_LOG_EVERYTHING="1", DJANGO_DEBUG="1")
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def _parts(value: str, width: int = 12) -> list[str]:
    return [value[i : i + width] for i in range(len(value) - width + 1)]


def test_a_second_factor_login_leaves_no_part_of_a_secret_in_any_log(deployment):
    login = requests.post(deployment.url("sessions/"),
                          json={"username": "alice", "password": PASSWORD}, timeout=TIMEOUT)
    assert login.status_code == 201, login.text
    first = login.json()
    auth = SignatureAuth(first["id"], decode_secret(first["secret"]))
    started = requests.post(deployment.url("totp/"), auth=auth, timeout=TIMEOUT)
    authenticator = pyotp.parse_uri(started.json()["otpauth_uri"])
    confirmed = requests.post(deployment.url("totp/confirm/"), json={"code": authenticator.now()},
                              auth=auth, timeout=TIMEOUT)  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    deployment.sql("UPDATE signed_api_totpdevice SET last_t = -1")

    pending = requests.post(deployment.url("sessions/"),
                            json={"username": "alice", "password": PASSWORD}, timeout=TIMEOUT)
    assert pending.status_code == 202, pending.text
    challenge = pending.json()
    right = authenticator.now()
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    verify = deployment.url(f"sessions/{challenge['id']}/verify/")
    refused = requests.post(verify, json={"challenge_token": challenge["challenge_token"],
                                          "code": wrong}, timeout=TIMEOUT)  # fmt: skip
    assert refused.status_code == 401 and refused.json()["code"] == "otp_invalid", refused.text
    done = requests.post(verify, json={"challenge_token": challenge["challenge_token"],
                                       "code": right}, timeout=TIMEOUT)  # fmt: skip
    assert done.status_code == 201, done.text
    second = done.json()
    assert requests.get(deployment.base_url + "/api/notes/", timeout=TIMEOUT,
                        auth=SignatureAuth(second["id"], decode_secret(second["secret"]))
                        ).status_code == 200  # fmt: skip

    log = deployment.log()
    access = deployment.access_path.read_text(errors="replace")
    text = log + "\n" + access
    # The capture works: SQL, Django's 401 line and the verify URL are there.
    assert "SELECT" in log, log[-2000:]
    assert "Unauthorized" in log and "/verify/" in access, (log[-2000:], access)
    needles = {
        "password": [PASSWORD],
        "challenge token": _parts(challenge["challenge_token"]),
        "session secret": _parts(first["secret"]) + _parts(second["secret"]),
        "TOTP seed": _parts(authenticator.secret),
        "recovery code": [c.replace("-", "") for c in confirmed.json()["recovery_codes"]]
        + confirmed.json()["recovery_codes"],
    }
    leaks = {name: [v for v in values if v in text] for name, values in needles.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    for code in (right, wrong):
        assert not re.search(rf"(?<![\d.:]){code}(?![\d])", text), code
