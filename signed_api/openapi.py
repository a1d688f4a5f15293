"""The OpenAPI 3 description of signed_api, for drf-spectacular (the ``openapi`` extra).

Imported by ``SignedApiConfig.ready()`` when drf-spectacular is installed, and never otherwise:
the extensions below register themselves as their classes are defined.

- :class:`SignatureScheme` describes :class:`~signed_api.authentication.SignatureAuthentication`
  as the security scheme ``httpMessageSignature`` (RFC 9421, the profile of docs/protocol.md);
- a view extension per endpoint gives its request and response bodies, the ``{detail, code}``
  error body of every refusal, and the headers a 401 carries;
- :class:`SignedAutoSchema` (optional, as ``DEFAULT_SCHEMA_CLASS``) also declares the 401, 403 and
  503 that ``SignatureAuthentication`` adds to a project's own views;
- :func:`add_ohttp_gateway` (optional, a ``POSTPROCESSING_HOOKS`` entry) adds the Oblivious
  HTTP gateway, a plain Django view drf-spectacular does not see.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from . import serializers as app_serializers

SCHEME_NAME = "httpMessageSignature"
PROTOCOL_PAGE = "docs/protocol.md"

ERROR_CODES_PAGE = f"{PROTOCOL_PAGE}#errors"


# -- the security scheme -------------------------------------------------------------------------
class SignatureScheme(OpenApiAuthenticationExtension):
    """``SignatureAuthentication`` as an OpenAPI security scheme.

    OpenAPI has no scheme type for HTTP Message Signatures: this is an ``http`` scheme named
    after the ``WWW-Authenticate: Signature`` challenge a 401 carries, and the description says
    what to sign."""

    target_class = "signed_api.authentication.SignatureAuthentication"
    name = SCHEME_NAME
    priority = 1

    def get_security_definition(self, auto_schema):
        from .authentication import accept_signature_value

        return {
            "type": "http",
            "scheme": "Signature",
            "description": scheme_description(accept_signature_value()),
        }


def scheme_description(accept_signature: str) -> str:
    return (
        "RFC 9421 HTTP Message Signatures in the profile of the *Protocol* page of the "
        f"django-signed-api documentation (`{PROTOCOL_PAGE}`).\n\n"
        "Send `Signature-Input` and `Signature`. The signature covers `\"@method\"`, "
        "`\"@authority\"`, `\"@path\"` and `\"@query\"`, and `\"content-digest\"` when the "
        "request has a body, with a `Content-Digest` header (RFC 9530, `sha-256` or `sha-512`) "
        "of that body. Parameters: `created` (within the server's clock skew), `keyid` (an API "
        "key id, a session id, or an enrollment key id), a fresh `nonce` per request, and "
        "optionally `alg` (the key's own algorithm: `hmac-sha256`, `ed25519`, "
        "`ecdsa-p256-sha256`), `expires` and `tag`.\n\n"
        "A refused signature is a 401 with the JSON body `{\"detail\", \"code\"}` "
        "(branch on `code`), `WWW-Authenticate: Signature` and `Accept-Signature`, which names "
        f"what a signature must cover and carry; on this server:\n\n`{accept_signature}`\n\n"
        "A verified request's response is signed too (`Signature-Input`, `Signature`, "
        "`Content-Digest`), covering the request's own signature."
    )


# -- bodies --------------------------------------------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    """The error body of docs/protocol.md: branch on ``code``; ``detail`` is for humans."""

    detail = serializers.CharField(help_text="A human sentence; it may change.")
    code = serializers.CharField(help_text=f"The stable code (see `{ERROR_CODES_PAGE}`).")


class FieldErrorsSerializer(serializers.Serializer):
    """A request body that does not validate: a list of messages per field (or
    ``non_field_errors``), as DRF writes them."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    """:class:`FieldErrorsSerializer` as a map of field names to messages (a list of strings,
    or for a nested or list field, more of the same)."""

    target_class = FieldErrorsSerializer

    def get_name(self, auto_schema, direction):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "A request body that does not validate: messages per field "
                           "(or `non_field_errors`), as DRF writes them.",
            "additionalProperties": {
                "oneOf": [
                    {"type": "array", "items": {"type": "string"}},
                    {"type": "object"},
                ]
            },
        }


class PublicKeyFieldExtension(OpenApiSerializerFieldExtension):
    """``PublicKeyField``: a PEM ``PUBLIC KEY`` block or a JWK object."""

    target_class = "signed_api.serializers.PublicKeyField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "oneOf": [
                {"type": "string", "description": "A PEM `PUBLIC KEY` block."},
                {"type": "object", "additionalProperties": True,
                 "description": "A JWK (OKP/Ed25519 or EC/P-256), public members only."},
            ]
        }


class SessionCreatedSerializer(serializers.Serializer):
    """A new session (201): sign with ``id`` as ``keyid`` and ``secret`` as the hmac key."""

    id = serializers.CharField()
    secret = serializers.CharField(
        required=False, help_text="base64url, shown once; absent for a device-bound session."
    )
    algorithm = serializers.CharField()
    expires_at = serializers.DateTimeField()
    idle_timeout = serializers.IntegerField(help_text="seconds")
    key_thumbprint = serializers.CharField(
        required=False, help_text="RFC 7638 thumbprint of the device key (device-bound only)."
    )
    remember_token = serializers.CharField(required=False, help_text="Shown once.")


class LoginPendingSerializer(serializers.Serializer):
    """A password accepted, a second factor due (202): answer at ``sessions/{id}/verify/``."""

    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending"])
    challenge_token = serializers.CharField()
    methods = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()


class EndedSerializer(serializers.Serializer):
    ended = serializers.IntegerField(help_text="How many other sessions ended.")


class EnrolmentSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="Shown once: it holds the seed.")
    qr_svg = serializers.CharField(allow_null=True, help_text="null without the `qr` extra.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown once.")


class SessionListSerializer(app_serializers.SessionSerializer):
    """A live session of yours; ``current`` marks the one that signed the request."""

    algorithm = serializers.CharField(help_text="`hmac-sha256`, or the device key's algorithm.")


class KeySerializer(app_serializers.ApiKeySerializer):
    """An API key as its owner sees it; ``secret`` only right after creation or rotation."""

    public_key = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    previous_valid_until = serializers.DateTimeField(allow_null=True)
    secret = serializers.CharField(
        required=False, help_text="base64url hmac secret, shown once (hmac-sha256 keys)."
    )


class JWKSerializer(serializers.Serializer):
    kty = serializers.CharField()
    crv = serializers.CharField()
    x = serializers.CharField()
    kid = serializers.CharField()
    alg = serializers.CharField()
    use = serializers.CharField()


class JWKSSerializer(serializers.Serializer):
    """The server's response-signing public keys (RFC 8037), newest first."""

    keys = JWKSerializer(many=True)


