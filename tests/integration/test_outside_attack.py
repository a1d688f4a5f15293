"""The example project attacked from outside, as an independent reviewer would.

Set up as its README says: ``manage.py migrate`` and ``manage.py signed_api_demo`` (what ``make
demo-setup`` runs) on a fresh database (a SQLite file, or in the second pass of ``make test`` a
PostgreSQL database of its own), the shared store on a Redis this module starts (and kills, last),
then ``gunicorn -w 3 -k gthread --threads 4`` on 127.0.0.1. Every request comes from outside:
``requests`` with ``signed_api.client`` and raw sockets for bytes no client library sends.

- Replays: 24 copies of one signed POST released by a barrier get one 201; a copy with another
  body, path, query or method is refused and does not spend the nonce; a request captured before
  two thousand others is refused; at the edge of the ``created`` window a replay is
  ``clock_skew``, and the same nonce signed again with a fresh ``created`` is still refused.
- Credentials of the wrong kind: an API key (read-only or not) is refused by every
  account-security endpoint, a pending second-factor login signs nothing, a rotated-out secret
  and a revoked key are refused by every worker, a remember-me token presented after the grace
  ends its family and every session it gave.
- Hostile bytes: each answer of the app is a 4xx with a JSON ``code`` and a server signature that
  verifies against the JWKS (never a 500); what gunicorn itself refuses never reaches the app.
- Throttles: thirty wrong passwords at once get exactly five evaluated; wrong TOTP codes draw on
  the same budget.
- No secret of any kind in gunicorn's logs; the store killed mid-run is a signed 503 with a
  code and ``Retry-After``, and no replay is accepted.

(The table store of the embedded default is attacked the same way in test_replay_across_workers.)
"""

from __future__ import annotations

import collections
import json
import re
import socket
import threading
import time
from urllib.parse import urlsplit

import pyotp
import pytest
import requests
from requests.structures import CaseInsensitiveDict

from signed_api.client import ServerKeys, SignatureAuth, decode_secret, verify_refusal
from tests import servers
from tests.http import exchange

from .test_gunicorn_example import (
    REQUEST_TIMEOUT,
    ExampleDeployment,
    _database_url,
    deployment_env,
)

pytestmark = pytest.mark.redis

WORKERS = 3
JWKS_PATH = "/.well-known/signed-api/keys"
AUTH = "/api/auth/"
NOTES = "/api/notes/"


class OutsideDeployment(ExampleDeployment):
    """The example project under ``gunicorn -w 3 -k gthread --threads 4``."""

    workers = WORKERS
    worker_options = ("--worker-class", "gthread", "--threads", "4")


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("outside-attack")
    redis = servers.RedisProcess(workdir / "redis")
    redis.start()
    database_url, drop_database = _database_url(request, workdir)
    dep = OutsideDeployment(workdir, deployment_env(database_url, REDIS_URL=redis.url(0)))
    dep.redis_process = redis
    dep.leaks: list[str] = []  # every secret handed out or typed, to be searched for in the logs
    try:
        dep.manage("migrate", "--noinput")
        out = dep.manage("signed_api_demo", keep_output=False)  # prints a password and a secret
        dep.password = re.search(r"password, shown once: (\S+)\)", out)[1]
        dep.demo = (re.search(r"SIGNED_API_KEY_ID=(\S+)", out)[1],
                    re.search(r"SIGNED_API_SECRET=(\S+)", out)[1])  # fmt: skip
        dep.secrets.append(decode_secret(dep.demo[1]))
        dep.leaks.append(dep.password)
        dep.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; U = get_user_model(); "
            "[U.objects.create_user(n, password=n + '-password-2fa!') "
            "for n in ('totp-user', 'guessed', 'remembered', 'keeper')]",
        )  # fmt: skip
        dep.readonly = _created_key(dep, "demo", "--scopes", "notes:read")
        dep.start()
        dep.keys = ServerKeys(dep.base_url)
        # Every password login the module needs, before any failure draws on the address budget.
        dep.sessions = {
            name: _login(dep, name, remember=name == "remembered")
            for name in ("totp-user", "remembered", "keeper")
        }
        dep.sessions["demo"] = _login(dep, "demo", password=dep.password)
        yield dep
    finally:
        dep.stop()
        redis.kill()
        drop_database()


