"""Device-bound sessions from the Python client and the command line, against a live server:
``login(..., device_key=path, create_device_key=True)`` makes a 0600 PEM file, the session has
no secret, requests and the server's signed responses verify, and the remember token is traded
under the device key's signature (and moved to a new key); ``login --device-key PATH`` prints
``export`` lines that sign the next commands with that file."""

from __future__ import annotations

import os
import stat

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from signed_api.client import DeviceKey, LoginError, fetch_server_keys, load_device_key, login
from signed_api.models import RememberFamily, Session
from tests.accounts import PASSWORD

from .test_client import cli, exports
from .test_device_bound import Device, der_to_raw

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def urls(live_server):
    return {
        "auth": f"{live_server.url}/api/auth/",
        "notes": f"{live_server.url}/api/notes/",
        "sessions": f"{live_server.url}/api/auth/sessions/",
    }


def no_prompt(info):  # pragma: no cover - called only on a failure
    raise AssertionError(f"no code should be asked for: {info}")


# -- the Python client ----------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["ecdsa-p256-sha256", "ed25519"])
def test_login_with_a_new_device_key_end_to_end(user, urls, tmp_path, algorithm):
    path = tmp_path / "device.pem"

    creds = login(urls["auth"], "alice", PASSWORD, remember=True, device_key=path,
                  create_device_key=True, device_algorithm=algorithm, code_prompt=no_prompt)

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    assert creds.secret is None and creds.device_bound
    assert creds.algorithm == algorithm
    key = load_device_key(path)
    assert creds.key_thumbprint == key.thumbprint
    assert Session.objects.get(key_id=creds.id).secret_encrypted == ""
    auth = creds.auth()
    response = requests.get(urls["notes"], auth=auth, timeout=10)
    assert response.status_code == 200, response.text
    verified = auth.verify_response(response, server_keys=fetch_server_keys(urls["notes"]))
    assert verified.keyid.startswith("srv_")

    # Later, without the password: the exchange is signed by the same file's key.
    again = login(urls["auth"], remember_token=creds.remember_token, device_key=path)
    assert again.secret is None and again.key_thumbprint == key.thumbprint
    assert again.remember_token not in (None, creds.remember_token)
    assert requests.get(urls["notes"], auth=again.auth(), timeout=10).status_code == 200


def test_a_bound_token_without_the_device_key_is_refused(user, urls, tmp_path):
    creds = login(urls["auth"], "alice", PASSWORD, remember=True,
                  device_key=tmp_path / "k.pem", create_device_key=True)
    with pytest.raises(LoginError) as refused:
        login(urls["auth"], remember_token=creds.remember_token)
    assert refused.value.status == 401 and refused.value.code == "device_signature_required"
    with pytest.raises(LoginError) as other_key:
        login(urls["auth"], remember_token=creds.remember_token,
              device_key=tmp_path / "other.pem", create_device_key=True)
    assert other_key.value.code == "device_signature_invalid"


def test_the_client_moves_a_family_to_a_new_key(user, urls, tmp_path):
    old, new = tmp_path / "old.pem", tmp_path / "new.pem"
    creds = login(urls["auth"], "alice", PASSWORD, remember=True, device_key=old,
                  create_device_key=True)

    moved = login(urls["auth"], remember_token=creds.remember_token, device_key=old,
                  new_device_key=new, create_device_key=True, device_algorithm="ed25519")

    assert moved.algorithm == "ed25519"
    assert moved.key_thumbprint == load_device_key(new).thumbprint
    assert RememberFamily.objects.get().key_thumbprint == moved.key_thumbprint
    assert requests.get(urls["notes"], auth=moved.auth(), timeout=10).status_code == 200
    with pytest.raises(LoginError):
        login(urls["auth"], remember_token=moved.remember_token, device_key=old)


def test_a_key_file_that_others_may_read_is_refused(tmp_path):
    path = tmp_path / "k.pem"
    load_device_key(path, create=True)
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_device_key(path)


def test_create_never_overwrites_an_existing_key(tmp_path):
    path = tmp_path / "k.pem"
    first = load_device_key(path, create=True)
    assert load_device_key(path, create=True).thumbprint == first.thumbprint


def test_a_device_key_object_and_its_repr(tmp_path):
    device = Device()
    key = DeviceKey.from_private_key(device.private)
    assert key.thumbprint == device.thumbprint
    pem = device.private.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    assert DeviceKey.from_private_key(pem).thumbprint == device.thumbprint
    assert pem.decode().splitlines()[1] not in repr(key)


