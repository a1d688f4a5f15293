"""Where the gateway keys come from and how they rotate: OHTTP_KEYS, the stored keys of
``signed_api_ohttp_keys`` (generate, list, retire, prune), the derived key; the cache."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from signed_api import ohttp_keys
from signed_api.core import b64, hpke, ohttp
from signed_api.core.keyring import derive_master_key
from signed_api.models import OHTTPKey
from signed_api.state import keyring
from tests.ohttp.support import GATEWAY, NOTES, inner_request, key_configs, post_encapsulated, send

pytestmark = pytest.mark.django_db

MASTER_A = base64.urlsafe_b64encode(b"a" * 32).rstrip(b"=").decode()
MASTER_B = base64.urlsafe_b64encode(b"b" * 32).rstrip(b"=").decode()


def _command(*args) -> str:
    out = StringIO()
    call_command("signed_api_ohttp_keys", *args, stdout=out, stderr=out)
    return out.getvalue()


def _settings_key(key_id: int, **extra) -> tuple[dict, bytes]:
    private = hpke.generate_private_key()
    return {"key_id": key_id, "private_key": b64.b64url_encode(private), **extra}, private


def _reaches_the_stack(config: ohttp.KeyConfig) -> bool:
    """Whether a request to ``config`` is opened (the inner answer: 401, unsigned)."""
    exchange = send(inner_request("GET", NOTES), config=config)
    if exchange.outer.status_code == 200:
        assert exchange.status == 401
        return True
    assert exchange.outer.status_code == 400
    assert exchange.outer["Content-Type"] == "application/problem+json"
    return False


# -- derived --------------------------------------------------------------------------------------
def test_without_keys_one_is_derived_from_the_master_key(settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": []}
    (config,) = key_configs()
    private = ohttp_keys.derived_private_key(derive_master_key(settings.SECRET_KEY))
    assert config.public_key == hpke.public_key(0x0020, private)
    assert ohttp_keys.entries()[0].source == ohttp_keys.DERIVED
    assert _reaches_the_stack(config)


def test_a_master_key_rotation_keeps_the_old_derived_key_decrypting(settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": [MASTER_A]}
    (old,) = key_configs()
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": [MASTER_B, MASTER_A]}
    (new,) = key_configs()
    assert new.public_key != old.public_key and new.key_id != old.key_id
    assert _reaches_the_stack(new) and _reaches_the_stack(old)
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": [MASTER_B]}
    assert not _reaches_the_stack(old)  # an unknown key id: the client fetches again


# -- OHTTP_KEYS -----------------------------------------------------------------------------------
def test_settings_keys_are_served_and_decrypt(settings):
    first, private = _settings_key(3)
    second, _ = _settings_key(9, suites=[[1, 3]])
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEYS": [first, second]}
    configs = key_configs()
    assert [c.key_id for c in configs] == [3, 9]
    assert configs[0].public_key == hpke.public_key(0x0020, private)
    assert configs[1].suites == ((1, 3),)
    assert all(_reaches_the_stack(c) for c in configs)
    assert ohttp_keys.DERIVED not in {e.source for e in ohttp_keys.entries()}


def test_a_settings_key_not_advertised_still_decrypts(settings):
    old, _ = _settings_key(1, advertised=False)
    new, _ = _settings_key(2)
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEYS": [{**old, "advertised": True}]}
    (old_config,) = key_configs()
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEYS": [old, new]}
    assert [c.key_id for c in key_configs()] == [2]
    assert _reaches_the_stack(old_config)


def test_a_settings_key_wins_over_a_stored_one_with_its_id(settings):
    _command("generate", "--key-id", "4")
    entry, private = _settings_key(4)
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEYS": [entry]}
    (config,) = key_configs()
    assert config.public_key == hpke.public_key(0x0020, private)


# -- the command ----------------------------------------------------------------------------------
def test_generate_stores_a_sealed_key_and_prints_no_secret():
    out = _command("generate")
    row = OHTTPKey.objects.get()
    assert row.key_id == 0
    private = row.private_key()
    assert len(private) == 32
    for spelling in (private.hex(), b64.b64url_encode(private), base64.b64encode(private).decode()):
        assert spelling not in out
        assert spelling not in row.private_key_encrypted
    assert keyring().key_id_of(row.private_key_encrypted)  # sealed like every stored secret
    (config,) = key_configs()
    assert config.key_id == 0 and config.public_key.hex() == row.public_key
    assert config.encode().hex() in out
    assert _reaches_the_stack(config)


def test_generate_takes_the_lowest_free_id_or_the_one_given():
    _command("generate")
    _command("generate", "--key-id", "7")
    _command("generate")
    assert sorted(OHTTPKey.objects.values_list("key_id", flat=True)) == [0, 1, 7]
    assert [c.key_id for c in key_configs()] == [0, 1, 7]


@pytest.mark.parametrize("args", [("generate", "--key-id", "256"), ("generate", "--key-id", "-1"),
                                  ("retire",), ("retire", "--key-id", "5"), ("rotate",)])
def test_bad_input_is_a_command_error_and_writes_nothing(args):
    _command("generate", "--key-id", "3")
    before = list(OHTTPKey.objects.values_list("key_id", "retired_at", "private_key_encrypted"))
    with pytest.raises((CommandError, SystemExit)):
        _command(*args)
    after = list(OHTTPKey.objects.values_list("key_id", "retired_at", "private_key_encrypted"))
    assert after == before


def test_an_id_in_use_is_refused():
    _command("generate", "--key-id", "3")
    with pytest.raises(CommandError, match="in use"):
        _command("generate", "--key-id", "3")
    assert OHTTPKey.objects.count() == 1


def test_an_id_of_the_settings_is_refused(settings):
    entry, _ = _settings_key(0)
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEYS": [entry]}
    with pytest.raises(CommandError, match="OHTTP_KEYS"):
        _command("generate", "--key-id", "0")
    _command("generate")
    assert list(OHTTPKey.objects.values_list("key_id", flat=True)) == [1]


def test_list_shows_every_key_and_no_secret(settings):
    _command("generate")
    _command("generate")
    _command("retire", "--key-id", "0")
    out = _command("list")
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["0", "database", "retired"]
    assert lines[2].split()[:3] == ["1", "database", "active"]
    for row in OHTTPKey.objects.all():
        assert row.public_key in out
        assert row.private_key().hex() not in out
        assert b64.b64url_encode(row.private_key()) not in out
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEYS": [_settings_key(5)[0]]}
    assert "settings" in _command("list")


def test_list_columns_line_up_with_their_headings():
    _command("generate")
    _command("generate")
    _command("retire", "--key-id", "0")
    heading, *rows = _command("list").splitlines()
    starts = [heading.index(name) for name in ("source", "state", "kem", "suites", "created",
                                               "retired", "fingerprint", "public key")]
    assert len(rows) == 2
    for row in rows:
        for start in starts:  # every value begins under its heading, after a space
            assert row[start - 1] == " " and row[start] != " ", (start, row)


def test_list_marks_the_derived_key():
    assert "derived" in _command("list").splitlines()[1]


# -- rotation -------------------------------------------------------------------------------------
def test_rotation_two_keys_then_the_old_one_retired(settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "OHTTP_KEY_LIFETIME": 3600}
    _command("generate")
    (old,) = key_configs()
    _command("generate")
    assert [c.key_id for c in key_configs()] == [0, 1]  # both served, both decrypt
    assert all(_reaches_the_stack(c) for c in key_configs())

    out = _command("retire", "--key-id", "0")
    assert "retired OHTTP key 0" in out
    assert [c.key_id for c in key_configs()] == [1]  # no longer served ...
    assert _reaches_the_stack(old)  # ... but a client that cached it still gets through
    assert "already retired" in _command("retire", "--key-id", "0")

    # Once the key lifetime has passed since the retirement, the old key is ignored.
    OHTTPKey.objects.filter(key_id=0).update(retired_at=timezone.now() - timedelta(hours=2))
    ohttp_keys.reset()  # an update() sends no post_save; every process re-reads within a minute
    assert not _reaches_the_stack(old)
    assert [e.state for e in ohttp_keys.entries(include_expired=True)] == ["expired", "active"]
    assert "pruned 1" in _command("prune")
    assert list(OHTTPKey.objects.values_list("key_id", flat=True)) == [1]


def test_an_expired_id_is_taken_again_by_generate(settings):
    _command("generate", "--key-id", "0")
    _command("generate", "--key-id", "1")
    _command("retire", "--key-id", "0")
    OHTTPKey.objects.filter(key_id=0).update(retired_at=timezone.now() - timedelta(days=2))
    _command("generate")
    assert sorted(OHTTPKey.objects.filter(retired_at=None).values_list("key_id", flat=True)) == [
        0, 1]


def test_retiring_every_stored_key_falls_back_to_the_derived_one():
    _command("generate")
    out = _command("retire", "--key-id", "0")
    assert "derived" in out
    sources = {e.source: e.state for e in ohttp_keys.entries()}
    assert sources == {"database": "retired", "derived": "active"}


# -- the cache ------------------------------------------------------------------------------------
def test_a_key_saved_in_this_process_is_served_at_once():
    (derived,) = key_configs()
    _command("generate", "--key-id", "42")
    assert [c.key_id for c in key_configs()] == [42]
    OHTTPKey.objects.get(key_id=42).delete()
    assert key_configs() == [derived]


def test_a_key_another_process_made_is_found_when_a_request_names_it(monkeypatch):
    key_configs()  # cached: the derived key
    private = hpke.generate_private_key()
    key = ohttp.GatewayKey.from_private_key(77, private)
    row = OHTTPKey(key_id=77, suites=[list(s) for s in key.config.suites],
                   public_key=key.config.public_key.hex())
    row.set_private_key(private)
    OHTTPKey.objects.bulk_create([row])  # no post_save: as if another process wrote it
    assert 77 not in ohttp_keys.gateway_keys()
    monkeypatch.setattr(ohttp_keys, "REFRESH_INTERVAL", 0.0)
    assert _reaches_the_stack(key.config)


def test_unknown_key_ids_reload_at_most_every_few_seconds(monkeypatch, django_assert_num_queries):
    (config,) = key_configs()
    data, _ = ohttp.encapsulate_request(config, b"\x00")
    unknown = bytes([(config.key_id + 1) % 256]) + data[1:]
    with django_assert_num_queries(0):
        for _ in range(5):
            assert post_encapsulated(unknown).status_code == 400


def test_a_stored_key_that_does_not_open_is_unknown_and_not_replaced(caplog):
    """Sealed under a master key no longer configured: an ERROR, its id unknown, and no derived
    key served in its place (that would hide the problem)."""
    _command("generate")
    (config,) = key_configs()
    OHTTPKey.objects.update(private_key_encrypted="v1.00000000.AAAA")
    ohttp_keys.reset()
    with caplog.at_level("ERROR", logger="signed_api"):
        assert Client().get(GATEWAY).status_code == 503  # nothing to serve
    assert "OHTTP key 0 cannot be opened" in caplog.text
    assert not _reaches_the_stack(config)


def test_keys_that_cannot_be_read_are_a_503_not_a_500(monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(ohttp_keys, "_load", down)
    assert Client().get(GATEWAY).status_code == 503
    response = post_encapsulated(b"\x00" * 60)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
