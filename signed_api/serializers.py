"""Request bodies of the signed_api endpoints (malformed input is a 400 with field errors)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Session


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, required=False, trim_whitespace=False, style={"input_type": "password"}
    )
    remember = serializers.BooleanField(required=False, default=False)
    device_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    remember_token = serializers.CharField(max_length=200, required=False)

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


class SessionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="key_id")
    current = serializers.SerializerMethodField()

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
        )

    def get_current(self, obj) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return getattr(auth, "key_id", None) == obj.key_id
