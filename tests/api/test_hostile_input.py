"""No 5xx for hostile input (docs/django.md): whatever an attacker sends is a 4xx with a code.

- 100 kB of nested JSON (``[[[[…]]]]``) at the unauthenticated login, the challenge verify
  endpoint and a signed POST: 400 ``json_too_deep`` (a ``RecursionError``, so a 500, before
  ``signed_api.parsers.JSONParser``);
- a NUL or another control character in an id in the URL: a 404 (PostgreSQL cannot even compare
  a string holding a NUL: psycopg raised ``ValueError``, a 500), and in a ``keyid`` a 401;
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: a JSON 413 ``request_too_large``, signed or not
  (Django answered an HTML 400 where the body was read, and DRF's parsers read any size);
- a lone surrogate (``"\\ud800"``, valid JSON, not encodable as UTF-8) in the challenge token:
  ``401 challenge_expired`` like any wrong token (a ``UnicodeEncodeError``, a 500, when the view
  read the token without a serializer);
- a body of another media type (415) or multipart without a boundary (400) at the unsigned login
  and verify endpoints: DRF's error, with its ``code`` (the handler added codes only for views
  that accept signatures);
- control characters in a username, a path or a keyid reach no log line unescaped.

Run on PostgreSQL too: ``python -m tests.servers run -- python -m pytest tests/api -q``.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.core import checks
from rest_framework.test import APIClient

from signed_api.models import LoginChallenge
from tests.accounts import AUTH, PASSWORD, SESSIONS, enrol_device, fresh_code, login, post_login
from tests.accounts import session_client as signing_client
from tests.api.support import NOTES, meta_from_headers, sign_headers
from tests.http import assert_error, form_body, multipart_body

pytestmark = pytest.mark.django_db

NESTED = b"[" * 50_000 + b"]" * 50_000  # 100 kB, 50 000 levels
NESTED_OBJECTS = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
HOSTILE_IDS = ["ses_x%00y", "key_%00", "%0d%0aforged", "%1b[31mred", "x%7f", "caf%C3%A9"]


@pytest.fixture
def client():
    return APIClient(raise_request_exception=False)


@pytest.fixture
def session(user):
    return login("alice", PASSWORD)


@pytest.fixture
def session_client(session):
    return signing_client(session, raise_request_exception=False)


# -- deeply nested JSON -------------------------------------------------------------------------
@pytest.mark.parametrize("payload", [NESTED, NESTED_OBJECTS], ids=["arrays", "objects"])
def test_nested_json_at_the_login_is_a_400(client, payload):
    response = client.post(SESSIONS, data=payload, content_type="application/json")
    assert_error(response, "json_too_deep", 400)


def test_nested_json_at_verify_is_a_400(client):
    response = client.post(
        SESSIONS + "chl_public/verify/", data=NESTED, content_type="application/json"
    )
    assert_error(response, "json_too_deep", 400)


def test_nested_json_in_a_signed_post_is_a_400(signed_client):
    signed_client.raise_request_exception = False
    response = signed_client.post(NOTES, data=NESTED, content_type="application/json")
    assert_error(response, "json_too_deep", 400)


def test_nesting_below_the_limit_is_parsed(signed_client):
    """100 levels are JSON like any other: the note serializer refuses the list, not the parser."""
    payload = b"[" * 100 + b"]" * 100
    response = signed_client.post(NOTES, data=payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "json_too_deep" not in response.content.decode()


def test_malformed_json_is_a_400_with_a_code(client):
    response = client.post(SESSIONS, data=b'{"username": ', content_type="application/json")
    assert_error(response, "parse_error", 400)


def test_nested_json_through_drfs_own_parser_is_a_400(signed_client, settings):
    """A project still on DRF's JSONParser: the exception handler turns the RecursionError of its
    parser into the same 400 (and the system check warns about the setting)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    }
    signed_client.raise_request_exception = False
    response = signed_client.post(NOTES, data=NESTED, content_type="application/json")
    assert_error(response, "json_too_deep", 400)
    warnings = [m for m in checks.run_checks() if m.id == "signed_api.W020"]
    assert warnings and "JSONParser" in warnings[0].msg


