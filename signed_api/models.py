"""Models: API keys (sessions and the rest follow the same pattern).

What is stored how (see docs/security.md):

- ``key_id``: public, random, unique; it travels as the signature's ``keyid``.
- an hmac secret: encrypted under the keyring (AES-256-GCM, bound to the key id), never plain;
- a client public key: plain PEM (it is public);
- ``state_token``: random, changed on every security-relevant change, so that every process
  drops its cached copy of the key at once (see ``credentials``).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import signed_api_settings
from .core import HMAC_SHA256, algorithms, load_verifying_key

# All three from the registry of the core (docs/architecture.md, "Add an algorithm").
ALGORITHM_CHOICES = [
    (name, algorithms.get(name).label) for name in algorithms.names(api_keys=True)
]
PUBLIC_KEY_ALGORITHMS = tuple(
    name for name, _label in ALGORITHM_CHOICES if not algorithms.get(name).shared_secret
)
SECRET_BYTES = algorithms.get(HMAC_SHA256).secret_bytes


class AlgorithmField(models.CharField):
    """A key's algorithm, with the registry's choices. The choices stay out of migrations
    (``deconstruct``), as they do not touch the database: registering an algorithm needs no
    migration."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("choices", ALGORITHM_CHOICES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, "django.db.models.CharField", args, kwargs


def new_state_token() -> str:
    return secrets.token_hex(8)


def new_key_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(18)


class _StatefulMixin:
    """Every save writes a new state token; the ``post_save`` receiver
    (``receivers.credential_saved``) then publishes it, so that every process drops its cached
    copy of this credential at once (see ``credentials``)."""

    def _save_with_state(self, *args, **kwargs):
        self.state_token = new_state_token()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "state_token" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "state_token"]
        models.Model.save(self, *args, **kwargs)


class _SealedSecretMixin:
    """An hmac secret the server must use, kept encrypted under the keyring (``state``) with
    associated data that binds it to this model and row: ``signed_api.<Model>.secret:<key_id>``.
    """

    key_id: str  # both are the model's fields
    secret_encrypted: str

    @property
    def _context(self) -> str:
        return f"signed_api.{type(self).__name__}.secret:{self.key_id}"

    def set_secret(self, secret: bytes) -> None:
        from .state import keyring

        self.secret_encrypted = keyring().encrypt(secret, context=self._context)

    def verifying_key(self):
        """The core key object that verifies this credential's signatures."""
        from .state import keyring

        secret = keyring().decrypt(self.secret_encrypted, context=self._context)
        return load_verifying_key(HMAC_SHA256, secret)


class ApiKeyQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        """Not revoked and not expired, now."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def usable(self):
        """Active, and owned by an active user."""
        return self.active().filter(user__is_active=True)


_ApiKeyManagerBase = models.Manager.from_queryset(ApiKeyQuerySet)


class ApiKeyManager(_ApiKeyManagerBase["ApiKey"]):  # subscripted for the type checker only
    def create_key(
        self,
        user,
        *,
        name: str = "",
        algorithm: str = HMAC_SHA256,
        public_key: bytes | str | None = None,
        expires_at=None,
        scopes=None,
    ):
        """Create a key; returns ``(api_key, secret)``.

        ``secret`` is the plaintext hmac secret (bytes), returned this once and stored only
        encrypted; ``None`` for public-key algorithms, which need ``public_key`` (PEM).
        ``scopes`` defaults to the ``DEFAULT_KEY_SCOPES`` setting.
        """
        allowed = tuple(signed_api_settings.ALGORITHMS)
        if algorithm not in algorithms.names(api_keys=True) or algorithm not in allowed:
            raise ValueError(f"algorithm must be one of {', '.join(allowed)}")
        if scopes is None:
            scopes = list(signed_api_settings.DEFAULT_KEY_SCOPES)
        key = self.model(
            user=user,
            name=name,
            algorithm=algorithm,
            expires_at=expires_at,
            key_id=new_key_id(signed_api_settings.KEY_ID_PREFIX),
            scopes=list(scopes),
        )
        secret: bytes | None = None
        entry = algorithms.get(algorithm)
        if entry.shared_secret:
            if public_key is not None:
                raise ValueError(f"an {algorithm} key has a shared secret, not a public key")
            secret = entry.new_secret()
            key.set_secret(secret)
        else:
            if public_key is None:
                raise ValueError(f"an {algorithm} key needs the client's public key (PEM)")
            key.set_public_key(public_key)
        key.save(force_insert=True)
        return key, secret


class ApiKey(_SealedSecretMixin, _StatefulMixin, models.Model):
    key_id = models.CharField(_("key id"), max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_api_keys",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    algorithm = AlgorithmField(_("algorithm"))
    # Encrypted under the keyring (never plain); empty for public-key algorithms.
    secret_encrypted = models.TextField(blank=True, default="", editable=False)
    # PEM SubjectPublicKeyInfo of a client-held key; empty for hmac.
    public_key = models.TextField(_("public key"), blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    state_token = models.CharField(max_length=32, default=new_state_token, editable=False)
    # What the key may do (HasScope); empty: nothing that requires a scope.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    # Rotation with overlap: the previous secret (or public key) verifies until the deadline.
    previous_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    previous_public_key = models.TextField(blank=True, default="", editable=False)
    previous_valid_until = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    rotated_at = models.DateTimeField(_("rotated"), null=True, blank=True, editable=False)

    objects = ApiKeyManager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["user", "revoked_at"], name="signed_api_key_user_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.name})" if self.name else self.key_id

    # -- secrets ------------------------------------------------------------------------------
    def set_public_key(self, public_key: bytes | str) -> None:
        """Accept the client's public key (PEM, or raw Ed25519 bytes), stored as canonical PEM.

        The one place every way of giving an API key a public key goes through (``POST keys/``,
        rotation, enrolment, the admin, ``signed_api_createkey``, ``signed_api_rotatekey``):
        anything unusable is a ``ValueError`` (``400 invalid_key`` at the endpoints), an unknown
        algorithm in the PEM too, and an Ed25519 point must be canonical, on the curve, not of
        small order and in the prime-order subgroup (:mod:`signed_api.core.ed25519_points`).
        """
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization

        from .core import ed25519_points

        material = public_key.encode("ascii") if isinstance(public_key, str) else public_key
        try:
            verifying: Any = load_verifying_key(self.algorithm, material)  # has .public_key
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise ValueError(f"not a valid {self.algorithm} public key: {exc}") from exc
        if b"PRIVATE" in material:
            raise ValueError("give the public key only; the private key stays with the client")
        if self.algorithm == algorithms.ED25519:
            raw = verifying.public_key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            try:
                ed25519_points.check_public_key(raw)
            except ed25519_points.Ed25519PointError as exc:
                raise ValueError(f"not a valid {self.algorithm} public key: {exc}") from None
        self.public_key = verifying.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def verifying_key(self):
        """The core key object that verifies this key's current signatures."""
        return self._load(self.secret_encrypted, self.public_key, self._context)

    def previous_verifying_key(self):
        """The key replaced by the last rotation, or ``None`` once its overlap has ended."""
        if self.previous_valid_until is None or self.previous_valid_until <= timezone.now():
            return None
        if not (self.previous_secret_encrypted or self.previous_public_key):
            return None
        return self._load(
            self.previous_secret_encrypted, self.previous_public_key, self._previous_context
        )

    @property
    def _previous_context(self) -> str:
        return f"signed_api.ApiKey.previous_secret:{self.key_id}"

    def _load(self, encrypted: str, public_pem: str, context: str):
        from .state import keyring

        if algorithms.get(self.algorithm).shared_secret:
            secret = keyring().decrypt(encrypted, context=context)
            return load_verifying_key(self.algorithm, secret)
        return load_verifying_key(self.algorithm, public_pem.encode("ascii"))

    # -- state --------------------------------------------------------------------------------
    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_rotating(self) -> bool:
        return self.previous_valid_until is not None and self.previous_valid_until > timezone.now()

    @property
    def status(self) -> str:
        """``active``, ``rotating`` (a previous secret still verifies), ``expired``, ``revoked``."""
        if self.is_revoked:
            return "revoked"
        if self.is_expired:
            return "expired"
        if self.is_rotating:
            return "rotating"
        return "active"

    def revoke(self) -> None:
        """Revoke now. Irreversible: a revoked key never verifies again."""
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("revoked_at", flat=True)
            was_revoked = next(iter(stored), None)
            if was_revoked is not None and self.revoked_at != was_revoked:
                raise ValueError("a revoked key stays revoked")
        self._save_with_state(*args, **kwargs)


