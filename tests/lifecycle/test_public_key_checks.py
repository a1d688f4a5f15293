"""The public key of an API key is checked wherever it is accepted, and once more where it is used.

An Ed25519 public key of small order (the identity, or one of the seven other torsion points)
lets *anyone* who knows the key id sign as its owner: under the identity, ``R`` = identity and
``S`` = 0 verifies for every message, and OpenSSL does not refuse such keys. So every way of
giving an API key a public key (``POST keys/``, rotation, enrolment, ``signed_api_createkey``,
``signed_api_rotatekey``; the admin in tests/admin/test_api_keys.py) refuses small-order points,
their non-canonical encodings, points off the curve and points outside the prime-order subgroup
with ``400 invalid_key``; and a row stored before that check existed verifies nothing. A PEM of
an algorithm no library knows is the same ``400 invalid_key``, not a 500.

The bad keys come from ``tests/bad_keys.py``, built independently of the code under test.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from example_project.notes.models import Note
from signed_api.client import decode_secret
from signed_api.conf import signed_api_settings
from signed_api.credentials import key_cache
from signed_api.models import ApiKey, EnrollmentKey, new_key_id
from signed_api.services import keys as key_services
from tests import bad_keys

from .support import (
    ENROLL,
    KEYS,
    NOTES,
    PASSWORD,
    assert_error,
    body,
    ed25519_jwk,
    key_client,
    login,
    new_ed25519,
    new_p256,
    p256_jwk,
    public_pem,
    rotate_url,
    run,
    session_client,
)

pytestmark = pytest.mark.django_db(transaction=True)

SMALL_ORDER = bad_keys.all_small_order_encodings()
FORMS = {"jwk": bad_keys.jwk, "pem": bad_keys.pem}


def _signed():
    return session_client(login("alice", PASSWORD), raise_request_exception=False)


def _refused_keys() -> dict[str, object]:
    """Every Ed25519 public key that must be refused, by name: JWK and PEM of each small-order
    encoding, a point of mixed order, one off the curve."""
    mixed = bad_keys.mixed_order(bad_keys.raw_public_key(new_ed25519()))
    refused: dict[str, object] = {}
    for raw in SMALL_ORDER:
        for form, build in FORMS.items():
            refused[f"small-order {raw.hex()[:8]}…{raw.hex()[-4:]} as {form}"] = build(raw)
    for name, raw in (("mixed-order", mixed), ("off-curve", bad_keys.off_curve())):
        for form, build in FORMS.items():
            refused[f"{name} as {form}"] = build(raw)
    return refused


class _SmallOrderR:
    """A "signature" of R (a point of small order) and S = 0, for any message."""

    alg = "ed25519"

    def __init__(self, r: bytes):
        self.r = r

    def sign(self, data: bytes) -> bytes:
        return self.r + bytes(32)


def _forger(key_id: str, signer=None):
    """A client that signs for ``key_id`` with no private key at all (R = identity, S = 0)."""
    forger = key_client(key_id, new_ed25519(), "ed25519")
    forger.raise_request_exception = False
    forger.signature_auth._key = signer or bad_keys.Forger()
    return forger


def _notes_ok(client) -> None:
    response = client.post(NOTES, {"text": "signed"}, format="json")
    assert response.status_code == 201, (response.status_code, response.content[:300])


# -- the reproduction of the attack review ---------------------------------------------------------
def test_an_ed25519_api_key_of_small_order_cannot_be_forged_by_anyone(user):
    """Registered as a JWK of the identity point, the key would let anyone who knows its id
    (public: it travels in every request) write notes as alice. It is refused at registration."""
    signed = _signed()
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": bad_keys.jwk(bad_keys.IDENTITY)["x"]}

    created = signed.post(KEYS, {"algorithm": "ed25519", "public_key": jwk}, format="json")

    data = assert_error(created, "invalid_key", 400)
    assert "small order" in data["detail"]
    assert not ApiKey.objects.exists()


# -- registration, rotation, enrolment, the commands -----------------------------------------------
def test_post_keys_refuses_every_bad_ed25519_point(user):
    signed = _signed()
    for name, public_key in _refused_keys().items():
        response = signed.post(
            KEYS, {"algorithm": "ed25519", "public_key": public_key}, format="json"
        )
        assert response.status_code == 400, (name, response.status_code, response.content[:300])
        assert body(response)["code"] == "invalid_key", (name, body(response))
    assert not ApiKey.objects.exists()


def test_rotating_to_a_bad_ed25519_point_is_refused_and_changes_nothing(user):
    signed = _signed()
    private = new_ed25519()
    created = body(
        signed.post(
            KEYS, {"algorithm": "ed25519", "public_key": public_pem(private)}, format="json"
        )
    )
    before = ApiKey.objects.get(key_id=created["id"])

    for name, public_key in _refused_keys().items():
        response = signed.post(rotate_url(created["id"]), {"public_key": public_key}, format="json")
        assert response.status_code == 400, (name, response.status_code, response.content[:300])
        assert body(response)["code"] == "invalid_key", (name, body(response))

    after = ApiKey.objects.get(pk=before.pk)
    assert after.public_key == before.public_key
    assert after.previous_public_key == "" and after.previous_valid_until is None
    _notes_ok(key_client(created["id"], private, "ed25519"))
    assert _forger(created["id"]).post(NOTES, {"text": "x"}, format="json").status_code == 401


def test_enrolling_a_bad_ed25519_point_is_refused_and_spends_no_use(user):
    out, _err = run("signed_api_createenrollment", "--uses", "1", "--expires-in", "7", "--json")
    enrollment = json.loads(out)
    client = key_client(enrollment["key_id"], decode_secret(enrollment["secret"]))
    client.raise_request_exception = False

    for public_key in (
        bad_keys.jwk(bad_keys.IDENTITY),
        bad_keys.pem(SMALL_ORDER[-1]),
        bad_keys.unknown_algorithm_pem(),
    ):
        response = client.post(
            ENROLL,
            {"username": "alice", "algorithm": "ed25519", "public_key": public_key},
            format="json",
        )
        assert_error(response, "invalid_key", 400)

    assert EnrollmentKey.objects.get(key_id=enrollment["key_id"]).uses_left == 1
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "pem",
    [
        bad_keys.pem(bad_keys.IDENTITY),
        bad_keys.pem(SMALL_ORDER[-1]),
        bad_keys.pem(bad_keys.off_curve()),
        bad_keys.unknown_algorithm_pem(),
    ],
    ids=["identity", "non-canonical", "off-curve", "unknown-algorithm"],
)
def test_the_commands_refuse_a_bad_public_key(user, tmp_path, pem):
    path = tmp_path / "public.pem"
    path.write_text(pem, encoding="ascii")
    with pytest.raises(CommandError, match="not a valid ed25519 public key"):
        run(
            "signed_api_createkey",
            "--user",
            "alice",
            "--algorithm",
            "ed25519",
            "--public-key",
            str(path),
        )
    assert not ApiKey.objects.exists()

    private = new_ed25519()
    key, _secret = key_services.create_api_key(
        user, algorithm="ed25519", public_key=public_pem(private)
    )
    with pytest.raises(CommandError, match="not a valid ed25519 public key"):
        run("signed_api_rotatekey", key.key_id, "--public-key", str(path))
    assert ApiKey.objects.get(pk=key.pk).previous_valid_until is None
    _notes_ok(key_client(key.key_id, private, "ed25519"))


def test_the_service_refuses_raw_bytes_of_small_order_too(user):
    for raw in SMALL_ORDER:
        with pytest.raises(key_services.KeyError_) as refused:
            key_services.create_api_key(user, algorithm="ed25519", public_key=raw)
        assert refused.value.code == "invalid_key"
        assert refused.value.http_status == 400
    assert not ApiKey.objects.exists()


# -- a public key of an unknown algorithm ----------------------------------------------------------
def test_a_public_key_of_an_unknown_algorithm_at_keys_is_a_400_not_a_500(user):
    """A well-formed SPKI of OID 1.2.3.4: ``cryptography`` raises ``UnsupportedAlgorithm``, not a
    ``ValueError``; it is the same ``400 invalid_key`` as any other unusable public key."""
    signed = _signed()
    for algorithm in ("ed25519", "ecdsa-p256-sha256"):
        response = signed.post(
            KEYS,
            {"algorithm": algorithm, "public_key": bad_keys.unknown_algorithm_pem()},
            format="json",
        )
        assert_error(response, "invalid_key", 400)
    assert not ApiKey.objects.exists()


def test_rotating_to_a_public_key_of_an_unknown_algorithm_is_a_4xx_not_a_500(user):
    signed = _signed()
    private = new_p256()
    created = signed.post(
        KEYS, {"algorithm": "ecdsa-p256-sha256", "public_key": p256_jwk(private)}, format="json"
    )
    assert created.status_code == 201, created.content

    response = signed.post(
        rotate_url(body(created)["id"]),
        {"public_key": bad_keys.unknown_algorithm_pem()},
        format="json",
    )

    assert_error(response, "invalid_key", 400)
    assert ApiKey.objects.get(key_id=body(created)["id"]).previous_valid_until is None
    _notes_ok(key_client(body(created)["id"], private, "ecdsa-p256-sha256"))


# -- rows stored before the check ------------------------------------------------------------------
def _legacy_key(user, **fields) -> ApiKey:
    """A row written as before the check existed: no point check on the way in."""
    fields.setdefault("public_key", bad_keys.pem(bad_keys.IDENTITY))
    return ApiKey.objects.create(
        user=user,
        algorithm="ed25519",
        key_id=new_key_id(signed_api_settings.KEY_ID_PREFIX),
        scopes=["notes:read", "notes:write"],
        **fields,
    )


def test_a_stored_key_of_small_order_verifies_nothing(user, caplog):
    key = _legacy_key(user)
    caplog.set_level(logging.WARNING, logger="signed_api")

    forged = _forger(key.key_id).post(NOTES, {"text": "written by nobody"}, format="json")

    assert_error(forged, "signature_invalid", 401)
    assert not Note.objects.exists()
    assert any(
        "small order" in r.getMessage() and key.key_id in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("raw", SMALL_ORDER, ids=[r.hex()[:8] + r.hex()[-4:] for r in SMALL_ORDER])
def test_no_signature_of_small_order_verifies_under_a_stored_small_order_key(user, raw):
    key = _legacy_key(user, public_key=bad_keys.pem(raw))
    verifying = key.verifying_key()
    assert verifying.small_order
    key_cache.clear()
    for r in SMALL_ORDER:
        response = _forger(key.key_id, _SmallOrderR(r)).get(NOTES)
        assert_error(response, "signature_invalid", 401)


def test_a_previous_key_of_small_order_is_refused_while_the_current_one_works(user):
    private = new_ed25519()
    key = _legacy_key(
        user,
        public_key=public_pem(private),
        previous_public_key=bad_keys.pem(bad_keys.IDENTITY),
        previous_valid_until=timezone.now() + timedelta(hours=1),
    )

    _notes_ok(key_client(key.key_id, private, "ed25519"))
    forged = _forger(key.key_id).post(NOTES, {"text": "x"}, format="json")
    assert_error(forged, "signature_invalid", 401)


# -- normal keys are unaffected --------------------------------------------------------------------
@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_a_normal_ed25519_key_registers_signs_and_rotates(user, form):
    signed = _signed()
    first, second = new_ed25519(), new_ed25519()
    public_key = public_pem(first) if form == "pem" else ed25519_jwk(first)
    created = signed.post(KEYS, {"algorithm": "ed25519", "public_key": public_key}, format="json")
    assert created.status_code == 201, created.content
    key_id = body(created)["id"]
    _notes_ok(key_client(key_id, first, "ed25519"))

    rotated = signed.post(rotate_url(key_id), {"public_key": ed25519_jwk(second)}, format="json")
    assert rotated.status_code == 200, rotated.content
    _notes_ok(key_client(key_id, second, "ed25519"))
    _notes_ok(key_client(key_id, first, "ed25519"))  # the overlap
    assert _forger(key_id).post(NOTES, {"text": "x"}, format="json").status_code == 401