def test_the_suite_and_the_example_use_the_safe_parsers():
    assert not [m for m in checks.run_checks() if m.id == "signed_api.W020"]
    from example_project import settings as example

    assert example.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"][0] == "signed_api.parsers.JSONParser"


# -- NUL and control characters in ids ----------------------------------------------------------
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_session_id_is_a_404(session_client, hostile):
    response = session_client.delete(f"{SESSIONS}{hostile}/")
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_challenge_id_is_a_4xx(client, hostile):
    response = client.post(
        f"{SESSIONS}{hostile}/verify/",
        {"challenge_token": "t", "code": "123456"},
        format="json",
    )
    assert 400 <= response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
@pytest.mark.parametrize("suffix", ["", "rotate/"])
def test_hostile_key_id_in_the_url_is_a_404(session_client, hostile, suffix):
    url = f"{AUTH}keys/{hostile}/{suffix}"
    response = session_client.post(url) if suffix else session_client.delete(url)
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_note_id_is_a_404(signed_client, hostile):
    """The example API's own lookups (an integer key) refuse it before the database."""
    signed_client.raise_request_exception = False
    assert signed_client.get(f"{NOTES}{hostile}/").status_code == 404


@pytest.mark.parametrize("pk", ["9" * 40, str(2**63), "-1", "１２"], ids=["40-digits", "2**63",
                                                                     "negative", "fullwidth"])
def test_a_note_id_no_row_can_have_is_a_404_with_a_code_not_a_500(signed_client, pk):
    """On Django 4.2 an integer beyond 64 bits reached the database (a 500 on SQLite)."""
    signed_client.raise_request_exception = False
    assert_error(signed_client.get(f"{NOTES}{pk}/"), "not_found", 404)


@pytest.mark.parametrize("field", ["challenge_token", "code"])
def test_nul_in_a_challenge_body_is_a_4xx(client, field):
    fields = {"challenge_token": "tok", "code": "123456", field: "a\x00b"}
    response = client.post(SESSIONS + "chl_public/verify/", fields, format="json")
    assert 400 <= response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("field", ["username", "password", "remember_token"])
def test_nul_in_a_login_body_is_a_4xx(client, user, field):
    fields = {"username": "alice", "password": PASSWORD}
    if field == "remember_token":
        fields = {"remember_token": "rt_\x00"}
    else:
        fields[field] = "ali\x00ce"
    response = client.post(SESSIONS, fields, format="json")
    assert 400 <= response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("keyid", ["key_\x00", "key_\r\nx", "key_\x1b[2J", "k\x7f"])
def test_hostile_keyid_in_signature_input_is_a_401(client, hmac_key, keyid):
    from signed_api.client import SignatureAuth

    key, secret = hmac_key
    headers = sign_headers(SignatureAuth(key.key_id, secret), "GET", "http://testserver" + NOTES)
    # Swap the keyid for the hostile one, the way a hand-written header would carry it.
    headers["Signature-Input"] = headers["Signature-Input"].replace(key.key_id, keyid)
    response = client.get(NOTES, **meta_from_headers(headers))
    assert_error(response, response.json()["code"], exact=True, accept_signature=True)
    assert response.json()["code"] in ("signature_malformed", "unknown_key")


# -- bodies over the upload limit ----------------------------------------------------------------
LIMIT = 2_000


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def _big_json() -> bytes:
    return json.dumps({"text": "x" * (LIMIT * 2)}).encode()


def test_big_signed_post_is_a_json_413(small_limit, signed_client):
    signed_client.raise_request_exception = False
    response = signed_client.post(NOTES, data=_big_json(), content_type="application/json")
    assert_error(response, "request_too_large", 413)
    assert response["Content-Type"].startswith("application/json")


def test_big_login_is_a_json_413(small_limit, client):
    response = client.post(SESSIONS, data=_big_json(), content_type="application/json")
    assert_error(response, "request_too_large", 413)


