"""Views and the exception handler of signed_api."""

from __future__ import annotations

import functools
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import InterfaceError, OperationalError
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import second_factors
from .authentication import SignatureAuthentication, accept_signature_value
from .core.b64 import b64url_encode
from .core.errors import (
    CLOCK_SKEW,
    DATABASE_UNAVAILABLE,
    MESSAGES,
    SIGNATURE_MISSING,
)
from .exceptions import ReplayStoreUnavailable, ScopeMissing, SessionRequired
from .logsafe import get_logger
from .models import ApiKey, EnrollmentKey, Session
from .parsers import DEFAULT_PARSER_CLASSES
from .permissions import HasScope
from .serializers import (
    ApiKeySerializer,
    ChallengeAnswerSerializer,
    CodeSerializer,
    EnrollSerializer,
    KeyCreateSerializer,
    KeyRotateSerializer,
    LoginSerializer,
    SessionSerializer,
)
from .services import keys as key_services
from .services import second_factor, throttle
from .services import sessions as session_flows
from .services.errors import ServiceError
from .stores import StoreUnavailable

logger = get_logger("signed_api")  # escapes what a request put in a record


def _uses_signatures(context) -> bool:
    view = context.get("view")
    request = context.get("request")
    authenticators = getattr(request, "authenticators", None) or (
        view.get_authenticators() if view is not None and hasattr(view, "get_authenticators")
        else ()
    )
    return any(isinstance(a, SignatureAuthentication) for a in authenticators)


def exception_handler(exc, context):
    """DRF's handler, plus docs/protocol.md for views that accept signatures.

    - an unauthenticated request (no signature at all) gets ``code: signature_missing``;
    - every 401 of such a view carries ``Accept-Signature``, naming what a signature must cover;
    - a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 ``request_too_large`` (Django would
      answer an HTML 400), and JSON nested too deeply for DRF's stock ``JSONParser`` a 400
      ``json_too_deep`` (it would be a 500), and more fields, files or query parameters than
      Django takes a 400 ``too_many_fields`` / ``too_many_files`` (Django's HTML page), for
      every view;
    - the shared store failing anywhere in a view is a 503 ``replay_store_unavailable``, the
      database failing (down, restarting, refusing connections) a 503 ``database_unavailable``
      with ``Retry-After``, for every view;
    - a 401 ``clock_skew`` tells the client the server's time, ``server_time`` (integer epoch
      seconds) in the body beside the server's ``Date`` header, so that it can correct its
      clock offset;
    - an error body of DRF's that is only ``{"detail"}`` gets its ``code`` too (this app's own
      views, signed or not, and the project's views that accept signatures: other views keep
      DRF's bodies);
    - a body that fails validation in one of this app's own views (login, second factor,
      keys, enrolment) is a 400 ``invalid_request`` with DRF's field errors under ``errors``:
      DRF would answer the field errors alone, where a field named ``code`` would stand in for
      the error code (a project's own views keep DRF's format).
    """
    if isinstance(exc, ServiceError):
        return render_service_error(exc)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return database_unavailable(exc)
    exc = _hostile_input_error(exc)
    if isinstance(exc, StoreUnavailable):
        # The shared store could not answer (nonce, budget, state): fail closed, as a 503.
        exc = ReplayStoreUnavailable()
    is_unauthenticated = isinstance(exc, exceptions.NotAuthenticated)
    response = drf_exception_handler(exc, context)
    if (
        isinstance(exc, exceptions.ValidationError)
        and response is not None
        and _library_view(context)
    ):
        response.data = _invalid_request(response.data)
    if response is None:
        return response
    if not _uses_signatures(context):
        if _library_view(context):  # the login and its verify, the JWKS: a code all the same
            _add_code(response, exc)
        return response
    _add_code(response, exc)
    if is_unauthenticated and response.status_code == 401:
        response.data = {"detail": MESSAGES[SIGNATURE_MISSING], "code": SIGNATURE_MISSING}
    if response.status_code == 401:
        response["Accept-Signature"] = accept_signature_value()
        if isinstance(response.data, dict) and response.data.get("code") == CLOCK_SKEW:
            # The WSGI/ASGI server adds the Date header; setting one here would send two.
            response.data = {**response.data, "server_time": int(time.time())}
    return response


