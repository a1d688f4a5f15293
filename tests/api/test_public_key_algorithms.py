"""Client-held keys (docs/protocol.md): the server stores only the public key, registered as PEM."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from example_project.notes.models import Note
from signed_api.models import ApiKey
from signed_api.test import SignedAPIClient
from tests.api.support import NOTES
from tests.http import assert_error

pytestmark = pytest.mark.django_db

GENERATORS = {
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ecdsa-p256-sha256": lambda: ec.generate_private_key(ec.SECP256R1()),
}


def private_pem(private_key) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(params=sorted(GENERATORS))
def algorithm(request):
    return request.param


@pytest.mark.parametrize("public_key_type", [bytes, str])
def test_public_key_signatures_verify(user, algorithm, public_key_type):
    private = GENERATORS[algorithm]()
    pem = public_pem(private)
    key, secret = ApiKey.objects.create_key(
        user, algorithm=algorithm, public_key=pem if public_key_type is bytes else pem.decode()
    )
    assert secret is None
    client = SignedAPIClient(key_id=key.key_id, key=private_pem(private), algorithm=algorithm)

    created = client.post(NOTES, {"text": f"signed with {algorithm}"}, format="json")
    listed = client.get(NOTES)

    assert created.status_code == 201, created.content
    assert Note.objects.get(pk=created.json()["id"]).owner == user
    assert [n["id"] for n in listed.json()] == [created.json()["id"]]


def test_only_the_public_key_is_stored(user, algorithm):
    private = GENERATORS[algorithm]()
    key, _ = ApiKey.objects.create_key(user, algorithm=algorithm, public_key=public_pem(private))
    stored = ApiKey.objects.get(pk=key.pk)
    assert "PRIVATE" not in stored.public_key
    assert stored.public_key.encode() == public_pem(private)
    assert stored.secret_encrypted == ""


def test_another_private_key_is_signature_invalid(user, algorithm):
    registered = GENERATORS[algorithm]()
    key, _ = ApiKey.objects.create_key(user, algorithm=algorithm, public_key=public_pem(registered))
    impostor = SignedAPIClient(
        key_id=key.key_id, key=private_pem(GENERATORS[algorithm]()), algorithm=algorithm
    )
    assert_error(impostor.get(NOTES), "signature_invalid", exact=True, accept_signature=True)


def test_private_pem_given_as_public_key_is_refused(user, algorithm):
    private = GENERATORS[algorithm]()
    with pytest.raises(ValueError, match="public key"):
        ApiKey.objects.create_key(user, algorithm=algorithm, public_key=private_pem(private))
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("algorithm", "other"),
    [("ed25519", "ecdsa-p256-sha256"), ("ecdsa-p256-sha256", "ed25519")],
)
def test_public_key_of_another_algorithm_is_refused(user, algorithm, other):
    with pytest.raises(ValueError):
        ApiKey.objects.create_key(
            user, algorithm=algorithm, public_key=public_pem(GENERATORS[other]())
        )


@pytest.mark.parametrize(
    "public_key",
    [None, b"", b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"],
    ids=["none", "empty", "garbage"],
)
def test_missing_or_bad_public_key_is_refused(user, algorithm, public_key):
    with pytest.raises(ValueError):
        ApiKey.objects.create_key(user, algorithm=algorithm, public_key=public_key)


def test_hmac_key_refuses_a_public_key(user):
    with pytest.raises(ValueError):
        ApiKey.objects.create_key(
            user, public_key=public_pem(ed25519.Ed25519PrivateKey.generate())
        )
