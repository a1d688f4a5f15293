"""Login, the second-factor challenge, remember-me tokens and logout.

The API views, and anything else that logs users in, call these functions; they return
results or raise :class:`FlowError` with a stable code (docs/protocol.md) and never write
anything an unauthenticated caller could use to fill storage: a failed login writes only its
throttle counter, a wrong code only the challenge's attempt count. A right password without the
second factor (a 202) is not authenticated either: it writes a challenge, but a user has at
most ``MAX_PENDING_CHALLENGES`` of them (a new one deletes the oldest, and the expired ones).

Every login may bind the session to a device key (``device_key``, checked by
:mod:`.device_keys`): the session then has no secret and verifies with the device's public key,
and its remember-me family is bound to the same key, so exchanging one of its tokens needs a
signature by that key over the exchange request (keyid: the key's RFC 7638 thumbprint).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils import timezone

from .. import credentials, signals, state, tokens
from ..conf import signed_api_settings
from ..core import SignatureError, verify_message
from ..core.errors import NONCE_REPLAYED, UNKNOWN_KEY
from ..models import (
    LoginChallenge,
    RememberFamily,
    RememberToken,
    SecurityEvent,
    Session,
    new_key_id,
)
from . import device_keys, events, second_factor, throttle
from . import remember as remember_me
from .database import database_busy, retry_when_busy, write_transaction
from .endings import end_sessions, end_sessions_of, revoke_family, revoke_remember_tokens
from .errors import FlowError, ServiceError
from .remember import REMEMBER_KIND

__all__ = [
    "ClientInfo", "FlowError", "IssuedSession", "PendingChallenge", "ServiceError",
    "create_session", "database_busy", "end_sessions_of", "login_with_password",
    "login_with_remember_token", "retry_when_busy", "revoke_family", "revoke_other_sessions",
    "revoke_remember_tokens", "revoke_session", "verify_challenge", "write_transaction",
]

logger = logging.getLogger("signed_api")

CHALLENGE_KIND = "chl"
SESSION_SECRET_BYTES = 32

#: Pending (unexpired) challenges one user may have. A right password needs no second factor to
#: make one, and its throttle charge is handed back, so without a bound a loop of logins by
#: whoever has the password would fill the table. A new challenge deletes the oldest beyond it
#: (a legitimate pending login among them answers ``challenge_expired`` and logs in again).
MAX_PENDING_CHALLENGES = 5


#: Refusals of a bound remember-me token's exchange (401); each counts as a failed attempt.
DEVICE_SIGNATURE_REQUIRED = "device_signature_required"
DEVICE_SIGNATURE_INVALID = "device_signature_invalid"


@dataclass
class IssuedSession:
    session: Session
    secret: bytes | None  # None: a device-bound session, which has no secret
    remember_token: str | None = None


@dataclass
class PendingChallenge:
    """A login waiting for its second factor: ``id`` is public (it goes in the verify URL),
    ``token`` is the secret that travels only in the verify request's body."""

    challenge: LoginChallenge
    id: str
    token: str

    @property
    def handle(self) -> str:
        """Both parts in one string (for code that stores a pending login as one value)."""
        return f"{self.id}_{self.token}"


@dataclass
class ClientInfo:
    address: str | None
    user_agent: str
    device_name: str

    @classmethod
    def from_request(cls, request, device_name: str = "") -> ClientInfo:
        meta = request.META
        return cls(
            address=throttle.client_address(request),
            user_agent=(meta.get("HTTP_USER_AGENT") or "")[:256],
            device_name=(device_name or "")[:100],
        )


# -- sessions ------------------------------------------------------------------------------
def _enforce_session_cap(user, newest: Session) -> None:
    """At most ``MAX_SESSIONS_PER_USER`` live sessions: end the oldest beyond it."""
    cap = signed_api_settings.MAX_SESSIONS_PER_USER
    if not cap:
        return
    cap = max(int(cap), 1)
    live = Session.objects.live().filter(user=user).exclude(pk=newest.pk)
    over = live.order_by("-created_at", "-pk").values_list("pk", flat=True)[cap - 1 :]
    oldest = list(over)
    if oldest:
        end_sessions(Session.objects.filter(pk__in=oldest))