INVALID_REQUEST = "invalid_request"


def _library_view(context) -> bool:
    view = context.get("view")
    return view is not None and type(view).__module__.startswith("signed_api.")


def _invalid_request(data):
    """``{"detail", "code": "invalid_request", "errors"}`` around DRF's field errors (kept as
    they are when they already carry a string ``code``)."""
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        return data
    return {"detail": "The request is not valid; see errors.", "code": INVALID_REQUEST,
            "errors": data}


#: Seconds a client should wait after a 503 ``database_unavailable``.
DATABASE_RETRY_AFTER = 5


def database_unavailable(exc: Exception) -> Response:
    """503 ``database_unavailable`` with ``Retry-After``: the database could not be reached (or
    dropped the connection) while answering; the transaction, if any, is rolled back. The
    driver's message goes to the log only."""
    from rest_framework.views import set_rollback

    from .services.database import database_busy

    set_rollback()
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return render_service_error(database_busy())  # SQLite's write lock, held too long
    logger.error("signed_api: the database is unavailable: %s: %s", type(exc).__name__, exc)
    return error_response(DATABASE_UNAVAILABLE, MESSAGES[DATABASE_UNAVAILABLE], http_status=503,
                          wait=DATABASE_RETRY_AFTER)  # fmt: skip


def _hostile_input_error(exc):
    """Exceptions that input alone causes, as the DRF errors that answer them with a 4xx."""
    from django.core.exceptions import RequestDataTooBig, SuspiciousOperation

    from .parsers import JSONTooDeep, ParseErrorWithCode, RequestTooLarge, is_recursion_in_parser

    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if is_recursion_in_parser(exc):
        return JSONTooDeep()
    if isinstance(exc, SuspiciousOperation):
        # Django's own refusals of a request's shape (more than DATA_UPLOAD_MAX_NUMBER_FIELDS
        # query parameters or form fields, more than DATA_UPLOAD_MAX_NUMBER_FILES files, a
        # malformed multipart body), raised where DRF reads the query (content negotiation,
        # before authentication) or parses the body: Django would answer its HTML 400 page.
        # Logged as Django logs them, under django.security.<class>, without the request.
        name = type(exc).__name__
        get_logger(f"django.security.{name}").warning("signed_api: %s: %s", name, exc)
        code, detail = _SUSPICIOUS.get(name, (BAD_REQUEST, "The request is malformed."))
        return ParseErrorWithCode(detail, code)
    return exc


BAD_REQUEST = "bad_request"
TOO_MANY_FIELDS = "too_many_fields"
TOO_MANY_FILES = "too_many_files"
_SUSPICIOUS = {
    "TooManyFieldsSent": (
        TOO_MANY_FIELDS,
        "More query parameters or form fields than this server accepts.",
    ),
    "TooManyFilesSent": (TOO_MANY_FILES, "More files than this server accepts."),
    "SuspiciousMultipartForm": (BAD_REQUEST, "The multipart body is malformed."),
}


def _add_code(response, exc) -> None:
    data = response.data
    if not (isinstance(data, dict) and set(data) == {"detail"}):
        return
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
    elif isinstance(exc, Http404):
        codes = exceptions.NotFound.default_code
    elif isinstance(exc, PermissionDenied):
        codes = exceptions.PermissionDenied.default_code
    else:
        codes = None
    if isinstance(codes, str):
        response.data = {"detail": data["detail"], "code": codes}


# ==============================================================================================
# Endpoints (docs/sessions.md). Views stay thin: the flows live in signed_api.services.
# ==============================================================================================
_STATUS_OF = {"throttled": 429}
_NO_STORE = {"Cache-Control": "no-store"}


def error_response(code: str, detail: str, *, http_status: int | None = None, **extra):
    """``{"detail", "code", ...}``; 401s carry WWW-Authenticate, 429s and 503s Retry-After."""
    http_status = http_status or _STATUS_OF.get(code, 401)
    headers = {}
    if http_status == 401:
        headers["WWW-Authenticate"] = "Signature"
        headers["Accept-Signature"] = accept_signature_value()
    wait = extra.pop("wait", None)
    if http_status in (429, 503) and wait is not None:
        headers["Retry-After"] = str(int(wait))
    return Response({"detail": detail, "code": code, **extra}, status=http_status, headers=headers)


