"""The TOTP second factor over HTTP: enrolment, the 202 challenge, recovery codes, removal;
and the RFC 6238 Appendix B vectors against pyotp and our own code path."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta

import pyotp
import pytest
from django.utils import timezone

from signed_api.conf import signed_api_settings
from signed_api.models import LoginChallenge, RecoveryCode, Session, TOTPDevice
from signed_api.services import second_factor
from signed_api.test import SignedAPIClient
from tests.accounts import PASSWORD

from .support import (
    NOTES,
    PENDING_KEYS,
    SESSION_KEYS,
    STEP,
    TOTP,
    TOTP_CONFIRM,
    assert_error,
    body,
    detail_url,
    enrol,
    fresh_code,
    login,
    post_login,
    second_factor_login,
    session_client,
    verify,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed(user):
    """alice's client, signing with a session from a password login."""
    return session_client(login("alice", PASSWORD))


@pytest.fixture
def enrolled(user, signed):
    """alice with a confirmed device: ``(authenticator, recovery_codes)``."""
    return enrol(signed)


def _pending(username: str = "alice", password: str = PASSWORD, **fields) -> dict:
    response = post_login(username=username, password=password, **fields)
    assert response.status_code == 202, (response.status_code, response.content[:300])
    return body(response)


# -- enrolment ---------------------------------------------------------------------------------
def test_enrolment_gives_an_otpauth_uri_and_a_qr_code_then_recovery_codes(user, signed):
    started = signed.post(TOTP)

    assert started.status_code == 201, started.content
    assert "no-store" in started["Cache-Control"]
    data = body(started)
    assert set(data) == {"otpauth_uri", "qr_svg"}
    authenticator = pyotp.parse_uri(data["otpauth_uri"])
    assert isinstance(authenticator, pyotp.TOTP)
    assert authenticator.digits == 6
    assert authenticator.interval == 30
    assert authenticator.name == "alice"
    assert authenticator.issuer == signed_api_settings.TOTP_ISSUER
    padding = "=" * (-len(authenticator.secret) % 8)
    assert len(base64.b32decode(authenticator.secret + padding)) >= 20  # 160 bits
    assert data["qr_svg"].lstrip().startswith("<svg")
    assert TOTPDevice.objects.get(user=user).confirmed_at is None
    # Not confirmed yet: the password alone still logs in.
    assert post_login(username="alice", password=PASSWORD).status_code == 201

    confirmed = signed.post(TOTP_CONFIRM, {"code": authenticator.now()}, format="json")

    assert confirmed.status_code == 200, confirmed.content
    assert "no-store" in confirmed["Cache-Control"]
    codes = body(confirmed)["recovery_codes"]
    assert len(codes) >= 8
    assert len(set(codes)) == len(codes)
    assert all(isinstance(c, str) and len(c.replace("-", "")) >= 10 for c in codes)
    assert TOTPDevice.objects.get(user=user).confirmed_at is not None
    assert RecoveryCode.objects.filter(user=user).count() == len(codes)


def test_confirming_with_a_wrong_code_is_403_and_leaves_the_device_pending(user, signed):
    authenticator = pyotp.parse_uri(body(signed.post(TOTP))["otpauth_uri"])
    response = signed.post(TOTP_CONFIRM, {"code": wrong_code(authenticator)}, format="json")
    assert_error(response, "otp_invalid", status=403)
    assert TOTPDevice.objects.get(user=user).confirmed_at is None
    assert post_login(username="alice", password=PASSWORD).status_code == 201


def test_a_second_enrolment_while_confirmed_is_409(enrolled, signed):
    response = signed.post(TOTP)
    assert response.status_code == 409
    assert body(response)["code"]


def test_restarting_an_unconfirmed_enrolment_replaces_the_seed(user, signed):
    first = pyotp.parse_uri(body(signed.post(TOTP))["otpauth_uri"])
    second = pyotp.parse_uri(body(signed.post(TOTP))["otpauth_uri"])
    assert first.secret != second.secret
    assert TOTPDevice.objects.filter(user=user).count() == 1
    stale = signed.post(TOTP_CONFIRM, {"code": first.now()}, format="json")
    if first.now() != second.now():  # a 1-in-a-million coincidence would make them equal
        assert_error(stale, "otp_invalid", status=403)
    assert signed.post(TOTP_CONFIRM, {"code": second.now()}, format="json").status_code == 200


