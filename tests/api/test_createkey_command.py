"""``manage.py signed_api_createkey`` (docs/django.md)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.core.management import CommandError, call_command
from django.utils import timezone

from signed_api.client import decode_secret, encode_secret
from signed_api.models import ApiKey
from signed_api.test import SignedAPIClient
from tests.api.support import NOTES

pytestmark = pytest.mark.django_db

GENERATORS = {
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ecdsa-p256-sha256": lambda: ec.generate_private_key(ec.SECP256R1()),
}


def createkey(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("signed_api_createkey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _field(output: str, name: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name!r} line in {output!r}")


def _pem_files(tmp_path, algorithm):
    private = GENERATORS[algorithm]()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "private.pem").write_bytes(private_pem)
    (tmp_path / "public.pem").write_bytes(public_pem)
    return private_pem, tmp_path / "public.pem", tmp_path / "private.pem"


# -- hmac ----------------------------------------------------------------------------------------


def test_hmac_prints_key_id_and_secret_once_and_the_secret_signs(user, caplog):
    caplog.set_level(logging.DEBUG)
    out, err = createkey("--user", user.username)

    key_id = _field(out, "key id")
    secret_text = _field(out, "secret")
    secret = decode_secret(secret_text)
    assert len(secret) == 32
    assert encode_secret(secret) == secret_text  # base64url, no padding
    assert "=" not in secret_text
    assert (out + err).count(secret_text) == 1
    assert secret_text not in caplog.text
    key = ApiKey.objects.get(key_id=key_id)
    assert key.user == user
    assert key.algorithm == "hmac-sha256"
    assert secret_text not in key.secret_encrypted

    client = SignedAPIClient(key_id=key_id, key=secret)
    assert client.post(NOTES, {"text": "from the command"}, format="json").status_code == 201


def test_json_output(user):
    out, _ = createkey("--user", user.username, "--json")

    data = json.loads(out)
    assert set(data) == {"key_id", "secret", "algorithm"}
    assert data["algorithm"] == "hmac-sha256"
    assert ApiKey.objects.get(key_id=data["key_id"]).user == user
    client = SignedAPIClient(key_id=data["key_id"], key=decode_secret(data["secret"]))
    assert client.get(NOTES).status_code == 200


def test_name_and_expires_in(user):
    before = timezone.now()
    out, _ = createkey("--user", user.username, "--json", "--name", "ci deploy",
                       "--expires-in", "7")
    key = ApiKey.objects.get(key_id=json.loads(out)["key_id"])
    assert key.name == "ci deploy"
    assert before + timedelta(days=7) <= key.expires_at <= timezone.now() + timedelta(days=7)


def test_without_expires_in_the_key_does_not_expire(user):
    out, _ = createkey("--user", user.username, "--json")
    assert ApiKey.objects.get(key_id=json.loads(out)["key_id"]).expires_at is None


# -- client-held keys ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(GENERATORS))
def test_public_key_algorithm_with_pem_file(user, tmp_path, algorithm):
    private_pem, public_file, _ = _pem_files(tmp_path, algorithm)

    out, _ = createkey("--user", user.username, "--algorithm", algorithm,
                       "--public-key", str(public_file))

    key_id = _field(out, "key id")
    assert "secret" not in out
    assert ApiKey.objects.get(key_id=key_id).algorithm == algorithm
    client = SignedAPIClient(key_id=key_id, key=private_pem, algorithm=algorithm)
    assert client.get(NOTES).status_code == 200


@pytest.mark.parametrize("algorithm", sorted(GENERATORS))
def test_public_key_algorithm_json_has_a_null_secret(user, tmp_path, algorithm):
    _, public_file, _ = _pem_files(tmp_path, algorithm)
    out, _ = createkey("--user", user.username, "--algorithm", algorithm,
                       "--public-key", str(public_file), "--json")
    data = json.loads(out)
    assert data["secret"] is None
    assert data["algorithm"] == algorithm


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(GENERATORS))
def test_private_key_file_is_refused(user, tmp_path, algorithm):
    _, _, private_file = _pem_files(tmp_path, algorithm)
    with pytest.raises(CommandError, match="public key"):
        createkey("--user", user.username, "--algorithm", algorithm,
                  "--public-key", str(private_file))
    assert not ApiKey.objects.exists()


def test_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        createkey("--user", "nobody")
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--algorithm", "ed25519"], id="public-key-algorithm-without-pem"),
        pytest.param(["--public-key", "PUBLIC"], id="hmac-with-a-public-key"),
        pytest.param(["--algorithm", "ed25519", "--public-key", "MISSING"], id="missing-file"),
        pytest.param(["--algorithm", "none"], id="unknown-algorithm"),
        pytest.param(["--expires-in", "0"], id="expires-in-zero"),
        pytest.param(["--expires-in", "-3"], id="expires-in-negative"),
        pytest.param(["--expires-in", "soon"], id="expires-in-not-a-number"),
    ],
)
def test_bad_arguments_are_command_errors(user, tmp_path, args):
    _, public_file, _ = _pem_files(tmp_path, "ed25519")
    args = [
        {"PUBLIC": str(public_file), "MISSING": str(tmp_path / "missing.pem")}.get(a, a)
        for a in args
    ]
    with pytest.raises(CommandError):
        createkey("--user", user.username, *args)
    assert not ApiKey.objects.exists()


# -- values out of range: a CommandError, nothing written ---------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["signed_api_createkey", "--user", "alice", "--expires-in", "999999999"],
        ["signed_api_createkey", "--user", "alice", "--expires-in", "3651"],
        ["signed_api_createkey", "--user", "alice", "--name", "n" * 101],
        ["signed_api_createenrollment", "--uses", "1", "--expires-in", "999999999"],
        ["signed_api_createenrollment", "--uses", "3000000000"],
        ["signed_api_createenrollment", "--uses", "1", "--name", "n" * 101],
    ],
    ids=["key-expiry-overflow", "key-expiry-over-10-years", "key-name-too-long",
         "enrollment-expiry-overflow", "enrollment-uses-too-many", "enrollment-name-too-long"],
)
def test_a_value_out_of_range_is_a_command_error_and_writes_nothing(user, command):
    """Each was a traceback (OverflowError; on PostgreSQL a DataError for the name and the uses)
    or, on SQLite, a 5000-character name stored as it came."""
    from signed_api.models import ApiKey, EnrollmentKey

    with pytest.raises(CommandError):
        call_command(*command, stdout=StringIO())
    assert not ApiKey.objects.exists() and not EnrollmentKey.objects.exists()