def render_service_error(error: ServiceError) -> Response:
    """A service's refusal as the error body of docs/protocol.md."""
    return error_response(error.code, error.detail, http_status=error.http_status, **error.extra)


class SignedApiView(APIView):
    """The base of the app's views: errors are rendered by :func:`exception_handler` whatever
    ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` says, so a service's :class:`ServiceError` is always
    its documented answer, never a 500."""

    parser_classes = DEFAULT_PARSER_CLASSES

    def get_exception_handler(self):
        return exception_handler


# The mixins below are APIViews to the type checker (their attributes keep APIView's types),
# plain classes at run time.
if TYPE_CHECKING:
    _ViewMixin = APIView
else:
    _ViewMixin = object


class SignedOnly(_ViewMixin):
    """Mixin: every request must be signed (API key or session)."""

    authentication_classes = [SignatureAuthentication]
    parser_classes = DEFAULT_PARSER_CLASSES
    permission_classes = [permissions.IsAuthenticated]


def _credential_kind(auth) -> str:
    if isinstance(auth, EnrollmentKey):
        return "an enrollment key"
    if isinstance(auth, ApiKey):
        return "an API key"
    return "this credential"  # another authentication class of the project's (DRF's tokens)


class SessionOnly(SignedOnly):
    """Mixin of the account-security views (sessions, second factor, keys): every request must
    be signed by a session. An API key or an enrollment key, whatever its scopes, gets 403
    ``session_required``: a key that may read notes must not enrol a second factor, end its
    owner's sessions or mint keys."""

    # Let an enrollment key through authentication, so that it too is told session_required
    # (check_permissions refuses it before anything else runs).
    accepts_enrollment_keys = True

    def check_permissions(self, request):
        if request.auth is not None and not isinstance(request.auth, Session):
            raise SessionRequired(signed_by=_credential_kind(request.auth))
        super().check_permissions(request)


class LoginHooks(_ViewMixin):
    """knox-style hooks: adjust the bodies without copying the views."""

    parser_classes = DEFAULT_PARSER_CLASSES

    def get_session_body(self, issued) -> dict:
        """A session's 201: a device-bound one carries no secret (there is none), but its key's
        RFC 7638 thumbprint, the keyid of a bound remember-me token's exchange."""
        session = issued.session
        body = {"id": session.key_id}
        if issued.secret is not None:
            body["secret"] = b64url_encode(issued.secret)
        body.update({
            "algorithm": session.algorithm,
            "expires_at": session.expires_at.isoformat(),
            "idle_timeout": session.idle_timeout,
        })
        if session.is_device_bound:
            body["key_thumbprint"] = session.key_thumbprint
        if issued.remember_token:
            body["remember_token"] = issued.remember_token
        return body

    def session_created_response(self, issued) -> Response:
        location = reverse("signed_api:session-detail", args=[issued.session.key_id])
        headers = {"Location": location, **_NO_STORE}
        return Response(self.get_session_body(issued), status=201, headers=headers)


class SessionsView(LoginHooks, SessionOnly, SignedApiView):
    """``POST sessions/``: log in (201 or 202), unsigned. Signed by a session: ``GET sessions/``
    lists the caller's live sessions, ``DELETE sessions/`` ends all the others."""

    def get_authenticators(self):
        if self.request.method == "POST":
            return []
        return [SignatureAuthentication()]

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def check_permissions(self, request):
        if request.method == "POST":
            return SignedApiView.check_permissions(self, request)
        return super().check_permissions(request)

    def get(self, request):
        sessions = Session.objects.live().for_user(request.user).order_by("-created_at")
        data = SessionSerializer(sessions, many=True, context={"request": request}).data
        return Response(data)

    def delete(self, request):
        """Log out every other device: ``{"ended": N}`` (the caller's session stays)."""
        ended = session_flows.retry_when_busy(session_flows.revoke_other_sessions)(
            request.user, request.auth, request=request
        )
        return Response({"ended": ended})

    def post(self, request):
        _keep_raw_body(request)  # a signed remember-me exchange is verified over these bytes
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device_key = _device_key(data)
        if "remember_token" in data:
            result = session_flows.login_with_remember_token(
                request, data["remember_token"], device_name=data.get("device_name", ""),
                device_key=device_key,
            )
        else:
            result = session_flows.login_with_password(
                request,
                data["username"],
                data["password"],
                remember=data.get("remember", False),
                device_name=data.get("device_name", ""),
                device_key=device_key,
            )
        if isinstance(result, session_flows.PendingChallenge):
            body = {
                "id": result.id,
                "status": "pending",
                "challenge_token": result.token,
                "methods": second_factors.methods_for(result.challenge.user),
                "expires_at": result.challenge.expires_at.isoformat(),
            }
            return Response(body, status=status.HTTP_202_ACCEPTED, headers=_NO_STORE)
        return self.session_created_response(result)


