"""The server signing keys are derived once and derived again after a settings change; a
derivation that was under way when the settings changed must not leave the old keys cached."""

from __future__ import annotations

import base64
import hashlib
import threading

from cryptography.hazmat.primitives import serialization

from signed_api import response_signing, state

WAIT = 5


def _kid_of(master: bytes) -> str:
    raw = response_signing._server_key_from(master).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return "srv_" + hashlib.sha256(raw).hexdigest()[:16]


def _text(master: bytes) -> str:
    return base64.urlsafe_b64encode(master).rstrip(b"=").decode("ascii")


def test_a_derivation_that_straddles_a_settings_change_does_not_cache_the_old_keys(
    settings, monkeypatch
):
    old, new = b"o" * 32, b"n" * 32
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": [_text(old)]}
    read, go_on = threading.Event(), threading.Event()
    real = state.master_keys
    calls = []

    def master_keys():
        keys = real()
        calls.append(keys)
        if len(calls) == 1:  # the first derivation read the old keys; hold it there
            read.set()
            assert go_on.wait(WAIT)
        return keys

    monkeypatch.setattr(state, "master_keys", master_keys)
    derived: list = []
    worker = threading.Thread(target=lambda: derived.append(response_signing.server_keys()))
    worker.start()
    assert read.wait(WAIT)
    settings.SIGNED_API = {**settings.SIGNED_API, "MASTER_KEYS": [_text(new)]}  # a reset
    go_on.set()
    worker.join(WAIT)
    assert not worker.is_alive()
    # The straddling call answers with what it read (the old key), but does not cache it:
    assert [kid for kid, _ in derived[0]] == [_kid_of(old)]
    assert [kid for kid, _ in response_signing.server_keys()] == [_kid_of(new)]
    assert response_signing.jwks()["keys"][0]["kid"] == _kid_of(new)