@pytest.mark.parametrize("path", [TOTP, TOTP_CONFIRM])
def test_the_totp_endpoints_need_a_signature(user, api_client, path):
    response = api_client.post(path, {"code": "123456"}, format="json")
    assert response.status_code == 401


# -- the 202 challenge -------------------------------------------------------------------------
def test_login_with_a_device_answers_202_and_the_code_gives_a_new_session(user, enrolled):
    authenticator, _codes = enrolled
    before = timezone.now()
    response = post_login(username="alice", password=PASSWORD)

    assert response.status_code == 202, response.content
    assert "no-store" in response["Cache-Control"]
    pending = body(response)
    assert set(pending) == PENDING_KEYS
    assert pending["id"].startswith("chl_")
    assert pending["status"] == "pending"
    assert pending["methods"] == ["totp", "recovery_code"]
    timeout = timedelta(seconds=signed_api_settings.TWO_FACTOR_TIMEOUT)
    expires_at = datetime.fromisoformat(pending["expires_at"])
    assert before + timeout <= expires_at <= timezone.now() + timeout
    sessions_before = set(Session.objects.values_list("key_id", flat=True))

    answer = verify(pending, fresh_code(authenticator, user))

    assert answer.status_code == 201, answer.content
    assert "no-store" in answer["Cache-Control"]
    data = body(answer)
    assert set(data) == SESSION_KEYS
    assert data["id"] != pending["id"]
    assert data["id"].startswith("ses_")
    assert data["id"] not in sessions_before
    assert answer["Location"] == detail_url(data["id"])
    assert session_client(data).get(NOTES).status_code == 200
    assert not LoginChallenge.objects.exists()


def test_a_wrong_password_with_a_device_is_still_401_not_202(enrolled):
    assert_error(post_login(username="alice", password="nope"), "invalid_credentials")


def test_the_challenge_id_authenticates_nothing(user, enrolled):
    pending = _pending()
    for key in (pending["challenge_token"].encode(), b"\0" * 32):
        challenge_client = SignedAPIClient(key_id=pending["id"], key=key)
        assert_error(challenge_client.get(NOTES), "unknown_key")
        assert_error(challenge_client.get("/api/auth/sessions/"), "unknown_key")
    # Nor is it a session that can be listed or ended.
    assert not Session.objects.filter(key_id=pending["id"]).exists()


def test_the_202_id_is_public_and_the_token_a_separate_secret(user, enrolled):
    """No secret in a URL: the id (which goes in the verify URL) carries no part of the
    token, and the token alone is what the server keeps a hash of."""
    pending = _pending()
    challenge = LoginChallenge.objects.get()
    assert pending["id"] == f"chl_{challenge.lookup}"
    token = pending["challenge_token"]
    assert len(token) >= 40
    assert token not in pending["id"]
    assert not {token[i : i + 8] for i in range(len(token) - 7)} & {
        pending["id"][i : i + 8] for i in range(len(pending["id"]) - 7)
    }
    assert challenge.secret_hash.endswith(
        __import__("hashlib").sha256(token.encode()).hexdigest()
    )


def test_wrong_codes_count_down_then_the_challenge_is_gone(user, enrolled):
    authenticator, _codes = enrolled
    pending = _pending()
    bad = wrong_code(authenticator)
    sessions_before = Session.objects.count()

    assert assert_error(verify(pending, bad), "otp_invalid")["attempts_remaining"] == 2
    assert assert_error(verify(pending, bad), "otp_invalid")["attempts_remaining"] == 1
    assert_error(verify(pending, bad), "otp_attempts_exhausted")

    assert not LoginChallenge.objects.exists()
    # Even the right code cannot revive it.
    assert_error(verify(pending, fresh_code(authenticator, user)), "challenge_expired")
    assert Session.objects.count() == sessions_before