# -- error responses -----------------------------------------------------------------------------
_MEANING = {
    400: "The request is malformed: a body that does not parse or validate (field errors), "
         "or a refusal with a `code`.",
    401: "Not authenticated: no signature, or one refused (`code` says why), or a login "
         "refused. Carries `WWW-Authenticate: Signature` and `Accept-Signature`.",
    403: "Authenticated, not allowed: `session_required`, `scope_missing`, `otp_invalid`.",
    404: "No such resource of yours.",
    409: "The state does not allow it (a second factor already set up, or none to confirm; "
         "a revoked key rotated).",
    413: "`request_too_large`: the body is over the server's limit.",
    415: "`unsupported_media_type`: send `application/json`.",
    429: "`throttled`: too many failed attempts; `Retry-After` says when to try again.",
    503: "`replay_store_unavailable` or `database_busy`: retry later with a new signature.",
}

_BAD_REQUEST = PolymorphicProxySerializer(
    component_name="BadRequest",
    serializers=[ErrorSerializer, FieldErrorsSerializer],
    resource_type_field_name=None,
)

RESPONSE_HEADERS = [
    OpenApiParameter(
        "WWW-Authenticate", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[401],
        description="`Signature`",
    ),
    OpenApiParameter(
        "Accept-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[401],
        description="RFC 9421 §5.1: the components and parameters a signature must have.",
    ),
    OpenApiParameter(
        "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429, 503],
        description="Seconds to wait (when known).",
    ),
]


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        status: OpenApiResponse(
            _BAD_REQUEST if status == 400 else ErrorSerializer, description=_MEANING[status]
        )
        for status in statuses
    }


#: What a signed request may be refused with, whatever the view.
SIGNED = (401, 403, 503)
#: ... and what a request with a body may be refused with before the view runs.
WITH_BODY = (400, 413, 415)


def _ok(serializer: Any, description: str) -> OpenApiResponse:
    return OpenApiResponse(serializer, description=description)


def _no_content(description: str) -> OpenApiResponse:
    return OpenApiResponse(None, description=description)


def _schema(operation_id: str, summary: str, responses: dict, *, request: Any = None,
            tags=("auth",), **kw):
    return extend_schema(
        operation_id=operation_id, summary=summary, request=request, responses=responses,
        tags=list(tags),
        parameters=RESPONSE_HEADERS + kw.pop("parameters", []), **kw,
    )


