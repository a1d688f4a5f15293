"""``@path`` and ``@query`` come from the raw request target (docs/protocol.md, RFC 9421 §2.2.6-7).

Servers hand the target over differently: gunicorn as ``RAW_URI``, uWSGI as ``REQUEST_URI``,
ASGI servers as ``scope["raw_path"]`` and ``scope["query_string"]``; Django's test clients give
only the decoded ``PATH_INFO`` (re-encoded canonically by the server) and the raw query string.
In each case a signature over the form that was sent verifies and a signature over any other
encoding of the same resource is ``signature_invalid``. Routes that do not exist for the notes
API (``/api/notes/café/``) answer 404 only after authentication: 401 versus 404 tells which.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, RequestFactory

from signed_api.client import SignatureAuth
from signed_api.request_message import message_from_request
from tests.api.support import meta_from_headers, sign_headers
from tests.http import assert_error

pytestmark = pytest.mark.django_db

HOST = "http://testserver"


@pytest.fixture
def auth(hmac_key):
    key, secret = hmac_key
    return SignatureAuth(key.key_id, secret)


def _status_or_refusal(response, expected):
    if expected == 401:
        assert_error(response, "signature_invalid", exact=True, accept_signature=True)
    else:
        assert response.status_code == expected, response.content


# -- WSGI servers that pass the raw target: gunicorn RAW_URI, uWSGI REQUEST_URI --------------------

# (raw target as the client sent it, the same resource encoded differently, expected status)
RAW_TARGETS = [
    pytest.param("/api/%6Eotes/", "/api/notes/", 200, id="unreserved-char-percent-encoded"),
    pytest.param("/api/notes/?q=a%20b&q=c", "/api/notes/?q=a+b&q=c", 200,
                 id="repeated-params-encoded-space"),
    pytest.param("/api/notes/?q=c&q=a%20b", "/api/notes/?q=a%20b&q=c", 200,
                 id="repeated-params-order"),
    pytest.param("/api/notes/caf%c3%a9/", "/api/notes/caf%C3%A9/", 404,
                 id="non-ascii-lower-case-hex"),
    pytest.param("/api/notes/caf%C3%A9/", "/api/notes/caf%c3%a9/", 404,
                 id="non-ascii-upper-case-hex"),
    pytest.param("/api/notes/%7Euser/", "/api/notes/~user/", 404, id="tilde-encoded"),
]


@pytest.mark.parametrize("variable", ["RAW_URI", "REQUEST_URI"])
@pytest.mark.parametrize(("raw", "other", "status"), RAW_TARGETS)
def test_wsgi_raw_target_is_what_is_verified(api_client, auth, variable, raw, other, status):
    path, _, query = raw.partition("?")
    # What the WSGI server decodes for routing: PATH_INFO decoded, QUERY_STRING raw.
    environ = {variable: raw, "QUERY_STRING": query}
    decoded_path = unquote(path)

    signed_as_sent = api_client.get(
        decoded_path, **environ, **meta_from_headers(sign_headers(auth, "GET", HOST + raw))
    )
    signed_otherwise = api_client.get(
        decoded_path, **environ, **meta_from_headers(sign_headers(auth, "GET", HOST + other))
    )

    _status_or_refusal(signed_as_sent, status)
    assert_error(signed_otherwise, "signature_invalid", exact=True, accept_signature=True)


@pytest.mark.parametrize("variable", ["RAW_URI", "REQUEST_URI"])
def test_absolute_form_target_is_reduced_to_path_and_query(api_client, auth, variable):
    raw = "http://testserver/api/%6Eotes/?q=1"
    meta = meta_from_headers(sign_headers(auth, "GET", HOST + "/api/%6Eotes/?q=1"))
    response = api_client.get("/api/notes/", QUERY_STRING="q=1", **{variable: raw}, **meta)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("variable", ["RAW_URI", "REQUEST_URI"])
@pytest.mark.parametrize(
    ("raw", "path", "query"),
    [
        pytest.param("http://testserver?x=1", "/", "x=1", id="empty-path-with-query"),
        pytest.param("http://testserver", "/", None, id="empty-path-no-query"),
        pytest.param("http://testserver?", "/", "", id="empty-path-empty-query"),
        pytest.param("http://testserver/api/?a=%20", "/api/", "a=%20", id="path-and-query"),
    ],
)
def test_absolute_form_with_an_empty_path_keeps_its_query(variable, raw, path, query):
    """RFC 9421 §2.2.6-7: the empty path of ``GET http://host?x=1`` is ``/`` and the query is the
    one delivered to the view (it was dropped: ``@query`` was ``?``, the view saw ``x=1``)."""
    request = RequestFactory().get("/", {"x": "1"} if query == "x=1" else None, **{variable: raw})
    message = message_from_request(request, b"")
    assert (message.path, message.query) == (path, query)


def test_absolute_form_with_an_empty_path_signs_the_query_it_delivers(api_client, auth):
    """Signed for ``/?x=1`` (what a client signs for ``http://testserver?x=1``): verifies; a
    signature over ``/`` without the query, which the server delivers, does not."""
    raw = "http://testserver?x=1"
    with_query = meta_from_headers(sign_headers(auth, "GET", "http://testserver?x=1"))
    without = meta_from_headers(sign_headers(auth, "GET", "http://testserver/"))
    # PATH_INFO routes to the notes list; @path and @query come from RAW_URI, as under gunicorn.
    response = api_client.get("/api/notes/", QUERY_STRING="x=1", RAW_URI=raw, **with_query)
    assert response.status_code == 200, response.content
    refused = api_client.get("/api/notes/", QUERY_STRING="x=1", RAW_URI=raw, **without)
    assert_error(refused, "signature_invalid", exact=True, accept_signature=True)


def test_origin_form_path_containing_scheme_separator_is_kept():
    """Origin-form ``/a://b/`` is not an absolute-form target (fixed in 97ca112)."""
    request = RequestFactory().get("/a://b/", RAW_URI="/a://b/?x=1")
    message = message_from_request(request, b"")
    assert (message.path, message.query) == ("/a://b/", "x=1")


@pytest.mark.parametrize("signed", ["/api/notes/", "/api/notes/?"])
@pytest.mark.parametrize("raw", ["/api/notes/", "/api/notes/?"])
def test_no_query_and_empty_query_are_both_a_lone_question_mark(api_client, auth, raw, signed):
    """RFC 9421 §2.2.7: ``@query`` of a target without a query (or an empty one) is ``?``."""
    meta = meta_from_headers(sign_headers(auth, "GET", HOST + signed))
    assert api_client.get("/api/notes/", RAW_URI=raw, **meta).status_code == 200


def test_raw_target_wins_over_path_info(api_client, auth):
    """A server that passes the raw target is believed over the decoded PATH_INFO."""
    meta = meta_from_headers(sign_headers(auth, "GET", HOST + "/api/%6Eotes/"))
    assert api_client.get("/api/notes/", RAW_URI="/api/%6Eotes/", **meta).status_code == 200
    assert_error(
        api_client.get("/api/notes/", **meta), "signature_invalid",
        exact=True, accept_signature=True
    )

# Django's WSGIRequest overwrites META["PATH_INFO"] with the UTF-8-decoded path: it must be
# re-encoded as UTF-8 (it was Latin-1 until 97ca112: é -> %E9, € -> ?).


# -- Django's test client: PATH_INFO re-encoded, QUERY_STRING raw ------------------------------


@pytest.mark.parametrize(
    ("sent", "signed", "status"),
    [
        pytest.param("/api/notes/?q=a%20b&q=c", "/api/notes/?q=a%20b&q=c", 200,
                     id="repeated-params-as-sent"),
        pytest.param("/api/notes/?q=a%20b&q=c", "/api/notes/?q=a+b&q=c", 401,
                     id="repeated-params-plus-instead-of-%20"),
        pytest.param("/api/notes/?q=a%20b&q=c", "/api/notes/?q=c&q=a%20b", 401,
                     id="repeated-params-reordered"),
        pytest.param("/api/notes/caf%C3%A9/", "/api/notes/caf%C3%A9/", 404,
                     id="non-ascii-canonical"),
        pytest.param("/api/notes/caf%C3%A9/", "/api/notes/caf%c3%a9/", 401,
                     id="non-ascii-lower-case-hex"),
        pytest.param("/api/notes/%E2%82%AC/", "/api/notes/%E2%82%AC/", 404,
                     id="non-latin-1-canonical"),
        pytest.param("/api/notes/~user/", "/api/notes/~user/", 404, id="tilde"),
        pytest.param("/api/notes/~user/", "/api/notes/%7Euser/", 401, id="tilde-encoded"),
    ],
)
def test_test_client_path_info_is_reencoded_canonically(api_client, auth, sent, signed, status):
    meta = meta_from_headers(sign_headers(auth, "GET", HOST + signed))
    _status_or_refusal(api_client.get(sent, **meta), status)


def test_non_ascii_path_needs_a_signature_before_404(api_client):
    assert_error(
        api_client.get("/api/notes/caf%C3%A9/"), "signature_missing",
        exact=True, accept_signature=True
    )


def test_signed_client_authenticates_non_ascii_path_before_404(signed_client):
    assert signed_client.get("/api/notes/caf%C3%A9/").status_code == 404


def test_signed_client_signs_repeated_query_params(signed_client):
    assert signed_client.get("/api/notes/?q=a%20b&q=c").status_code == 200
    assert signed_client.get("/api/notes/", {"q": ["a b", "c"]}).status_code == 200


def test_literal_percent_in_path_is_rebuilt_as_percent_25(api_client, auth):
    # RFC 3986 §2.4: a '%' in a path is always sent as %25; a client signs the path as sent.
    meta = meta_from_headers(sign_headers(auth, "GET", HOST + "/api/notes/100%25/"))
    assert api_client.get("/api/notes/100%25/", **meta).status_code == 404


# -- ASGI --------------------------------------------------------------------------------------


class ServerScopeAsyncClient(AsyncClient):
    """``AsyncClient`` whose scope looks like uvicorn's or daphne's for one raw target.

    Django's own ``AsyncClient`` builds a scope without ``raw_path`` and with a ``str``
    ``query_string`` and a Latin-1 ``path``; ASGI servers send ``path`` decoded as UTF-8,
    ``raw_path`` and ``query_string`` as the bytes received.
    """

    def __init__(self, raw_target: str, *, raw_path: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.raw_target = raw_target
        self.with_raw_path = raw_path

    def _base_scope(self, **request):
        scope = super()._base_scope(**request)
        path, _, query = self.raw_target.partition("?")
        scope["path"] = unquote(path)
        if self.with_raw_path:
            scope["raw_path"] = path.encode("ascii")
        else:
            scope.pop("raw_path", None)
        scope["query_string"] = query.encode("ascii")
        return scope


def _asgi_get(client: AsyncClient, path: str, headers: dict):
    return async_to_sync(client.get)(path, headers=headers)


def test_django_async_client_scope_has_no_raw_path():
    """What Django's AsyncClient builds (so the fallback below is what it exercises)."""
    request = async_to_sync(_build_async_request)("/api/notes/caf%C3%A9/?q=a%20b")
    assert "raw_path" not in request.scope
    assert request.scope["path"] == "/api/notes/caf\xc3\xa9/"  # Latin-1, like WSGI
    assert request.scope["query_string"] == "q=a%20b"


async def _build_async_request(path):
    from django.test import AsyncRequestFactory

    return AsyncRequestFactory().get(path)


@pytest.mark.parametrize(
    ("sent", "signed", "status"),
    [
        pytest.param("/api/notes/?q=a%20b&q=c", "/api/notes/?q=a%20b&q=c", 200, id="query"),
        pytest.param("/api/notes/?q=a%20b&q=c", "/api/notes/?q=a+b&q=c", 401, id="query-plus"),
        pytest.param("/api/notes/caf%C3%A9/", "/api/notes/caf%C3%A9/", 404, id="non-ascii"),
        pytest.param("/api/notes/caf%C3%A9/", "/api/notes/caf%c3%a9/", 401, id="lower-hex"),
    ],
)
def test_django_async_client(auth, sent, signed, status):
    response = _asgi_get(AsyncClient(), sent, sign_headers(auth, "GET", HOST + signed))
    _status_or_refusal(response, status)


@pytest.mark.parametrize(("raw", "other", "status"), RAW_TARGETS)
def test_asgi_raw_path_and_query_string_are_what_is_verified(auth, raw, other, status):
    client = ServerScopeAsyncClient(raw)
    signed_as_sent = _asgi_get(client, "/", sign_headers(auth, "GET", HOST + raw))
    signed_otherwise = _asgi_get(client, "/", sign_headers(auth, "GET", HOST + other))

    _status_or_refusal(signed_as_sent, status)
    assert_error(signed_otherwise, "signature_invalid", exact=True, accept_signature=True)


def test_asgi_post_with_body_and_raw_path(auth, user):
    from example_project.notes.models import Note

    body = b'{"text": "over asgi"}'
    headers = sign_headers(auth, "POST", HOST + "/api/%6Eotes/", body)
    client = ServerScopeAsyncClient("/api/%6Eotes/")
    response = async_to_sync(client.post)(
        "/", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    assert Note.objects.get().owner == user
