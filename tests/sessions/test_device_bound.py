"""Device-bound sessions over HTTP: a login that registers a device public key gets a session
without a secret, whose requests verify with that key and whose responses the server signs with
its own key; its remember-me tokens are exchanged only under the device key's signature.

The device keys, their JWKs and thumbprints are built here from ``cryptography`` objects and
``hashlib`` (not through the code under test). P-256 signatures are made the way iOS
(``SecKeyCreateSignature``, CryptoKit's ``derRepresentation``) and Android (``Signature
"SHA256withECDSA"``) make them, as DER, and converted to r‖s by a small DER reader of the test's
own, as those clients must.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from signed_api.client import SignatureAuth
from signed_api.conf import signed_api_settings
from signed_api.core import SigningKey
from signed_api.models import RememberFamily, RememberToken, SecurityEvent, Session
from signed_api.test import SignedAPIClient
from tests.accounts import PASSWORD
from tests.lifecycle.support import ed25519_jwk, get_signed, p256_jwk, private_pem, public_pem

from .support import (
    NOTES,
    SESSIONS,
    assert_error,
    body,
    enrol,
    fresh_code,
    login,
    post_login,
    session_client,
    verify,
)

pytestmark = pytest.mark.django_db(transaction=True)

P256 = "ecdsa-p256-sha256"
ED25519 = "ed25519"
ALGORITHMS = (P256, ED25519)
JWKS = "/.well-known/signed-api/keys"


# -- a device, built without the code under test -----------------------------------------------
def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def der_to_raw(der: bytes) -> bytes:
    """ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } to r‖s, 32 bytes each: what a
    mobile client does with the DER that the Secure Enclave or the Keystore returns."""
    assert der[0] == 0x30 and der[1] == len(der) - 2, der.hex()
    out, at = b"", 2
    for _ in range(2):
        assert der[at] == 0x02
        length = der[at + 1]
        value = der[at + 2 : at + 2 + length]
        at += 2 + length
        out += value.lstrip(b"\x00").rjust(32, b"\x00")
    assert at == len(der)
    return out


class MobileP256Key(SigningKey):
    """A P-256 key that signs as the platform APIs do (DER), converted to r‖s."""

    alg = P256

    def __init__(self, private):
        self.private = private

    def sign(self, data: bytes) -> bytes:
        return der_to_raw(self.private.sign(data, ec.ECDSA(hashes.SHA256())))


class Device:
    """A phone: a private key that never leaves it, and what it sends of it."""

    def __init__(self, algorithm: str = P256):
        self.algorithm = algorithm
        if algorithm == P256:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.jwk = p256_jwk(self.private)
            members = ("crv", "kty", "x", "y")
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
            self.jwk = ed25519_jwk(self.private)
            members = ("crv", "kty", "x")
        # RFC 7638 §3: the required members, sorted, no whitespace; SHA-256; base64url.
        canonical = "{" + ",".join(f'"{m}":"{self.jwk[m]}"' for m in members) + "}"
        self.thumbprint = b64u(hashlib.sha256(canonical.encode()).digest())
        self.pem = public_pem(self.private)

    def registration(self, form: str = "jwk") -> dict:
        return {"public_key": self.jwk if form == "jwk" else self.pem, "algorithm": self.algorithm}

    def auth(self, key_id: str) -> SignatureAuth:
        auth = SignatureAuth(key_id, self.private, algorithm=self.algorithm)
        if self.algorithm == P256:
            auth._key = MobileP256Key(self.private)  # sign as a phone does
        return auth

    def client(self, key_id: str) -> SignedAPIClient:
        client = SignedAPIClient()
        client.signature_auth = self.auth(key_id)
        return client


def bound_login(device: Device, *, form: str = "jwk", **fields) -> dict:
    return login("alice", PASSWORD, **device.registration(form), **fields)


def exchange(token: str, device: Device | None = None, *, keyid: str | None = None, **fields):
    """``POST sessions/`` with a remember token, signed by ``device`` (keyid: its thumbprint)
    or unsigned."""
    client = APIClient() if device is None else device.client(keyid or device.thumbprint)
    return client.post(SESSIONS, {"remember_token": token, **fields}, format="json")


def server_jwks(client) -> dict:
    return body(client.get(JWKS))


def consumed_long_ago(token: str) -> None:
    grace = timedelta(seconds=signed_api_settings.REMEMBER_REUSE_GRACE + 1)
    updated = RememberToken.objects.filter(lookup=token.split("_")[1]).update(
        consumed_at=timezone.now() - grace
    )
    assert updated == 1


# -- logging in with a device key --------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("form", ["jwk", "pem"])
def test_a_bound_login_has_no_secret_and_its_requests_verify_with_the_device_key(
    user, algorithm, form
):
    device = Device(algorithm)
    data = bound_login(device, form=form)

    assert "secret" not in data
    assert set(data) == {"id", "algorithm", "expires_at", "idle_timeout", "key_thumbprint"}
    assert data["algorithm"] == algorithm
    assert data["key_thumbprint"] == device.thumbprint
    response = device.client(data["id"]).get(NOTES)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_responses_to_a_bound_session_are_signed_by_the_server_key(user, algorithm):
    device = Device(algorithm)
    data = bound_login(device)
    client = APIClient()
    auth = device.auth(data["id"])

    response, received = get_signed(client, auth, NOTES)

    assert response.status_code == 200
    verified = auth.verify_response(received, server_keys=server_jwks(client))
    assert verified.keyid.startswith("srv_")
    assert verified.keyid in {k["kid"] for k in server_jwks(client)["keys"]}


def test_a_bound_session_cannot_be_used_with_an_hmac_secret(user):
    data = bound_login(Device())
    for secret in (b"", b"\x00" * 32):
        client = SignedAPIClient()
        if secret:
            client.sign_with(data["id"], secret)
        else:
            client.signature_auth = None
        response = client.get(NOTES)
        assert response.status_code == 401, response.content


def test_a_request_signed_by_another_key_is_refused(user):
    data = bound_login(Device())
    response = Device().client(data["id"]).get(NOTES)
    assert_error(response, "signature_invalid")


def test_the_server_stores_no_secret_for_a_bound_session(user):
    """A dump of every table of the app: the bound session and its family hold a public key
    and a thumbprint, no secret, and nothing of the private key appears anywhere."""
    device = Device(P256)
    data = bound_login(device, remember=True)
    session = Session.objects.get(key_id=data["id"])
    assert session.secret_encrypted == ""
    assert session.public_key.strip() == device.pem.strip()

    out = io.StringIO()
    call_command("dumpdata", "signed_api", stdout=out)
    dump = json.loads(out.getvalue())
    rows = [r for r in dump if r["model"] == "signed_api.session" and r["pk"] == session.pk]
    assert rows and rows[0]["fields"]["secret_encrypted"] == ""
    text = out.getvalue()
    d = device.private.private_numbers().private_value.to_bytes(32, "big")
    for needle in (b64u(d), d.hex(), private_pem(device.private).splitlines()[1]):
        assert needle not in text
    assert "secret" not in json.dumps(data)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_pem_on_one_line_as_android_writes_it_is_accepted(user, newline):
    device = Device(P256)
    der = device.private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pem = newline.join(["-----BEGIN PUBLIC KEY-----", base64.b64encode(der).decode(),
                        "-----END PUBLIC KEY-----", ""])
    data = login("alice", PASSWORD, public_key=pem, algorithm=P256)
    assert data["key_thumbprint"] == device.thumbprint


def test_a_bound_second_factor_login_gives_a_bound_session(user):
    authenticator, _codes = enrol(session_client(login("alice", PASSWORD)))
    device = Device(ED25519)
    pending = post_login(username="alice", password=PASSWORD, **device.registration())
    assert pending.status_code == 202, pending.content

    done = verify(body(pending), fresh_code(authenticator, user))

    assert done.status_code == 201, done.content
    data = body(done)
    assert "secret" not in data and data["key_thumbprint"] == device.thumbprint
    assert device.client(data["id"]).get(NOTES).status_code == 200


def test_a_bound_second_factor_login_with_remember_binds_the_family(user):
    authenticator, _codes = enrol(session_client(login("alice", PASSWORD)))
    device = Device(P256)
    pending = post_login(username="alice", password=PASSWORD, remember=True,
                         **device.registration("pem"))
    data = body(verify(body(pending), fresh_code(authenticator, user)))
    assert_error(exchange(data["remember_token"]), "device_signature_required")
    assert exchange(data["remember_token"], device).status_code == 201


def test_the_thumbprint_is_rfc_8037s_known_answer():
    """RFC 8037 Appendix A.3: the thumbprint of its Ed25519 example key."""
    from signed_api.core.jwk import jwk_thumbprint

    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert jwk_thumbprint({**jwk, "kid": "ignored", "use": "sig"}) == jwk_thumbprint(jwk)


def test_the_sessions_list_and_the_audit_log_show_the_binding(user):
    device = Device(P256)
    bound = bound_login(device)
    plain = login("alice", PASSWORD)

    listed = {s["id"]: s for s in body(device.client(bound["id"]).get(SESSIONS))}

    assert listed[bound["id"]]["algorithm"] == P256
    assert listed[bound["id"]]["device_bound"] is True
    assert listed[bound["id"]]["key_thumbprint"] == device.thumbprint
    assert listed[plain["id"]]["algorithm"] == "hmac-sha256"
    assert listed[plain["id"]]["device_bound"] is False
    assert listed[plain["id"]]["key_thumbprint"] is None
    event = SecurityEvent.objects.get(kind=SecurityEvent.LOGIN_SUCCEEDED, key_id=bound["id"])
    assert event.detail["device_key"] == {"algorithm": P256, "thumbprint": device.thumbprint}


def test_the_admin_shows_the_binding(admin_client, user):
    device = Device(ED25519)
    data = bound_login(device, remember=True)
    session = Session.objects.get(key_id=data["id"])

    listing = admin_client.get("/admin/signed_api/session/").content.decode()
    detail = admin_client.get(f"/admin/signed_api/session/{session.pk}/change/").content.decode()
    family = admin_client.get(
        f"/admin/signed_api/rememberfamily/{session.remember_family_id}/change/"
    ).content.decode()

    assert f"ed25519 {device.thumbprint}" in listing
    assert device.thumbprint in detail and "ed25519" in detail
    assert device.thumbprint in family


# -- bad keys: 400 with a code, before any credential is looked at -------------------------------
def _p384_jwk():
    numbers = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    return {"kty": "EC", "crv": "P-384", "x": b64u(numbers.x.to_bytes(48, "big")),
            "y": b64u(numbers.y.to_bytes(48, "big"))}


def _off_curve_jwk():
    jwk = p256_jwk(ec.generate_private_key(ec.SECP256R1()))
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    return {**jwk, "y": b64u(((y + 1) % 2**256).to_bytes(32, "big"))}


_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1


def _unreduced_jwk():
    """A coordinate that is not reduced modulo the field prime (32 bytes still): no
    canonical coordinate, whatever a lenient parser would make of it."""
    return {**p256_jwk(_p256), "x": b64u(_P256_P.to_bytes(32, "big"))}


def _okp(raw: bytes) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}


# Ed25519 torsion points (RFC 8032 encodings): the identity, order 2, 4 and 8.
ED25519_IDENTITY = bytes([1]) + bytes(31)
ED25519_ORDER_2 = bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
ED25519_ORDER_4 = bytes(32)
ED25519_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def _mixed_order() -> bytes:
    """A valid public key plus a point of order 8: on the curve, not in the prime-order
    subgroup (computed with the curve's addition law, here in the test)."""
    p = 2**255 - 19
    d = -121665 * pow(121666, p - 2, p) % p

    def decode(raw):
        value = int.from_bytes(raw, "little")
        sign, y = value >> 255, value & ((1 << 255) - 1)
        u, v = (y * y - 1) % p, (d * y * y + 1) % p
        x = u * pow(v, 3, p) * pow(u * pow(v, 7, p), (p - 5) // 8, p) % p
        if v * x * x % p != u:
            x = x * pow(2, (p - 1) // 4, p) % p
        if x & 1 != sign:
            x = p - x
        return x, y

    (x1, y1), (x2, y2) = decode(
        ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ), decode(ED25519_ORDER_8)
    k = d * x1 * x2 * y1 * y2 % p
    x3 = (x1 * y2 + y1 * x2) * pow(1 + k, p - 2, p) % p
    y3 = (y1 * y2 + x1 * x2) * pow(1 - k, p - 2, p) % p
    return (y3 | ((x3 & 1) << 255)).to_bytes(32, "little")


def _rsa_pem():
    return public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _p384_pem():
    return public_pem(ec.generate_private_key(ec.SECP384R1()))


_p256 = ec.generate_private_key(ec.SECP256R1())
_ed = ed25519.Ed25519PrivateKey.generate()

BAD_KEYS = {
    "P-384 JWK": (lambda: _p384_jwk(), P256),
    "P-384 PEM": (lambda: _p384_pem(), P256),
    "off the curve": (lambda: _off_curve_jwk(), P256),
    "coordinate above the prime": (lambda: _unreduced_jwk(), P256),
    "EC kty with Ed25519 crv": (lambda: {**p256_jwk(_p256), "crv": "Ed25519"}, P256),
    "OKP JWK for ecdsa": (lambda: ed25519_jwk(_ed), P256),
    "EC JWK for ed25519": (lambda: p256_jwk(_p256), ED25519),
    "Ed25519 PEM for ecdsa": (lambda: public_pem(_ed), P256),
    "P-256 PEM for ed25519": (lambda: public_pem(_p256), ED25519),
    "RSA PEM": (lambda: _rsa_pem(), P256),
    "RSA JWK": (lambda: {"kty": "RSA", "n": b64u(b"\x01" * 256), "e": "AQAB"}, P256),
    "identity": (lambda: _okp(ED25519_IDENTITY), ED25519),
    "order 2": (lambda: _okp(ED25519_ORDER_2), ED25519),
    "order 4": (lambda: _okp(ED25519_ORDER_4), ED25519),
    "order 8": (lambda: _okp(ED25519_ORDER_8), ED25519),
    "mixed order": (lambda: _okp(_mixed_order()), ED25519),
    "non-canonical y": (lambda: _okp(b"\xff" * 31 + b"\x7f"), ED25519),
    "not on the Ed25519 curve": (lambda: _okp((2).to_bytes(32, "little")), ED25519),
    "x of 31 bytes": (lambda: _okp(b"\x05" * 31), ED25519),
    "x padded": (lambda: {**ed25519_jwk(_ed), "x": ed25519_jwk(_ed)["x"] + "="}, ED25519),
    "x with stray characters": (lambda: {**ed25519_jwk(_ed), "x": "*" + ed25519_jwk(_ed)["x"]},
                                ED25519),
    "x not a string": (lambda: {**ed25519_jwk(_ed), "x": 12}, ED25519),
    "alg of another algorithm": (lambda: {**p256_jwk(_p256), "alg": "EdDSA"}, P256),
    "alg of RSA": (lambda: {**ed25519_jwk(_ed), "alg": "RS256"}, ED25519),
    "use enc": (lambda: {**p256_jwk(_p256), "use": "enc"}, P256),
    "key_ops without verify": (lambda: {**p256_jwk(_p256), "key_ops": ["encrypt"]}, P256),
    "private JWK (d)": (lambda: ed25519_jwk(_ed, include_private=True), ED25519),
    "private P-256 JWK": (lambda: p256_jwk(_p256, include_private=True), P256),
    "private PEM": (lambda: private_pem(_p256), P256),
    "garbage PEM": (lambda: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", P256),
    "base64 without armour": (lambda: public_pem(_p256).splitlines()[1], P256),
    "two PEM blocks": (lambda: public_pem(_p256) + public_pem(_p256), P256),
    "huge PEM": (lambda: "-----BEGIN PUBLIC KEY-----\n" + "A" * 100_000, P256),
    "a number": (lambda: 42, P256),
    "a list": (lambda: [1, 2], P256),
    "an empty object": (lambda: {}, P256),
    "null": (lambda: None, P256),
    "an empty string": (lambda: "", P256),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_a_bad_device_key_is_a_400_public_key_invalid(user, case):
    make, algorithm = BAD_KEYS[case]
    public_key = make()

    response = post_login(username="alice", password=PASSWORD, public_key=public_key,
                          algorithm=algorithm)

    data = assert_error(response, "public_key_invalid", 400, exact=True)
    assert Session.objects.count() == 0
    if isinstance(public_key, str) and len(public_key) > 40:
        assert public_key[27:60] not in data["detail"]  # never echoed


@pytest.mark.parametrize("long", ["name", "value"])
def test_a_jwk_member_too_long_is_not_repeated_in_the_refusal(user, long):
    """The refusal named the member: a 100 kB name came back in the detail (and the log)."""
    jwk = p256_jwk(_p256)
    marker = "Q" * 100_000
    if long == "name":
        jwk[marker] = "x"
    else:
        jwk["note"] = marker
    response = post_login(username="alice", password=PASSWORD, public_key=jwk,
                          algorithm=P256)
    data = assert_error(response, "public_key_invalid", 400, exact=True)
    assert "Q" * 20 not in response.content.decode()
    assert len(data["detail"]) < 100


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "rsa-pss-sha512", "rsa-v1_5-sha256",
                                       "ECDSA-P256-SHA256", "", 42, ["ed25519"], None])
def test_an_algorithm_that_is_no_device_algorithm_is_a_400(user, algorithm):
    fields = {"public_key": p256_jwk(_p256)}
    if algorithm is not None:
        fields["algorithm"] = algorithm
    response = post_login(username="alice", password=PASSWORD, **fields)
    assert_error(response, "algorithm_unsupported", 400, exact=True)


def test_an_algorithm_without_a_public_key_is_a_400(user):
    response = post_login(username="alice", password=PASSWORD, algorithm=P256)
    assert_error(response, "public_key_invalid", 400, exact=True)
    # An hmac session's own algorithm is no device key: a plain login, as before.
    assert "secret" in login("alice", PASSWORD, algorithm="hmac-sha256")


def test_optional_jwk_members_that_agree_are_accepted(user):
    device = Device(P256)
    jwk = {**device.jwk, "alg": "ES256", "use": "sig", "key_ops": ["verify"], "kid": "phone"}
    data = login("alice", PASSWORD, public_key=jwk, algorithm=P256)
    assert data["key_thumbprint"] == device.thumbprint


def test_a_bad_key_costs_no_attempt_and_checks_no_password(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "LOGIN_FAILURES_PER_USERNAME": 2}
    for _ in range(5):
        response = post_login(username="alice", password="wrong", public_key={}, algorithm=P256)
        assert_error(response, "public_key_invalid", 400)
    assert login("alice", PASSWORD)["id"]


def test_a_device_algorithm_the_site_does_not_allow_is_refused(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "ALGORITHMS": ["hmac-sha256", ED25519]}
    response = post_login(username="alice", password=PASSWORD, **Device(P256).registration())
    assert_error(response, "algorithm_unsupported", 400)
    assert bound_login(Device(ED25519))["algorithm"] == ED25519


# -- remember-me tokens of a bound session ------------------------------------------------------
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_bound_token_is_exchanged_under_the_device_signature(user, algorithm):
    device = Device(algorithm)
    first = bound_login(device, remember=True)

    response = exchange(first["remember_token"], device)

    assert response.status_code == 201, response.content
    data = body(response)
    assert "secret" not in data
    assert data["key_thumbprint"] == device.thumbprint
    assert data["remember_token"] != first["remember_token"]
    assert device.client(data["id"]).get(NOTES).status_code == 200
    session = Session.objects.get(key_id=data["id"])
    assert session.remember_family_id == Session.objects.get(key_id=first["id"]).remember_family_id


def test_a_stolen_bound_token_without_the_key_buys_nothing(user):
    device = Device()
    first = bound_login(device, remember=True)
    token = first["remember_token"]
    sessions_before = Session.objects.count()

    unsigned = exchange(token)
    data = assert_error(unsigned, "device_signature_required")
    thief = Device()
    by_thief = exchange(token, thief, keyid=device.thumbprint)
    thief_data = assert_error(by_thief, "device_signature_invalid")
    own_keyid = exchange(token, thief)

    assert "remember_token" not in data
    assert thief_data["signature_error"] == "signature_invalid"
    assert body(own_keyid)["signature_error"] == "unknown_key"
    assert Session.objects.count() == sessions_before
    # Nothing was consumed or ended: the device itself still trades the token.
    assert RememberToken.objects.get(lookup=token.split("_")[1]).consumed_at is None
    assert exchange(token, device).status_code == 201
    failed = SecurityEvent.objects.filter(kind=SecurityEvent.LOGIN_FAILED, user=user)
    assert failed.exists()
    assert failed.first().detail["via"] == "remember_token"
    assert failed.first().detail["reason"] in ("device_signature_required",
                                               "device_signature_invalid")


def test_unsigned_presentations_of_a_bound_token_spend_the_guessing_budget(user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "LOGIN_FAILURES_PER_ADDRESS": 3}
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    for _ in range(3):
        assert_error(exchange(token), "device_signature_required")
    assert_error(exchange(token), "throttled", 429)
    assert_error(exchange(token, device), "throttled", 429)


def test_a_captured_signed_exchange_cannot_be_sent_again(user):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    client = device.client(device.thumbprint)
    client.signature_auth.nonce = "one-nonce-for-both-requests-0001"

    first = client.post(SESSIONS, {"remember_token": token}, format="json")
    again = client.post(SESSIONS, {"remember_token": token}, format="json")  # within the grace

    assert first.status_code == 201, first.content
    assert assert_error(again, "device_signature_invalid")["signature_error"] == "nonce_replayed"


def test_the_signature_must_cover_the_body_with_the_token(user):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    auth = device.auth(device.thumbprint)
    auth.components = ("@method", "@authority", "@path", "@query")  # no content-digest
    client = SignedAPIClient()
    client.signature_auth = auth
    response = client.post(SESSIONS, {"remember_token": token}, format="json")
    assert assert_error(response, "device_signature_invalid")["signature_error"] == "digest_missing"


def test_the_reuse_grace_holds_for_bound_tokens(user):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    assert exchange(token, device).status_code == 201
    again = exchange(token, device)  # a parallel request of the same waking device
    assert again.status_code == 201, again.content
    assert RememberFamily.objects.get().revoked_at is None


@pytest.mark.parametrize("signed", [True, False])
def test_a_bound_token_used_again_after_the_grace_ends_the_family(user, signed):
    """Theft detection runs before the signature check: a consumed token seen again means it
    leaked, whether or not the one presenting it holds the key."""
    device = Device()
    first = bound_login(device, remember=True)
    second = body(exchange(first["remember_token"], device))
    consumed_long_ago(first["remember_token"])

    response = exchange(first["remember_token"], device if signed else None)

    assert_error(response, "remember_token_reused")
    assert RememberFamily.objects.get().revoked_reason == "reused"
    assert device.client(second["id"]).get(NOTES).status_code == 401
    assert_error(exchange(second["remember_token"], device), "remember_token_invalid")


@pytest.mark.parametrize(("old_algorithm", "new_algorithm"),
                         [(P256, P256), (ED25519, P256), (P256, ED25519)])
def test_a_device_moves_to_a_new_key_under_the_old_keys_signature(user, old_algorithm,
                                                                  new_algorithm):
    old, new = Device(old_algorithm), Device(new_algorithm)
    token = bound_login(old, remember=True)["remember_token"]

    swapped = exchange(token, old, **new.registration("pem"))

    assert swapped.status_code == 201, swapped.content
    data = body(swapped)
    assert data["key_thumbprint"] == new.thumbprint and data["algorithm"] == new_algorithm
    assert new.client(data["id"]).get(NOTES).status_code == 200
    family = RememberFamily.objects.get()
    assert family.key_thumbprint == new.thumbprint
    # The old key no longer trades the family's tokens; the new one does.
    refused = exchange(data["remember_token"], old)
    assert assert_error(refused, "device_signature_invalid")["signature_error"] == "unknown_key"
    assert exchange(data["remember_token"], new).status_code == 201
    rotated = SecurityEvent.objects.get(kind=SecurityEvent.KEY_ROTATED)
    assert rotated.detail["from"] == old.thumbprint and rotated.detail["to"] == new.thumbprint


def test_a_new_key_signed_only_by_itself_does_not_take_over_a_family(user):
    old, thief = Device(), Device()
    token = bound_login(old, remember=True)["remember_token"]
    response = exchange(token, thief, **thief.registration())
    assert_error(response, "device_signature_invalid")
    assert RememberFamily.objects.get().key_thumbprint == old.thumbprint


def test_an_exchange_without_a_new_key_stays_bound_to_the_family_key(user):
    device = Device(ED25519)
    token = bound_login(device, remember=True)["remember_token"]
    data = body(exchange(token, device))
    assert data["algorithm"] == ED25519 and data["key_thumbprint"] == device.thumbprint


def test_an_unbound_family_is_bound_by_its_first_device_key(user):
    token = login("alice", PASSWORD, remember=True)["remember_token"]
    device = Device()

    upgraded = exchange(token, None, **device.registration())

    assert upgraded.status_code == 201, upgraded.content
    data = body(upgraded)
    assert "secret" not in data and data["key_thumbprint"] == device.thumbprint
    assert_error(exchange(data["remember_token"]), "device_signature_required")
    assert exchange(data["remember_token"], device).status_code == 201


def test_a_bad_key_on_an_exchange_is_a_400_and_consumes_nothing(user):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    response = exchange(token, device, public_key=_okp(ED25519_IDENTITY), algorithm=ED25519)
    assert_error(response, "public_key_invalid", 400)
    assert RememberToken.objects.get(lookup=token.split("_")[1]).consumed_at is None


def test_an_unbound_token_still_works_without_a_signature(user):
    token = login("alice", PASSWORD, remember=True)["remember_token"]
    data = body(exchange(token))
    assert "secret" in data and "key_thumbprint" not in data


# -- hostile input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("signature_input", "signature"), [
    ("garbage", "garbage"),
    ('sig1=("@method");created=1;keyid="x"', "sig1=:AAAA:"),
    ('sig1=();keyid="' + "k" * 5000 + '"', "sig1=:AAAA:"),
    ("sig1=(\"@method\" \"@method\");created=1;keyid=\"k\"", "sig1=:AA==:"),
    ('sig1=("@method" "@authority" "@path" "@query" "content-digest");created=1;keyid="k"',
     "sig1=notbytes"),
    (None, "sig1=:AAAA:"),
])
def test_hostile_signature_headers_on_a_bound_exchange_are_refused_not_a_500(
    user, signature_input, signature
):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    headers = {"HTTP_SIGNATURE": signature}
    if signature_input is not None:
        headers["HTTP_SIGNATURE_INPUT"] = signature_input
    response = APIClient().post(SESSIONS, {"remember_token": token}, format="json", **headers)
    assert response.status_code == 401, response.content
    assert body(response)["code"] == "device_signature_invalid"
    assert RememberToken.objects.get(lookup=token.split("_")[1]).consumed_at is None


def test_a_body_changed_after_signing_is_refused(user):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    auth = device.auth(device.thumbprint)
    signed_body = json.dumps({"remember_token": token}).encode()
    headers = auth.sign("POST", "http://testserver" + SESSIONS,
                        {"Content-Type": "application/json"}, signed_body)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    sent = json.dumps({"remember_token": token, "device_name": "evil"})
    response = APIClient().post(SESSIONS, sent, content_type="application/json", **meta)
    assert assert_error(response, "device_signature_invalid")["signature_error"] == (
        "digest_mismatch"
    )


def test_a_signed_exchange_for_another_authority_is_refused(user):
    device = Device()
    token = bound_login(device, remember=True)["remember_token"]
    auth = device.auth(device.thumbprint)
    data = json.dumps({"remember_token": token}).encode()
    headers = auth.sign("POST", "http://other.example" + SESSIONS,
                        {"Content-Type": "application/json"}, data)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    response = APIClient().post(SESSIONS, data, content_type="application/json", **meta)
    assert assert_error(response, "device_signature_invalid")["signature_error"] == (
        "signature_invalid"
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=6),
    max_leaves=12,
)
_jwkish = st.fixed_dictionaries(
    {"kty": st.sampled_from(["EC", "OKP", "RSA", "oct", ""]),
     "crv": st.sampled_from(["P-256", "Ed25519", "P-384", "X25519", ""])},
    optional={"x": st.text(max_size=50) | st.binary(min_size=0, max_size=40).map(b64u),
              "y": st.text(max_size=50) | st.binary(min_size=0, max_size=40).map(b64u),
              "d": st.text(max_size=5)},
)
_pemish = st.binary(max_size=120).map(
    lambda raw: "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(raw).decode()
    + "\n-----END PUBLIC KEY-----"
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(public_key=_json | _jwkish | _pemish | st.binary(min_size=32, max_size=32).map(_okp),
       algorithm=st.sampled_from([P256, ED25519]))
def test_any_input_is_a_key_or_a_device_key_error(public_key, algorithm):
    """Whatever JSON a client sends as ``public_key``, the checks answer with a key or with
    DeviceKeyError (400), nothing else; an accepted key round-trips to the same thumbprint."""
    from signed_api.services import device_keys

    try:
        key = device_keys.parse(public_key, algorithm)
    except device_keys.DeviceKeyError as error:
        assert error.code == "public_key_invalid"
        assert error.http_status == 400
        return
    assert device_keys.load(key.algorithm, key.pem).thumbprint == key.thumbprint
