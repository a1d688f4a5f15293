"""The JavaScript client (clients/js) against the example project served live by gunicorn.

A Node script (``clients/js/interop/interop.mjs``) signs requests with an API key of every
algorithm (hmac-sha256, ecdsa-p256-sha256, ed25519), in the clear and through the Oblivious
HTTP gateway; logs in with a password, enrols TOTP, logs in again with a TOTP code into a
session bound to a non-extractable P-256 device key, trades its remember token in a request
signed by that key, and logs in through the gateway with a recovery code and an Ed25519 device
key; it verifies the server's signature on every answer (the hmac secret, or the server's key
from the JWKS), refusals and login answers included (signed by the server key), and the
gateway login runs with ``requireSignedAnswers``. The server must accept every request; Node
must verify every response. Then Python, with its own client, finds the notes Node wrote.

Needs ``node`` (20 or newer) and ``npm ci`` in ``clients/js``: without them the test is skipped,
and fails under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from signed_api.client import SignatureAuth, decode_secret

from .support import find_secret, redis_url_with_db
from .test_gunicorn_example import ExampleDeployment, deployment_env

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "clients" / "js"
SCRIPT = PACKAGE / "interop" / "interop.mjs"
NODE_TIMEOUT = 240  # seconds for the whole script (two cores shared by several people)
REDIS_DB = 13  # a Redis database of this module's own
PASSWORD = "correct horse battery staple, for the JS client"

pytestmark = pytest.mark.redis


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _node() -> str:
    """The node binary, 20 or newer, with the package's dependencies installed; else skip (or,
    under CI, fail)."""
    problem = None
    node = shutil.which("node")
    if node is None:
        problem = "node is not installed"
    else:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
        major = int(version.stdout.strip().lstrip("v").split(".")[0] or 0)
        if major < 20:
            problem = f"node {version.stdout.strip()} is older than 20"
        elif not (PACKAGE / "node_modules" / "@hpke" / "core").is_dir():
            problem = "the JS client's dependencies are not installed (cd clients/js && npm ci)"
    if problem:
        if _under_ci():
            pytest.fail(f"CI=true and {problem}", pytrace=False)
        pytest.skip(problem)
    assert node is not None
    return node


def _public_pem(private) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_pem(private) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, redis_url):
    import redis

    workdir = tmp_path_factory.mktemp("js-interop")
    own_redis = redis_url_with_db(redis_url, REDIS_DB)
    redis_client = redis.Redis.from_url(own_redis, socket_timeout=10)
    redis_client.flushdb()
    env = deployment_env(f"sqlite:///{workdir / 'example.sqlite3'}", REDIS_URL=own_redis)
    example = ExampleDeployment(workdir, env)
    try:
        example.manage("migrate", "--noinput")
        example.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('alice', password={PASSWORD!r})",
        )  # fmt: skip
        keys = []
        key_id, secret = example.create_key("alice")
        keys.append({"keyId": key_id, "algorithm": "hmac-sha256", "secret": secret})
        for algorithm, private in (
            ("ecdsa-p256-sha256", ec.generate_private_key(ec.SECP256R1())),
            ("ed25519", ed25519.Ed25519PrivateKey.generate()),
        ):
            public = workdir / f"{algorithm}.pub.pem"
            public.write_bytes(_public_pem(private))
            created = json.loads(example.manage(
                "signed_api_createkey", "--user", "alice", "--algorithm", algorithm,
                "--public-key", str(public), "--json",
            ))  # fmt: skip
            assert created["algorithm"] == algorithm
            keys.append({"keyId": created["key_id"], "algorithm": algorithm,
                         "privatePem": _private_pem(private)})  # fmt: skip
        example.js_keys = keys
        example.start()
        yield example
    finally:
        example.stop()
        redis_client.flushdb()
        redis_client.close()


def test_js_client_interoperates_with_the_live_server(deployment, tmp_path):
    node = _node()
    config = tmp_path / "interop.json"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"baseUrl": deployment.base_url, "username": "alice", "password": PASSWORD,
                   "keys": deployment.js_keys}, fh)  # fmt: skip
    result = subprocess.run(
        [node, str(SCRIPT), str(config)], cwd=PACKAGE, capture_output=True, text=True,
        timeout=NODE_TIMEOUT, env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )  # fmt: skip
    print(result.stdout)  # every check, shown with -s or on failure
    log = deployment.stderr()[-4000:]
    assert result.returncode == 0, (
        f"node failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}\n--- gunicorn ---\n{log}"
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    checks = {line["check"]: line for line in lines if "check" in line}
    assert lines[-1].get("done") is True
    assert all(line["ok"] for line in checks.values())
    # Every algorithm, both transports, every login path was exercised.
    for algorithm in ("hmac-sha256", "ecdsa-p256-sha256", "ed25519"):
        for via in ("in the clear", "through OHTTP"):
            assert f"{algorithm} key {via}: POST response verified" in checks, (algorithm, via)
    for name in (
        "hmac session: POST response verified",
        "TOTP accepted: a session bound to the device key",
        "device-bound ECDSA session through OHTTP: POST response verified",
        "the remember token, signed by the device key, gives a new bound session",
        "a recovery code through OHTTP: an Ed25519-bound session",
        "a body changed after signing is refused",
        "a response changed on the way does not verify",
        "a signed refusal verifies by the server key",
        "a refused login's answer verifies by the server key",
        "a skewed clock is corrected from server_time and the request succeeds",
    ):
        assert name in checks, name
    # The server's keys signed the answers to client-held keys; each hmac key answered itself.
    hmac_key = deployment.js_keys[0]
    # Python's own client sees the notes Node wrote, through every path.
    auth = SignatureAuth(hmac_key["keyId"], decode_secret(hmac_key["secret"]))
    listed = requests.get(deployment.url("/api/notes/"), auth=auth, timeout=15)
    assert listed.status_code == 200
    auth.verify_response(listed)
    body = listed.json()
    texts = [n["text"] for n in (body if isinstance(body, list) else body["results"])]
    for label in ("hmac-sha256 key in the clear", "ecdsa-p256-sha256 key through OHTTP",
                  "ed25519 key in the clear", "device-bound ECDSA session in the clear",
                  "device-bound Ed25519 session through OHTTP", "remembered session"):
        assert any(t.startswith(f"from node: {label} ") for t in texts), label
    # No secret of the run reached the server's log.
    for key in deployment.js_keys:
        if "secret" in key:
            assert not find_secret(deployment.stderr(), decode_secret(key["secret"]))