def test_a_wrong_then_right_code_succeeds(user, enrolled):
    authenticator, _codes = enrolled
    pending = _pending()
    assert_error(verify(pending, wrong_code(authenticator)), "otp_invalid")
    assert verify(pending, fresh_code(authenticator, user)).status_code == 201


def test_max_attempts_follows_the_setting(user, enrolled, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "TWO_FACTOR_MAX_ATTEMPTS": 1}
    authenticator, _codes = enrolled
    pending = _pending()
    assert_error(verify(pending, wrong_code(authenticator)), "otp_attempts_exhausted")
    assert_error(verify(pending, fresh_code(authenticator, user)), "challenge_expired")


@pytest.mark.parametrize(
    "challenge_id",
    ["chl_nothing", "chl_" + "0" * 18, "ses_abc", "chl_", "chl_" + "0" * 18 + "_x"],
    ids=["short", "unknown-lookup", "other-kind", "empty", "old-handle-form"],
)
def test_a_made_up_challenge_id_is_challenge_expired(user, enrolled, challenge_id):
    pending = _pending()
    forged = {"id": challenge_id, "challenge_token": pending["challenge_token"]}
    assert_error(verify(forged, "123456"), "challenge_expired")
    assert LoginChallenge.objects.get().attempts == 0


@pytest.mark.parametrize(
    "token",
    [None, "", "A" * 43, 12345, ["x"], "x" * 300],
    ids=["missing", "empty", "wrong", "number", "list", "long"],
)
def test_a_wrong_or_missing_challenge_token_is_challenge_expired(user, enrolled, token):
    authenticator, _codes = enrolled
    pending = _pending()
    fields = {"code": fresh_code(authenticator, user)}
    if token is not None:
        fields["challenge_token"] = token
    from rest_framework.test import APIClient

    response = APIClient().post(f"/api/auth/sessions/{pending['id']}/verify/", fields,
                                format="json")
    assert_error(response, "challenge_expired")
    # The genuine challenge did not lose an attempt to the forgery.
    assert LoginChallenge.objects.get().attempts == 0


def test_the_token_of_one_challenge_does_not_verify_another(user, enrolled):
    authenticator, _codes = enrolled
    first, second = _pending(), _pending()
    crossed = {"id": first["id"], "challenge_token": second["challenge_token"]}
    assert_error(verify(crossed, fresh_code(authenticator, user)), "challenge_expired")
    assert verify(first, fresh_code(authenticator, user)).status_code == 201


@pytest.mark.parametrize(
    "code", [None, "missing", ["123456"], "1\x002345", "9" * 200, 123456],
    ids=["null", "missing", "list", "nul", "too-long", "number"],
)
def test_a_bad_code_field_is_400_invalid_request_with_a_string_code(user, enrolled, code):
    """The field is named ``code``: its error must not stand in for the answer's ``code``."""
    pending = _pending()
    from rest_framework.test import APIClient

    payload = {"challenge_token": pending["challenge_token"]}
    if code != "missing":
        payload["code"] = code
    response = APIClient().post(f"/api/auth/sessions/{pending['id']}/verify/", payload,
                                format="json")
    if code == 123456:  # a number is read as its digits: a wrong code, not a malformed one
        assert_error(response, "otp_invalid", 401)
        return
    answer = body(response)
    assert response.status_code == 400, answer
    assert answer["code"] == "invalid_request" and isinstance(answer["detail"], str)
    assert isinstance(answer["errors"]["code"], list) and answer["errors"]["code"]
    # and the challenge is still good for the right code
    authenticator, _codes = enrolled
    assert verify(pending, fresh_code(authenticator, user)).status_code == 201


def test_the_same_totp_code_logs_in_only_once(user, enrolled):
    authenticator, _codes = enrolled
    code = fresh_code(authenticator, user)

    _pending_body, first = second_factor_login("alice", PASSWORD, code)
    assert first.status_code == 201

    _pending_body, second = second_factor_login("alice", PASSWORD, code)
    assert assert_error(second, "otp_invalid")["attempts_remaining"] == 2