def test_big_form_login_is_a_json_413(small_limit, client):
    response = client.post(
        SESSIONS, data="username=" + "a" * (LIMIT * 2),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, "request_too_large", 413)


def test_big_body_without_content_length_is_a_json_413(small_limit, client):
    """The parser counts what it reads, not only what Content-Length announces."""
    import io

    from signed_api.parsers import JSONParser, RequestTooLarge

    with pytest.raises(RequestTooLarge):
        JSONParser().parse(io.BytesIO(_big_json()), parser_context={})


def test_a_body_at_the_limit_is_accepted(small_limit, signed_client):
    text = "y" * (LIMIT - 100)
    response = signed_client.post(NOTES, {"text": text}, format="json")
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize("length", ["abc", "-1", "1e3"])
def test_a_content_length_that_is_no_number_is_a_4xx(client, hmac_key, length):
    """gunicorn and uvicorn refuse it themselves; a server that passes it on must not get a 500
    (Django's ``request.body`` does ``int()`` of it)."""
    from signed_api.client import SignatureAuth

    key, secret = hmac_key
    body = b'{"text": "x"}'
    headers = sign_headers(SignatureAuth(key.key_id, secret), "POST", "http://testserver" + NOTES,
                           body)
    response = client.post(NOTES, data=body, content_type="application/json",
                           CONTENT_LENGTH=length, **meta_from_headers(headers))
    assert 400 <= response.status_code < 500, response.content[:300]


# -- more fields, files or query parameters than Django takes ----------------------------------
# Django raises TooManyFieldsSent / TooManyFilesSent (SuspiciousOperation) where DRF reads the
# query (content negotiation, before authentication) or parses the body: its HTML 400 page,
# with no code, before signed_api's exception handler mapped them.
FIELDS = 1001  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000
FILES = 101  # DATA_UPLOAD_MAX_NUMBER_FILES is 100
JWKS = "/.well-known/signed-api/keys"


MULTIPART = "multipart/form-data; boundary=x"
URLENCODED = "application/x-www-form-urlencoded"
TOO_MANY = {
    "urlencoded-fields": (form_body(FIELDS), URLENCODED, "too_many_fields"),
    "multipart-fields": (multipart_body(FIELDS, files=False), MULTIPART, "too_many_fields"),
    "multipart-files": (multipart_body(FILES, files=True), MULTIPART, "too_many_files"),
}


def _assert_json_code(response, code: str, status: int = 400) -> None:
    assert response["Content-Type"].startswith("application/json"), response.content[:120]
    assert_error(response, code, status)


@pytest.mark.parametrize("name", sorted(TOO_MANY))
def test_too_many_fields_or_files_at_the_login_get_a_json_code(client, name):
    body, content_type, code = TOO_MANY[name]
    response = client.post(SESSIONS, data=body, content_type=content_type)
    _assert_json_code(response, code)
    assert not LoginChallenge.objects.exists()


@pytest.mark.parametrize("name", sorted(TOO_MANY))
def test_too_many_fields_or_files_in_a_signed_post_get_a_json_code(hmac_key, name):
    from example_project.notes.models import Note
    from signed_api.client import SignatureAuth

    body, content_type, code = TOO_MANY[name]
    key, secret = hmac_key
    headers = sign_headers(
        SignatureAuth(key.key_id, secret), "POST", "http://testserver" + NOTES, body
    )
    response = APIClient(raise_request_exception=False).post(
        NOTES, data=body, content_type=content_type, **meta_from_headers(headers)
    )
    _assert_json_code(response, code)
    assert not Note.objects.exists()


@pytest.mark.parametrize("path", [NOTES, SESSIONS, JWKS])
def test_too_many_query_parameters_get_a_json_code_not_djangos_page(client, path):
    response = client.get(path + "?" + "a&" * FIELDS)
    _assert_json_code(response, "too_many_fields")