def _created_key(dep, user: str, *args: str) -> tuple[str, str]:
    out = dep.manage("signed_api_createkey", "--user", user, "--json", *args, keep_output=False)
    created = json.loads(out)
    dep.secrets.append(decode_secret(created["secret"]))
    return created["key_id"], created["secret"]


def _login(dep, username: str, *, password: str | None = None, remember: bool = False) -> dict:
    password = password or f"{username}-password-2fa!"
    response = requests.post(
        dep.url(AUTH + "sessions/"), json={"username": username, "password": password,
                                           "remember": remember}, timeout=REQUEST_TIMEOUT,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return _keep(dep, response.json())


def _keep(dep, session: dict) -> dict:
    dep.secrets.append(decode_secret(session["secret"]))
    if session.get("remember_token"):
        dep.leaks.append(session["remember_token"])
    return session


def _auth(key, **kwargs) -> SignatureAuth:
    """A client that returns refusals as they are (each test verifies them itself)."""
    key_id, secret = (key["id"], key["secret"]) if isinstance(key, dict) else key
    return SignatureAuth(key_id, decode_secret(secret), verify_refusals=False,
                         correct_clock=False, **kwargs)  # fmt: skip


def _code(response) -> object:
    try:
        return response.json().get("code")
    except ValueError:
        return None


def _verified(dep, response, signed_by=None) -> bool:
    """The refusal carries a signature that verifies: the server key's (the JWKS), or for a
    request that verified the request key's."""
    verify_refusal(response, dep.keys, signed_by=signed_by)
    return True


def _at_once(count: int, send) -> list:
    """``send(i)`` in ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        barrier.wait()
        results[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _tally(responses) -> collections.Counter:
    return collections.Counter((r.status_code, _code(r)) for r in responses)


def _from_several_workers(site, auth, marker: str, *, at_least: int = 12, most: int = 96):
    """Signed ``GET``s of ``NOTES?<marker>=<i>``, four at a time, until at least ``at_least``
    were answered and by two workers or more (which worker accepts a connection is the
    kernel's choice: twelve in a row once all went to one). Returns the responses and the
    workers' pids; the caller checks both."""
    responses: list = []
    pids: set[str] = set()
    while len(responses) < most:
        start = len(responses)
        responses += _at_once(4, lambda i, start=start: requests.get(
            site.url(NOTES + f"?{marker}={start + i}"), auth=auth, timeout=REQUEST_TIMEOUT))
        pids = {m["pid"] for m in site.wait_for_access(f"?{marker}=", len(responses))}
        if len(responses) >= at_least and len(pids) >= 2:
            break
    return responses, pids


# -- raw bytes ------------------------------------------------------------------------------------
def _raw(dep, method: str, target: str, headers: list[tuple[str, bytes | str]], body=b""):
    """One request as bytes on a fresh connection; the answer as a ``requests.Response``
    (so that ``verify_refusal`` can check it) whose ``request`` is what was sent."""
    url = urlsplit(dep.base_url)
    head = f"{method} {target} HTTP/1.1\r\nHost: {url.netloc}\r\n".encode()
    for name, value in headers:
        head += name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
        head += b"\r\n"
    if body and not any(n.lower() in ("content-length", "transfer-encoding") for n, _ in headers):
        head += f"Content-Length: {len(body)}\r\n".encode()
    with socket.create_connection((url.hostname, url.port), timeout=REQUEST_TIMEOUT) as sock:
        answer = exchange(sock, head + b"Connection: close\r\n\r\n" + body)
    top, _, content = answer.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    response = requests.models.Response()
    response.status_code = int(lines[0].split()[1])
    response.headers = CaseInsensitiveDict()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        response.headers[name.strip()] = value.strip()
    if response.headers.get("Transfer-Encoding", "").lower() == "chunked":
        content = _dechunk(content)
    response._content = content
    sent = requests.models.PreparedRequest()
    sent.method, sent.url, sent.body = method, dep.url(target), None
    sent.headers = CaseInsensitiveDict(
        {n: v.decode("latin-1") if isinstance(v, bytes) else v for n, v in headers}
    )
    response.request = sent
    return response


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2:]
    return out


# == 1. replays ===================================================================================
def test_24_concurrent_copies_of_a_signed_post_create_one_note(site):
    auth = _auth(site.demo)
    pids: set[str] = set()
    for burst in range(4):  # until copies of one request reached two workers or more
        text = f"race-{burst}-{time.time_ns()}"
        body = json.dumps({"text": text}).encode()
        url = site.url(NOTES + f"?burst={text}")
        headers = {"Content-Type": "application/json"}
        headers.update(auth.sign("POST", url, headers, body))
        sent = {**headers, "Connection": "close"}
        responses = _at_once(24, lambda i, url=url, body=body, sent=sent: requests.post(
            url, data=body, headers=sent, timeout=REQUEST_TIMEOUT))
        assert _tally(responses) == {(201, None): 1, (401, "nonce_replayed"): 23}
        assert all(_verified(site, r, auth) for r in responses if r.status_code == 401)
        notes = requests.get(site.url(NOTES), auth=auth, timeout=REQUEST_TIMEOUT).json()
        assert [n["text"] for n in notes].count(text) == 1
        pids = {m["pid"] for m in site.wait_for_access(f"burst={text}", 24)}
        if len(pids) >= 2:
            break
    assert len(pids) >= 2, "every copy reached one worker in four bursts"


def test_a_tampered_copy_is_refused_and_does_not_spend_the_nonce(site):
    """docs/protocol.md: a request that fails before the nonce step writes nothing, so a copy
    altered on the way cannot burn the legitimate request's nonce."""
    auth = _auth(site.demo)
    url = site.url(NOTES)
    body = b'{"text": "legit"}'
    headers = {"Content-Type": "application/json"}
    headers.update(auth.sign("POST", url, headers, body))
    tampered = [
        requests.post(url, data=b'{"text": "evil!"}', headers=headers, timeout=REQUEST_TIMEOUT),
        requests.post(url + "?x=1", data=body, headers=headers, timeout=REQUEST_TIMEOUT),
        requests.post(site.url(NOTES + "1/"), data=body, headers=headers, timeout=REQUEST_TIMEOUT),
        requests.put(url, data=body, headers=headers, timeout=REQUEST_TIMEOUT),
    ]
    assert [(r.status_code, _code(r)) for r in tampered] == [
        (401, "digest_mismatch"), (401, "signature_invalid"), (401, "signature_invalid"),
        (401, "signature_invalid"),
    ]  # fmt: skip
    assert all(_verified(site, r) for r in tampered)
    legit = requests.post(url, data=body, headers=headers, timeout=REQUEST_TIMEOUT)
    assert legit.status_code == 201, legit.text
    again = requests.post(url, data=body, headers=headers, timeout=REQUEST_TIMEOUT)
    assert (again.status_code, _code(again)) == (401, "nonce_replayed")
    assert _verified(site, again, auth)


def test_a_request_captured_before_two_thousand_others_is_still_refused(site):
    auth = _auth(site.demo)
    captured = requests.Request("GET", site.url(NOTES + "?captured=1"), auth=auth).prepare()
    with requests.Session() as http:
        assert http.send(captured, timeout=REQUEST_TIMEOUT).status_code == 200
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        with_session = requests.get(site.url(NOTES + f"?filler={i}"), auth=auth,
                                    timeout=REQUEST_TIMEOUT)  # fmt: skip
        return with_session.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(2000)))
    assert collections.Counter(statuses) == {200: 2000}
    with requests.Session() as http:
        replay = http.send(captured, timeout=REQUEST_TIMEOUT)
    assert (replay.status_code, _code(replay)) == (401, "nonce_replayed")
    assert _verified(site, replay, auth)