#: What ``signed_api.urls``' ``credential_id`` converter matches (printable ASCII without ``/``):
#: any other id is not a route of the app at all.
CREDENTIAL_ID_PATTERN = "^[!-.0-~]{1,200}$"
_SESSION_ID = OpenApiParameter(
    "session_id", {"type": "string", "pattern": CREDENTIAL_ID_PATTERN}, OpenApiParameter.PATH
)
_KEY_ID = OpenApiParameter(
    "key_id", {"type": "string", "pattern": CREDENTIAL_ID_PATTERN}, OpenApiParameter.PATH
)


# -- the endpoints -------------------------------------------------------------------------------
def _annotated(extension: OpenApiViewExtension, **methods) -> type:
    """A subclass of the view with ``methods`` (``get=extend_schema(...)``) applied."""
    target = extension.target
    view = type(target.__name__, (target,), {"__doc__": target.__doc__})
    return extend_schema_view(**methods)(view)


class SessionsViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.SessionsView"

    def view_replacement(self):
        view = _annotated(
            self,
            get=_schema(
                "sessions_list", "Your live sessions (signed by a session)",
                {200: _ok(SessionListSerializer(many=True), "Newest first."),
                 **error_responses(*SIGNED)},
            ),
            delete=_schema(
                "sessions_end_others", "Log out every other session",
                {200: _ok(EndedSerializer, "The caller's own session stays."),
                 **error_responses(*SIGNED)},
            ),
            post=_schema(
                "login", "Log in (unsigned): password, or a remember-me token",
                {201: _ok(SessionCreatedSerializer, "A session: sign with its id and secret."),
                 202: _ok(LoginPendingSerializer, "A second factor is due."),
                 **error_responses(*WITH_BODY, 401, 429, 503)},
                request=app_serializers.LoginSerializer,
                description="A remember-me token bound to a device key is exchanged in a "
                            "request signed by that key.",
            ),
        )

        class Described(view):
            def get_authenticators(self):
                # drf-spectacular builds its mock request before the view has one; the
                # authenticators depend on the method, which it asks for again afterwards.
                if getattr(self, "request", None) is None:
                    return []
                return super().get_authenticators()

        Described.__name__ = Described.__qualname__ = view.__name__
        return Described


class ChallengeVerifyViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.ChallengeVerifyView"

    def view_replacement(self):
        return _annotated(
            self,
            post=_schema(
                "login_verify", "Complete a login with a TOTP or recovery code (unsigned)",
                {201: _ok(SessionCreatedSerializer, "A session: sign with its id and secret."),
                 **error_responses(*WITH_BODY, 401, 429, 503)},
                request=app_serializers.ChallengeAnswerSerializer, parameters=[_SESSION_ID],
            ),
        )


class SessionDetailViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.SessionDetailView"

    def view_replacement(self):
        return _annotated(
            self,
            delete=_schema(
                "session_end", "Log out one of your sessions",
                {204: _no_content("Ended, with the remember-me family it came from."),
                 **error_responses(*SIGNED, 404)},
                parameters=[_SESSION_ID],
            ),
        )


class TOTPViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.TOTPView"

    def view_replacement(self):
        return _annotated(
            self,
            post=_schema(
                "totp_enrol", "Start enrolling a TOTP device",
                {201: _ok(EnrolmentSerializer, "Confirm with a code at `totp/confirm/`."),
                 **error_responses(*SIGNED, 409)},
                request=None,
            ),
            delete=_schema(
                "totp_remove", "Remove the TOTP device (needs a current code)",
                {204: _no_content("Removed; every other session and remember family ends."),
                 **error_responses(*WITH_BODY, *SIGNED, 409, 429)},
                request=app_serializers.CodeSerializer,
            ),
        )


class TOTPConfirmViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.TOTPConfirmView"

    def view_replacement(self):
        return _annotated(
            self,
            post=_schema(
                "totp_confirm", "Confirm the TOTP device with a code",
                {200: _ok(RecoveryCodesSerializer, "Logins now need a second factor."),
                 **error_responses(*WITH_BODY, *SIGNED, 409, 429)},
                request=app_serializers.CodeSerializer,
            ),
        )


class KeysViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.KeysView"

    def view_replacement(self):
        return _annotated(
            self,
            get=_schema(
                "keys_list", "Your API keys",
                {200: _ok(KeySerializer(many=True), "Newest first."), **error_responses(*SIGNED)},
                tags=("keys",),
            ),
            post=_schema(
                "key_create", "Create an API key",
                {201: _ok(KeySerializer, "The hmac secret is in `secret`, this once."),
                 **error_responses(*WITH_BODY, *SIGNED)},
                request=app_serializers.KeyCreateSerializer, tags=("keys",),
            ),
        )


class KeyDetailViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.KeyDetailView"

    def view_replacement(self):
        return _annotated(
            self,
            delete=_schema(
                "key_revoke", "Revoke one of your API keys",
                {204: _no_content("Revoked in every process at once."),
                 **error_responses(*SIGNED, 404)},
                parameters=[_KEY_ID], tags=("keys",),
            ),
        )


class KeyRotateViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.KeyRotateView"

    def view_replacement(self):
        return _annotated(
            self,
            post=_schema(
                "key_rotate", "Rotate an API key: a new secret or public key",
                {200: _ok(KeySerializer, "The old secret verifies until `previous_valid_until`."),
                 **error_responses(*WITH_BODY, *SIGNED, 404, 409)},
                request=app_serializers.KeyRotateSerializer, parameters=[_KEY_ID],
                tags=("keys",),
            ),
        )


class EnrollViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.EnrollView"

    def view_replacement(self):
        return _annotated(
            self,
            post=_schema(
                "enroll", "Enrol: a new key for a named user (signed by an enrollment key)",
                {201: _ok(KeySerializer, "The hmac secret is in `secret`, this once."),
                 **error_responses(*WITH_BODY, *SIGNED, 404)},
                request=app_serializers.EnrollSerializer, tags=("keys",),
            ),
        )


class JWKSViewSchema(OpenApiViewExtension):
    target_class = "signed_api.views.JWKSView"

    def view_replacement(self):
        return _annotated(
            self,
            get=extend_schema(
                operation_id="jwks",
                summary="The server's response-signing public keys (JWKS)",
                responses={200: _ok(JWKSSerializer, "May be cached for an hour.")},
                tags=["auth"],
            ),
        )


# -- a project's own signed views ----------------------------------------------------------------
class SignedAutoSchema(AutoSchema):
    """drf-spectacular's ``AutoSchema``, plus the refusals ``SignatureAuthentication`` adds to
    any view that uses it (401 with ``Accept-Signature``, 403, 503), where the view does not
    declare them itself. ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] =
    "signed_api.openapi.SignedAutoSchema"``."""

    def _uses_signatures(self) -> bool:
        from .authentication import SignatureAuthentication

        return any(isinstance(a, SignatureAuthentication) for a in self.view.get_authenticators())

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._uses_signatures():
            parameters = [*parameters, *RESPONSE_HEADERS[:2]]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not self._uses_signatures():
            return responses
        extra = list(SIGNED)
        if self.method in ("POST", "PUT", "PATCH"):
            extra += [400, 413, 415]
        if self._has_path_parameters():
            extra.append(404)
        for status, response in error_responses(*extra).items():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    response.response, str(status), direction=direction
                ) | {"description": response.description}
        return responses

    def _has_path_parameters(self) -> bool:
        return "{" in self.path


# -- the Oblivious HTTP gateway ------------------------------------------------------------------
def add_ohttp_gateway(result, generator, request, public):
    """``POSTPROCESSING_HOOKS`` entry: the gateway of ``signed_api.ohttp_urls`` (RFC 9458,
    RFC 9540), when it is mounted."""
    from django.urls import NoReverseMatch, reverse

    from .core import ohttp

    try:
        path = reverse("signed-api-ohttp-gateway")
    except NoReverseMatch:
        return result
    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Error", _error_component()
    )
    binary = {"type": "string", "format": "binary"}
    result["paths"][path] = {
        "get": {
            "operationId": "ohttp_gateway_keys",
            "summary": "The gateway's key configurations (RFC 9458 §3.2)",
            "tags": ["ohttp"],
            "responses": {
                "200": {"description": "application/ohttp-keys",
                        "content": {ohttp.KEYS_MEDIA_TYPE: {"schema": binary}}},
                "503": {"description": "No gateway key is configured.", "content": error},
            },
        },
        "post": {
            "operationId": "ohttp_gateway",
            "summary": "An encapsulated request in, an encapsulated response out (RFC 9458)",
            "description": "The inner request is a Binary HTTP message (RFC 9292) that may be "
                           "signed as any other; its answer travels encrypted in the 200.",
            "tags": ["ohttp"],
            "requestBody": {"required": True,
                            "content": {ohttp.REQUEST_MEDIA_TYPE: {"schema": binary}}},
            "responses": {
                "200": {"description": "message/ohttp-res",
                        "content": {ohttp.RESPONSE_MEDIA_TYPE: {"schema": binary}}},
                "400": {"description": "Not an encapsulated request this gateway can open "
                                       "(RFC 9458 §5.3, `problem+json` for a key "
                                       "configuration problem).",
                        "content": {**error, **problem}},
                "413": {"description": "`request_too_large`", "content": error},
                "415": {"description": "Not `message/ohttp-req`.", "content": error},
                "503": {"description": "No gateway key is configured.", "content": error},
            },
        },
    }
    return result


def _error_component() -> dict:
    return {
        "type": "object",
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        "required": ["detail", "code"],
    }
