"""The OpenAPI description (signed_api/openapi.py, docs/openapi.md): it generates without a
warning and validates, describes the signature scheme, names every URL of the app, and declares
the ``{detail, code}`` refusals each endpoint can answer with."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import URLPattern, URLResolver

pytest.importorskip("drf_spectacular")

ROOT = Path(__file__).resolve().parents[2]
ERROR_REF = "#/components/schemas/Error"
BAD_REQUEST_REF = "#/components/schemas/BadRequest"
HOOKS = ["drf_spectacular.hooks.postprocess_schema_enums", "signed_api.openapi.add_ohttp_gateway"]


def _generate(schema_class: str) -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import patched_settings
    from drf_spectacular.validation import validate_schema

    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": schema_class}
    with override_settings(REST_FRAMEWORK=rest_framework), patched_settings(
        {"POSTPROCESSING_HOOKS": HOOKS, "COMPONENT_SPLIT_REQUEST": True}
    ):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return schema


@pytest.fixture(scope="module")
def schema() -> dict:
    """The example project's schema, with ``SignedAutoSchema`` as the example configures it."""
    return _generate("signed_api.openapi.SignedAutoSchema")


@pytest.fixture(scope="module")
def stock_schema() -> dict:
    """With drf-spectacular's own ``AutoSchema``: the app's endpoints are described anyway."""
    return _generate("drf_spectacular.openapi.AutoSchema")


def _operations(schema: dict, prefix: str = ""):
    for path, item in schema["paths"].items():
        if path.startswith(prefix):
            for method, operation in item.items():
                yield path, method, operation


def _routes(patterns, prefix: str = ""):
    """The OpenAPI paths of ``patterns``: ``<credential_id:key_id>`` becomes ``{key_id}``."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route)


def test_manage_py_spectacular_validates_without_a_warning(tmp_path):
    """What an operator runs: the example project's settings, ``--fail-on-warn``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="example_project.settings",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")  # fmt: skip
    out = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
         "--file", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr
    assert "httpMessageSignature" in out.read_text()


def test_the_security_scheme_describes_the_signature(schema):
    from signed_api.authentication import accept_signature_value

    scheme = schema["components"]["securitySchemes"]["httpMessageSignature"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "Signature")
    text = scheme["description"]
    for needed in ("RFC 9421", "docs/protocol.md", "Signature-Input", "Content-Digest",
                   "Accept-Signature", '"@method"', '"@authority"', '"@path"', '"@query"',
                   '"content-digest"', "nonce", accept_signature_value()):  # fmt: skip
        assert needed in text, needed


def test_every_url_of_the_app_is_described(schema, stock_schema):
    import signed_api.ohttp_urls
    import signed_api.urls

    expected = {
        *_routes(signed_api.urls.urlpatterns, "api/auth/"),
        *_routes(signed_api.urls.well_known),
        *_routes(signed_api.ohttp_urls.urlpatterns),
    }
    assert len(expected) == 11
    assert expected <= set(schema["paths"]), expected - set(schema["paths"])
    assert expected <= set(stock_schema["paths"]), expected - set(stock_schema["paths"])
    # the views' own methods, nothing invented
    methods = {p: set(item) for p, item in schema["paths"].items()}
    assert methods["/api/auth/sessions/"] == {"get", "post", "delete"}
    assert methods["/api/auth/totp/"] == {"post", "delete"}
    assert methods["/api/auth/keys/{key_id}/rotate/"] == {"post"}
    assert methods["/.well-known/ohttp-gateway"] == {"get", "post"}


@pytest.mark.parametrize("which", ["schema", "stock_schema"])
def test_every_signed_operation_declares_its_refusals(which, request):
    schema = request.getfixturevalue(which)
    signed = [
        (path, method, op) for path, method, op in _operations(schema, "/api/auth/")
        if {"httpMessageSignature": []} in op.get("security", [])
    ]  # fmt: skip
    assert len(signed) == 11
    for path, method, op in signed:
        responses = op["responses"]
        for status in ("401", "403", "503"):
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": ERROR_REF}, (path, method, status)
        headers = responses["401"]["headers"]
        assert {"WWW-Authenticate", "Accept-Signature"} <= set(headers), (path, method)
        if "requestBody" in op:
            for status in ("400", "413", "415"):
                assert status in responses, (path, method, status)
            body = responses["400"]["content"]["application/json"]["schema"]
            assert body == {"$ref": BAD_REQUEST_REF}, (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)