# ==============================================================================================
# Sessions, second factor, remember-me
# ==============================================================================================
class SessionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def live(self):
        """Not revoked, within the absolute timeout and the idle timeout, now."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now).filter(
            idle_expires_at__gt=now
        )

    def dead(self):
        now = timezone.now()
        return self.filter(
            models.Q(revoked_at__isnull=False)
            | models.Q(expires_at__lte=now)
            | models.Q(idle_expires_at__lte=now)
        )


class Session(_SealedSecretMixin, _StatefulMixin, models.Model):
    """A login, used exactly like an API key: ``key_id`` is the keyid, the secret an hmac key.

    A device-bound session has no secret at all: it verifies with the device's public key
    (``algorithm`` ed25519 or ecdsa-p256-sha256, ``public_key`` PEM, ``key_thumbprint`` its
    RFC 7638 JWK thumbprint), whose private half never leaves the device."""

    key_id = models.CharField(_("session id"), max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_api_sessions",
        verbose_name=_("user"),
    )
    # Encrypted under the keyring; empty for a device-bound session (there is no secret).
    secret_encrypted = models.TextField(blank=True, default="", editable=False)
    algorithm = AlgorithmField(_("algorithm"), default=HMAC_SHA256, editable=False)
    # PEM SubjectPublicKeyInfo of the device key; empty for an hmac session.
    public_key = models.TextField(_("device public key"), blank=True, default="", editable=False)
    key_thumbprint = models.CharField(
        _("device key thumbprint"), max_length=64, blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now, editable=False)
    idle_timeout = models.PositiveIntegerField(_("idle timeout (s)"), editable=False)
    # last_seen_at + idle_timeout, kept as a column so live() is one indexed filter.
    idle_expires_at = models.DateTimeField(editable=False)
    expires_at = models.DateTimeField(_("absolute expiry"), editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    device_name = models.CharField(_("device"), max_length=100, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    remember_family = models.ForeignKey(
        "RememberFamily",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        editable=False,
    )
    state_token = models.CharField(max_length=32, default=new_state_token, editable=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["user", "revoked_at"], name="signed_api_ses_user_idx")]

    def __str__(self) -> str:
        return self.key_id

    @property
    def is_device_bound(self) -> bool:
        return bool(self.public_key)

    def verifying_key(self):
        """The device's public key for a bound session, else the sealed hmac secret."""
        if self.public_key:
            if algorithms.get(self.algorithm).shared_secret:
                raise ValueError("a device-bound session needs a client-held algorithm")
            return load_verifying_key(self.algorithm, self.public_key.encode("ascii"))
        if self.algorithm != HMAC_SHA256 or not self.secret_encrypted:
            raise ValueError("this session has neither a secret nor a device key")
        return super().verifying_key()

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and self.expires_at > now and self.idle_expires_at > now

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def save(self, *args, **kwargs):
        self._save_with_state(*args, **kwargs)