def test_an_older_code_than_the_last_accepted_one_is_refused(user, enrolled):
    """Steps only move forward: after the next step's code, the current one is refused too."""
    authenticator, _codes = enrolled
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    now = time.time()
    newer, older = authenticator.at(now + STEP), authenticator.at(now)
    if newer == older:
        pytest.skip("the two steps happen to share a code")
    assert second_factor_login("alice", PASSWORD, newer)[1].status_code == 201
    assert_error(second_factor_login("alice", PASSWORD, older)[1], "otp_invalid")


def test_a_recovery_code_works_once_and_only_once(user, enrolled):
    _authenticator, codes = enrolled
    code = codes[0]

    _p, first = second_factor_login("alice", PASSWORD, code)
    assert first.status_code == 201, first.content
    assert session_client(body(first)).get(NOTES).status_code == 200

    for again in (code, code.replace("-", ""), code.upper()):
        _p, response = second_factor_login("alice", PASSWORD, again)
        assert_error(response, "otp_invalid")
    # The others still work.
    assert second_factor_login("alice", PASSWORD, codes[1])[1].status_code == 201
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 2


def test_a_recovery_code_is_accepted_without_dashes_and_in_capitals(user, enrolled):
    _authenticator, codes = enrolled
    assert second_factor_login("alice", PASSWORD, codes[2].replace("-", ""))[1].status_code == 201
    assert second_factor_login("alice", PASSWORD, codes[3].upper())[1].status_code == 201


def test_another_users_recovery_code_is_refused(user, other_user, enrolled):
    from tests.accounts import OTHER_PASSWORD

    _authenticator, alices_codes = enrolled
    bob = session_client(login("bob", OTHER_PASSWORD))
    enrol(bob)
    _p, response = second_factor_login("bob", OTHER_PASSWORD, alices_codes[0])
    assert_error(response, "otp_invalid")


