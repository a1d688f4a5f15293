"""The gateway's system checks: E015-E018 for settings that make no key, W011 (deploy) for a
gateway whose key is derived, W012 (deploy) for a stored key a settings key hides."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from signed_api.core import b64, hpke

GOOD = b64.b64url_encode(hpke.generate_private_key())


def _ids(*, deploy: bool = False, **signed_api) -> list[str]:
    with override_settings(SIGNED_API=signed_api):
        return [m.id for m in run_checks(tags=["security"], include_deployment_checks=deploy)
                if m.id and m.id.startswith("signed_api.")]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([{"key_id": 1, "private_key": GOOD}], None),
        ([{"key_id": 1, "private_key": GOOD, "suites": [[1, 3], [3, 2]]}], None),
        ("not a list", "signed_api.E015"),
        (["not a dict"], "signed_api.E015"),
        ([{"key_id": 256, "private_key": GOOD}], "signed_api.E015"),
        ([{"key_id": -1, "private_key": GOOD}], "signed_api.E015"),
        ([{"key_id": True, "private_key": GOOD}], "signed_api.E015"),
        ([{"key_id": "1", "private_key": GOOD}], "signed_api.E015"),
        ([{"private_key": GOOD}], "signed_api.E015"),
        ([{"key_id": 1}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": GOOD[:-4]}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": b64.b64url_encode(b"k" * 48)}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": "not base64url!"}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": GOOD, "colour": "red"}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": GOOD, "advertised": False}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": GOOD, "suites": []}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": GOOD, "suites": [[1]]}], "signed_api.E015"),
        ([{"key_id": 1, "private_key": GOOD}, {"key_id": 1, "private_key": GOOD}],
         "signed_api.E016"),
        ([{"key_id": 1, "private_key": GOOD, "suites": [[1, 9]]}], "signed_api.E017"),
        ([{"key_id": 1, "private_key": GOOD, "suites": [[0x10, 1]]}], "signed_api.E017"),
        ([{"key_id": 1, "private_key": GOOD, "kem_id": 0x0010}], "signed_api.E017"),
    ],
)
def test_ohttp_keys(keys, expected):
    found = [i for i in _ids(OHTTP_KEYS=keys) if i in ("signed_api.E015", "signed_api.E016",
                                                       "signed_api.E017")]
    assert found == ([expected] if expected else [])


@pytest.mark.parametrize("name", ["OHTTP_KEY_LIFETIME", "OHTTP_MAX_REQUEST_BYTES"])
@pytest.mark.parametrize("value", [0, -1, True, "600", 1.5, None])
def test_e018_lifetime_and_size_must_be_positive(name, value):
    assert "signed_api.E018" in _ids(**{name: value})


@pytest.mark.parametrize("value", [-1, True, False, "256", 2.5, None])
def test_e018_response_padding_is_a_number_of_bytes(value):
    assert "signed_api.E018" in _ids(OHTTP_RESPONSE_PADDING=value)


@pytest.mark.parametrize("value", [0, 1, 256])
def test_e018_not_raised_for_response_padding(value):
    assert "signed_api.E018" not in _ids(OHTTP_RESPONSE_PADDING=value)


def test_e018_not_raised_for_the_defaults_and_positive_values():
    assert "signed_api.E018" not in _ids()
    assert "signed_api.E018" not in _ids(OHTTP_KEY_LIFETIME=60, OHTTP_MAX_REQUEST_BYTES=1024)


def test_the_new_settings_are_known_keys():
    ids = _ids(OHTTP_KEYS=[], OHTTP_KEY_LIFETIME=60, OHTTP_MAX_REQUEST_BYTES=1024)
    assert "signed_api.E001" not in ids


@pytest.mark.django_db
def test_w011_a_derived_gateway_key_is_a_deploy_warning():
    assert "signed_api.W011" in _ids(deploy=True)
    assert "signed_api.W011" not in _ids(deploy=False)
    assert "signed_api.W011" not in _ids(deploy=True,
                                         OHTTP_KEYS=[{"key_id": 1, "private_key": GOOD}])


@pytest.mark.django_db
def test_w011_goes_once_a_key_is_generated_and_comes_back_when_it_is_retired():
    call_command("signed_api_ohttp_keys", "generate", stdout=StringIO())
    assert "signed_api.W011" not in _ids(deploy=True)
    call_command("signed_api_ohttp_keys", "retire", "--key-id", "0", stdout=StringIO())
    assert "signed_api.W011" in _ids(deploy=True)


def test_w011_without_database_access_still_warns():
    # No django_db mark: the query fails, and the check says what it can without it.
    assert "signed_api.W011" in _ids(deploy=True)


@pytest.mark.django_db
def test_w011_not_raised_when_the_gateway_is_not_mounted(settings):
    settings.ROOT_URLCONF = "signed_api.urls"  # the auth API alone
    assert "signed_api.W011" not in _ids(deploy=True)


@pytest.mark.django_db
def test_w012_a_stored_key_hidden_by_a_settings_key():
    call_command("signed_api_ohttp_keys", "generate", "--key-id", "1", stdout=StringIO())
    ids = _ids(deploy=True, OHTTP_KEYS=[{"key_id": 1, "private_key": GOOD}])
    assert "signed_api.W012" in ids
    assert "signed_api.W012" not in _ids(deploy=True,
                                         OHTTP_KEYS=[{"key_id": 2, "private_key": GOOD}])