class LoginChallenge(models.Model):
    """A login waiting for its second factor (the 202): ``chl_<lookup>`` is its public id, the
    challenge token (kept only as ``secret_hash``) its secret. Neither authenticates anything."""

    lookup = models.CharField(max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=128, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    remember = models.BooleanField(default=False, editable=False)
    device_name = models.CharField(max_length=100, blank=True, editable=False)
    client_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=256, blank=True, editable=False)
    # The device key the session will be bound to (checked already); empty: an hmac session.
    algorithm = models.CharField(max_length=32, blank=True, default="", editable=False)
    public_key = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("login challenge")
        verbose_name_plural = _("login challenges")


class TOTPDevice(models.Model):
    """An RFC 6238 authenticator (one per user); the seed is encrypted at rest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_api_totp",
        verbose_name=_("user"),
    )
    seed_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    # The last accepted time step (django-otp's last_t): no code works twice.
    last_t = models.BigIntegerField(default=-1, editable=False)

    class Meta:
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    def __str__(self) -> str:
        return f"TOTP for {self.user}"

    @property
    def _context(self) -> str:
        return f"signed_api.TOTPDevice.seed:{self.user_id}"

    def set_seed(self, seed: str) -> None:
        from .state import keyring

        self.seed_encrypted = keyring().encrypt(seed.encode("ascii"), context=self._context)

    def seed(self) -> str:
        from .state import keyring

        return keyring().decrypt(self.seed_encrypted, context=self._context).decode("ascii")


class RecoveryCode(models.Model):
    """A one-time code that stands in for a TOTP code; only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    code_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")