def _keep_raw_body(request) -> None:
    """Read the raw body before the parsers do, when the request is signed (Django refuses
    ``request.body`` once a parser has read the stream)."""
    from django.core.exceptions import RequestDataTooBig

    from .parsers import ParseErrorWithCode, RequestTooLarge

    meta = request.META
    if "HTTP_SIGNATURE_INPUT" not in meta and "HTTP_SIGNATURE" not in meta:
        return
    try:
        request._request.body  # noqa: B018 - cached on the request for the signature check
    except RequestDataTooBig:
        raise RequestTooLarge() from None
    except ValueError:
        raise ParseErrorWithCode("The Content-Length header is not a number.") from None


def _device_key(data):
    """The checked device key of a login, or ``None``: 400 before any credential is looked at."""
    from .services import device_keys

    if "public_key" not in data:
        if data.get("algorithm") not in (None, "hmac-sha256"):  # an hmac session's own name
            raise device_keys.DeviceKeyError(
                "public_key_invalid", "An algorithm was given without a public_key."
            )
        return None
    return device_keys.parse(data["public_key"], data.get("algorithm"))


class SessionDetailView(SessionOnly, SignedApiView):
    """``DELETE sessions/{id}/``: end one of your sessions; its key stops working at once."""

    def delete(self, request, session_id):
        """Log out: the session and the remember family it came from end."""
        revoked = session_flows.retry_when_busy(session_flows.revoke_session)(
            request.user, session_id
        )
        if not revoked:
            raise ServiceError("not_found", "No such session.", http_status=404)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChallengeVerifyView(LoginHooks, SignedApiView):
    """``POST sessions/{id}/verify/`` ``{"challenge_token", "code"}``: complete a pending login
    with a TOTP or recovery code. The id in the URL is public; the token travels in the body."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def post(self, request, session_id):
        serializer = ChallengeAnswerSerializer(data=request.data)
        if not serializer.is_valid():
            errors = serializer.errors
            # A missing, empty or malformed token (or a body that is no object) is a wrong one.
            if "challenge_token" in errors or api_settings.NON_FIELD_ERRORS_KEY in errors:
                raise session_flows.FlowError(
                    "challenge_expired", "This login has expired; start again."
                )
            raise exceptions.ValidationError(errors)
        data = serializer.validated_data
        issued = session_flows.verify_challenge(
            request, session_id, data["challenge_token"], data["code"]
        )
        return self.session_created_response(issued)


class TOTPView(SessionOnly, SignedApiView):
    """``POST totp/``: start enrolment. ``DELETE totp/`` ``{"code"}``: remove the device."""

    def post(self, request):
        uri, svg = session_flows.retry_when_busy(second_factor.begin_enrolment)(request.user)
        return Response({"otpauth_uri": uri, "qr_svg": svg}, status=201, headers=_NO_STORE)

    def delete(self, request):
        """Every other session and every remember family of the user end too."""
        disable = functools.partial(second_factor.disable, keep_session=request.auth)
        return _code_action(request, disable, success_status=204)


class TOTPConfirmView(SessionOnly, SignedApiView):
    """``POST totp/confirm/`` ``{"code"}``: the device is now required; recovery codes once."""

    def post(self, request):
        return _code_action(request, second_factor.confirm_enrolment, success_status=200)


def _code_action(request, action, *, success_status: int) -> Response:
    serializer = CodeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    # Charged before the code is checked, handed back unless it was a wrong code.
    try:
        with throttle.attempt(request.user.get_username(), None) as attempt:
            try:
                result = session_flows.retry_when_busy(action)(
                    request.user, serializer.validated_data["code"]
                )
            except second_factor.SecondFactorError as error:
                if error.code != "otp_invalid":
                    attempt.succeeded()
                raise
            attempt.succeeded()
    except throttle.ThrottledError as exc:
        raise session_flows.ServiceError("throttled", "Too many wrong codes.",
                                         wait=exc.wait) from None
    if success_status == 204:
        return Response(status=204)
    return Response({"recovery_codes": result}, status=success_status, headers=_NO_STORE)


# -- self-service keys and enrollment ------------------------------------------------------------
def _key_body(key, secret) -> dict:
    body = dict(ApiKeySerializer(key).data)
    if secret is not None:
        body["secret"] = b64url_encode(secret)
    return body


class KeysView(SessionOnly, SignedApiView):
    """``GET keys/``: your keys. ``POST keys/``: a new key (hmac secret shown once, or register
    your public key as PEM or JWK)."""

    def get(self, request):
        keys = ApiKey.objects.for_user(request.user).order_by("-created_at")
        return Response(ApiKeySerializer(keys, many=True).data)

    def post(self, request):
        serializer = KeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        expires_at = None
        if data.get("expires_in_days"):
            expires_at = timezone.now() + timedelta(days=data["expires_in_days"])
        key, secret = key_services.create_api_key(
            request.user, name=data["name"], algorithm=data["algorithm"],
            public_key=data.get("public_key"), expires_at=expires_at,
            scopes=data.get("scopes"), actor=request.user, request=request,
        )
        return Response(_key_body(key, secret), status=201, headers=_NO_STORE)


def _own_key(request, key_id):
    return ApiKey.objects.for_user(request.user).filter(key_id=key_id).first()


class KeyDetailView(SessionOnly, SignedApiView):
    """``DELETE keys/{id}/``: revoke your key at once."""

    def delete(self, request, key_id):
        key = _own_key(request, key_id)
        if key is None:
            raise ServiceError("not_found", "No such key.", http_status=404)
        key_services.revoke_api_key(key, actor=request.user, request=request)
        return Response(status=204)


class KeyRotateView(SessionOnly, SignedApiView):
    """``POST keys/{id}/rotate/``: a new secret (or public key); the old one verifies for
    ``grace_hours`` (default ``KEY_ROTATION_GRACE``)."""

    def post(self, request, key_id):
        key = _own_key(request, key_id)
        if key is None:
            raise ServiceError("not_found", "No such key.", http_status=404)
        serializer = KeyRotateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        grace = timedelta(hours=data["grace_hours"]) if "grace_hours" in data else None
        secret = key_services.rotate_api_key(
            key, grace=grace, public_key=data.get("public_key"), actor=request.user,
            request=request,
        )
        key.refresh_from_db()
        return Response(_key_body(key, secret), status=200, headers=_NO_STORE)


class EnrollView(SignedApiView):
    """``POST enroll/``, signed with an enrollment key: a new key for a named user."""

    authentication_classes = [SignatureAuthentication]
    parser_classes = DEFAULT_PARSER_CLASSES
    permission_classes = [HasScope]
    required_scopes = ["enroll"]
    accepts_enrollment_keys = True

    def post(self, request):
        if not isinstance(request.auth, EnrollmentKey):
            raise ScopeMissing("Only an enrollment key can enrol.")
        serializer = EnrollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key, secret = key_services.enroll(
            request.auth, username=data["username"], algorithm=data["algorithm"],
            public_key=data.get("public_key"), name=data["name"], request=request,
        )
        return Response(_key_body(key, secret), status=201, headers=_NO_STORE)


class JWKSView(SignedApiView):
    """``GET /.well-known/signed-api/keys``: the server's response-signing public keys."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        from .response_signing import jwks

        return Response(jwks(), headers={"Cache-Control": "public, max-age=3600"})