def create_session(user, client: ClientInfo, *, family: RememberFamily | None = None,
                   via: str, request=None,
                   device_key: device_keys.DeviceKey | None = None) -> IssuedSession:
    """A new session: an hmac secret (returned this once, stored sealed), or, with
    ``device_key``, no secret at all: the session verifies with the device's public key."""
    s = signed_api_settings
    now = timezone.now()
    absolute = now + timedelta(seconds=int(s.SESSION_ABSOLUTE_TIMEOUT))
    idle = int(s.SESSION_IDLE_TIMEOUT)
    session = Session(
        key_id=new_key_id(s.SESSION_ID_PREFIX),
        user=user,
        created_at=now,
        last_seen_at=now,
        idle_timeout=idle,
        idle_expires_at=min(now + timedelta(seconds=idle), absolute),
        expires_at=absolute,
        device_name=client.device_name,
        client_address=client.address,
        user_agent=client.user_agent,
        remember_family=family,
    )
    secret: bytes | None = None
    if device_key is not None:
        session.algorithm = device_key.algorithm
        session.public_key = device_key.pem
        session.key_thumbprint = device_key.thumbprint
    else:
        secret = secrets.token_bytes(SESSION_SECRET_BYTES)
        session.set_secret(secret)
    session.save(force_insert=True)
    _enforce_session_cap(user, session)
    transaction.on_commit(
        lambda: signals.session_created.send(
            sender=Session, user=user, session=session, request=request, via=via
        )
    )
    return IssuedSession(session=session, secret=secret)


def revoke_session(user, key_id: str) -> bool:
    """Log out: end the session ``key_id`` of ``user`` and the remember family it came from
    (its tokens no longer log in, and the family's other sessions end too)."""
    with write_transaction():
        session = Session.objects.live().filter(user=user, key_id=key_id).first()
        if session is None:
            return False
        # The family's row first, then the sessions: the order of a remember-me exchange and
        # of theft detection, which lock the family and then end its sessions (the other order
        # deadlocked against them on PostgreSQL).
        family = (
            RememberFamily.objects.select_for_update().filter(pk=session.remember_family_id).first()
            if session.remember_family_id is not None
            else None
        )
        session.revoke()
        if family is not None:
            revoke_family(family, "logout")
    signals.session_revoked.send(sender=Session, user=user, session=session)
    events.record(SecurityEvent.SESSION_REVOKED, user=user, key_id=key_id)
    return True


def revoke_other_sessions(user, current: Session, *, request=None) -> int:
    """"Log out my other devices": end every session of ``user`` but ``current`` and every
    remember family but the one ``current`` belongs to. Returns how many sessions ended."""
    with write_transaction():
        ended = end_sessions_of(user, reason="logout_others", keep_session=current,
                                keep_family=True)
    events.record(
        SecurityEvent.SESSION_REVOKED, user=user, key_id=current.key_id, request=request,
        detail={"others": ended},
    )
    return ended


def _binding_detail(device_key: device_keys.DeviceKey | None) -> dict:
    """What the audit log says of a session's binding (public values only)."""
    if device_key is None:
        return {}
    return {"device_key": {"algorithm": device_key.algorithm,
                           "thumbprint": device_key.thumbprint}}


def _finish_login(user, client: ClientInfo, *, remember: bool, via: str, request,
                  device_key: device_keys.DeviceKey | None = None) -> IssuedSession:
    family = (
        remember_me.start_family(user, device_name=client.device_name, device_key=device_key)
        if remember else None
    )
    issued = create_session(user, client, family=family, via=via, request=request,
                            device_key=device_key)
    if family is not None:
        issued.remember_token = remember_me.issue_token(family)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    events.record(
        SecurityEvent.LOGIN_SUCCEEDED, user=user, key_id=issued.session.key_id, request=request,
        detail={"via": via, "remember": remember, **_binding_detail(device_key)},
    )
    return issued