class RememberFamily(models.Model):
    """One "remember me" login and every token rotated from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_api_remember_families",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_reason = models.CharField(max_length=32, blank=True, editable=False)
    # Hash of the user's password hash and second-factor state when the family began: a
    # change to either ends the family (Django's PasswordResetTokenGenerator idea).
    auth_fingerprint = models.CharField(max_length=128, editable=False)
    device_name = models.CharField(_("device"), max_length=100, blank=True, editable=False)
    # A family bound to a device key: each exchange must be signed by it (the keyid is its
    # thumbprint), and may move the family to a new key. Empty: tokens alone are enough.
    algorithm = models.CharField(_("device key algorithm"), max_length=32, blank=True,
                                 default="", editable=False)
    public_key = models.TextField(_("device public key"), blank=True, default="", editable=False)
    key_thumbprint = models.CharField(
        _("device key thumbprint"), max_length=64, blank=True, default="", editable=False
    )

    @property
    def is_device_bound(self) -> bool:
        return bool(self.public_key)

    class Meta:
        verbose_name = _("remember-me token family")
        verbose_name_plural = _("remember-me token families")


class RememberToken(models.Model):
    family = models.ForeignKey(
        RememberFamily, on_delete=models.CASCADE, related_name="tokens", editable=False
    )
    lookup = models.CharField(max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    consumed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("remember-me token")
        verbose_name_plural = _("remember-me tokens")


# ==============================================================================================
# Enrollment keys and the audit log
# ==============================================================================================
class EnrollmentKeyQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, uses_left__gt=0).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class EnrollmentKey(_SealedSecretMixin, _StatefulMixin, models.Model):
    """A shared secret that can only enrol: it signs ``POST enroll/`` and nothing else.

    Handed to a small group in person (the seed idea); each use registers a device's key for
    a named user. Stored like every other secret (encrypted); uses are counted atomically.
    """

    key_id = models.CharField(_("key id"), max_length=64, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    secret_encrypted = models.TextField(editable=False)
    uses_left = models.PositiveIntegerField(_("uses left"))
    uses_total = models.PositiveIntegerField(_("uses"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    state_token = models.CharField(max_length=32, default=new_state_token, editable=False)

    objects = EnrollmentKeyQuerySet.as_manager()

    algorithm = HMAC_SHA256

    class Meta:
        verbose_name = _("enrollment key")
        verbose_name_plural = _("enrollment keys")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.key_id} ({self.name})" if self.name else self.key_id

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        if self.uses_left <= 0:
            return "used up"
        return "active"

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def save(self, *args, **kwargs):
        self._save_with_state(*args, **kwargs)


class SecurityEvent(models.Model):
    """The audit log: who did what to which credential, from where. Never a secret."""

    KEY_CREATED = "key_created"
    KEY_ROTATED = "key_rotated"
    KEY_REVOKED = "key_revoked"
    KEY_EXPIRY_CHANGED = "key_expiry_changed"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    REPLAY_REFUSED = "replay_refused"
    REMEMBER_TOKEN_THEFT = "remember_token_theft"
    SESSION_REVOKED = "session_revoked"
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    ENROLLMENT_KEY_CREATED = "enrollment_key_created"
    ENROLLED = "enrolled"
    ADMIN_ACTION = "admin_action"
    KIND_CHOICES = [
        (KEY_CREATED, "key created"),
        (KEY_ROTATED, "key rotated"),
        (KEY_REVOKED, "key revoked"),
        (KEY_EXPIRY_CHANGED, "key expiry changed"),
        (LOGIN_SUCCEEDED, "login succeeded"),
        (LOGIN_FAILED, "login failed"),
        (SECOND_FACTOR_FAILED, "second factor failed"),
        (REPLAY_REFUSED, "replay refused"),
        (REMEMBER_TOKEN_THEFT, "remember token theft"),
        (SESSION_REVOKED, "session revoked"),
        (TOTP_ENABLED, "TOTP enabled"),
        (TOTP_DISABLED, "TOTP disabled"),
        (ENROLLMENT_KEY_CREATED, "enrollment key created"),
        (ENROLLED, "enrolled"),
        (ADMIN_ACTION, "admin action"),
    ]

    kind = models.CharField(_("event"), max_length=32, choices=KIND_CHOICES, db_index=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    key_id = models.CharField(_("key id"), max_length=64, blank=True, db_index=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.key_id or self.username}"


class StoreEntry(models.Model):
    """One entry of the shared store when it lives in the database (the default without Redis):
    a nonce, a guessing-budget counter or a credential's state token. See ``signed_api.stores``.

    ``entry_key`` is already a hash (of the key id and nonce, or of the username), so a row says
    nothing about what it counts. Rows past ``expires`` are dead and purged in batches.
    """

    entry_key = models.CharField(max_length=100, primary_key=True)
    token = models.CharField(max_length=64, blank=True, default="")
    hits = models.BigIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)  # epoch seconds

    class Meta:
        verbose_name = _("shared store entry")
        verbose_name_plural = _("shared store entries")
        default_permissions = ()

    def __str__(self) -> str:
        return self.entry_key


class OHTTPKey(models.Model):
    """An Oblivious HTTP gateway key (RFC 9458 §3), made by ``signed_api_ohttp_keys``.

    The X25519 private key is sealed under the keyring like every other stored secret (bound to
    the key id); the public key is kept in the clear (it is served to every client). A key is
    advertised until it is retired, and still decrypts for ``OHTTP_KEY_LIFETIME`` seconds after
    that (clients cache the configurations that long), then it is ignored.
    """

    key_id = models.PositiveSmallIntegerField(_("key id"), unique=True)
    kem_id = models.PositiveIntegerField(_("KEM"), default=0x0020, editable=False)
    # [[kdf_id, aead_id], ...], in the order the configuration lists them.
    suites = models.JSONField(_("suites"), default=list, editable=False)
    public_key = models.CharField(_("public key (hex)"), max_length=512, editable=False)
    private_key_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("OHTTP gateway key")
        verbose_name_plural = _("OHTTP gateway keys")
        ordering = ("key_id",)

    def __str__(self) -> str:
        return f"OHTTP key {self.key_id}"

    @property
    def _context(self) -> str:
        return f"signed_api.OHTTPKey.private_key:{self.key_id}"

    def set_private_key(self, private_key: bytes) -> None:
        from .state import keyring

        self.private_key_encrypted = keyring().encrypt(private_key, context=self._context)

    def private_key(self) -> bytes:
        from .state import keyring

        return keyring().decrypt(self.private_key_encrypted, context=self._context)
