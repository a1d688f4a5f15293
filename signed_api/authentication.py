"""``SignatureAuthentication``: the DRF authentication class of docs/protocol.md.

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["signed_api.authentication.SignatureAuthentication"],
        "EXCEPTION_HANDLER": "signed_api.views.exception_handler",
    }

A request without ``Signature-Input``/``Signature`` is not ours: ``authenticate`` returns
``None`` so other classes may run. A signed request either verifies, giving
``request.user`` (the owner) and ``request.auth`` (the key), or fails with a 401 whose JSON
``code`` says why (503 ``replay_store_unavailable`` when nonces cannot be recorded). The precise
reason goes to the ``signed_api`` logger, never to the client, and never with a secret.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.db.models import Q
from rest_framework.authentication import BaseAuthentication

from . import credentials, state
from .conf import signed_api_settings
from .core import SignatureError, verify_message
from .core.errors import NONCE_REPLAYED, SIGNATURE_INVALID
from .exceptions import ScopeMissing, from_signature_error
from .logsafe import get_logger
from .parsers import ParseErrorWithCode, RequestTooLarge
from .request_message import message_from_request

if TYPE_CHECKING:
    from rest_framework.request import Request

logger = get_logger("signed_api")  # escapes what a request put in a record


def accept_signature_value() -> str:
    """``Accept-Signature`` (RFC 9421 §5.1): what a signature here must cover and carry."""
    components = " ".join(f'"{c}"' for c in signed_api_settings.REQUIRED_COMPONENTS)
    params = ";created"
    if signed_api_settings.REQUIRE_NONCE:
        params += ";nonce"
    params += ";keyid"
    tag = signed_api_settings.SIGNATURE_TAG
    if tag:
        params += f';tag="{tag}"'
    label = signed_api_settings.SIGNATURE_LABEL or "sig1"
    return f"{label}=({components} \"content-digest\"){params}"


class SignatureAuthentication(BaseAuthentication):
    """Verify an RFC 9421 signature made with an API key, a session or an enrollment key."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        django_request: Any = request._request  # gains signed_api_signature and _message
        meta = django_request.META
        if "HTTP_SIGNATURE_INPUT" not in meta and "HTTP_SIGNATURE" not in meta:
            return None
        # The raw body, before any parser sees it: the digest is checked against these bytes.
        try:
            body = django_request.body
        except RequestDataTooBig:
            raise RequestTooLarge() from None  # a JSON 413, not Django's HTML 400
        except ValueError:  # Django's int() of a Content-Length that is no number
            raise ParseErrorWithCode("The Content-Length header is not a number.") from None
        message = message_from_request(django_request, body)
        now = credentials.now()
        policy = state.policy()
        resolved: dict[str, credentials.Credential] = {}
        replayed_key = None

        def resolver(key_id: str):
            credential = credentials.resolve(key_id)
            resolved[key_id] = credential
            return credential.key_for(now)

        try:
            try:
                verified = verify_message(message, resolver, policy, now=now)
            except SignatureError as error:
                # A key rotated in another process: this one may still hold the old secret.
                # Only a bad signature over the one key this request named is worth a re-read.
                if error.code != SIGNATURE_INVALID or len(resolved) != 1:
                    raise
                fresh = credentials.refresh_if_stale(next(iter(resolved.values())))
                if fresh is None:
                    raise
                verified = verify_message(
                    message, lambda _kid: fresh.key_for(now), policy, now=now
                )
                resolved[verified.keyid] = fresh
            credential = resolved[verified.keyid]
            added, current = credentials.confirm(credential, verified.nonce, 2 * policy.clock_skew)
            if not added:
                replayed_key = verified.keyid
                raise SignatureError(NONCE_REPLAYED, f"nonce replayed for {verified.keyid}")
            if current is not credential and (
                current.verifying_key is not credential.verifying_key
                or current.previous_key is not credential.previous_key
            ):
                # The key changed under us (rotation): the signature must verify with the key
                # as it is now. The nonce is recorded already, so no store is passed.
                verified = verify_message(
                    message, lambda _kid: current.key_for(now), policy, now=now,
                    label=verified.label,
                )
            current = credentials.ensure_usable(current, now)
        except SignatureError as error:
            self._log_failure(django_request, error, message)
            if replayed_key is not None:
                self._audit_replay(django_request, replayed_key)
            raise from_signature_error(error) from None

        if current.kind == "enrollment" and not getattr(
            request.parser_context.get("view"), "accepts_enrollment_keys", False
        ):
            # An enrollment key signs POST enroll/ and nothing else.
            raise ScopeMissing("An enrollment key can only enrol.")
        self._touch(current, now)
        user, auth = credentials.per_request_copy(current)
        django_request.signed_api_signature = verified
        django_request.signed_api_message = message  # for response signing
        return user, auth

    def authenticate_header(self, request):
        return "Signature"

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _log_failure(request, error: SignatureError, message) -> None:
        # The detail names parameters and components, never a secret or a signature value.
        logger.warning(
            "signed_api: %s %s refused: %s (%s)",
            request.method,
            message.path,
            error.code,
            error.detail,
        )

    @staticmethod
    def _audit_replay(request, key_id: str) -> None:
        from .models import SecurityEvent
        from .services import events

        # Gated per key: replaying one captured request many times writes one row a minute.
        events.record(
            SecurityEvent.REPLAY_REFUSED, key_id=key_id, request=request, gate=key_id
        )

    @staticmethod
    def _touch(credential: credentials.Credential, now: float) -> None:
        """``last_used_at`` of a key (``last_seen_at`` and the idle deadline of a session),
        written at most once per ``LAST_USED_INTERVAL`` per key, and only on success."""
        interval = float(signed_api_settings.LAST_USED_INTERVAL)
        if not credentials.key_cache.due_for_touch(credential.key_id, now, interval):
            return
        try:
            SignatureAuthentication._write_touch(credential, now, interval)
        except DatabaseError as exc:
            # Best effort: a busy database must not turn a verified request into a 500.
            logger.warning("signed_api: last-used time of %s not written: %s",
                           credential.key_id, exc)

    @staticmethod
    def _write_touch(credential: credentials.Credential, now: float, interval: float) -> None:
        when = datetime.fromtimestamp(now, tz=timezone.utc)
        threshold = datetime.fromtimestamp(now - interval, tz=timezone.utc)
        auth: Any = credential.auth  # an ApiKey, a Session or an EnrollmentKey
        rows = type(auth).objects.filter(key_id=credential.key_id)
        if credential.kind == "enrollment":
            return
        if credential.is_session:
            idle = timedelta(seconds=auth.idle_timeout)
            rows.filter(last_seen_at__lt=threshold).update(
                last_seen_at=when, idle_expires_at=when + idle
            )
        else:
            rows.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold)).update(
                last_used_at=when
            )