def test_a_challenge_older_than_the_timeout_is_challenge_expired(user, enrolled):
    authenticator, _codes = enrolled
    pending = _pending()
    last_t = TOTPDevice.objects.get(user=user).last_t
    timeout = timedelta(seconds=signed_api_settings.TWO_FACTOR_TIMEOUT)
    LoginChallenge.objects.update(
        created_at=timezone.now() - timeout - timedelta(seconds=1),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert_error(verify(pending, fresh_code(authenticator, user)), "challenge_expired")
    assert not LoginChallenge.objects.exists()
    # The code was not spent on the expired challenge.
    assert TOTPDevice.objects.get(user=user).last_t == last_t


def test_a_challenge_follows_the_timeout_setting(user, enrolled, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "TWO_FACTOR_TIMEOUT": 1}
    authenticator, _codes = enrolled
    pending = _pending()
    time.sleep(1.2)
    assert_error(verify(pending, fresh_code(authenticator, user)), "challenge_expired")


def test_a_challenge_of_a_user_deactivated_meanwhile_is_challenge_expired(user, enrolled):
    authenticator, _codes = enrolled
    pending = _pending()
    user.is_active = False
    user.save()
    assert_error(verify(pending, fresh_code(authenticator, user)), "challenge_expired")


# -- removing the device -----------------------------------------------------------------------
def test_removal_needs_a_right_code(user, enrolled, signed):
    authenticator, _codes = enrolled
    response = signed.delete(TOTP, {"code": wrong_code(authenticator)}, format="json")
    assert_error(response, "otp_invalid", status=403)
    assert TOTPDevice.objects.filter(user=user).exists()
    assert post_login(username="alice", password=PASSWORD).status_code == 202


def test_removal_with_a_current_code_turns_the_second_factor_off(user, enrolled, signed):
    authenticator, _codes = enrolled
    response = signed.delete(TOTP, {"code": fresh_code(authenticator, user)}, format="json")
    assert response.status_code == 204, response.content
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert post_login(username="alice", password=PASSWORD).status_code == 201


def test_removal_with_a_recovery_code_turns_the_second_factor_off(user, enrolled, signed):
    _authenticator, codes = enrolled
    response = signed.delete(TOTP, {"code": codes[-1]}, format="json")
    assert response.status_code == 204, response.content
    assert post_login(username="alice", password=PASSWORD).status_code == 201


def test_removal_without_a_device_is_refused(user, signed):
    response = signed.delete(TOTP, {"code": "123456"}, format="json")
    assert response.status_code == 409


def test_the_code_used_for_confirmation_cannot_log_in(user, signed):
    """Confirming spends the code's step: replaying it at login is refused."""
    authenticator = pyotp.parse_uri(body(signed.post(TOTP))["otpauth_uri"])
    code = authenticator.now()
    assert signed.post(TOTP_CONFIRM, {"code": code}, format="json").status_code == 200
    step = TOTPDevice.objects.get(user=user).last_t
    if authenticator.at(step * STEP) != code:
        pytest.skip("the step rolled over between the two calls")
    _p, response = second_factor_login("alice", PASSWORD, code)
    assert_error(response, "otp_invalid")


# -- RFC 6238 Appendix B -----------------------------------------------------------------------
RFC6238_SHA1_SEED = b"12345678901234567890"
RFC6238_SHA1_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
SEED_BASE32 = base64.b32encode(RFC6238_SHA1_SEED).decode("ascii")


def _device(seed: str = SEED_BASE32, last_t: int = -1) -> TOTPDevice:
    device = TOTPDevice(user_id=4242, last_t=last_t)  # never saved: the check is pure
    device.set_seed(seed)
    return device


@pytest.mark.parametrize(("t", "expected"), RFC6238_SHA1_VECTORS)
def test_rfc6238_appendix_b_sha1_with_pyotp(t, expected):
    assert pyotp.TOTP(SEED_BASE32, digits=8, interval=30).at(t) == expected


@pytest.mark.parametrize(("t", "expected"), RFC6238_SHA1_VECTORS)
def test_rfc6238_appendix_b_sha1_through_our_generation_path(t, expected):
    """Our path: the seed sealed in a device and opened again, pyotp.TOTP(seed) at t; our
    codes are 6 digits, which RFC 4226 §5.3 truncation makes the vector's last six."""
    device = _device()
    assert device.seed() == SEED_BASE32
    assert pyotp.TOTP(device.seed(), digits=8, interval=second_factor.STEP).at(t) == expected
    assert second_factor.DIGITS == 6
    assert second_factor._accept_totp(device, expected[-6:], now=t)
    assert device.last_t == t // 30


@pytest.mark.parametrize(("t", "expected"), RFC6238_SHA1_VECTORS[1:])
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_rfc6238_code_accepted_one_step_either_side(t, expected, offset):
    device = _device()
    assert second_factor._accept_totp(device, expected[-6:], now=t + offset * STEP)
    assert device.last_t == t // 30


@pytest.mark.parametrize(("t", "expected"), RFC6238_SHA1_VECTORS[1:])
@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_rfc6238_code_refused_two_steps_away(t, expected, offset):
    totp = pyotp.TOTP(SEED_BASE32, digits=6)
    moved = t + offset * STEP
    near = {totp.at(moved + k * STEP) for k in (-1, 0, 1)}
    assert expected[-6:] not in near  # the vector is no code of the accepted window
    device = _device()
    assert not second_factor._accept_totp(device, expected[-6:], now=moved)
    assert device.last_t == -1


@pytest.mark.parametrize(("t", "expected"), RFC6238_SHA1_VECTORS[1:])
def test_rfc6238_code_refused_once_its_step_was_used(t, expected):
    step = t // 30
    assert not second_factor._accept_totp(_device(last_t=step), expected[-6:], now=t)
    assert second_factor._accept_totp(_device(last_t=step - 1), expected[-6:], now=t)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5", None, "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(code):
    assert not second_factor._accept_totp(_device(), code, now=1111111111)


def test_verify_code_with_now_spends_the_step(user):
    device = TOTPDevice(user=user, confirmed_at=timezone.now())
    device.set_seed(SEED_BASE32)
    device.save()
    t, expected = RFC6238_SHA1_VECTORS[2]
    assert second_factor.verify_code(user, expected[-6:], now=t)
    assert TOTPDevice.objects.get(user=user).last_t == t // 30
    assert not second_factor.verify_code(user, expected[-6:], now=t)
    assert not second_factor.verify_code(user, expected[-6:], now=t + STEP)
