"""A secret is shown once, to its owner, and nowhere else: no log line, no database dump, no cache.

Keys are created the three ways a project creates them (``ApiKey.objects.create_key``,
``manage.py signed_api_createkey`` with and without ``--json``), then used in requests that
succeed and in requests that fail with most error codes, in-process and over a socket, while
every logger records at DEBUG (SQL statements with their parameters included). Then the captured
records, a full database dump (the SQLite file and its SQL text, or ``pg_dump`` in the second
pass) and every key in the Redis nonce store are searched for each secret as raw bytes, base64,
base64url (padded or not), hex and ``repr``. ``test_gunicorn_example.py`` does the same for the
example project's stderr and database under gunicorn.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import sqlite3
import time

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.test import Client

from signed_api.client import SignatureAuth, decode_secret
from signed_api.models import ApiKey

from .support import ECHO_URLS, find_secret, record_text
from .test_gunicorn_example import pg_dump

pytestmark = [pytest.mark.urls(ECHO_URLS), pytest.mark.django_db(transaction=True)]

BODY = json.dumps({"text": "a body to digest"}).encode()


def _created_keys(user) -> list[tuple[str, bytes]]:
    key, secret = ApiKey.objects.create_key(user, name="model")
    keys = [(key.key_id, secret)]
    out = io.StringIO()
    call_command("signed_api_createkey", "--user", "alice", "--json", stdout=out)
    created = json.loads(out.getvalue())
    keys.append((created["key_id"], decode_secret(created["secret"])))
    out = io.StringIO()
    call_command("signed_api_createkey", "--user", "alice", "--name", "text", stdout=out)
    text = out.getvalue()
    key_id = re.search(r"key id:\s+(\S+)", text)[1]
    keys.append((key_id, decode_secret(re.search(r"secret:\s+(\S+)", text)[1])))
    return keys


def _post(auth, path="/echo/", body=BODY, **sign_headers):
    headers = {"Content-Type": "application/json", **sign_headers}
    signed = auth.sign("POST", "http://testserver" + path, headers, body)
    return Client().post(
        path, data=body, content_type="application/json", headers={**sign_headers, **signed}
    )


def _code(response):
    return response.json()["code"]


def _exercise(keys, live_url):
    """Successful and failing requests with every key; returns the failure codes seen."""
    codes = []
    for key_id, secret in keys:
        auth = SignatureAuth(key_id, secret)
        assert _post(auth).status_code == 201
        with requests.Session() as session:
            live = session.post(
                live_url + "/echo/?leak=1", data=BODY, auth=auth, timeout=30,
                headers={"Content-Type": "application/json", "Connection": "close"},
            )  # fmt: skip
        assert live.status_code == 201, live.text

        headers = auth.sign("GET", "http://testserver/echo/", {}, b"")
        assert Client().get("/echo/", headers=headers).status_code == 200
        codes.append(_code(Client().get("/echo/", headers=headers)))  # the replay
        codes.append(_code(_post(SignatureAuth(key_id, secrets.token_bytes(32)))))
        codes.append(_code(_post(SignatureAuth(key_id, secret, created=int(time.time()) - 3600))))
        codes.append(_code(_post(auth, **{"Content-Digest": "sha-256=:" + "A" * 43 + "=:"})))
        codes.append(_code(_post(SignatureAuth(key_id + "x", secret))))
    return codes


def test_no_secret_in_logs_database_dump_or_nonce_store(
    all_logs, settings, redis_nonces, redis_client, user, live_server_ip, tmp_path
):
    settings.DEBUG = True  # django.db.backends logs every statement with its parameters
    keys = _created_keys(user)
    codes = _exercise(keys, live_server_ip.url)

    revoked_id, revoked_secret = keys[0]
    ApiKey.objects.get(key_id=revoked_id).revoke()
    codes.append(_code(_post(SignatureAuth(revoked_id, revoked_secret))))
    # The nonce store goes away: the request fails closed, and that is logged too.
    settings.CACHES = {
        **settings.CACHES,
        "nonces": {"BACKEND": "django_redis.cache.RedisCache",
                   "LOCATION": "redis://127.0.0.1:1/0"},
    }  # fmt: skip
    unavailable = _post(SignatureAuth(*keys[1]))
    assert unavailable.status_code == 503
    codes.append(_code(unavailable))

    assert set(codes) == {
        "nonce_replayed", "signature_invalid", "clock_skew", "digest_mismatch", "unknown_key",
        "key_revoked", "replay_store_unavailable",
    }  # fmt: skip

    # -- every log record --------------------------------------------------------------------
    texts = [record_text(record) for record in all_logs]
    everything = "\n".join(texts)
    # Not vacuous: the failures, the SQL that stored the keys and the server's requests are in.
    assert "refused: nonce_replayed" in everything
    assert 'INSERT INTO "signed_api_apikey"' in everything
    assert "/echo/?leak=1" in everything  # django.server, which does not propagate
    for key_id, secret in keys:
        assert key_id in everything
        leaks = [(t[:200], find_secret(t, secret)) for t in texts if find_secret(t, secret)]
        assert leaks == []

    # -- the database --------------------------------------------------------------------------
    dump = _database_dump(tmp_path)
    for key_id, secret in keys:
        assert key_id.encode() in dump
        assert find_secret(dump, secret) == []

    # -- the nonce store -----------------------------------------------------------------------
    stored = [(k, redis_client.get(k) or b"") for k in redis_client.scan_iter(count=1000)]
    assert any(b"signed_api:nonce:" in k for k, _ in stored)
    blob = b"\n".join(k + b"=" + v for k, v in stored)
    for _key_id, secret in keys:
        assert find_secret(blob, secret) == []


def _database_dump(tmp_path) -> bytes:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        raw = connection.connection
        text = "\n".join(raw.iterdump())
        copy = sqlite3.connect(tmp_path / "dump.sqlite3")
        try:
            raw.backup(copy)
        finally:
            copy.close()
        return (tmp_path / "dump.sqlite3").read_bytes() + b"\n" + text.encode("utf-8")
    assert connection.vendor == "postgresql"
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    url = f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    return pg_dump(url)