def test_at_the_edge_of_the_window_a_replay_is_refused_and_so_is_its_nonce_signed_anew(site):
    skew = 300  # CLOCK_SKEW, the default
    created = int(time.time()) - skew + 2
    nonce = "edge-" + str(time.time_ns())
    old = _auth(site.demo, created=created, nonce=nonce)
    first = requests.Request("GET", site.url(NOTES + "?edge=1"), auth=old).prepare()
    with requests.Session() as http:
        assert http.send(first, timeout=REQUEST_TIMEOUT).status_code == 200
        while time.time() <= created + skew + 1:
            time.sleep(0.2)
        late = http.send(first, timeout=REQUEST_TIMEOUT)
    assert (late.status_code, _code(late)) == (401, "clock_skew")
    assert _verified(site, late)
    # The nonce is spent for twice the window: a fresh created does not make it new.
    fresh = _auth(site.demo, nonce=nonce)
    again = requests.get(site.url(NOTES + "?edge=1"), auth=fresh, timeout=REQUEST_TIMEOUT)
    assert (again.status_code, _code(again)) == (401, "nonce_replayed")


# == 2. credentials of the wrong kind ==============================================================
def test_an_api_key_is_refused_by_every_account_security_endpoint(site):
    session = site.sessions["demo"]
    key_id = site.readonly[0]
    calls = [
        ("GET", "sessions/", None), ("DELETE", "sessions/", None),
        ("DELETE", f"sessions/{session['id']}/", None), ("POST", "totp/", None),
        ("POST", "totp/confirm/", {"code": "123456"}), ("DELETE", "totp/", {"code": "123456"}),
        ("GET", "keys/", None), ("POST", "keys/", {"name": "minted"}),
        ("GET", f"keys/{key_id}/", None), ("POST", f"keys/{key_id}/rotate/", {}),
        ("DELETE", f"keys/{key_id}/", None),
    ]  # fmt: skip
    for key in (site.readonly, site.demo):
        auth = _auth(key)
        for method, path, body in calls:
            response = requests.request(method, site.url(AUTH + path), json=body, auth=auth,
                                        timeout=REQUEST_TIMEOUT)  # fmt: skip
            assert (response.status_code, _code(response)) == (403, "session_required"), path
            assert _verified(site, response, auth)
    write = requests.post(site.url(NOTES), json={"text": "ro"}, auth=_auth(site.readonly),
                          timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert (write.status_code, _code(write)) == (403, "scope_missing")
    # Nothing happened: the session still works, the key was neither rotated nor revoked.
    assert requests.get(site.url(AUTH + "sessions/"), auth=_auth(session),
                        timeout=REQUEST_TIMEOUT).status_code == 200  # fmt: skip
    assert requests.get(site.url(NOTES), auth=_auth(site.readonly),
                        timeout=REQUEST_TIMEOUT).status_code == 200  # fmt: skip


def test_a_login_waiting_for_its_second_factor_signs_nothing(site):
    session = site.sessions["totp-user"]
    auth = _auth(session)
    enrol = requests.post(site.url(AUTH + "totp/"), auth=auth, timeout=REQUEST_TIMEOUT)
    assert enrol.status_code == 201, enrol.text
    seed = re.search(r"secret=([A-Z2-7]+)", enrol.json()["otpauth_uri"])[1]
    site.leaks.append(seed)
    code = pyotp.TOTP(seed).now()
    confirm = requests.post(site.url(AUTH + "totp/confirm/"), json={"code": code}, auth=auth,
                            timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert confirm.status_code == 200, confirm.text
    site.leaks.extend(confirm.json()["recovery_codes"])
    pending = requests.post(site.url(AUTH + "sessions/"), json={
        "username": "totp-user", "password": "totp-user-password-2fa!"}, timeout=REQUEST_TIMEOUT)
    assert pending.status_code == 202, pending.text
    challenge = pending.json()
    site.leaks.append(challenge["challenge_token"])
    for secret in (challenge["challenge_token"].encode(), b"\0" * 32):
        as_key = SignatureAuth(challenge["id"], secret, verify_refusals=False)
        for method, path in [("GET", NOTES), ("GET", AUTH + "sessions/"), ("POST", AUTH + "totp/")]:
            response = requests.request(method, site.url(path), auth=as_key,
                                        timeout=REQUEST_TIMEOUT)  # fmt: skip
            assert (response.status_code, _code(response)) == (401, "unknown_key")
            assert _verified(site, response)
    site.totp = (seed, challenge)


def test_a_rotated_out_secret_and_a_revoked_key_are_refused_by_every_worker(site):
    session = _auth(site.sessions["keeper"])
    made = requests.post(site.url(AUTH + "keys/"), json={"name": "to rotate"}, auth=session,
                         timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert made.status_code == 201, made.text
    key = made.json()
    site.secrets.append(decode_secret(key["secret"]))
    old = _auth(key)
    warm = [requests.get(site.url(NOTES + f"?warm={i}"), auth=old, timeout=REQUEST_TIMEOUT)
            for i in range(12)]  # fmt: skip
    assert {r.status_code for r in warm} == {200}
    rotated = requests.post(site.url(AUTH + f"keys/{key['id']}/rotate/"),
                            json={"grace_hours": 0}, auth=session, timeout=REQUEST_TIMEOUT)
    assert rotated.status_code == 200, rotated.text
    site.secrets.append(decode_secret(rotated.json()["secret"]))
    new = _auth({"id": key["id"], "secret": rotated.json()["secret"]})
    after, pids = _from_several_workers(site, old, "rotated")
    assert _tally(after) == {(401, "signature_invalid"): len(after)}
    assert len(pids) >= 2, pids
    assert requests.get(site.url(NOTES), auth=new, timeout=REQUEST_TIMEOUT).status_code == 200
    revoked = requests.delete(site.url(AUTH + f"keys/{key['id']}/"), auth=session,
                              timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert revoked.status_code in (200, 204), revoked.text
    gone, pids = _from_several_workers(site, new, "revoked")
    assert _tally(gone) == {(401, "key_revoked"): len(gone)}
    assert all(_verified(site, r, new) for r in gone)
    assert len(pids) >= 2, pids


def test_a_remember_token_presented_after_the_grace_ends_its_family(site):
    url = site.url(AUTH + "sessions/")
    first = site.sessions["remembered"]
    token = first["remember_token"]
    waking = _at_once(4, lambda i: requests.post(url, json={"remember_token": token},
                                                 timeout=REQUEST_TIMEOUT))  # fmt: skip
    assert _tally(waking) == {(201, None): 4}  # a device waking up: inside REMEMBER_REUSE_GRACE
    children = [_keep(site, r.json()) for r in waking]
    time.sleep(10.5)  # REMEMBER_REUSE_GRACE (10 s) has passed: the next use is a theft
    stolen = requests.post(url, json={"remember_token": token}, timeout=REQUEST_TIMEOUT)
    assert (stolen.status_code, _code(stolen)) == (401, "remember_token_reused")
    assert _verified(site, stolen)
    for session in [first, *children]:
        response = requests.get(site.url(NOTES), auth=_auth(session), timeout=REQUEST_TIMEOUT)
        assert (response.status_code, _code(response)) == (401, "key_revoked")
    for child in children:
        response = requests.post(url, json={"remember_token": child["remember_token"]},
                                 timeout=REQUEST_TIMEOUT)  # fmt: skip
        assert (response.status_code, _code(response)) == (401, "remember_token_invalid")


# == 4. throttles ==================================================================================
def test_thirty_wrong_passwords_at_once_get_five_evaluated(site):
    url = site.url(AUTH + "sessions/")
    responses = _at_once(30, lambda i: requests.post(
        url, json={"username": "guessed", "password": f"wrong-{i}"}, timeout=REQUEST_TIMEOUT))
    assert _tally(responses) == {(401, "invalid_credentials"): 5, (429, "throttled"): 25}
    assert all(_verified(site, r) for r in responses)
    assert all(r.headers["Retry-After"].isdigit() for r in responses if r.status_code == 429)
    right = requests.post(url, json={"username": "guessed", "password": "guessed-password-2fa!"},
                          timeout=REQUEST_TIMEOUT)  # fmt: skip
    assert (right.status_code, _code(right)) == (429, "throttled")


def test_wrong_totp_codes_at_once_draw_on_the_same_budget(site):
    seed, _challenge = site.totp
    right = int(pyotp.TOTP(seed).now())
    wrong = f"{(right + 500_000) % 1_000_000:06d}"
    session = site.sessions["totp-user"]
    responses = _at_once(12, lambda i: requests.delete(
        site.url(AUTH + "totp/"), json={"code": wrong}, auth=_auth(session),
        timeout=REQUEST_TIMEOUT))
    tally = _tally(responses)
    evaluated = sum(n for (status, _), n in tally.items() if status != 429)
    assert evaluated == 5 and tally[(429, "throttled")] == 7, tally
    assert all(_verified(site, r, _auth(session)) for r in responses)


# == 3. hostile bytes ==============================================================================
def _signed_headers(site, method="GET", target=NOTES, body=b"", extra=()):
    headers = dict(extra)
    headers.update(_auth(site.demo).sign(method, site.url(target), headers, body))
    return list(headers.items())


def _replace(headers, name, value):
    return [(n, value if n == name else v) for n, v in headers]


def test_hostile_signature_fields_get_a_signed_json_refusal(site):
    base = _signed_headers(site)
    si = dict(base)["Signature-Input"]
    sig = dict(base)["Signature"]
    created = re.search(r"created=(\d+)", si)[0]

    def with_si(text):
        return _replace(_signed_headers(site), "Signature-Input", text)

    cases = {
        "empty Signature-Input": with_si(""),
        "unclosed list": with_si("sig1=("),
        "not an inner list": with_si("sig1=1"),
        "keyid a token": with_si(si.replace('keyid="', "keyid=").replace('";nonce', ";nonce")),
        "created 15 digits": with_si(si.replace(created, "created=999999999999999")),
        "created 16 digits": with_si(si.replace(created, "created=9999999999999999")),
        "created negative": with_si(si.replace(created, "created=-1")),
        "created decimal": with_si(si.replace(created, "created=1.5")),
        "created a string": with_si(si.replace(created, 'created="1"')),
        "expires before created": with_si(si + ";expires=1"),
        "nonce of 200": with_si(si.replace('nonce="', 'nonce="' + "n" * 200)),
        "keyid of 200": with_si(si.replace('keyid="', 'keyid="' + "k" * 200)),
        "non-ASCII nonce": with_si(si.replace('nonce="', 'nonce="\xe9')),
        "escaped quote in keyid": with_si(si.replace('keyid="', 'keyid="\\"')),
        "duplicate label": with_si(si + ", " + si),
        "nine signatures": with_si(", ".join(si.replace("sig1", f"s{i}") for i in range(9))),
        "component twice": with_si(si.replace('("@method"', '("@method" "@method"')),
        "unknown component": with_si(si.replace('("@method"', '("@nope" "@method"')),
        "alg of 5000": with_si(si.replace('alg="hmac-sha256"', 'alg="' + "a" * 5000 + '"')),
        "empty Signature": _replace(base, "Signature", ""),
        "Signature a token": _replace(base, "Signature", "sig1=abc"),
        "Signature bad base64": _replace(base, "Signature", "sig1=:!!!:"),
        "Signature short": _replace(base, "Signature", "sig1=:AAAA:"),
        "Signature of 7000": _replace(base, "Signature", "sig1=:" + "A" * 7000 + ":"),
        "Signature an inner list": _replace(base, "Signature", "sig1=(:AAAA:)"),
        "Signature other label": _replace(base, "Signature", sig.replace("sig1", "sig2")),
        # obs-text (RFC 9110 field-vchar, which gunicorn lets through): the field does not
        # parse and is no text a signature base can hold, so the refusal covers it as bytes
        "Signature with obs-text": _replace(base, "Signature", b"sig1=:\xe9:"),
        "Signature member with obs-text": _replace(base, "Signature", sig.encode() + b', x="\xe9"'),
        "two Signature-Input lines": [*_signed_headers(site), ("Signature-Input", si)],
    }
    seen = {}
    for name, headers in cases.items():
        response = _raw(site, "GET", NOTES, headers)
        seen[name] = (response.status_code, _code(response))
        assert 400 <= response.status_code < 500 and isinstance(_code(response), str), name
        assert response.status_code == 200 or _verified(site, response), name
    assert {s for s, _ in seen.values()} <= {401}, seen


def test_hostile_bodies_and_targets_get_a_json_code_never_a_500(site):
    def post(body, ctype="application/json", target=NOTES):
        headers = _signed_headers(site, "POST", target, body, [("Content-Type", ctype)])
        return _raw(site, "POST", target, headers, body)

    cases = {
        "invalid UTF-8": (post(b'{"text": "\xff\xfe"}'), "parse_error"),
        "JSON 5000 deep": (post(b"[" * 5000 + b"]" * 5000), "json_too_deep"),
        "an integer of 5000 digits": (post(b'{"text": ' + b"1" * 5000 + b"}"), "parse_error"),
        "NaN": (post(b'{"text": NaN}'), "parse_error"),
        "a BOM": (post(b'\xef\xbb\xbf{"text": "x"}'), "parse_error"),
        "UTF-16": (post('{"text": "x"}'.encode("utf-16")), "parse_error"),
        "text/plain": (post(b"hello", "text/plain"), "unsupported_media_type"),
        "multipart without boundary": (post(b"--x\r\n", "multipart/form-data"), "parse_error"),
        "3 MB": (post(b'{"text": "' + b"x" * 3_000_000 + b'"}'), "request_too_large"),
        "NUL in the path": (_raw(site, "GET", NOTES + "%00/",
                                 _signed_headers(site, target=NOTES + "%00/")), "not_found"),
        "invalid UTF-8 in the path": (_raw(site, "GET", NOTES + "%ff%fe/",
                                           _signed_headers(site, target=NOTES + "%ff%fe/")),
                                      "not_found"),
        "a pk of 40 digits": (_raw(site, "GET", NOTES + "9" * 40 + "/",
                                   _signed_headers(site, target=NOTES + "9" * 40 + "/")),
                              "not_found"),
    }  # fmt: skip
    body = b'{"text": "cd"}'
    for name, value in {"garbage": "garbage", "empty": "", "wrong length": "sha-256=:AAAA:",
                        "unknown algorithm": "md5=:AAAA:", "a token": "sha-256=abc",
                        "an inner list": "sha-256=(:AAAA:)",
                        "a duplicate key": "sha-256=:AAAA:, sha-256=:AAAA:"}.items():
        extra = [("Content-Type", "application/json"), ("Content-Digest", value)]
        headers = _signed_headers(site, "POST", NOTES, body, extra)
        cases[f"Content-Digest {name}"] = (_raw(site, "POST", NOTES, headers, body), None)
    for name, (response, expected) in cases.items():
        code = _code(response)
        assert 400 <= response.status_code < 500 and isinstance(code, str), (name, response.text)
        assert expected is None or code == expected, (name, code)
        _verified(site, response, _auth(site.demo))
    # What gunicorn refuses itself (never the app): a NUL or raw UTF-8 on the wire, a negative
    # Content-Length, Content-Length with chunking, a 100 KB header. A 4xx, never a 500.
    for headers, target, raw_body in [
        ([("X-Nul", b"a\x00b")], NOTES, b""),
        ([], "/api/notes/\u00e9/", b""),
        ([("Content-Length", "-1")], NOTES, b""),
        ([("Content-Length", "1"), ("Transfer-Encoding", "chunked")], NOTES,
         b"1\r\nx\r\n0\r\n\r\n"),
        ([("X-Big", "a" * 100_000)], NOTES, b""),
    ]:
        response = _raw(site, "POST", target, headers, raw_body)
        assert response.status_code in (400, 431), response.status_code
    assert "Traceback" not in site.stderr()


def test_hostile_login_bodies_are_4xx_and_signed(site):
    url = AUTH + "sessions/"
    bodies = [
        b'{"username": "a\\u0000b", "password": "x"}', b'{"username": "\\ud800", "password": "x"}',
        b'{"username": ["demo"], "password": "x"}', b'{"username": "demo", "password": {}}',
        b'{"remember_token": "rmb_a\\u0000_b"}', b'{"remember_token": "rmb_\\ud800_b"}',
        b'{"remember_token": "rmb_' + b"a" * 5000 + b'_b"}', b"[1]", b'"x"', b"",
        b"[" * 3000 + b"]" * 3000,
    ]  # fmt: skip
    for body in bodies:
        response = _raw(site, "POST", url, [("Content-Type", "application/json")], body)
        assert 400 <= response.status_code < 500, (body[:60], response.text)
        assert isinstance(response.json().get("code"), str), (body[:60], response.text)
        assert _verified(site, response)
    verify = AUTH + "sessions/chl_nosuch/verify/"
    # A field named "code": its field error must not stand in for the answer's code.
    for body in [b'{"challenge_token": "t", "code": "a\\u0000"}',
                 b'{"challenge_token": "t\\ud800", "code": "1"}', b'{"code": []}',
                 b'{"challenge_token": "t", "code": null}']:
        response = _raw(site, "POST", verify, [("Content-Type", "application/json")], body)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert isinstance(response.json().get("code"), str), (body, response.text)
        assert _verified(site, response)


# == 5. no secret in the logs, 6. the store killed =================================================
def test_no_secret_in_gunicorn_logs(site):
    from .support import find_secret

    logs = site.stderr() + "\n" + site.access_path.read_text(errors="replace")
    logs += "\n".join(site.command_output)
    assert "refused:" in logs  # the refusals above were logged
    for secret in site.secrets:
        assert find_secret(logs, secret) == []
    for text in site.leaks:
        assert text not in logs
    seed = site.totp[0]
    for offset in (-1, 0, 1):  # the codes of the whole module's life are long gone; these not
        assert pyotp.TOTP(seed).at(time.time() + 30 * offset) not in logs


def test_the_store_killed_mid_run_fails_closed(site):
    auth = _auth(site.demo)
    captured = requests.Request("GET", site.url(NOTES + "?before-kill=1"), auth=auth).prepare()
    with requests.Session() as http:
        assert http.send(captured, timeout=REQUEST_TIMEOUT).status_code == 200
        site.redis_process.kill()
        during = _at_once(12, lambda i: requests.get(site.url(NOTES + f"?down={i}"),
                                                     auth=_auth(site.demo),
                                                     timeout=REQUEST_TIMEOUT))  # fmt: skip
        replay = http.send(captured, timeout=REQUEST_TIMEOUT)
    login = requests.post(site.url(AUTH + "sessions/"), json={"username": "keeper",
                          "password": "keeper-password-2fa!"}, timeout=REQUEST_TIMEOUT)  # fmt: skip
    for response in [*during, replay, login]:
        assert (response.status_code, _code(response)) == (503, "replay_store_unavailable")
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
        assert _verified(site, response)
    assert "Traceback" not in site.stderr()