# -- the flows -----------------------------------------------------------------------------
def login_with_password(request, username: str, password: str, *, remember: bool,
                        device_name: str = "", device_key: device_keys.DeviceKey | None = None
                        ) -> IssuedSession | PendingChallenge:
    client = ClientInfo.from_request(request, device_name)
    user = None
    # The attempt is charged before the password is checked (atomically, in the shared store)
    # and handed back when it was right: parallel guesses cannot slip past the budget.
    try:
        with throttle.attempt(username, throttle.guess_address(client.address)) as attempt:
            # authenticate() runs every backend; ModelBackend hashes the password against a
            # dummy user when the username is unknown, so both failures take about the same
            # time. It also sends user_login_failed.
            user = authenticate(request, username=username, password=password)
            if user is not None and user.is_active:
                attempt.succeeded()
    except throttle.ThrottledError as exc:
        raise FlowError("throttled", "Too many failed attempts.", wait=exc.wait) from None
    if user is None or not user.is_active:
        events.record(
            SecurityEvent.LOGIN_FAILED, username=username, request=request,
            gate=f"{username}\0{client.address}", detail={"reason": "invalid_credentials"},
        )
        raise FlowError("invalid_credentials", "The username or password is not correct.")
    if second_factor.has_confirmed_device(user):
        return _start_challenge(user, client, remember=remember, device_key=device_key)
    return _password_login_done(user, client, remember=remember, request=request,
                                device_key=device_key)


@retry_when_busy
def _password_login_done(user, client: ClientInfo, *, remember: bool, request,
                         device_key: device_keys.DeviceKey | None = None) -> IssuedSession:
    with write_transaction():
        return _finish_login(user, client, remember=remember, via="password", request=request,
                             device_key=device_key)


def _lock_challenges_of(user) -> None:
    """Serialize the challenge writers of ``user`` until the end of the transaction.

    SQLite: nothing to do, :func:`write_transaction` holds the database's one write lock.
    PostgreSQL: a transaction-level advisory lock keyed by the user, not a row lock on the user:
    ``verify_challenge`` locks a challenge and then (``select_related`` under ``FOR UPDATE``, and
    ``update_last_login``) its user, while eviction here deletes challenges, so a user row lock
    taken first would deadlock against it. In READ COMMITTED (Django's default) every statement
    after the lock sees the challenges the previous holder committed. Elsewhere: the user's row.
    """
    connection = transaction.get_connection()
    if connection.vendor == "sqlite":
        return
    if connection.vendor == "postgresql":
        digest = hashlib.blake2b(
            f"signed_api:challenges:{user.pk}".encode(), digest_size=8
        ).digest()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
            )
        return
    list(type(user)._default_manager.select_for_update().filter(pk=user.pk).values_list("pk"))


