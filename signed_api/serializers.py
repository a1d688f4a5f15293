"""Request bodies of the signed_api endpoints (malformed input is a 400 with field errors)."""

from __future__ import annotations

import math
from datetime import timedelta

from rest_framework import serializers

from .core import algorithms
from .models import Session
from .services import keys


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, required=False, trim_whitespace=False, style={"input_type": "password"}
    )
    remember = serializers.BooleanField(required=False, default=False)
    device_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    remember_token = serializers.CharField(max_length=200, required=False)
    # A device key (JWK object or PEM text) and its algorithm: the session is then bound to it.
    # Checked by services.device_keys (400 public_key_invalid / algorithm_unsupported).
    # Any JSON passes through, so that the checks answer every bad value with a stable code.
    public_key = serializers.JSONField(required=False, allow_null=True)
    algorithm = serializers.JSONField(required=False, allow_null=True)

    def validate(self, attrs):
        if "remember_token" in attrs:
            if "username" in attrs or "password" in attrs:
                raise serializers.ValidationError(
                    "Send either remember_token or username and password, not both."
                )
            return attrs
        missing = {
            name: ["This field is required."]
            for name in ("username", "password")
            if not attrs.get(name)
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)


class StrictCharField(serializers.CharField):
    """A string and only a string: DRF's ``CharField`` would take ``12345`` as ``"12345"``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ChallengeAnswerSerializer(serializers.Serializer):
    """``sessions/{id}/verify/``: the challenge's token (from the 202) and the code. A token
    that is not a string of at most 200 characters without NUL or lone surrogates is refused
    like a wrong one (``401 challenge_expired``, by the view)."""

    challenge_token = StrictCharField(max_length=200, trim_whitespace=False)
    code = serializers.CharField(max_length=64)  # as CodeSerializer's


class SessionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="key_id")
    current = serializers.SerializerMethodField()
    device_bound = serializers.BooleanField(source="is_device_bound")
    # The RFC 7638 JWK thumbprint of the device key; null for an hmac session.
    key_thumbprint = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = (
            "id",
            "device_name",
            "client_address",
            "user_agent",
            "created_at",
            "last_seen_at",
            "expires_at",
            "idle_timeout",
            "current",
            "algorithm",
            "device_bound",
            "key_thumbprint",
        )

    def get_current(self, obj) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return getattr(auth, "key_id", None) == obj.key_id

    def get_key_thumbprint(self, obj) -> str | None:
        return obj.key_thumbprint or None


class PublicKeyField(serializers.Field):
    """A client public key as PEM text or as a JWK object (OKP/Ed25519, EC/P-256)."""

    def to_internal_value(self, data):
        from .core.jwk import jwk_to_pem

        if isinstance(data, dict):
            try:
                return jwk_to_pem(data)
            except (ValueError, TypeError) as exc:
                raise serializers.ValidationError(str(exc)) from None
        if isinstance(data, str) and "BEGIN PUBLIC KEY" in data:
            return data.encode("ascii", "replace")
        if isinstance(data, str) and "PRIVATE KEY" in data:
            raise serializers.ValidationError("Send the public key only.")
        raise serializers.ValidationError("Expected a PEM public key or a JWK object.")

    def to_representation(self, value):
        return value


class KeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    algorithm = serializers.ChoiceField(
        choices=algorithms.names(api_keys=True), default=algorithms.HMAC_SHA256
    )
    public_key = PublicKeyField(required=False)
    # Absent: DEFAULT_KEY_SCOPES; [] : no scope at all.
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    expires_in_days = serializers.IntegerField(
        required=False, min_value=1, max_value=keys.MAX_LIFETIME_DAYS
    )

    def validate(self, attrs):
        name = attrs["algorithm"]
        needs_public = not algorithms.get(name).shared_secret
        if needs_public and "public_key" not in attrs:
            raise serializers.ValidationError({"public_key": ["Required for this algorithm."]})
        if not needs_public and "public_key" in attrs:
            raise serializers.ValidationError(
                {"public_key": [f"An {name} key has a shared secret, not a public key."]}
            )
        return attrs


class HoursField(serializers.FloatField):
    """A finite number of hours. DRF's ``FloatField`` takes JSON ``true`` as 1.0 (``float(True)``)
    and, in some versions, NaN (which passes the min/max comparisons): both are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("A finite number of hours is required.")
        return value


class KeyRotateSerializer(serializers.Serializer):
    grace_hours = HoursField(
        required=False, min_value=0, max_value=keys.MAX_ROTATION_GRACE // timedelta(hours=1)
    )
    public_key = PublicKeyField(required=False)


class EnrollSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    algorithm = serializers.ChoiceField(
        choices=algorithms.names(api_keys=True), default=algorithms.HMAC_SHA256
    )
    public_key = PublicKeyField(required=False)

    validate = KeyCreateSerializer.validate


class ApiKeySerializer(serializers.Serializer):
    """What a key looks like to its owner: never its secret."""

    id = serializers.CharField(source="key_id")
    name = serializers.CharField()
    algorithm = serializers.CharField()
    status = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    public_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    previous_valid_until = serializers.DateTimeField()