def test_the_signatures_the_client_makes_are_what_a_phone_makes(tmp_path):
    """r‖s from the core equals r‖s from the platform's DER after the phone's conversion:
    both verify under the same public key (ECDSA signatures are randomized, so compare by
    verifying)."""
    from signed_api.core import load_verifying_key

    device = Device()
    public = load_verifying_key("ecdsa-p256-sha256", device.pem)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    der = device.private.sign(b"base", ec.ECDSA(hashes.SHA256()))
    public.verify(b"base", der_to_raw(der))
    public.verify(b"base", DeviceKey.from_private_key(device.private).auth("k")._key.sign(b"base"))


# -- the command line -----------------------------------------------------------------------------
def test_cli_login_with_a_device_key_then_requests_and_a_remember_exchange(user, urls, tmp_path):
    path = tmp_path / "phone key.pem"  # a space: the export line must quote it
    done = cli("login", urls["auth"], "--username", "alice", "--remember",
               "--device-key", str(path), env={"SIGNED_API_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    env = exports(done.stdout)

    assert set(env) == {"SIGNED_API_KEY_ID", "SIGNED_API_PRIVATE_KEY", "SIGNED_API_ALGORITHM",
                        "SIGNED_API_REMEMBER_TOKEN"}
    assert env["SIGNED_API_PRIVATE_KEY"] == f"'{path}'"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    env["SIGNED_API_PRIVATE_KEY"] = str(path)  # what the shell's eval makes of the quoting
    request = cli("GET", urls["notes"], env=env)
    assert request.returncode == 0, request.stderr
    assert request.stdout.startswith("HTTP 200")
    assert "response signature: verified" in request.stderr

    unsigned = cli("login", urls["auth"],
                   env={"SIGNED_API_REMEMBER_TOKEN": env["SIGNED_API_REMEMBER_TOKEN"]})
    assert unsigned.returncode == 1
    assert "device_signature_required" in unsigned.stderr
    traded = cli("login", urls["auth"], "--device-key", str(path),
                 env={"SIGNED_API_REMEMBER_TOKEN": env["SIGNED_API_REMEMBER_TOKEN"]})
    assert traded.returncode == 0, traded.stderr
    new_env = exports(traded.stdout)
    new_env["SIGNED_API_PRIVATE_KEY"] = str(path)
    assert new_env["SIGNED_API_KEY_ID"] != env["SIGNED_API_KEY_ID"]
    assert cli("GET", urls["notes"], env=new_env).stdout.startswith("HTTP 200")
    # Account security works signed by the device key too: log this session out.
    out = cli("logout", urls["auth"], env=new_env)
    assert out.returncode == 0 and out.stdout.strip() == "logged out", out.stderr
    assert Session.objects.get(key_id=new_env["SIGNED_API_KEY_ID"]).revoked_at is not None


def test_cli_login_with_a_missing_device_key_for_a_token_is_a_usage_error(user, urls, tmp_path):
    done = cli("login", urls["auth"], "--device-key", str(tmp_path / "none.pem"),
               env={"SIGNED_API_REMEMBER_TOKEN": "rmb_x_y"})
    assert done.returncode == 2
    assert done.stderr.startswith("error: no device key file")


def test_a_server_that_does_not_bind_is_a_login_error(tmp_path):
    """An answer with a secret to a bound login is refused by the client, never used."""
    from signed_api.client.session import _credentials

    key = load_device_key(tmp_path / "k.pem", create=True)
    answer = {"id": "ses_x", "secret": "c2VjcmV0", "algorithm": "hmac-sha256",
              "expires_at": "", "idle_timeout": 1}
    with pytest.raises(LoginError) as refused:
        _credentials(answer, key)
    assert refused.value.code == "not_device_bound"
    other = {"id": "ses_x", "algorithm": key.algorithm, "key_thumbprint": "another",
             "expires_at": "", "idle_timeout": 1}
    with pytest.raises(LoginError):
        _credentials(other, key)


def test_cli_device_bound_login_and_request_through_the_ohttp_gateway(user, urls, tmp_path):
    """The exchange and the requests also work encrypted through the gateway (RFC 9458)."""
    path = tmp_path / "k.pem"
    done = cli("login", urls["auth"], "--username", "alice", "--remember", "--device-key",
               str(path), "--ohttp", env={"SIGNED_API_PASSWORD": PASSWORD})
    if done.returncode != 0 and "ohttp" in done.stderr.lower():
        pytest.skip(f"the gateway is not available here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    env = exports(done.stdout)
    env["SIGNED_API_PRIVATE_KEY"] = str(path)
    request = cli("GET", urls["notes"], "--ohttp", env=env)
    assert request.returncode == 0, request.stderr
    assert "response signature: verified" in request.stderr
    traded = cli("login", urls["auth"], "--device-key", str(path), "--ohttp",
                 env={"SIGNED_API_REMEMBER_TOKEN": env["SIGNED_API_REMEMBER_TOKEN"]})
    assert traded.returncode == 0, traded.stderr