def test_the_login_bodies_and_refusals(schema):
    login = schema["paths"]["/api/auth/sessions/"]["post"]
    assert login.get("security", [{}]) == [{}]  # unsigned
    responses = login["responses"]
    assert set(responses) >= {"201", "202", "400", "401", "429", "503"}
    assert "Retry-After" in responses["429"]["headers"]
    components = schema["components"]["schemas"]

    def properties(status):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    created, pending = properties("201"), properties("202")
    assert set(created["required"]) == {"id", "algorithm", "expires_at", "idle_timeout"}
    assert {"secret", "remember_token", "key_thumbprint"} <= set(created["properties"])
    assert set(pending["required"]) == {"id", "status", "challenge_token", "methods",
                                        "expires_at"}  # fmt: skip
    request_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert {"username", "password", "remember_token", "public_key"} <= set(
        components[request_ref.rsplit("/", 1)[1]]["properties"]
    )
    error = components["Error"]
    assert set(error["required"]) == {"detail", "code"}
    bad = components["BadRequest"]
    assert bad["oneOf"] == [{"$ref": ERROR_REF}, {"$ref": "#/components/schemas/FieldErrors"}]


def test_the_other_bodies(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]

    def body(path, method, status):
        ref = paths[path][method]["responses"][status]["content"]["application/json"]["schema"]
        if "items" in ref:
            ref = ref["items"]
        return components[ref["$ref"].rsplit("/", 1)[1]]

    assert body("/api/auth/sessions/{session_id}/verify/", "post", "201") == body(
        "/api/auth/sessions/", "post", "201")  # a session, as a login without second factor
    verify = paths["/api/auth/sessions/{session_id}/verify/"]["post"]
    ref = verify["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[ref.rsplit("/", 1)[1]]["required"]) == {"challenge_token", "code"}
    assert set(body("/api/auth/totp/", "post", "201")["properties"]) == {"otpauth_uri", "qr_svg"}
    assert "recovery_codes" in body("/api/auth/totp/confirm/", "post", "200")["properties"]
    key = body("/api/auth/keys/", "post", "201")
    assert {"id", "algorithm", "scopes", "secret", "previous_valid_until"} <= set(
        key["properties"])
    assert key["properties"]["expires_at"].get("nullable") is True
    assert body("/api/auth/keys/{key_id}/rotate/", "post", "200") == key
    assert body("/api/auth/enroll/", "post", "201") == key
    assert body("/api/auth/keys/", "get", "200") == key
    assert "current" in body("/api/auth/sessions/", "get", "200")["properties"]
    assert set(body("/api/auth/sessions/", "delete", "200")["properties"]) == {"ended"}
    jwks = body("/.well-known/signed-api/keys", "get", "200")
    assert set(jwks["properties"]) == {"keys"}
    gateway = paths["/.well-known/ohttp-gateway"]
    assert "message/ohttp-req" in gateway["post"]["requestBody"]["content"]
    assert "application/ohttp-keys" in gateway["get"]["responses"]["200"]["content"]


def test_a_projects_own_signed_views_get_the_refusals_too(schema, stock_schema):
    """``SignedAutoSchema`` declares them for the example's notes; the stock one does not."""
    notes = schema["paths"]["/api/notes/"]["post"]["responses"]
    assert {"400", "401", "403", "413", "415", "503"} <= set(notes)
    assert "Accept-Signature" in notes["401"]["headers"]
    assert "404" in schema["paths"]["/api/notes/{id}/"]["get"]["responses"]
    assert "401" not in stock_schema["paths"]["/api/notes/"]["post"]["responses"]


def test_the_schema_is_served(client):
    rest_framework = {**settings.REST_FRAMEWORK,
                      "DEFAULT_SCHEMA_CLASS": "signed_api.openapi.SignedAutoSchema"}
    with override_settings(REST_FRAMEWORK=rest_framework):
        response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:500]
    assert "httpMessageSignature" in response.json()["components"]["securitySchemes"]


def test_without_drf_spectacular_nothing_of_it_is_imported():
    """The extra is optional: the app starts, and neither signed_api.openapi nor drf-spectacular
    is imported, when drf-spectacular cannot be found."""
    code = """
import sys
sys.modules["drf_spectacular"] = None  # as if not installed: import fails, find_spec is None
import django
django.setup()
from django.urls import resolve
resolve("/api/auth/sessions/")
assert "signed_api.openapi" not in sys.modules
assert not [m for m, v in sys.modules.items() if m.startswith("drf_spectacular") and v]
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.stdout.strip() == "ok", result.stderr


def test_path_ids_have_the_url_converters_pattern(schema):
    """An id the ``credential_id`` converter does not match is no route of the app (Django's own
    404, not the view's): the schema says so, so a generated id reaches the view."""
    from signed_api.openapi import CREDENTIAL_ID_PATTERN
    from signed_api.urls import CredentialIdConverter

    assert f"^{CredentialIdConverter.regex}$" == CREDENTIAL_ID_PATTERN
    for path, _, operation in _operations(schema, "/api/auth/"):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["pattern"] == CREDENTIAL_ID_PATTERN, path