def _make_room_for_a_challenge(user, now) -> None:
    """Delete the expired challenges of ``user`` and the oldest pending ones beyond
    ``MAX_PENDING_CHALLENGES - 1`` (with the challenges locked, see :func:`_lock_challenges_of`)."""
    mine = LoginChallenge.objects.filter(user=user)
    mine.filter(expires_at__lte=now).delete()
    keep = max(int(MAX_PENDING_CHALLENGES), 1) - 1
    oldest = list(
        mine.filter(expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[keep:]
    )
    if oldest:
        LoginChallenge.objects.filter(pk__in=oldest).delete()


@retry_when_busy
def _start_challenge(user, client: ClientInfo, *, remember: bool,
                     device_key: device_keys.DeviceKey | None = None) -> PendingChallenge:
    issued = tokens.issue()
    timeout = timedelta(seconds=int(signed_api_settings.TWO_FACTOR_TIMEOUT))
    with write_transaction():
        _lock_challenges_of(user)
        now = timezone.now()
        _make_room_for_a_challenge(user, now)
        challenge = LoginChallenge.objects.create(
            lookup=issued.lookup,
            secret_hash=issued.hashed,
            user=user,
            created_at=now,
            expires_at=now + timeout,
            remember=remember,
            device_name=client.device_name,
            client_address=client.address,
            user_agent=client.user_agent,
            algorithm=device_key.algorithm if device_key is not None else "",
            public_key=device_key.pem if device_key is not None else "",
        )
    return PendingChallenge(
        challenge=challenge, id=f"{CHALLENGE_KIND}_{issued.lookup}", token=issued.secret
    )


def _challenge_lookup(challenge_id: object) -> str | None:
    """The lookup part of a public challenge id ``chl_<lookup>``, or ``None``."""
    if not isinstance(challenge_id, str):
        return None
    kind, sep, lookup = challenge_id.partition("_")
    if kind != CHALLENGE_KIND or not sep or len(lookup) != 2 * tokens.LOOKUP_BYTES:
        return None
    return lookup


@retry_when_busy
def verify_challenge(request, challenge_id: str, challenge_token: str, code: str) -> IssuedSession:
    """Complete a pending login: ``challenge_id`` is the public id of the 202, ``challenge_token``
    its secret (sent in the body, compared in constant time)."""
    lookup = _challenge_lookup(challenge_id)
    gone = FlowError("challenge_expired", "This login has expired; start again.")
    if lookup is None or not isinstance(challenge_token, str) or not challenge_token:
        raise gone
    secret = challenge_token
    outcome: FlowError | IssuedSession
    with write_transaction():
        challenge = (
            LoginChallenge.objects.select_for_update()
            .select_related("user")
            .filter(lookup=lookup)
            .first()
        )
        if challenge is None or not tokens.matches(secret, challenge.secret_hash):
            raise gone
        # Wrong codes count against the user like wrong passwords, across challenges: knowing
        # the password must not buy unlimited guesses at the second factor.
        username = challenge.user.get_username()
        try:
            with throttle.attempt(
                username, throttle.guess_address(throttle.client_address(request))
            ) as attempt:
                outcome = _answer_challenge(request, challenge, code, gone)
                if not isinstance(outcome, FlowError) or outcome.code == "challenge_expired":
                    attempt.succeeded()  # a right code, or no code checked at all
        except throttle.ThrottledError as exc:
            raise FlowError("throttled", "Too many failed attempts.", wait=exc.wait) from None
    if isinstance(outcome, FlowError):
        raise outcome
    return outcome


def _answer_challenge(request, challenge: LoginChallenge, code: str,
                      gone: FlowError) -> FlowError | IssuedSession:
    """Check ``code`` for a locked challenge whose token matched (within its transaction)."""
    max_attempts = int(signed_api_settings.TWO_FACTOR_MAX_ATTEMPTS)
    if challenge.expires_at <= timezone.now() or not challenge.user.is_active:
        challenge.delete()
        return gone
    user = challenge.user
    if second_factor.verify_code(user, code):
        client = ClientInfo(challenge.client_address, challenge.user_agent, challenge.device_name)
        remember = challenge.remember
        device_key = (
            device_keys.load(challenge.algorithm, challenge.public_key)
            if challenge.public_key else None
        )
        challenge.delete()
        return _finish_login(user, client, remember=remember, via="second_factor", request=request,
                             device_key=device_key)
    challenge.attempts += 1
    remaining = max_attempts - challenge.attempts
    if remaining <= 0:
        challenge.delete()
        outcome = FlowError("otp_attempts_exhausted", "Too many wrong codes; log in again.")
    else:
        challenge.save(update_fields=["attempts"])
        outcome = FlowError("otp_invalid", "The code is not valid.", attempts_remaining=remaining)
    transaction.on_commit(
        lambda: signals.second_factor_failed.send(
            sender=LoginChallenge, user=user, request=request
        )
    )
    transaction.on_commit(
        lambda: events.record(
            SecurityEvent.SECOND_FACTOR_FAILED, user=user, request=request,
            gate=f"2fa\0{user.pk}",
        )
    )
    return outcome


@retry_when_busy
def login_with_remember_token(request, text: str, *, device_name: str = "",
                              device_key: device_keys.DeviceKey | None = None) -> IssuedSession:
    """Trade a remember-me token for a session and the family's next token.

    A token of a device-bound family needs the request signed by the family's key (keyid: its
    thumbprint); without a valid signature it is refused, counts as a failed attempt and
    changes nothing. ``device_key`` binds the new session (and the family, from now on) to a
    new key: for a bound family, under the old key's signature (a key swap)."""
    client = ClientInfo.from_request(request, device_name)
    invalid = FlowError("remember_token_invalid", "The remember-me token is not valid.")
    theft_family = None
    # Guessing tokens draws on the client address's budget, charged before the token is looked
    # at; anything but an invalid token hands the charge back.
    try:
        with throttle.attempt(None, throttle.guess_address(client.address)) as attempt:
            parts = tokens.split(REMEMBER_KIND, text)
            if parts is None:
                outcome: FlowError | IssuedSession = invalid
            else:
                outcome, theft_family = _redeem_remember_token(
                    request, client, *parts, invalid, device_key=device_key
                )
            failed = isinstance(outcome, FlowError) and (
                outcome is invalid
                or outcome.code in (DEVICE_SIGNATURE_REQUIRED, DEVICE_SIGNATURE_INVALID)
            )
            if not failed:
                attempt.succeeded()
    except throttle.ThrottledError as exc:
        raise FlowError("throttled", "Too many failed attempts.", wait=exc.wait) from None
    if theft_family is not None:
        events.record(
            SecurityEvent.REMEMBER_TOKEN_THEFT, user=theft_family.user, request=request,
            detail={"family": theft_family.pk},
        )
        signals.remember_token_reused.send(
            sender=RememberFamily, user=theft_family.user, family=theft_family, request=request
        )
    if isinstance(outcome, FlowError):
        raise outcome
    return outcome


def _redeem_remember_token(request, client: ClientInfo, lookup: str, secret: str,
                           invalid: FlowError, *,
                           device_key: device_keys.DeviceKey | None = None):
    """``(outcome, stolen family or None)`` for the token ``lookup``/``secret``."""
    grace = timedelta(seconds=int(signed_api_settings.REMEMBER_REUSE_GRACE))
    with write_transaction():
        token = (
            RememberToken.objects.select_for_update()
            .select_related("family", "family__user")
            .filter(lookup=lookup)
            .first()
        )
        if token is None or not tokens.matches(secret, token.secret_hash):
            return invalid, None
        family = RememberFamily.objects.select_for_update().get(pk=token.family_id)
        user = token.family.user
        now = timezone.now()
        if family.revoked_at is not None or family.expires_at <= now or not user.is_active:
            return invalid, None
        if family.auth_fingerprint != second_factor.fingerprint(user):
            revoke_family(family, "credentials_changed")
            return invalid, None
        if token.consumed_at is not None and now - token.consumed_at > grace:
            revoke_family(family, "reused")
            reused = FlowError(
                "remember_token_reused",
                "This remember-me token was already used; every session it gave is ended.",
            )
            return reused, family
        # A bound family's token is worth nothing without the device: the exchange must be
        # signed by the family's key. A refusal consumes nothing and ends nothing (a thief
        # holding the token alone can neither log in nor log the device out); it counts as a
        # failed attempt. Theft detection above runs first, signed or not.
        bound_key = device_keys.load(family.algorithm, family.public_key) \
            if family.is_device_bound else None
        if bound_key is not None:
            refusal = _exchange_signature_refusal(request, bound_key)
            if refusal is not None:
                events.record(
                    SecurityEvent.LOGIN_FAILED, user=user, request=request,
                    gate=f"device\0{family.pk}",
                    detail={"reason": refusal.code, "via": "remember_token",
                            "family": family.pk, **refusal.extra,
                            **_binding_detail(bound_key)},
                )
                return refusal, None
        if token.consumed_at is None:
            token.consumed_at = now
            token.save(update_fields=["consumed_at"])
            # The chain moves on from this token: any other unused token of the family (a
            # sibling minted by a parallel exchange within the grace, which the device threw
            # away) is spent now too. Within the grace it still logs in; after it, whoever
            # presents it holds a copy, and it is treated as the reuse it is.
            RememberToken.objects.filter(family_id=family.pk, consumed_at__isnull=True).exclude(
                pk=token.pk
            ).update(consumed_at=now)
        session_key = bound_key
        if device_key is not None and (
            bound_key is None or device_key.thumbprint != bound_key.thumbprint
        ):
            _rebind_family(family, bound_key, device_key, request=request)
            session_key = device_key
        # Within the grace period (parallel requests of one device) a reuse is accepted like
        # the first use: a new session and a new token of the family.
        issued = create_session(user, client, family=family, via="remember_token", request=request,
                                device_key=session_key)
        issued.remember_token = remember_me.issue_token(family)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        events.record(
            SecurityEvent.LOGIN_SUCCEEDED, user=user, key_id=issued.session.key_id,
            request=request,
            detail={"via": "remember_token", "remember": True, **_binding_detail(session_key)},
        )
        return issued, None


def _rebind_family(family: RememberFamily, old: device_keys.DeviceKey | None,
                   new: device_keys.DeviceKey, *, request) -> None:
    """Bind ``family`` (locked) to ``new``: its first device key, or a swap signed by ``old``."""
    family.algorithm = new.algorithm
    family.public_key = new.pem
    family.key_thumbprint = new.thumbprint
    family.save(update_fields=["algorithm", "public_key", "key_thumbprint"])
    events.record(
        SecurityEvent.KEY_ROTATED, user=family.user, request=request,
        detail={"via": "remember_token", "family": family.pk, "algorithm": new.algorithm,
                "from": old.thumbprint if old is not None else "", "to": new.thumbprint},
    )


def _exchange_signature_refusal(request, key: device_keys.DeviceKey) -> FlowError | None:
    """``None`` when ``request`` carries a valid RFC 9421 signature by ``key`` (keyid: its
    thumbprint) with a fresh nonce, else the refusal. The same profile as every signed request
    (covered components, ``Content-Digest`` of the body, which holds the token, the clock
    window), with a nonce always required: a captured exchange cannot be sent again."""
    from ..request_message import message_from_request

    django_request = getattr(request, "_request", request)
    meta = django_request.META
    if "HTTP_SIGNATURE_INPUT" not in meta and "HTTP_SIGNATURE" not in meta:
        return FlowError(
            DEVICE_SIGNATURE_REQUIRED,
            "This remember-me token is bound to a device key: sign the request with it.",
        )
    policy = state.policy()
    if "nonce" not in policy.required_params:
        policy = dataclasses.replace(policy, required_params=(*policy.required_params, "nonce"))
    verifying = key.verifying_key()

    def resolver(keyid: str):
        if not hmac.compare_digest(keyid.encode("ascii"), key.thumbprint.encode("ascii")):
            raise SignatureError(UNKNOWN_KEY, "keyid is not the device key's thumbprint")
        return verifying

    try:
        message = message_from_request(django_request, django_request.body)
        verified = verify_message(message, resolver, policy, now=time.time())
        fresh = credentials.shared_store().add(
            credentials.nonce_key("device:" + key.thumbprint, verified.nonce or ""),
            2 * policy.clock_skew,
        )
        if not fresh:
            raise SignatureError(NONCE_REPLAYED, "nonce replayed on a remember-me exchange")
    except SignatureError as error:
        return FlowError(
            DEVICE_SIGNATURE_INVALID,
            "The request is not signed by the device key this remember-me token is bound to.",
            signature_error=error.code,
        )
    return None