def test_the_query_limit_is_djangos_setting(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    assert client.get(NOTES + "?a&b&c&d").status_code == 401  # signature_missing: under it
    _assert_json_code(client.get(NOTES + "?a&b&c&d&e&f"), "too_many_fields")


def test_a_too_many_fields_refusal_is_logged_as_django_logs_it(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.security"):
        client.get(NOTES + "?" + "a&" * FIELDS)
    assert [r.name for r in caplog.records if r.name.startswith("django.security")] == [
        "django.security.TooManyFieldsSent"
    ]


# -- logs ----------------------------------------------------------------------------------------
FORGED = "\r\n2026-01-01 INFO signed_api: forged line \x1b[2J"


def _formatted(caplog) -> str:
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(r) for r in caplog.records if r.name.startswith("signed_api"))


def _assert_no_control_characters(text: str) -> None:
    for line in text.split("\n"):
        assert not any(ord(c) < 0x20 and c != "\t" or c == "\x7f" for c in line), repr(line)
    assert "forged line" not in text or "\\r\\n" in text or "\\n" in text


def test_username_cannot_forge_a_log_line(client, user, caplog):
    caplog.set_level(logging.DEBUG, logger="signed_api")
    for _ in range(2):
        client.post(SESSIONS, {"username": "alice" + FORGED, "password": "x"}, format="json")
    client.post(SESSIONS, {"username": "alice", "password": "wrong" + FORGED}, format="json")
    text = _formatted(caplog)
    _assert_no_control_characters(text)
    assert "\r" not in text and "\x1b" not in text


def test_path_and_keyid_cannot_forge_a_log_line(client, hmac_key, caplog):
    from signed_api.client import SignatureAuth

    caplog.set_level(logging.DEBUG, logger="signed_api")
    key, secret = hmac_key
    path = NOTES + "%0d%0a2026-01-01%20INFO%20forged%1b/"
    headers = sign_headers(SignatureAuth(key.key_id, secret), "GET", "http://testserver" + NOTES)
    response = client.get(path, **meta_from_headers(headers))  # signed for another path
    assert response.status_code == 401
    text = _formatted(caplog)
    assert "forged" in text  # the refusal was logged, escaped
    _assert_no_control_characters(text)


def test_a_secret_pasted_as_the_keyid_is_not_logged(client, user, caplog):
    """A client that signs with a remember token (or an API secret) as its ``keyid``: the
    refusal is ``unknown_key`` and its log line does not repeat the token."""
    from signed_api.client import SignatureAuth

    caplog.set_level(logging.DEBUG, logger="signed_api")
    token = login("alice", PASSWORD, remember=True)["remember_token"]
    for key_id in (token, "x" + token):
        signer = SignatureAuth(key_id, b"\x01" * 32)
        headers = sign_headers(signer, "GET", "http://testserver" + NOTES)
        assert_error(client.get(NOTES, **meta_from_headers(headers)), "unknown_key")
    text = _formatted(caplog)
    assert "refused: unknown_key" in text
    assert token not in text and token.rpartition("_")[2] not in text


def test_raw_asgi_path_cannot_forge_a_log_line(hmac_key, caplog):
    """An ASGI server hands ``raw_path`` over as bytes; one that lets an escape or a C1 control
    through (``\x9b`` is CSI on 8-bit terminals) must not get it into the refusal's log line."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from signed_api.client import SignatureAuth

    raw_path = b"/api/notes/x\x1b[2J\x9b31m/"

    class RawPathClient(AsyncClient):
        def _base_scope(self, **request):
            scope = super()._base_scope(**request)
            scope["raw_path"] = raw_path
            return scope

    caplog.set_level(logging.DEBUG, logger="signed_api")
    key, secret = hmac_key
    headers = sign_headers(SignatureAuth(key.key_id, secret), "GET", "http://testserver" + NOTES)
    response = async_to_sync(RawPathClient().get)(NOTES, headers=headers)
    assert response.status_code == 401
    text = _formatted(caplog)
    assert "refused" in text and "\\x1b[2J" in text and "\\x9b" in text
    _assert_no_control_characters(text)
    assert "\x9b" not in text


def test_log_filter_escapes_every_string_argument(caplog):
    from signed_api.logsafe import escape, get_logger

    caplog.set_level(logging.DEBUG, logger="signed_api")
    get_logger("signed_api").warning("user=%s n=%d", "a\nb\x1b\u2028c", 3)
    get_logger("signed_api.audit").info("event %s", "x\ry")
    text = _formatted(caplog)
    assert "user=a\\nb\\x1b\\u2028c n=3" in text
    assert "event x\\ry" in text
    assert escape("plain café") == "plain café"
    assert escape("\x00") == "\\x00"


# -- every error of a signed view carries a code -------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", NOTES + "999999/", 404, "not_found"),
        ("put", NOTES, 405, "method_not_allowed"),
    ],
)
def test_drf_errors_of_signed_views_carry_a_code(signed_client, method, path, status, code):
    response = getattr(signed_client, method)(path)
    assert_error(response, code, status)


# -- strings that cannot be encoded, bodies of another media type -------------------------------
def _pending(user) -> tuple[dict, object]:
    authenticator, _codes = enrol_device(user)
    pending = post_login(username="alice", password=PASSWORD)
    assert pending.status_code == 202, pending.content
    return pending.json(), authenticator


def test_a_lone_surrogate_in_the_challenge_token_is_a_4xx_not_a_500(client, user):
    """The challenge id is public (it is in the verify URL); ``{"challenge_token": "\\ud800"}``
    is refused like any wrong token, and the genuine challenge loses no attempt."""
    pending, _authenticator = _pending(user)

    response = client.post(
        f"{SESSIONS}{pending['id']}/verify/",
        data=b'{"challenge_token": "\\ud800", "code": "123456"}',
        content_type="application/json",
    )

    assert_error(response, "challenge_expired", 401)
    assert LoginChallenge.objects.get().attempts == 0


def test_a_lone_surrogate_in_the_code_is_a_400_invalid_request(client, user):
    pending, _authenticator = _pending(user)
    token = json.dumps(pending["challenge_token"])

    response = client.post(
        f"{SESSIONS}{pending['id']}/verify/",
        data=b'{"challenge_token": ' + token.encode() + b', "code": "12\\udfff34"}',
        content_type="application/json",
    )

    data = assert_error(response, "invalid_request", 400)
    assert "code" in data["errors"]


def test_the_verify_endpoint_still_takes_a_good_token_and_code(client, user):
    pending, authenticator = _pending(user)
    response = client.post(
        f"{SESSIONS}{pending['id']}/verify/",
        {"challenge_token": pending["challenge_token"], "code": fresh_code(authenticator, user)},
        format="json",
    )
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_lone_surrogate_in_a_login_body_is_a_4xx_with_a_code(client, user, field):
    fields = {"username": "alice", "password": PASSWORD, field: "\ud800"}
    response = client.post(SESSIONS, data=json.dumps(fields).encode(),
                           content_type="application/json")
    assert_error(response, "invalid_request", 400)


@pytest.mark.parametrize("path", [SESSIONS, SESSIONS + "chl_0123456789abcdef01/verify/"],
                         ids=["login", "verify"])
@pytest.mark.parametrize(
    ("content_type", "payload", "status", "code"),
    [("text/plain", b"username=alice", 415, "unsupported_media_type"),
     ("multipart/form-data", b"{}", 400, "parse_error")],
    ids=["unsupported-media-type", "multipart-without-boundary"],
)
def test_hostile_bodies_at_login_and_verify_get_an_error_code(
    client, user, path, content_type, payload, status, code
):
    """The same inputs at ``keys/`` (signed) always had their code; every error answer of the
    app's own endpoints carries one (docs/protocol.md, "Errors")."""
    response = client.post(path, data=payload, content_type=content_type)
    assert_error(response, code, status, exact=True)


def test_an_error_of_the_unsigned_jwks_view_has_a_code(client):
    response = client.post("/.well-known/signed-api/keys", {}, format="json")
    assert_error(response, "method_not_allowed", 405, exact=True)
