"""Every list of algorithms in the package is the registry's (``signed_api.core.algorithms``):
the setting's default, the model's choices, the serializers', ``signed_api_createkey``'s, the
client's and the ones check E006 accepts. Adding an algorithm is then one entry in the core
(docs/architecture.md, "Add an algorithm")."""

from __future__ import annotations

import argparse

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from signed_api import models, serializers
from signed_api.client import __main__ as cli
from signed_api.conf import DEFAULTS
from signed_api.core import algorithms
from signed_api.management.commands.signed_api_createkey import Command as CreateKey

FOR_KEYS = algorithms.names(api_keys=True)
CORE_ONLY = tuple(name for name in algorithms.REGISTRY if name not in FOR_KEYS)


def test_the_setting_default():
    assert tuple(DEFAULTS["ALGORITHMS"]) == FOR_KEYS


def test_the_model_choices_and_public_key_algorithms():
    field = models.ApiKey._meta.get_field("algorithm")
    assert [value for value, _label in field.choices] == list(FOR_KEYS)
    assert [(n, algorithms.get(n).label) for n in FOR_KEYS] == models.ALGORITHM_CHOICES
    assert dict(field.choices)["ed25519"] == "ed25519 (client-held key)"
    assert dict(field.choices)["hmac-sha256"] == "hmac-sha256 (shared secret)"
    assert tuple(
        n for n in FOR_KEYS if algorithms.get(n).key_type == algorithms.CLIENT_HELD
    ) == models.PUBLIC_KEY_ALGORITHMS
    assert algorithms.get("hmac-sha256").secret_bytes == models.SECRET_BYTES
    # The choices stay out of migrations, so a new algorithm needs none.
    assert "choices" not in field.deconstruct()[3]


@pytest.mark.parametrize("serializer", [serializers.KeyCreateSerializer,
                                        serializers.EnrollSerializer])
def test_the_serializer_choices(serializer):
    field = serializer().fields["algorithm"]
    assert tuple(field.choices) == FOR_KEYS
    assert field.default == "hmac-sha256"


def test_the_createkey_choices():
    parser = CreateKey().create_parser("manage.py", "signed_api_createkey")
    (action,) = [a for a in parser._actions if "--algorithm" in a.option_strings]
    assert isinstance(action, argparse.Action)
    assert tuple(action.choices) == FOR_KEYS
    assert action.default == "hmac-sha256"


def test_the_client_command_line():
    assert cli.ALGORITHMS == FOR_KEYS
    assert cli.CLIENT_HELD == models.PUBLIC_KEY_ALGORITHMS


def _e006(value) -> bool:
    with override_settings(SIGNED_API={"ALGORITHMS": value}):
        return any(m.id == "signed_api.E006" for m in run_checks(tags=["security"]))


def test_e006_accepts_exactly_the_registry_offer():
    assert not _e006(FOR_KEYS)
    for name in FOR_KEYS:
        assert not _e006((name,)), name
    for name in (*CORE_ONLY, "none", "HMAC-SHA256", "hs256"):
        assert _e006((name,)), name


def test_e006_reads_the_registry_itself(monkeypatch):
    monkeypatch.setattr(algorithms, "REGISTRY", dict(algorithms.REGISTRY))
    assert _e006(("ed25519-example",))
    algorithms.register(algorithms.Algorithm(
        "ed25519-example", algorithms.CLIENT_HELD,
        algorithms.Ed25519SigningKey, algorithms.Ed25519VerifyingKey,
    ))
    assert not _e006(("ed25519-example",))
